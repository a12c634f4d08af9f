"""Ed25519 verification for Numba, written once and compiled twice: ``build(njit, radix51=True)`` for the
CPU kernel (numba_cpu.py) and ``build(cuda.jit(device=True))`` for the GPU kernel (numba_cuda.py).

Same algorithm as the C core (kernels/common/ed25519.h), with its two field layouts: radix 2^25.5 (ten signed
limbs in int64, the GPU layout) and radix 2^51 (five uint64 limbs, 128-bit products through an LLVM i128
intrinsic: the CPU layout, as libsodium's). Field elements are tuples (registers, no allocation); ref10's
formulas and signed sliding windows; scratch arrays (window digits, the table of odd multiples of A) come from the caller, because a
CUDA kernel allocates them with cuda.local.array and a CPU kernel with np.empty.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from llvmlite import ir
from numba import int64, types, uint64
from numba.extending import intrinsic

# uint64 constants for the radix-2^51 layout (typed, so Numba never mixes uint64 with int64 into float64)
U0, U1, U2, U12, U13, U19, U25, U26, U38, U39, U51 = (np.uint64(v) for v in (0, 1, 2, 12, 13, 19, 25, 26, 38, 39, 51))
MASK51 = np.uint64((1 << 51) - 1)
TWO_P0, TWO_P = np.uint64(0xFFFFFFFFFFFDA), np.uint64(0xFFFFFFFFFFFFE)  # 2p in radix 2^51 (libsodium fe51 sub)


@intrinsic
def mac128(typingctx, lo, hi, a, b):
    """(lo, hi) + a * b as a 128-bit number: one 64 x 64 -> 128-bit multiply (LLVM i128), CPU only."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        lo_, hi_, a_, b_ = args
        acc = builder.or_(builder.shl(builder.zext(hi_, i128), ir.Constant(i128, 64)), builder.zext(lo_, i128))
        acc = builder.add(acc, builder.mul(builder.zext(a_, i128), builder.zext(b_, i128)))
        out = (builder.trunc(acc, i64), builder.trunc(builder.lshr(acc, ir.Constant(i128, 64)), i64))
        return context.make_tuple(builder, signature.return_type, out)

    return sig, codegen


def field_25(jit) -> SimpleNamespace:
    """Radix 2^25.5 in int64 10-tuples (ref10's layout, the one the GPU kernels use)."""

    @jit
    def carry(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9):
        """Rounded carries, ref10 order: limbs end in [-2^25, 2^25] (26-bit) and [-2^24, 2^24] (25-bit)."""
        c = (t0 + (1 << 25)) >> 26
        t1 += c
        t0 -= c << 26
        c = (t4 + (1 << 25)) >> 26
        t5 += c
        t4 -= c << 26
        c = (t1 + (1 << 24)) >> 25
        t2 += c
        t1 -= c << 25
        c = (t5 + (1 << 24)) >> 25
        t6 += c
        t5 -= c << 25
        c = (t2 + (1 << 25)) >> 26
        t3 += c
        t2 -= c << 26
        c = (t6 + (1 << 25)) >> 26
        t7 += c
        t6 -= c << 26
        c = (t3 + (1 << 24)) >> 25
        t4 += c
        t3 -= c << 25
        c = (t7 + (1 << 24)) >> 25
        t8 += c
        t7 -= c << 25
        c = (t4 + (1 << 25)) >> 26
        t5 += c
        t4 -= c << 26
        c = (t8 + (1 << 25)) >> 26
        t9 += c
        t8 -= c << 26
        c = (t9 + (1 << 24)) >> 25
        t0 += c * 19
        t9 -= c << 25
        c = (t0 + (1 << 25)) >> 26
        t1 += c
        t0 -= c << 26
        return (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9)

    @jit
    def fe_mul(f, g):
        """f * g mod p: 64-bit schoolbook, odd x odd limb products doubled, x 2^255 folded as 19 (ref10)."""
        f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = f
        g0, g1, g2, g3, g4, g5, g6, g7, g8, g9 = g
        t0 = f0 * g0 + 19 * (2 * f1 * g9 + f2 * g8 + 2 * f3 * g7 + f4 * g6 + 2 * f5 * g5 + f6 * g4 + 2 * f7 * g3 + f8 * g2 + 2 * f9 * g1)
        t1 = f0 * g1 + f1 * g0 + 19 * (f2 * g9 + f3 * g8 + f4 * g7 + f5 * g6 + f6 * g5 + f7 * g4 + f8 * g3 + f9 * g2)
        t2 = f0 * g2 + 2 * f1 * g1 + f2 * g0 + 19 * (2 * f3 * g9 + f4 * g8 + 2 * f5 * g7 + f6 * g6 + 2 * f7 * g5 + f8 * g4 + 2 * f9 * g3)
        t3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + 19 * (f4 * g9 + f5 * g8 + f6 * g7 + f7 * g6 + f8 * g5 + f9 * g4)
        t4 = f0 * g4 + 2 * f1 * g3 + f2 * g2 + 2 * f3 * g1 + f4 * g0 + 19 * (2 * f5 * g9 + f6 * g8 + 2 * f7 * g7 + f8 * g6 + 2 * f9 * g5)
        t5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + 19 * (f6 * g9 + f7 * g8 + f8 * g7 + f9 * g6)
        t6 = f0 * g6 + 2 * f1 * g5 + f2 * g4 + 2 * f3 * g3 + f4 * g2 + 2 * f5 * g1 + f6 * g0 + 19 * (2 * f7 * g9 + f8 * g8 + 2 * f9 * g7)
        t7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + 19 * (f8 * g9 + f9 * g8)
        t8 = f0 * g8 + 2 * f1 * g7 + f2 * g6 + 2 * f3 * g5 + f4 * g4 + 2 * f5 * g3 + f6 * g2 + 2 * f7 * g1 + f8 * g0 + 19 * (2 * f9 * g9)
        t9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0
        return carry(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9)

    @jit
    def fe_sq(f):
        """f * f mod p: the cross products counted once, doubled (ref10 fe_sq)."""
        f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = f
        t0 = f0 * f0 + 19 * (4 * f1 * f9 + 2 * f2 * f8 + 4 * f3 * f7 + 2 * f4 * f6 + 2 * f5 * f5)
        t1 = 2 * f0 * f1 + 19 * (2 * f2 * f9 + 2 * f3 * f8 + 2 * f4 * f7 + 2 * f5 * f6)
        t2 = 2 * f0 * f2 + 2 * f1 * f1 + 19 * (4 * f3 * f9 + 2 * f4 * f8 + 4 * f5 * f7 + f6 * f6)
        t3 = 2 * f0 * f3 + 2 * f1 * f2 + 19 * (2 * f4 * f9 + 2 * f5 * f8 + 2 * f6 * f7)
        t4 = 2 * f0 * f4 + 4 * f1 * f3 + f2 * f2 + 19 * (4 * f5 * f9 + 2 * f6 * f8 + 2 * f7 * f7)
        t5 = 2 * f0 * f5 + 2 * f1 * f4 + 2 * f2 * f3 + 19 * (2 * f6 * f9 + 2 * f7 * f8)
        t6 = 2 * f0 * f6 + 4 * f1 * f5 + 2 * f2 * f4 + 2 * f3 * f3 + 19 * (4 * f7 * f9 + f8 * f8)
        t7 = 2 * f0 * f7 + 2 * f1 * f6 + 2 * f2 * f5 + 2 * f3 * f4 + 19 * (2 * f8 * f9)
        t8 = 2 * f0 * f8 + 4 * f1 * f7 + 2 * f2 * f6 + 4 * f3 * f5 + f4 * f4 + 19 * (2 * f9 * f9)
        t9 = 2 * f0 * f9 + 2 * f1 * f8 + 2 * f2 * f7 + 2 * f3 * f6 + 2 * f4 * f5
        return carry(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9)

    @jit
    def fe_add(f, g):
        return (f[0] + g[0], f[1] + g[1], f[2] + g[2], f[3] + g[3], f[4] + g[4], f[5] + g[5], f[6] + g[6], f[7] + g[7], f[8] + g[8], f[9] + g[9])

    @jit
    def fe_sub(f, g):
        return (f[0] - g[0], f[1] - g[1], f[2] - g[2], f[3] - g[3], f[4] - g[4], f[5] - g[5], f[6] - g[6], f[7] - g[7], f[8] - g[8], f[9] - g[9])

    @jit
    def fe_neg(f):
        return (-f[0], -f[1], -f[2], -f[3], -f[4], -f[5], -f[6], -f[7], -f[8], -f[9])

    @jit
    def limb(b, shift, bits):
        """bits bits of the little-endian bytes b starting at bit `shift` (b has 32 bytes)."""
        byte = shift >> 3
        word = int64(0)
        for k in range(5):
            if byte + k < 32:
                word |= int64(b[byte + k]) << (8 * k)
        return (word >> (shift & 7)) & ((int64(1) << bits) - 1)

    @jit
    def fe_frombytes(b):
        """The low 255 bits of a 32-byte encoding (sign bit ignored) as limbs."""
        return (limb(b, 0, 26), limb(b, 26, 25), limb(b, 51, 26), limb(b, 77, 25), limb(b, 102, 26),
                limb(b, 128, 25), limb(b, 153, 26), limb(b, 179, 25), limb(b, 204, 26), limb(b, 230, 25))

    @jit
    def fe_canonical(f):
        """The unique limbs of f mod p: each in [0, 2^26) / [0, 2^25), value < p."""
        t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 = f
        for _ in range(3):
            c = t0 >> 26
            t1 += c
            t0 -= c << 26
            c = t1 >> 25
            t2 += c
            t1 -= c << 25
            c = t2 >> 26
            t3 += c
            t2 -= c << 26
            c = t3 >> 25
            t4 += c
            t3 -= c << 25
            c = t4 >> 26
            t5 += c
            t4 -= c << 26
            c = t5 >> 25
            t6 += c
            t5 -= c << 25
            c = t6 >> 26
            t7 += c
            t6 -= c << 26
            c = t7 >> 25
            t8 += c
            t7 -= c << 25
            c = t8 >> 26
            t9 += c
            t8 -= c << 26
            c = t9 >> 25
            t0 += 19 * c
            t9 -= c << 25
        q = (t0 + 19) >> 26
        q = (t1 + q) >> 25
        q = (t2 + q) >> 26
        q = (t3 + q) >> 25
        q = (t4 + q) >> 26
        q = (t5 + q) >> 25
        q = (t6 + q) >> 26
        q = (t7 + q) >> 25
        q = (t8 + q) >> 26
        q = (t9 + q) >> 25
        t0 += 19 * q
        c = t0 >> 26
        t1 += c
        t0 -= c << 26
        c = t1 >> 25
        t2 += c
        t1 -= c << 25
        c = t2 >> 26
        t3 += c
        t2 -= c << 26
        c = t3 >> 25
        t4 += c
        t3 -= c << 25
        c = t4 >> 26
        t5 += c
        t4 -= c << 26
        c = t5 >> 25
        t6 += c
        t5 -= c << 25
        c = t6 >> 26
        t7 += c
        t6 -= c << 26
        c = t7 >> 25
        t8 += c
        t7 -= c << 25
        c = t8 >> 26
        t9 += c
        t8 -= c << 26
        t9 &= (1 << 25) - 1
        return (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9)

    @jit
    def fe_load(arr, i, j):
        return (arr[i, j, 0], arr[i, j, 1], arr[i, j, 2], arr[i, j, 3], arr[i, j, 4], arr[i, j, 5], arr[i, j, 6], arr[i, j, 7], arr[i, j, 8], arr[i, j, 9])

    @jit
    def fe_store(arr, i, j, f):
        arr[i, j, 0] = f[0]
        arr[i, j, 1] = f[1]
        arr[i, j, 2] = f[2]
        arr[i, j, 3] = f[3]
        arr[i, j, 4] = f[4]
        arr[i, j, 5] = f[5]
        arr[i, j, 6] = f[6]
        arr[i, j, 7] = f[7]
        arr[i, j, 8] = f[8]
        arr[i, j, 9] = f[9]

    @jit
    def fe_same(a, b):
        """a and b have the same limbs (limb by limb: no tuple comparison, which the CUDA target may lack)."""
        return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) | (a[5] ^ b[5])
                | (a[6] ^ b[6]) | (a[7] ^ b[7]) | (a[8] ^ b[8]) | (a[9] ^ b[9])) == 0

    @jit
    def fe_zero():
        return (int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0))

    @jit
    def fe_one():
        return (int64(1), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0))

    return SimpleNamespace(fe_mul=fe_mul, fe_sq=fe_sq, fe_add=fe_add, fe_sub=fe_sub, fe_neg=fe_neg,
                           fe_frombytes=fe_frombytes, fe_canonical=fe_canonical, fe_load=fe_load, fe_store=fe_store,
                           fe_zero=fe_zero, fe_one=fe_one, fe_same=fe_same)


def field_51(jit) -> SimpleNamespace:
    """Radix 2^51 in uint64 5-tuples with 128-bit products (libsodium's fe_51 layout; CPU only: `mac128`)."""

    @jit
    def carry_wide(r0l, r0h, r1l, r1h, r2l, r2h, r3l, r3h, r4l, r4h):
        """Five 128-bit column sums (lo, hi) to limbs below 2^51 (h1 slightly above); 2^255 folds as 19."""
        h0 = r0l & MASK51
        r1l, r1h = mac128(r1l, r1h, (r0l >> U51) | (r0h << U13), U1)
        h1 = r1l & MASK51
        r2l, r2h = mac128(r2l, r2h, (r1l >> U51) | (r1h << U13), U1)
        h2 = r2l & MASK51
        r3l, r3h = mac128(r3l, r3h, (r2l >> U51) | (r2h << U13), U1)
        h3 = r3l & MASK51
        r4l, r4h = mac128(r4l, r4h, (r3l >> U51) | (r3h << U13), U1)
        h4 = r4l & MASK51
        tl, th = mac128(h0, U0, (r4l >> U51) | (r4h << U13), U19)  # 19 x carry can pass 2^64
        return (tl & MASK51, h1 + ((tl >> U51) | (th << U13)), h2, h3, h4)

    @jit
    def fe_mul(f, g):
        f0, f1, f2, f3, f4 = f
        g0, g1, g2, g3, g4 = g
        g1_19, g2_19, g3_19, g4_19 = U19 * g1, U19 * g2, U19 * g3, U19 * g4
        r0l, r0h = mac128(U0, U0, f0, g0)
        r0l, r0h = mac128(r0l, r0h, f1, g4_19)
        r0l, r0h = mac128(r0l, r0h, f2, g3_19)
        r0l, r0h = mac128(r0l, r0h, f3, g2_19)
        r0l, r0h = mac128(r0l, r0h, f4, g1_19)
        r1l, r1h = mac128(U0, U0, f0, g1)
        r1l, r1h = mac128(r1l, r1h, f1, g0)
        r1l, r1h = mac128(r1l, r1h, f2, g4_19)
        r1l, r1h = mac128(r1l, r1h, f3, g3_19)
        r1l, r1h = mac128(r1l, r1h, f4, g2_19)
        r2l, r2h = mac128(U0, U0, f0, g2)
        r2l, r2h = mac128(r2l, r2h, f1, g1)
        r2l, r2h = mac128(r2l, r2h, f2, g0)
        r2l, r2h = mac128(r2l, r2h, f3, g4_19)
        r2l, r2h = mac128(r2l, r2h, f4, g3_19)
        r3l, r3h = mac128(U0, U0, f0, g3)
        r3l, r3h = mac128(r3l, r3h, f1, g2)
        r3l, r3h = mac128(r3l, r3h, f2, g1)
        r3l, r3h = mac128(r3l, r3h, f3, g0)
        r3l, r3h = mac128(r3l, r3h, f4, g4_19)
        r4l, r4h = mac128(U0, U0, f0, g4)
        r4l, r4h = mac128(r4l, r4h, f1, g3)
        r4l, r4h = mac128(r4l, r4h, f2, g2)
        r4l, r4h = mac128(r4l, r4h, f3, g1)
        r4l, r4h = mac128(r4l, r4h, f4, g0)
        return carry_wide(r0l, r0h, r1l, r1h, r2l, r2h, r3l, r3h, r4l, r4h)

    @jit
    def fe_sq(f):
        f0, f1, f2, f3, f4 = f
        f0_2, f1_2 = U2 * f0, U2 * f1
        f1_38, f2_38, f3_38, f3_19, f4_19 = U38 * f1, U38 * f2, U38 * f3, U19 * f3, U19 * f4
        r0l, r0h = mac128(U0, U0, f0, f0)
        r0l, r0h = mac128(r0l, r0h, f1_38, f4)
        r0l, r0h = mac128(r0l, r0h, f2_38, f3)
        r1l, r1h = mac128(U0, U0, f0_2, f1)
        r1l, r1h = mac128(r1l, r1h, f2_38, f4)
        r1l, r1h = mac128(r1l, r1h, f3_19, f3)
        r2l, r2h = mac128(U0, U0, f0_2, f2)
        r2l, r2h = mac128(r2l, r2h, f1, f1)
        r2l, r2h = mac128(r2l, r2h, f3_38, f4)
        r3l, r3h = mac128(U0, U0, f0_2, f3)
        r3l, r3h = mac128(r3l, r3h, f1_2, f2)
        r3l, r3h = mac128(r3l, r3h, f4_19, f4)
        r4l, r4h = mac128(U0, U0, f0_2, f4)
        r4l, r4h = mac128(r4l, r4h, f1_2, f3)
        r4l, r4h = mac128(r4l, r4h, f2, f2)
        return carry_wide(r0l, r0h, r1l, r1h, r2l, r2h, r3l, r3h, r4l, r4h)

    @jit
    def fe_add(f, g):
        return (f[0] + g[0], f[1] + g[1], f[2] + g[2], f[3] + g[3], f[4] + g[4])

    @jit
    def fe_sub(f, g):
        """f + 2p - g, g carried first so no limb goes negative (libsodium fe51 sub)."""
        g0, g1, g2, g3, g4 = g
        g1 += g0 >> U51
        g0 &= MASK51
        g2 += g1 >> U51
        g1 &= MASK51
        g3 += g2 >> U51
        g2 &= MASK51
        g4 += g3 >> U51
        g3 &= MASK51
        g0 += U19 * (g4 >> U51)
        g4 &= MASK51
        return (f[0] + TWO_P0 - g0, f[1] + TWO_P - g1, f[2] + TWO_P - g2, f[3] + TWO_P - g3, f[4] + TWO_P - g4)

    @jit
    def fe_same(a, b):
        return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4])) == U0

    @jit
    def fe_zero():
        return (U0, U0, U0, U0, U0)

    @jit
    def fe_one():
        return (U1, U0, U0, U0, U0)

    @jit
    def fe_neg(f):
        return fe_sub(fe_zero(), f)

    @jit
    def word(b, k):
        w = U0
        for i in range(8):
            w |= uint64(b[8 * k + i]) << uint64(8 * i)
        return w

    @jit
    def fe_frombytes(b):
        """The low 255 bits of a 32-byte encoding (sign bit ignored) as limbs."""
        w0, w1, w2, w3 = word(b, 0), word(b, 1), word(b, 2), word(b, 3)
        return (w0 & MASK51, ((w0 >> U51) | (w1 << U13)) & MASK51, ((w1 >> U38) | (w2 << U26)) & MASK51,
                ((w2 >> U25) | (w3 << U39)) & MASK51, (w3 >> U12) & MASK51)

    @jit
    def fe_canonical(f):
        """The unique limbs of f mod p, each below 2^51, value < p."""
        t0, t1, t2, t3, t4 = f
        for _ in range(3):
            t1 += t0 >> U51
            t0 &= MASK51
            t2 += t1 >> U51
            t1 &= MASK51
            t3 += t2 >> U51
            t2 &= MASK51
            t4 += t3 >> U51
            t3 &= MASK51
            t0 += U19 * (t4 >> U51)
            t4 &= MASK51
        q = (t0 + U19) >> U51
        q = (t1 + q) >> U51
        q = (t2 + q) >> U51
        q = (t3 + q) >> U51
        q = (t4 + q) >> U51
        t0 += U19 * q
        t1 += t0 >> U51
        t0 &= MASK51
        t2 += t1 >> U51
        t1 &= MASK51
        t3 += t2 >> U51
        t2 &= MASK51
        t4 += t3 >> U51
        t3 &= MASK51
        t4 &= MASK51
        return (t0, t1, t2, t3, t4)

    @jit
    def fe_load(arr, i, j):
        return (arr[i, j, 0], arr[i, j, 1], arr[i, j, 2], arr[i, j, 3], arr[i, j, 4])

    @jit
    def fe_store(arr, i, j, f):
        arr[i, j, 0] = f[0]
        arr[i, j, 1] = f[1]
        arr[i, j, 2] = f[2]
        arr[i, j, 3] = f[3]
        arr[i, j, 4] = f[4]

    return SimpleNamespace(fe_mul=fe_mul, fe_sq=fe_sq, fe_add=fe_add, fe_sub=fe_sub, fe_neg=fe_neg,
                           fe_frombytes=fe_frombytes, fe_canonical=fe_canonical, fe_load=fe_load, fe_store=fe_store,
                           fe_zero=fe_zero, fe_one=fe_one, fe_same=fe_same)


def build(jit, radix51: bool = False) -> SimpleNamespace:
    """Compile every function with `jit` (njit or cuda.jit(device=True)); returns them by name. radix51: the
    CPU field layout with 128-bit products (njit only); otherwise radix 2^25.5 (GPUs)."""
    field = field_51(jit) if radix51 else field_25(jit)
    fe_mul, fe_sq, fe_add, fe_sub, fe_neg = field.fe_mul, field.fe_sq, field.fe_add, field.fe_sub, field.fe_neg
    fe_frombytes, fe_canonical, fe_load, fe_store = field.fe_frombytes, field.fe_canonical, field.fe_load, field.fe_store
    fe_zero, fe_one, fe_same = field.fe_zero, field.fe_one, field.fe_same

    @jit
    def fe_sqn(f, n):
        for _ in range(n):
            f = fe_sq(f)
        return f

    @jit
    def fe_invert(z):
        """z^(p-2), ref10's addition chain."""
        t0 = fe_sq(z)
        t1 = fe_sqn(t0, 2)
        t1 = fe_mul(z, t1)
        t0 = fe_mul(t0, t1)
        t2 = fe_sq(t0)
        t1 = fe_mul(t1, t2)
        t2 = fe_sqn(t1, 5)
        t1 = fe_mul(t2, t1)
        t2 = fe_sqn(t1, 10)
        t2 = fe_mul(t2, t1)
        t3 = fe_sqn(t2, 20)
        t2 = fe_mul(t3, t2)
        t2 = fe_sqn(t2, 10)
        t1 = fe_mul(t2, t1)
        t2 = fe_sqn(t1, 50)
        t2 = fe_mul(t2, t1)
        t3 = fe_sqn(t2, 100)
        t2 = fe_mul(t3, t2)
        t2 = fe_sqn(t2, 50)
        t1 = fe_mul(t2, t1)
        t1 = fe_sqn(t1, 5)
        return fe_mul(t1, t0)

    @jit
    def fe_pow22523(z):
        """z^((p-5)/8), ref10's addition chain."""
        t0 = fe_sq(z)
        t1 = fe_sqn(t0, 2)
        t1 = fe_mul(z, t1)
        t0 = fe_mul(t0, t1)
        t0 = fe_sq(t0)
        t0 = fe_mul(t1, t0)
        t1 = fe_sqn(t0, 5)
        t0 = fe_mul(t1, t0)
        t1 = fe_sqn(t0, 10)
        t1 = fe_mul(t1, t0)
        t2 = fe_sqn(t1, 20)
        t1 = fe_mul(t2, t1)
        t1 = fe_sqn(t1, 10)
        t0 = fe_mul(t1, t0)
        t1 = fe_sqn(t0, 50)
        t1 = fe_mul(t1, t0)
        t2 = fe_sqn(t1, 100)
        t1 = fe_mul(t2, t1)
        t1 = fe_sqn(t1, 50)
        t0 = fe_mul(t1, t0)
        t0 = fe_sqn(t0, 2)
        return fe_mul(t0, z)

    @jit
    def fe_iszero(f):
        return fe_same(fe_canonical(f), fe_zero())

    @jit
    def fe_isnegative(f):
        return int64(fe_canonical(f)[0] & fe_one()[0])  # the parity of x, in the field's integer type

    # ---- group arithmetic, ref10 formulas; points are tuples of field elements ----

    @jit
    def p1p1_to_p2(p):
        x, y, z, t = p
        return (fe_mul(x, t), fe_mul(y, z), fe_mul(z, t))

    @jit
    def p1p1_to_p3(p):
        x, y, z, t = p
        return (fe_mul(x, t), fe_mul(y, z), fe_mul(z, t), fe_mul(x, y))

    @jit
    def p2_dbl(p):
        x, y, z = p[0], p[1], p[2]
        xx = fe_sq(x)
        yy = fe_sq(y)
        b = fe_sq(z)
        b = fe_add(b, b)
        a = fe_add(x, y)
        aa = fe_sq(a)
        ry = fe_add(yy, xx)
        rz = fe_sub(yy, xx)
        return (fe_sub(aa, ry), ry, rz, fe_sub(b, rz))

    @jit
    def add_cached(p, yplusx, yminusx, z2, t2d, sign):
        """p + q (sign > 0) or p - q, q given as (Y + X, Y - X, Z, 2dT); p extended."""
        px, py, pz, pt = p
        a = fe_add(py, px)
        b = fe_sub(py, px)
        if sign > 0:
            rz = fe_mul(a, yplusx)
            ry = fe_mul(b, yminusx)
        else:
            rz = fe_mul(a, yminusx)
            ry = fe_mul(b, yplusx)
        rt = fe_mul(t2d, pt)
        rx = fe_mul(pz, z2)
        t0 = fe_add(rx, rx)
        x = fe_sub(rz, ry)
        y = fe_add(rz, ry)
        if sign > 0:
            return (x, y, fe_add(t0, rt), fe_sub(t0, rt))
        return (x, y, fe_sub(t0, rt), fe_add(t0, rt))

    @jit
    def add_base(p, base, index, sign):
        """p + q or p - q, q = base[index] as (y + x, y - x, 2dxy), affine (Z = 1)."""
        px, py, pz, pt = p
        qp = fe_load(base, index, 0)
        qm = fe_load(base, index, 1)
        qt = fe_load(base, index, 2)
        a = fe_add(py, px)
        b = fe_sub(py, px)
        if sign > 0:
            rz = fe_mul(a, qp)
            ry = fe_mul(b, qm)
        else:
            rz = fe_mul(a, qm)
            ry = fe_mul(b, qp)
        rt = fe_mul(qt, pt)
        t0 = fe_add(pz, pz)
        x = fe_sub(rz, ry)
        y = fe_add(rz, ry)
        if sign > 0:
            return (x, y, fe_add(t0, rt), fe_sub(t0, rt))
        return (x, y, fe_sub(t0, rt), fe_add(t0, rt))

    @jit
    def store_cached(table, i, p, d2):
        x, y, z, t = p
        fe_store(table, i, 0, fe_add(y, x))
        fe_store(table, i, 1, fe_sub(y, x))
        fe_store(table, i, 2, z)
        fe_store(table, i, 3, fe_mul(t, d2))

    @jit
    def slide(r, row, a):
        """Signed sliding-window digits of the 256-bit scalar a into r[row] (ref10 slide): odd in -15..15 or 0."""
        for i in range(256):
            r[row, i] = (a[i >> 3] >> (i & 7)) & 1
        for i in range(256):
            if r[row, i] == 0:
                continue
            for b in range(1, 7):
                if i + b >= 256:
                    break
                rb = int64(r[row, i + b])
                if rb == 0:
                    continue
                ri = int64(r[row, i])
                if ri + (rb << b) <= 15:
                    r[row, i] = ri + (rb << b)
                    r[row, i + b] = 0
                elif ri - (rb << b) >= -15:
                    r[row, i] = ri - (rb << b)
                    for k in range(i + b, 256):
                        if r[row, k] == 0:
                            r[row, k] = 1
                            break
                        r[row, k] = 0
                else:
                    break

    @jit
    def sc_is_canonical(s, l_bytes):
        """S < L, S the 32 bytes from offset 32 of the signature."""
        for i in range(31, -1, -1):
            if s[32 + i] < l_bytes[i]:
                return True
            if s[32 + i] > l_bytes[i]:
                return False
        return False

    @jit
    def ge_is_canonical(b):
        """y < p (the sign bit is not looked at)."""
        if (b[31] & 0x7F) != 0x7F:
            return True
        for i in range(30, 0, -1):
            if b[i] != 0xFF:
                return True
        return b[0] < 0xED

    @jit
    def has_small_order(b, small):
        """The encoding's y (sign ignored) is on libsodium's block list."""
        for k in range(small.shape[0]):
            same = (b[31] & 0x7F) == small[k, 31]
            i = 0
            while same and i < 31:
                same = b[i] == small[k, i]
                i += 1
            if same:
                return True
        return False

    @jit
    def decompress_negate(b, consts):
        """(ok, -P) for the point P encoded in b[0:32] (ref10 ge_frombytes_negate_vartime): the y field is taken
        mod p (non-canonical y is the caller's to reject) and x = 0 stays 0 whatever the sign bit;
        ok is False when y is not the y of a curve point."""
        d = fe_load(consts, 0, 0)
        sqrtm1 = fe_load(consts, 0, 2)
        y = fe_frombytes(b)
        one = fe_one()
        u = fe_sq(y)
        v = fe_add(fe_mul(u, d), one)
        u = fe_sub(u, one)
        v3 = fe_mul(fe_sq(v), v)
        x = fe_mul(fe_mul(fe_sq(v3), v), u)
        x = fe_mul(fe_mul(fe_pow22523(x), v3), u)
        vxx = fe_mul(fe_sq(x), v)
        ok = True
        if not fe_iszero(fe_sub(vxx, u)):
            if not fe_iszero(fe_add(vxx, u)):
                ok = False
            x = fe_mul(x, sqrtm1)
        if fe_isnegative(x) == (b[31] >> 7):
            x = fe_neg(x)
        return ok, (x, y, one, fe_mul(x, y))

    @jit
    def double_scalarmult(a, h, s, consts, base, slides, ai):
        """[h]a + [s]B as a p1p1 point (the last doubling and addition, not yet converted), variable time:
        signed sliding windows over both scalars (ref10 ge_double_scalarmult_vartime); a extended, h and s
        32-byte little-endian scalars."""
        d2 = fe_load(consts, 0, 1)
        store_cached(ai, 0, a, d2)
        a2 = p1p1_to_p3(p2_dbl((a[0], a[1], a[2])))
        for i in range(1, 8):
            q = p1p1_to_p3(add_cached(a2, fe_load(ai, i - 1, 0), fe_load(ai, i - 1, 1), fe_load(ai, i - 1, 2),
                                      fe_load(ai, i - 1, 3), 1))
            store_cached(ai, i, q, d2)
        slide(slides, 0, h)
        slide(slides, 1, s)
        zero, one = fe_zero(), fe_one()
        t = (zero, one, one, one)  # the identity in p1p1 form: x = X/Z = 0, y = Y/T = 1
        r = p1p1_to_p2(t)
        i = 255
        while i >= 0 and slides[0, i] == 0 and slides[1, i] == 0:
            i -= 1
        while i >= 0:
            t = p2_dbl(r)
            da = slides[0, i]
            if da != 0:
                k = (da if da > 0 else -da) // 2
                t = add_cached(p1p1_to_p3(t), fe_load(ai, k, 0), fe_load(ai, k, 1), fe_load(ai, k, 2),
                               fe_load(ai, k, 3), da)
            db = slides[1, i]
            if db != 0:
                t = add_base(p1p1_to_p3(t), base, (db if db > 0 else -db) // 2, db)
            r = p1p1_to_p2(t)
            i -= 1
        return t

    @jit
    def verify_one(pk, sig, h, consts, base, small, l_bytes, slides, ai):
        """libsodium's crypto_sign_verify_detached on fixed-size inputs; h = SHA-512(R || A || M) mod L.
        consts rows: d, 2d, sqrt(-1); slides (2, 256) int8 and ai (8, 4, 10) int64 are scratch."""
        if not sc_is_canonical(sig, l_bytes) or has_small_order(sig, small):
            return False
        if not ge_is_canonical(pk) or has_small_order(pk, small):
            return False
        ok, minus_a = decompress_negate(pk, consts)
        if not ok:
            return False
        r = p1p1_to_p2(double_scalarmult(minus_a, h, sig[32:], consts, base, slides, ai))
        # encode and compare with R
        zinv = fe_invert(r[2])
        ry = fe_canonical(fe_mul(r[1], zinv))
        rx_negative = fe_isnegative(fe_mul(r[0], zinv))
        expected = fe_frombytes(sig)
        if not fe_same(ry, expected):
            return False
        return rx_negative == (sig[31] >> 7)

    @jit
    def verify_zip215_one(pk, sig, h, consts, base, l_bytes, slides, ai):
        """ZIP 215 (the IC replica's rules) on fixed-size inputs: S < L; A and R decoded with non-canonical
        encodings and small order allowed; [8]([S]B - [h]A - R) = identity, h from the bytes as received."""
        if not sc_is_canonical(sig, l_bytes):
            return False
        ok, minus_a = decompress_negate(pk, consts)
        if not ok:
            return False
        ok, minus_r = decompress_negate(sig, consts)  # R is sig[0:32]
        if not ok:
            return False
        t = double_scalarmult(minus_a, h, sig[32:], consts, base, slides, ai)
        rx, ry, rz, rt = minus_r
        t = add_cached(p1p1_to_p3(t), fe_add(ry, rx), fe_sub(ry, rx), rz, fe_mul(rt, fe_load(consts, 0, 1)), 1)
        for _ in range(3):  # the cofactor 8
            t = p2_dbl(p1p1_to_p2(t))
        return fe_iszero(t[0]) and fe_iszero(fe_sub(t[1], t[3]))  # p1p1: x = X/Z = 0 and y = Y/T = 1

    # ---- batch verification under ZIP 215 (kernels/signatures/batch.py): decompression and one MSM ----

    @jit
    def decompress_cached(b, consts, pts, row):
        """-P for the point P encoded in b[0:32], decoded under ZIP 215, into pts[row] in cached form; True when
        b decodes (the structural check of A and R before a signature joins a batch)."""
        ok, minus_p = decompress_negate(b, consts)
        store_cached(pts, row, minus_p, fe_load(consts, 0, 1))
        return ok

    @jit
    def p3_identity():
        zero, one = fe_zero(), fe_one()
        return (zero, one, one, zero)

    @jit
    def p3_add_p3(p, q, d2):
        """p + q, both extended (q turned into cached form: one multiplication more)."""
        qx, qy, qz, qt = q
        return p1p1_to_p3(add_cached(p, fe_add(qy, qx), fe_sub(qy, qx), qz, fe_mul(qt, d2), 1))

    @jit
    def p3_load(arr, i):
        return (fe_load(arr, i, 0), fe_load(arr, i, 1), fe_load(arr, i, 2), fe_load(arr, i, 3))

    @jit
    def p3_store(arr, i, p):
        fe_store(arr, i, 0, p[0])
        fe_store(arr, i, 1, p[1])
        fe_store(arr, i, 2, p[2])
        fe_store(arr, i, 3, p[3])

    @jit
    def scalar_digit(scalars, j, bit, c):
        """Bits bit .. bit + c - 1 (c <= 16) of the 32-byte little-endian scalar scalars[j]."""
        byte = bit >> 3
        word = int64(0)
        for k in range(4):
            if byte + k < 32:
                word |= int64(scalars[j, byte + k]) << (8 * k)
        return (word >> (bit & 7)) & ((int64(1) << c) - 1)

    @jit
    def msm_pippenger(pts, idx, scalars, start, stop, c, buckets, used, d2):
        """sum over j in [start, stop) of [scalars[j]] pts[idx[j]] (points in cached form), by buckets of c-bit
        windows (Pippenger; Bernstein et al. 2012, "Faster batch forgery identification"), windows from the top:
        per window, each point joins the bucket of its digit, then a running sum weighs bucket k by k."""
        windows = (253 + c - 1) // c  # scalars are below L < 2^253
        acc = p3_identity()
        nb = (1 << c) - 1
        for w in range(windows - 1, -1, -1):
            for _ in range(c):
                acc = p1p1_to_p3(p2_dbl((acc[0], acc[1], acc[2])))
            for k in range(nb):
                used[k] = 0
            for j in range(start, stop):
                dgt = scalar_digit(scalars, j, w * c, c)
                if dgt == 0:
                    continue
                q = idx[j]
                if used[dgt - 1] == 0:
                    b = p3_identity()
                    used[dgt - 1] = 1
                else:
                    b = p3_load(buckets, dgt - 1)
                b = p1p1_to_p3(add_cached(b, fe_load(pts, q, 0), fe_load(pts, q, 1), fe_load(pts, q, 2),
                                          fe_load(pts, q, 3), 1))
                p3_store(buckets, dgt - 1, b)
            running = p3_identity()
            total = p3_identity()
            started = False
            for k in range(nb - 1, -1, -1):
                if used[k] != 0:
                    running = p3_add_p3(running, p3_load(buckets, k), d2) if started else p3_load(buckets, k)
                    started = True
                if started:
                    total = p3_add_p3(total, running, d2)
            acc = p3_add_p3(acc, total, d2)
        return acc

    @jit
    def straus_digits(scalars, j, c, digits, row):
        """Signed c-bit digits (c <= 7) of scalars[j] (below 2^253) into digits[row, :W], W = digits.shape[1] with
        W c >= 254: scalar = sum_w d_w 2^(w c), d_w in [-2^(c-1), 2^(c-1)), the top one in [0, 2^(c-1)]."""
        windows = digits.shape[1]
        half = int64(1) << (c - 1)
        up = int64(0)
        for w in range(windows):
            v = scalar_digit(scalars, j, w * c, c) + up
            if v >= half and w < windows - 1:
                digits[row, w] = v - (int64(1) << c)
                up = int64(1)
            else:
                digits[row, w] = v
                up = int64(0)

    @jit
    def msm_straus(pts, idx, scalars, start, stop, c, table, digits, d2):
        """sum over j in [start, stop) of [scalars[j]] pts[idx[j]] (points in cached form) by Straus's method
        (interleaved fixed windows; Bernstein et al. 2012, "Faster batch forgery identification", section 3):
        a table of [1..2^(c-1)] P per term (table rows (j - start) 2^(c-1) + k), signed c-bit digits (digits rows
        j - start, straus_digits), then one chain of c doublings per window shared by every term, each term adding
        or subtracting the table entry of its digit. Scratch: table (>= (stop - start) 2^(c-1), 4, 5) and
        digits (>= stop - start, W) int8 with W c >= 254."""
        half = 1 << (c - 1)
        windows = digits.shape[1]
        for j in range(start, stop):
            r = j - start
            straus_digits(scalars, j, c, digits, r)
            q = idx[j]
            yp, ym, z, t2d = fe_load(pts, q, 0), fe_load(pts, q, 1), fe_load(pts, q, 2), fe_load(pts, q, 3)
            m = p3_identity()
            for k in range(half):
                m = p1p1_to_p3(add_cached(m, yp, ym, z, t2d, 1))
                store_cached(table, r * half + k, m, d2)
        acc = p3_identity()
        for w in range(windows - 1, -1, -1):
            if w < windows - 1:
                p2 = (acc[0], acc[1], acc[2])
                for _ in range(c - 1):
                    p2 = p1p1_to_p2(p2_dbl(p2))
                acc = p1p1_to_p3(p2_dbl(p2))
            for j in range(start, stop):
                r = j - start
                d = int64(digits[r, w])
                if d == 0:
                    continue
                row = r * half + (d if d > 0 else -d) - 1
                acc = p1p1_to_p3(add_cached(acc, fe_load(table, row, 0), fe_load(table, row, 1),
                                            fe_load(table, row, 2), fe_load(table, row, 3), 1 if d > 0 else -1))
        return acc

    @jit
    def sum_is_small_order(partial, d2):
        """[8](sum of the extended points partial[t]) is the identity: the cofactored batch equation."""
        acc = p3_identity()
        for t in range(partial.shape[0]):
            acc = p3_add_p3(acc, p3_load(partial, t), d2)
        for _ in range(3):
            acc = p1p1_to_p3(p2_dbl((acc[0], acc[1], acc[2])))
        return fe_iszero(acc[0]) and fe_iszero(fe_sub(acc[1], acc[2]))

    return SimpleNamespace(**{name: fn for name, fn in locals().items()
                              if not name.startswith("_") and name not in ("jit", "radix51", "field")})
