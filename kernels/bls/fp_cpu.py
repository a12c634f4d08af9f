"""The GF(p) Montgomery product of BLS12-381 in x86-64 assembly (BMI2 `mulx`, ADX `adcx`/`adox`), as a Numba
intrinsic for msm_numba_core.build on the CPU.

LLVM has one carry flag and so one carry chain: the portable product (msm_numba_core.fp_mul, from 64 x 64 ->
128-bit multiplies) spends about three additions per word product and serialises on the carries. `adcx` and
`adox` carry through two different flags (CF and OF), so the low and high halves of a row of products accumulate
in two chains at once, the technique of Intel's "New instructions supporting large integer arithmetic on Intel
architecture processors" (Ozturk, Guilford, Gopal and Feghali, Intel white paper 327831, 2012), which blst's
mulx_mont_384 uses too. The algorithm is the word-by-word Montgomery product (CIOS, Koc, Acar and Kaliski, IEEE
Micro 1996) without the extra top words: p < 2^381 leaves the top bits free, so after each row the running sum
fits in seven words (the "no-carry" condition of gnark-crypto, ConsenSys, "Faster big-integer modular
multiplication for most moduli", 2020). Inputs below p give an output below p.

The asm reads a, b, p and -1/p mod 2^64 from one stack buffer whose address is pinned to %rsi and writes the
product back into it; every other general register and the flags are declared clobbered, so LLVM saves what it
needs around the call. Chosen at run time by CPU flags (`enabled()`); KERNELS_BLS_ADX=0 keeps the portable
product (the tests run both).
"""
from __future__ import annotations

import os
import platform
from types import SimpleNamespace

from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

DISABLE_ENV = "KERNELS_BLS_ADX"
_FEATURES = llvm_binding.get_host_cpu_features() if platform.machine() in ("x86_64", "AMD64") else {}
HAS_ADX = bool(_FEATURES.get("adx", False) and _FEATURES.get("bmi2", False))
if HAS_ADX:
    llvm_binding.initialize_native_asmparser()  # Numba's JIT parses inline assembly only with the parser loaded

# buffer words: a[0..5], b[6..11], p[12..17], pinv[18], out[19..24]
A, B, PW, PINV_AT, OUT = 0, 6, 12, 18, 19
WORDS = 25
_SCRATCH = ["%rax", "%rbx", "%rcx", "%rdi", "%r8", "%r9", "%r10", "%r11", "%r12", "%r13", "%r14", "%r15"]
_CLOBBERS = ["rax", "rbx", "rcx", "rdx", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]


def enabled() -> bool:
    """This CPU has BMI2 and ADX and the environment does not switch the path off."""
    return HAS_ADX and os.environ.get(DISABLE_ENV, "1") != "0"


def _m(word: int) -> str:
    return f"{8 * word}(%rsi)"


def assembly() -> str:
    """The unrolled product: six rows, each a*b[i] added into t then one reduction word, then t - p if t >= p.
    The seven accumulator registers rotate by one per row instead of moving the words down."""
    t = _SCRATCH[:7]  # t[0..6]: the running sum, t[0] least significant
    lo, hi = _SCRATCH[7], _SCRATCH[8]
    lines = []
    for j in range(6):
        lines.append(f"xorq {t[j]}, {t[j]}")
    for i in range(6):
        lines.append(f"movq {_m(B + i)}, %rdx")
        lines.append(f"xorq {lo}, {lo}")  # CF = OF = 0
        for j in range(6):  # t += a * b[i]: low halves on OF into t[j], high halves on CF into t[j + 1]
            lines.append(f"mulxq {_m(A + j)}, {lo}, {hi}")
            lines.append(f"adoxq {lo}, {t[j]}")
            if j < 5:
                lines.append(f"adcxq {hi}, {t[j + 1]}")
        lines.append(f"movq $$0, {t[6]}")
        lines.append(f"adcxq {hi}, {t[6]}")  # no carry out: the sum is below 2^448
        lines.append(f"movq $$0, {lo}")
        lines.append(f"adoxq {lo}, {t[6]}")
        lines.append(f"movq {t[0]}, %rdx")  # m = t[0] (-1/p) mod 2^64
        lines.append(f"imulq {_m(PINV_AT)}, %rdx")
        lines.append(f"xorq {lo}, {lo}")
        for j in range(6):  # t += m p: t[0] becomes 0
            lines.append(f"mulxq {_m(PW + j)}, {lo}, {hi}")
            lines.append(f"adoxq {lo}, {t[j]}")
            lines.append(f"adcxq {hi}, {t[j + 1]}")
        lines.append(f"movq $$0, {lo}")
        lines.append(f"adoxq {lo}, {t[6]}")
        t = t[1:] + t[:1]  # divide by 2^64: t[1..6] become t[0..5]
    d = [t[6], lo, hi, "%rdx"] + [r for r in _SCRATCH if r not in t + [lo, hi]][:2]
    for j in range(6):  # d = t - p; keep t where that borrows (t < p)
        lines.append(f"movq {t[j]}, {d[j]}")
    for j in range(6):
        lines.append(f"{'subq' if j == 0 else 'sbbq'} {_m(PW + j)}, {d[j]}")
    for j in range(6):
        lines.append(f"cmovcq {t[j]}, {d[j]}")
        lines.append(f"movq {d[j]}, {_m(OUT + j)}")
    return "\n".join(lines)


_ASM = assembly()


def make_fp_mul(p: int):
    """The intrinsic mont_mul_adx(a, b) -> a b 2^-384 mod p on UniTuple(uint64, 6) Montgomery limbs."""
    pinv = (-pow(p, -1, 1 << 64)) % (1 << 64)
    p_words = [(p >> (64 * k)) & ((1 << 64) - 1) for k in range(6)]

    @intrinsic
    def mont_mul_adx(typingctx, a, b):
        tup = types.UniTuple(types.uint64, 6)
        sig = tup(tup, tup)

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            buf = cgutils.alloca_once(builder, ir.ArrayType(i64, WORDS))  # in the entry block, not per call
            base = builder.bitcast(buf, i64.as_pointer())

            def put(k, v):
                builder.store(v, builder.gep(base, [ir.Constant(ir.IntType(32), k)]))

            for k in range(6):
                put(A + k, builder.extract_value(args[0], k))
                put(B + k, builder.extract_value(args[1], k))
                put(PW + k, ir.Constant(i64, p_words[k]))
            put(PINV_AT, ir.Constant(i64, pinv))
            fty = ir.FunctionType(ir.VoidType(), [i64.as_pointer()])
            constraint = "{rsi}," + ",".join(f"~{{{r}}}" for r in _CLOBBERS) + ",~{memory},~{dirflag},~{fpsr},~{flags}"
            builder.asm(fty, _ASM, constraint, [base], side_effect=True)
            out = [builder.load(builder.gep(base, [ir.Constant(ir.IntType(32), OUT + k)])) for k in range(6)]
            return context.make_tuple(builder, signature.return_type, out)

        return sig, codegen

    return mont_mul_adx


def _wide(builder, tup, width):
    """A UniTuple(uint64, 6) as one LLVM integer of `width` bits."""
    wide = ir.IntType(width)
    out = ir.Constant(wide, 0)
    for k in range(6):
        limb = builder.zext(builder.extract_value(tup, k), wide)
        out = builder.or_(out, builder.shl(limb, ir.Constant(wide, 64 * k)))
    return out


def _limbs(context, builder, signature, value):
    i64 = ir.IntType(64)
    words = [builder.trunc(builder.lshr(value, ir.Constant(value.type, 64 * k)), i64) for k in range(6)]
    return context.make_tuple(builder, signature.return_type, words)


def make_fp_add_sub(p: int):
    """The intrinsics (fp_add(a, b), fp_sub(a, b)) mod p on limbs below p, as 384-bit LLVM integers: LLVM emits
    add/adc and sub/sbb chains and a select, where the portable versions test every carry by a comparison."""
    tup = types.UniTuple(types.uint64, 6)
    i384 = ir.IntType(384)

    @intrinsic
    def fp_add(typingctx, a, b):
        def codegen(context, builder, signature, args):
            s = builder.add(_wide(builder, args[0], 384), _wide(builder, args[1], 384))  # < 2p < 2^382
            d = builder.sub(s, ir.Constant(i384, p))
            return _limbs(context, builder, signature, builder.select(
                builder.icmp_unsigned("<", s, ir.Constant(i384, p)), s, d))

        return tup(tup, tup), codegen

    @intrinsic
    def fp_sub(typingctx, a, b):
        def codegen(context, builder, signature, args):
            x, y = _wide(builder, args[0], 384), _wide(builder, args[1], 384)
            d = builder.sub(x, y)
            return _limbs(context, builder, signature, builder.select(
                builder.icmp_unsigned("<", x, y), builder.add(d, ir.Constant(i384, p)), d))

        return tup(tup, tup), codegen

    return fp_add, fp_sub


def ops(p: int, adx: bool) -> SimpleNamespace:
    """The CPU's GF(p) operations for msm_numba_core.build: add and sub always, mul only with `adx`."""
    add, sub = make_fp_add_sub(p)
    return SimpleNamespace(add=add, sub=sub, mul=make_fp_mul(p) if adx else None)
