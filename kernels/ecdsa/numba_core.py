"""ECDSA verification for Numba, written once and compiled per curve and per target: ``build(njit, curve,
madd_i128)`` for the CPU kernel (numba_cpu.py) and ``build(cuda.jit(device=True), curve, madd_split)`` for the
GPU kernel (numba_cuda.py). The same algorithm as the C core (kernels/common/ecdsa.h):

- numbers mod p and mod n in Montgomery form, four 64-bit limbs as tuples (registers, no allocation), the
  word-by-word (CIOS) Montgomery product of Koc, Acar and Kaliski ("Analyzing and comparing Montgomery
  multiplication algorithms", IEEE Micro 1996); the curve's constants are frozen into the code, so LLVM
  folds P-256's zero limbs and its -p^-1 mod 2^64 = 1; for secp256k1's p = 2^256 - c (c = 2^32 + 977) each
  reduction round is one 64 x 33-bit product (mont_mul_special);
- Jacobian coordinates with complete case handling (a doubling or the point at infinity where an addition
  meets them: Wycheproof's edge cases reach both): doubling dbl-2009-l (a = 0) or dbl-2001-b (a = -3),
  addition add-1998-cmo-2, mixed addition madd (Explicit-Formulas Database, hyperelliptic.org/EFD);
- u1 G from the fixed-base table (tables.py, one mixed addition per nonzero byte of u1), u2 Q over a
  4-bit window of Q's multiples (252 doublings), s^-1 mod n by Fermat (s^(n-2), 4-bit windows), and x(R) mod n == r checked
  without an inversion: X == r Z^2 or, when r + n < p, X == (r + n) Z^2.

``madd(a, b, c, d) -> (lo, hi)`` is a * b + c + d as a 128-bit number: one LLVM i128 multiply on a CPU
(``madd_i128``), four 32 x 32-bit products where i128 is not available (``madd_split``: CUDA and its simulator).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .curves import CURVES
from .tables import G_DIGITS, G_WINDOW, Q_DIGITS, Q_WINDOW, consts as curve_consts

U0, U1, U32 = (np.uint64(v) for v in (0, 1, 32))
M32 = np.uint64(0xFFFFFFFF)


@intrinsic
def madd_i128(typingctx, a, b, c, d):
    """(lo, hi) of a * b + c + d (never above 2^128 - 1): one 64 x 64 -> 128-bit multiply (LLVM i128), CPU only."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        a_, b_, c_, d_ = (builder.zext(x, i128) for x in args)
        acc = builder.add(builder.add(builder.mul(a_, b_), c_), d_)
        out = (builder.trunc(acc, i64), builder.trunc(builder.lshr(acc, ir.Constant(i128, 64)), i64))
        return context.make_tuple(builder, signature.return_type, out)

    return sig, codegen


def madd_split(a, b, c, d):
    """(lo, hi) of a * b + c + d from four 32 x 32-bit products (portable: GPUs and the CUDA simulator)."""
    a0, a1, b0, b1 = a & M32, a >> U32, b & M32, b >> U32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> U32) + (p01 & M32) + (p10 & M32)
    lo = (p00 & M32) | (mid << U32)
    hi = p11 + (p01 >> U32) + (p10 >> U32) + (mid >> U32)
    lo2 = lo + c
    hi = hi + (U1 if lo2 < lo else U0)
    lo3 = lo2 + d
    hi = hi + (U1 if lo3 < lo2 else U0)
    return lo3, hi


def _u(x: int) -> tuple:
    return tuple(np.uint64((x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


def build(jit, curve_name: str, madd) -> SimpleNamespace:
    """The kernel functions for one curve, compiled with `jit` (njit, or cuda.jit(device=True))."""
    curve = CURVES[curve_name]
    c = curve_consts(curve_name)
    P, N = _u(curve.p), _u(curve.n)
    PINV, NINV = np.uint64(c[10, 0]), np.uint64(c[10, 1])
    ONE_P, ONE_N = _u((1 << 256) % curve.p), _u((1 << 256) % curve.n)
    R2P, R2N = _u((1 << 512) % curve.p), _u((1 << 512) % curve.n)
    A_M, B_M = _u(curve.a * (1 << 256) % curve.p), _u(curve.b * (1 << 256) % curve.p)
    P_MINUS_N = _u(curve.p - curve.n)
    N_MINUS_2 = _u(curve.n - 2)
    A_IS_ZERO = curve.a == 0
    SPECIAL_C = np.uint64(c[10, 3])  # secp256k1's 2^32 + 977 (tables.special_c), 0 for P-256
    ZERO = (U0, U0, U0, U0)

    # ---- 256-bit numbers: four limbs, least significant first ------------------------------------------------
    @jit
    def addc(a, b, carry):
        s = a + b
        c1 = U1 if s < a else U0
        t = s + carry
        c2 = U1 if t < s else U0
        return t, c1 | c2

    @jit
    def subb(a, b, borrow):
        d = a - b
        b1 = U1 if a < b else U0
        t = d - borrow
        b2 = U1 if d < borrow else U0
        return t, b1 | b2

    @jit
    def sub4(a, b):
        """(a - b mod 2^256, borrow)."""
        d0, br = subb(a[0], b[0], U0)
        d1, br = subb(a[1], b[1], br)
        d2, br = subb(a[2], b[2], br)
        d3, br = subb(a[3], b[3], br)
        return (d0, d1, d2, d3), br

    @jit
    def add4(a, b):
        """(a + b mod 2^256, carry)."""
        s0, cr = addc(a[0], b[0], U0)
        s1, cr = addc(a[1], b[1], cr)
        s2, cr = addc(a[2], b[2], cr)
        s3, cr = addc(a[3], b[3], cr)
        return (s0, s1, s2, s3), cr

    @jit
    def is_zero(a):
        return (a[0] | a[1] | a[2] | a[3]) == U0

    @jit
    def equal(a, b):
        return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == U0

    @jit
    def less(a, b):
        """a < b."""
        _, br = sub4(a, b)
        return br != U0

    @jit
    def mont_mul(a, b, m, minv):
        """a b R^-1 mod m for a, b < m (CIOS: multiply by one limb of b, then reduce by one limb, four times)."""
        a0, a1, a2, a3 = a
        t0 = t1 = t2 = t3 = t4 = U0
        for i in range(4):
            bi = b[i]
            t0, cr = madd(a0, bi, t0, U0)
            t1, cr = madd(a1, bi, t1, cr)
            t2, cr = madd(a2, bi, t2, cr)
            t3, cr = madd(a3, bi, t3, cr)
            t4, t5 = addc(t4, cr, U0)
            q = t0 * minv
            _, cr = madd(q, m[0], t0, U0)
            t0, cr = madd(q, m[1], t1, cr)
            t1, cr = madd(q, m[2], t2, cr)
            t2, cr = madd(q, m[3], t3, cr)
            t3, c2 = addc(t4, cr, U0)
            t4 = t5 + c2
        r = (t0, t1, t2, t3)
        d, br = sub4(r, m)
        return d if (t4 != U0 or br == U0) else r

    @jit
    def mont_mul_special(a, b):
        """a b R^-1 mod p for p = 2^256 - c with a small c (secp256k1: c = 2^32 + 977): the same Montgomery
        product, its reduction step written for that form. q p = q 2^256 - q c, so each round subtracts one
        64 x 33-bit product and adds q four limbs up instead of adding a full 64 x 256-bit product."""
        a0, a1, a2, a3 = a
        t0 = t1 = t2 = t3 = t4 = U0
        for i in range(4):
            bi = b[i]
            t0, cr = madd(a0, bi, t0, U0)
            t1, cr = madd(a1, bi, t1, cr)
            t2, cr = madd(a2, bi, t2, cr)
            t3, cr = madd(a3, bi, t3, cr)
            t4, t5 = addc(t4, cr, U0)
            q = t0 * PINV
            ulo, uhi = madd(q, SPECIAL_C, U0, U0)
            _, br = subb(t0, ulo, U0)  # the low limb becomes 0
            t0, br = subb(t1, uhi, br)
            t1, br = subb(t2, U0, br)
            t2, br = subb(t3, U0, br)
            t3, br = subb(t4, U0, br)
            t3, cr = addc(t3, q, U0)
            t4 = t5 + cr - br
        r = (t0, t1, t2, t3)
        d, br = sub4(r, P)
        return d if (t4 != U0 or br == U0) else r

    @jit
    def mod_add(a, b, m):
        s, cr = add4(a, b)
        d, br = sub4(s, m)
        return d if (cr != U0 or br == U0) else s

    @jit
    def mod_sub(a, b, m):
        d, br = sub4(a, b)
        if br != U0:
            d, _ = add4(d, m)
        return d

    # ---- the field GF(p) ----------------------------------------------------------------------------------------
    if SPECIAL_C:
        @jit
        def fmul(a, b):
            return mont_mul_special(a, b)
    else:
        @jit
        def fmul(a, b):
            return mont_mul(a, b, P, PINV)

    @jit
    def fsq(a):
        return fmul(a, a)

    @jit
    def fadd(a, b):
        return mod_add(a, b, P)

    @jit
    def fsub(a, b):
        return mod_sub(a, b, P)

    # ---- points: Jacobian (X, Y, Z), x = X / Z^2, y = Y / Z^3; Z = 0 is the point at infinity ----------------
    @jit
    def dbl(X, Y, Z):
        if is_zero(Z) or is_zero(Y):
            return ZERO, ZERO, ZERO
        if A_IS_ZERO:  # dbl-2009-l
            a = fsq(X)
            b = fsq(Y)
            cc = fsq(b)
            t = fsq(fadd(X, b))
            d = fsub(fsub(t, a), cc)
            d = fadd(d, d)
            e = fadd(fadd(a, a), a)
            f = fsq(e)
            X3 = fsub(f, fadd(d, d))
            c8 = fadd(cc, cc)
            c8 = fadd(c8, c8)
            c8 = fadd(c8, c8)
            Y3 = fsub(fmul(e, fsub(d, X3)), c8)
            yz = fmul(Y, Z)
            Z3 = fadd(yz, yz)
            return X3, Y3, Z3
        # dbl-2001-b (a = -3)
        delta = fsq(Z)
        gamma = fsq(Y)
        beta = fmul(X, gamma)
        t = fmul(fsub(X, delta), fadd(X, delta))
        alpha = fadd(fadd(t, t), t)
        b4 = fadd(beta, beta)
        b4 = fadd(b4, b4)
        X3 = fsub(fsq(alpha), fadd(b4, b4))
        Z3 = fsub(fsub(fsq(fadd(Y, Z)), gamma), delta)
        g2 = fsq(gamma)
        g8 = fadd(g2, g2)
        g8 = fadd(g8, g8)
        g8 = fadd(g8, g8)
        Y3 = fsub(fmul(alpha, fsub(b4, X3)), g8)
        return X3, Y3, Z3

    @jit
    def add(X1, Y1, Z1, X2, Y2, Z2):
        """P1 + P2 (add-1998-cmo-2), with infinity, P1 == P2 (doubling) and P1 == -P2 handled."""
        if is_zero(Z1):
            return X2, Y2, Z2
        if is_zero(Z2):
            return X1, Y1, Z1
        z1z1 = fsq(Z1)
        z2z2 = fsq(Z2)
        u1 = fmul(X1, z2z2)
        u2 = fmul(X2, z1z1)
        s1 = fmul(Y1, fmul(Z2, z2z2))
        s2 = fmul(Y2, fmul(Z1, z1z1))
        h = fsub(u2, u1)
        r = fsub(s2, s1)
        if is_zero(h):
            if is_zero(r):
                return dbl(X1, Y1, Z1)
            return ZERO, ZERO, ZERO
        hh = fsq(h)
        hhh = fmul(h, hh)
        v = fmul(u1, hh)
        X3 = fsub(fsub(fsq(r), hhh), fadd(v, v))
        Y3 = fsub(fmul(r, fsub(v, X3)), fmul(s1, hhh))
        Z3 = fmul(fmul(Z1, Z2), h)
        return X3, Y3, Z3

    @jit
    def add_affine(X1, Y1, Z1, x2, y2):
        """P1 + (x2, y2) with (x2, y2) affine and finite (madd: Z2 = 1), every case handled."""
        if is_zero(Z1):
            return x2, y2, ONE_P
        z1z1 = fsq(Z1)
        u2 = fmul(x2, z1z1)
        s2 = fmul(y2, fmul(Z1, z1z1))
        h = fsub(u2, X1)
        r = fsub(s2, Y1)
        if is_zero(h):
            if is_zero(r):
                return dbl(X1, Y1, Z1)
            return ZERO, ZERO, ZERO
        hh = fsq(h)
        hhh = fmul(h, hh)
        v = fmul(X1, hh)
        X3 = fsub(fsub(fsq(r), hhh), fadd(v, v))
        Y3 = fsub(fmul(r, fsub(v, X3)), fmul(Y1, hhh))
        Z3 = fmul(Z1, h)
        return X3, Y3, Z3

    # ---- scalars mod n ----------------------------------------------------------------------------------------
    @jit
    def load(words, k):
        return (words[k, 0], words[k, 1], words[k, 2], words[k, 3])

    @jit
    def digit(u, i, bits):
        """Digit i (0 = least significant) of `bits` bits (4 or 8: a digit never straddles two limbs) of u."""
        per_limb = 64 // bits
        k = i // per_limb
        limb = u[0]
        if k == 1:
            limb = u[1]
        elif k == 2:
            limb = u[2]
        elif k == 3:
            limb = u[3]
        return np.int64((limb >> np.uint64(bits * (i % per_limb))) & np.uint64((1 << bits) - 1))

    @jit
    def inv_n(s_m, scratch):
        """s^-1 R mod n for s R mod n: Fermat, s^(n - 2), over 4-bit windows of the exponent (its powers
        s^1..s^15 kept in scratch[d, 0])."""
        x = s_m
        for d in range(1, 16):
            if d > 1:
                x = mont_mul(x, s_m, N, NINV)
            for k in range(4):
                scratch[d, 0, k] = x[k]
        x = ONE_N
        for i in range(63, -1, -1):
            if i != 63:
                for _ in range(4):
                    x = mont_mul(x, x, N, NINV)
            d = digit(N_MINUS_2, i, 4)
            if d != 0:
                x = mont_mul(x, load(scratch[d], 0), N, NINV)
        return x

    # ---- verification ----------------------------------------------------------------------------------------

    @jit
    def verify_one(words, gtable, qtable):
        """One signature: words (5, 4) = qx, qy, e, r, s; gtable the fixed-base table of G; qtable (16, 3, 4)
        scratch for Q's multiples. True when valid (SEC 1 section 4.1.4, high s accepted)."""
        qx, qy, e, r, s = load(words, 0), load(words, 1), load(words, 2), load(words, 3), load(words, 4)
        if is_zero(r) or is_zero(s) or not less(r, N) or not less(s, N):
            return False
        if not less(qx, P) or not less(qy, P):
            return False
        x_m = fmul(qx, R2P)
        y_m = fmul(qy, R2P)
        rhs = fadd(fmul(fadd(fsq(x_m), A_M), x_m), B_M)  # x^3 + a x + b
        if not equal(fsq(y_m), rhs):
            return False
        if not less(e, N):
            e, _ = sub4(e, N)
        w = inv_n(mont_mul(s, R2N, N, NINV), qtable)  # qtable is free until Q's multiples
        u1 = mont_mul(w, e, N, NINV)
        u2 = mont_mul(w, r, N, NINV)
        # Q's multiples 1..15 (Jacobian); qtable[0] is never read
        for k in range(4):
            qtable[1, 0, k] = x_m[k]
            qtable[1, 1, k] = y_m[k]
            qtable[1, 2, k] = ONE_P[k]
        X, Y, Z = dbl(x_m, y_m, ONE_P)
        for d in range(2, 16):
            if d > 2:
                X, Y, Z = add_affine(X, Y, Z, x_m, y_m)
            for k in range(4):
                qtable[d, 0, k] = X[k]
                qtable[d, 1, k] = Y[k]
                qtable[d, 2, k] = Z[k]
        # u2 Q: 4-bit windows from the top
        X, Y, Z = ZERO, ZERO, ZERO
        for i in range(Q_DIGITS - 1, -1, -1):
            for _ in range(Q_WINDOW):
                X, Y, Z = dbl(X, Y, Z)
            d = digit(u2, i, Q_WINDOW)
            if d != 0:
                X, Y, Z = add(X, Y, Z, load(qtable[d], 0), load(qtable[d], 1), load(qtable[d], 2))
        # + u1 G: one mixed addition per nonzero byte, no doubling
        for i in range(G_DIGITS):
            d = digit(u1, i, G_WINDOW)
            if d != 0:
                X, Y, Z = add_affine(X, Y, Z, load(gtable[i, d - 1], 0), load(gtable[i, d - 1], 1))
        if is_zero(Z):
            return False
        zz = fsq(Z)
        if equal(X, fmul(fmul(r, R2P), zz)):
            return True
        if less(r, P_MINUS_N):  # x(R) in [n, p): x mod n = x - n
            rn, _ = add4(r, N)
            return equal(X, fmul(fmul(rn, R2P), zz))
        return False

    return SimpleNamespace(verify_one=verify_one, mont_mul=mont_mul, fmul=fmul, mont_mul_special=mont_mul_special, dbl=dbl, add=add,
                           add_affine=add_affine, inv_n=inv_n, digit=digit)
