"""SHA-256 compression with the SHA-NI instructions, written in LLVM IR from Numba, several messages at once.

`sha256rnds2` does two rounds, `sha256msg1` / `sha256msg2` extend the message schedule four words at a time
(Intel, "Intel SHA Extensions", 2013; the order of operations follows Intel's reference code). One message's
rounds form a single dependency chain (each `sha256rnds2` needs the previous one's result), so a core that can
start a new `sha256rnds2` before the last has finished sits idle on one message; `compress_intrinsic(lanes)`
interleaves the rounds of `lanes` independent messages so that their chains overlap.

The state of a lane is kept in the instructions' own layout, two vectors of four 32-bit words:
``ABEF = [F, E, B, A]`` and ``CDGH = [H, G, D, C]`` (element 0 first), eight uint32 per lane in a state array.
Only compiled and called where the CPU has the instructions (numba_cpu chooses the path by CPU flags).

The SHA instructions exist only in the legacy SSE encoding. Where Numba compiles for AVX, the code around them
(the kernel's loops, vectorised to 256 or 512 bits) leaves the upper halves of the vector registers dirty, and
an SSE instruction then pays for a state transition: measured on a Xeon (Sapphire Rapids) VM, 14 us per 64-byte
message instead of 0.05-0.1 us (the same kernel compiled without AVX). `compress` therefore starts with
`vzeroupper` (LLVM's intrinsic, which clears the upper halves and tells the register allocator so) where the
target has AVX (Intel, "Avoiding AVX-SSE Transition Penalties", 2011; Intel optimization manual, section on
mixing AVX and SSE code).
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .reference import K

_I8, _I32, _I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
_V4 = ir.VectorType(_I32, 4)


@intrinsic
def address(typingctx, arr, i):
    """The address of arr[i] (a 1-D array, element index i) as an int64: what `compress` reads blocks from."""
    sig = types.int64(arr, types.int64)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.ptrtoint(builder.gep(a.data, [args[1]]), _I64)

    return sig, codegen


def target_has_avx(context) -> bool:
    """Numba compiles for a CPU with AVX (the host's features, or NUMBA_CPU_FEATURES when set)."""
    return "+avx" in context.codegen()._get_host_cpu_features().split(",")


def _const_v4(words) -> ir.Constant:
    return ir.Constant(_V4, [ir.Constant(_I32, w) for w in words])


def compress_intrinsic(lanes: int):
    """An intrinsic `compress(state, blocks)`: one 64-byte block for each of `lanes` messages. `state` is a
    uint32 array of 8 * lanes words (ABEF, CDGH per lane, updated in place); `blocks` an int64 array of
    `lanes` addresses of 64-byte blocks (any alignment), from `address`."""

    @intrinsic
    def compress(typingctx, state, blocks):
        sig = types.void(state, blocks)

        def codegen(context, builder, signature, args):
            module = builder.module
            rnds2 = module.declare_intrinsic("llvm.x86.sha256rnds2", fnty=ir.FunctionType(_V4, [_V4, _V4, _V4]))
            msg1 = module.declare_intrinsic("llvm.x86.sha256msg1", fnty=ir.FunctionType(_V4, [_V4, _V4]))
            msg2 = module.declare_intrinsic("llvm.x86.sha256msg2", fnty=ir.FunctionType(_V4, [_V4, _V4]))
            bswap = module.declare_intrinsic("llvm.bswap.v4i32", fnty=ir.FunctionType(_V4, [_V4]))
            if target_has_avx(context):
                builder.call(module.declare_intrinsic("llvm.x86.avx.vzeroupper",
                                                      fnty=ir.FunctionType(ir.VoidType(), [])), [])
            st = context.make_array(signature.args[0])(context, builder, args[0]).data
            bl = context.make_array(signature.args[1])(context, builder, args[1]).data
            v4ptr = _V4.as_pointer()

            def state_ptr(lane, half):
                return builder.bitcast(builder.gep(st, [ir.Constant(_I64, 8 * lane + 4 * half)]), v4ptr)

            abef = [builder.load(state_ptr(l, 0), align=4) for l in range(lanes)]
            cdgh = [builder.load(state_ptr(l, 1), align=4) for l in range(lanes)]
            saved = [(abef[l], cdgh[l]) for l in range(lanes)]
            base = [builder.inttoptr(builder.load(builder.gep(bl, [ir.Constant(_I64, l)])), _V4.as_pointer())
                    for l in range(lanes)]
            # W[4j .. 4j + 3] per lane; the first four vectors are the block's big-endian words
            w = [[None] * 16 for _ in range(lanes)]
            high = ir.Constant(ir.VectorType(_I32, 4), [ir.Constant(_I32, k) for k in (2, 3, 2, 3)])
            for j in range(16):
                for l in range(lanes):
                    if j < 4:
                        raw = builder.load(builder.gep(base[l], [ir.Constant(_I64, j)]), align=1)
                        w[l][j] = builder.call(bswap, [raw])
                    else:  # W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time
                        t7 = builder.shuffle_vector(w[l][j - 2], w[l][j - 1],
                                                    ir.Constant(ir.VectorType(_I32, 4),
                                                                [ir.Constant(_I32, k) for k in (1, 2, 3, 4)]))
                        x = builder.add(builder.call(msg1, [w[l][j - 4], w[l][j - 3]]), t7)
                        w[l][j] = builder.call(msg2, [x, w[l][j - 1]])
                    wk = builder.add(w[l][j], _const_v4(K[4 * j:4 * j + 4]))
                    cdgh[l] = builder.call(rnds2, [cdgh[l], abef[l], wk])
                    wk_high = builder.shuffle_vector(wk, wk, high)
                    abef[l] = builder.call(rnds2, [abef[l], cdgh[l], wk_high])
            for l in range(lanes):
                builder.store(builder.add(abef[l], saved[l][0]), state_ptr(l, 0), align=4)
                builder.store(builder.add(cdgh[l], saved[l][1]), state_ptr(l, 1), align=4)
            return context.get_dummy_value()

        return sig, codegen

    return compress
