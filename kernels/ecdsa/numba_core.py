"""ECDSA verification for Numba, written once and compiled per curve and per target: ``build(njit, curve,
madd_i128)`` for the CPU kernel (numba_cpu.py) and ``build(cuda.jit(device=True), curve, madd_split)`` for the
GPU kernel (numba_cuda.py). P-256 runs the algorithm of the C core (kernels/common/ecdsa.h); secp256k1 here
adds its endomorphism and a direct reduction, which the C core does not have (yet):

- four 64-bit limbs as tuples (registers, no allocation); numbers mod n, and mod P-256's p, in Montgomery form
  with the word-by-word (CIOS) product of Koc, Acar and Kaliski ("Analyzing and comparing Montgomery
  multiplication algorithms", IEEE Micro 1996), the curve's constants frozen into the code (LLVM folds
  P-256's zero limbs and its -p^-1 mod 2^64 = 1); numbers mod secp256k1's p = 2^256 - c (c = 2^32 + 977) as
  plain integers: a full product (a dedicated squaring: ten 64-bit products instead of 16), then
  2^256 = c mod p folds the high half in with independent 64 x 33-bit products (reduce_special); modular
  additions and selects by masks, not branches (random data would defeat the branch predictor);
- Jacobian coordinates with complete case handling (a doubling or the point at infinity where an addition
  meets them: Wycheproof's edge cases reach both): doubling as libsecp256k1 does it (a = 0) or dbl-2001-b (a = -3),
  addition add-1998-cmo-2, mixed addition madd
  (Explicit-Formulas Database, hyperelliptic.org/EFD);
- P-256: u2 Q over 4-bit windows of Q's multiples (252 doublings), then u1 G from the fixed-base table
  (tables.py, one mixed addition per nonzero byte of u1, no doubling);
- secp256k1, with the GLV endomorphism (glv.py): u2 = k1 + k2 lambda and u1 = j1 + j2 lambda with halves below
  2^128, u1 G + u2 Q = j1 G + j2 phi(G) + k1 Q + k2 phi(Q) in one chain of at most 130 doublings; Q's halves
  as width-5 NAFs over the odd multiples Q..15Q and phi of them (phi(x, y) = (beta x, y)), made affine on an
  isomorphic curve; G's as width-10 NAFs over 256 precomputed odd multiples of G and of phi(G); mixed
  additions only;
- s^-1 mod n by Fermat (s^(n-2), 4-bit windows): per signature in verify_one (the GPU's thread), once per run
  of signatures with Montgomery's trick in verify_run (numba_cpu);
- x(R) mod n == r checked without an inversion: X == r Z^2 or, when r + n < p, X == (r + n) Z^2.

``madd(a, b, c, d) -> (lo, hi)`` is a * b + c + d as a 128-bit number: one LLVM i128 multiply on a CPU
(``madd_i128``), four 32 x 32-bit products where i128 is not available (``madd_split``: CUDA and its simulator).
"""
from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from . import glv, reference
from .curves import CURVES
from .tables import G_DIGITS, G_WINDOW, Q_DIGITS, Q_WINDOW, consts as curve_consts, g_table

U0, U1, U32, U63 = (np.uint64(v) for v in (0, 1, 32, 63))
M32 = np.uint64(0xFFFFFFFF)
QTABLE_SHAPE = (16, 3, 4)  # per-signature scratch: multiples of Q (X, Y, Z), or s's powers for inv_n
RUN_SCRATCH = (2, 4)  # per signature of verify_run: s R mod n and the product of the s before it
NAF_SHAPE = (4, glv.WNAF_LEN)  # per-signature scratch: the wNAF digits of the halves of u2 and u1 (GLV only)


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


def carry_ops(jit):
    """(addc, subb) on 64-bit limbs compiled with `jit`: a + b + carry and a - b - borrow, each with its carry or
    borrow out (0 or 1). Every multi-limb field built here uses them (P-256, secp256k1, BLS12-381)."""
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

    return addc, subb


def _u(x: int) -> tuple:
    return tuple(np.uint64((x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


def field_r(curve_name: str) -> int:
    """The factor of the kernels' numbers mod p: R = 2^256 (Montgomery form) for P-256; 1 (plain numbers) for
    secp256k1, whose p = 2^256 - c reduces a product directly (reduce_special)."""
    return 1 if curve_consts(curve_name)[10, 3] else 1 << 256


@lru_cache(maxsize=None)
def kernel_g_table(curve_name: str) -> np.ndarray:
    """G's table for the kernel: P-256, tables.g_table (the fixed-base comb, Montgomery form, as the C core
    reads it); secp256k1, (2, glv.G_ENTRIES, 2, 4): the odd multiples G, 3G, 5G, ... affine, plain numbers,
    then phi of each (beta x, y): [1 + 2 j] phi(G) = phi([1 + 2 j] G) (computed once, a few milliseconds)."""
    if curve_name != "secp256k1":
        return g_table(curve_name)
    curve = CURVES[curve_name]
    g = (curve.gx, curve.gy)
    twice, point, numbers = reference.point_add(curve, g, g), g, []
    for _ in range(glv.G_ENTRIES):
        numbers += [point[0], point[1]]
        point = reference.point_add(curve, point, twice)
    numbers += [v * glv.BETA % curve.p if i % 2 == 0 else v for i, v in enumerate(numbers)]
    raw = b"".join(x.to_bytes(32, "little") for x in numbers)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(2, glv.G_ENTRIES, 2, 4)


def build(jit, curve_name: str, madd) -> SimpleNamespace:
    """The kernel functions for one curve, compiled with `jit` (njit, or cuda.jit(device=True))."""
    curve = CURVES[curve_name]
    c = curve_consts(curve_name)
    P, N = _u(curve.p), _u(curve.n)
    PINV, NINV = np.uint64(c[10, 0]), np.uint64(c[10, 1])
    SPECIAL_C = np.uint64(c[10, 3])  # secp256k1's 2^32 + 977 (tables.special_c), 0 for P-256
    FR = field_r(curve_name)  # numbers mod p are x FR mod p: Montgomery form (FR = R), or plain (FR = 1)
    ONE_P, ONE_N = _u(FR % curve.p), _u((1 << 256) % curve.n)
    R2P, R2N = _u(FR * FR % curve.p), _u((1 << 512) % curve.n)  # fmul(x, R2P) = x FR
    A_M, B_M = _u(curve.a * FR % curve.p), _u(curve.b * FR % curve.p)
    P_MINUS_N = _u(curve.p - curve.n)
    N_MINUS_2 = _u(curve.n - 2)
    A_IS_ZERO = curve.a == 0
    ZERO = (U0, U0, U0, U0)
    GLV = curve_name == "secp256k1"  # the endomorphism (glv.py): u2 Q as k1 Q + k2 phi(Q) over 128-bit halves
    BETA_M = _u(glv.BETA * FR % curve.p)  # beta in the field's form (this and the next two: read when GLV only)
    LAMBDA_N, MB1_N, MB2_N = (_u(v * (1 << 256) % curve.n) for v in (glv.LAMBDA, glv.MINUS_B1, glv.MINUS_B2))
    G1, G2 = _u(glv.G1), _u(glv.G2)

    # ---- 256-bit numbers: four limbs, least significant first ------------------------------------------------
    addc, subb = carry_ops(jit)

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
        return pick(t4 | (br ^ U1), d, r)  # t4 is 0 or 1

    @jit
    def mul_wide(a, b):
        """a b as eight limbs (schoolbook, one row of four products per limb of b)."""
        a0, a1, a2, a3 = a
        r0, cr = madd(a0, b[0], U0, U0)
        r1, cr = madd(a1, b[0], U0, cr)
        r2, cr = madd(a2, b[0], U0, cr)
        r3, r4 = madd(a3, b[0], U0, cr)
        r1, cr = madd(a0, b[1], r1, U0)
        r2, cr = madd(a1, b[1], r2, cr)
        r3, cr = madd(a2, b[1], r3, cr)
        r4, r5 = madd(a3, b[1], r4, cr)
        r2, cr = madd(a0, b[2], r2, U0)
        r3, cr = madd(a1, b[2], r3, cr)
        r4, cr = madd(a2, b[2], r4, cr)
        r5, r6 = madd(a3, b[2], r5, cr)
        r3, cr = madd(a0, b[3], r3, U0)
        r4, cr = madd(a1, b[3], r4, cr)
        r5, cr = madd(a2, b[3], r5, cr)
        r6, r7 = madd(a3, b[3], r6, cr)
        return (r0, r1, r2, r3), (r4, r5, r6, r7)

    @jit
    def sqr_wide(a):
        """a^2 as eight limbs: the six cross products once, doubled, plus the four squares (ten products, not 16)."""
        a0, a1, a2, a3 = a
        r1, cr = madd(a0, a1, U0, U0)
        r2, cr = madd(a0, a2, U0, cr)
        r3, r4 = madd(a0, a3, U0, cr)
        r3, cr = madd(a1, a2, r3, U0)
        r4, r5 = madd(a1, a3, r4, cr)
        r5, r6 = madd(a2, a3, r5, U0)
        r7 = r6 >> U63
        r6 = (r6 << U1) | (r5 >> U63)
        r5 = (r5 << U1) | (r4 >> U63)
        r4 = (r4 << U1) | (r3 >> U63)
        r3 = (r3 << U1) | (r2 >> U63)
        r2 = (r2 << U1) | (r1 >> U63)
        r1 = r1 << U1
        r0, hi = madd(a0, a0, U0, U0)
        r1, cr = addc(r1, hi, U0)
        lo, hi = madd(a1, a1, U0, U0)
        r2, cr = addc(r2, lo, cr)
        r3, cr = addc(r3, hi, cr)
        lo, hi = madd(a2, a2, U0, U0)
        r4, cr = addc(r4, lo, cr)
        r5, cr = addc(r5, hi, cr)
        lo, hi = madd(a3, a3, U0, U0)
        r6, cr = addc(r6, lo, cr)
        r7 = r7 + hi + cr
        return (r0, r1, r2, r3), (r4, r5, r6, r7)

    @jit
    def reduce_special(lo, hi):
        """hi 2^256 + lo mod p for p = 2^256 - c (c = 2^32 + 977, secp256k1): 2^256 = c mod p, so the number is
        lo + hi c (five limbs), then that fifth limb k becomes k c; independent 64 x 33-bit products, no
        Montgomery rounds (the product of two numbers below p in, a number below p out)."""
        m0, k = madd(hi[0], SPECIAL_C, lo[0], U0)
        m1, k = madd(hi[1], SPECIAL_C, lo[1], k)
        m2, k = madd(hi[2], SPECIAL_C, lo[2], k)
        m3, k = madd(hi[3], SPECIAL_C, lo[3], k)
        klo, khi = madd(k, SPECIAL_C, U0, U0)  # k < 2^34: k c < 2^67
        r0, cr = addc(m0, klo, U0)
        r1, cr = addc(m1, khi, cr)
        r2, cr = addc(m2, U0, cr)
        r3, cr = addc(m3, U0, cr)
        r0, c2 = addc(r0, SPECIAL_C & (U0 - cr), U0)  # a carry past 2^256 (r is then tiny) is c more
        r1, c2 = addc(r1, U0, c2)
        r2, c2 = addc(r2, U0, c2)
        r3 = r3 + c2
        r = (r0, r1, r2, r3)
        d, br = sub4(r, P)
        return pick(br ^ U1, d, r)

    @jit
    def pick(flag, a, b):
        """a if flag (0 or 1) else b, by masks: no branch for the predictor to miss on random data."""
        mask = U0 - flag
        keep = ~mask
        return ((a[0] & mask) | (b[0] & keep), (a[1] & mask) | (b[1] & keep), (a[2] & mask) | (b[2] & keep),
                (a[3] & mask) | (b[3] & keep))

    @jit
    def mod_add(a, b, m):
        s, cr = add4(a, b)
        d, br = sub4(s, m)
        return pick(cr | (br ^ U1), d, s)

    @jit
    def mod_sub(a, b, m):
        d, br = sub4(a, b)
        mask = U0 - br
        r, _ = add4(d, (m[0] & mask, m[1] & mask, m[2] & mask, m[3] & mask))
        return r

    # ---- the field GF(p) ----------------------------------------------------------------------------------------
    if SPECIAL_C:
        @jit
        def fmul(a, b):
            lo, hi = mul_wide(a, b)
            return reduce_special(lo, hi)
    else:
        @jit
        def fmul(a, b):
            return mont_mul(a, b, P, PINV)

    if SPECIAL_C:
        @jit
        def fsq(a):
            lo, hi = sqr_wide(a)
            return reduce_special(lo, hi)
    else:
        @jit
        def fsq(a):
            return fmul(a, a)

    @jit
    def fadd(a, b):
        return mod_add(a, b, P)

    @jit
    def fsub(a, b):
        return mod_sub(a, b, P)

    @jit
    def fhalf(a):
        """a / 2 mod p: a, or a + p when a is odd (p is odd), shifted right by one bit with the carry."""
        mask = U0 - (a[0] & U1)
        t0, cr = addc(a[0], P[0] & mask, U0)
        t1, cr = addc(a[1], P[1] & mask, cr)
        t2, cr = addc(a[2], P[2] & mask, cr)
        t3, cr = addc(a[3], P[3] & mask, cr)
        return ((t0 >> U1) | (t1 << U63), (t1 >> U1) | (t2 << U63), (t2 >> U1) | (t3 << U63), (t3 >> U1) | (cr << U63))

    # ---- points: Jacobian (X, Y, Z), x = X / Z^2, y = Y / Z^3; Z = 0 is the point at infinity ----------------
    @jit
    def dbl(X, Y, Z):
        if is_zero(Z) or is_zero(Y):
            return ZERO, ZERO, ZERO
        if A_IS_ZERO:  # libsecp256k1's secp256k1_gej_double (src/group_impl.h): 3M + 4S, fewer additions
            # than dbl-2009-l; Z3 = Y Z (not 2 Y Z), so L = 3/2 X^2, T = -X Y^2, X3 = L^2 + 2T,
            # Y3 = -(L (X3 + T) + Y^4)
            x2 = fsq(X)
            L = fhalf(fadd(fadd(x2, x2), x2))
            S = fsq(Y)
            T = fsub(ZERO, fmul(X, S))
            X3 = fadd(fsq(L), fadd(T, T))
            Y3 = fsub(ZERO, fadd(fmul(L, fadd(X3, T)), fsq(S)))
            return X3, Y3, fmul(Y, Z)
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

    # ---- secp256k1's endomorphism (glv.py) ----------------------------------------------------------------------
    @jit
    def mul_shift_round(k, g):
        """round(k g / 2^384) (below 2^128 for k < n and glv.G1, glv.G2)."""
        lo, hi = mul_wide(k, g)
        r0, cr = addc(hi[2], hi[1] >> U63, U0)  # limbs 6 and 7, plus bit 383
        return (r0, hi[3] + cr, U0, U0)

    @jit
    def split_lambda(k):
        """(k1, k2) mod n with k1 + k2 lambda = k mod n, each within glv.HALF_BOUND of 0 mod n (k < n)."""
        c1 = mul_shift_round(k, G1)
        c2 = mul_shift_round(k, G2)
        k2 = mod_add(mont_mul(c1, MB1_N, N, NINV), mont_mul(c2, MB2_N, N, NINV), N)  # x (y R) R^-1 = x y
        k1 = mod_sub(k, mont_mul(k2, LAMBDA_N, N, NINV), N)
        return k1, k2

    @jit
    def half(k):
        """A half of split_lambda as (low limb, high limb, negative): k, or n - k when k is above 2^128."""
        if (k[2] | k[3]) == U0:
            return k[0], k[1], False
        d, _ = sub4(N, k)
        return d[0], d[1], True

    @jit
    def wnaf(lo, hi, naf, row, width):
        """The width-w NAF of lo + 2^64 hi into naf[row] (least significant first, zeros beyond); its length."""
        mask = (U1 << np.uint64(width)) - U1
        half_w = np.int64(1) << np.int64(width - 1)
        for i in range(naf.shape[1]):
            naf[row, i] = 0
        top = U0  # bit 128, set when a negative digit carries the number past 2^128
        i = 0
        while (lo | hi | top) != U0:
            if (lo & U1) != U0:
                d = np.int64(lo & mask)
                if d >= half_w:
                    d -= 2 * half_w
                    lo2 = lo + np.uint64(-d)  # k - d for a negative d: the low w bits become 0
                    c1 = U1 if lo2 < lo else U0
                    hi2 = hi + c1
                    top += U1 if hi2 < hi else U0
                    lo, hi = lo2, hi2
                else:
                    lo -= np.uint64(d)
                naf[row, i] = d
            lo = (lo >> U1) | (hi << U63)
            hi = (hi >> U1) | (top << U63)
            top >>= U1
            i += 1
        return i

    @jit
    def store(qtable, j, x, y):
        for k in range(4):
            qtable[j, 0, k] = x[k]
            qtable[j, 1, k] = y[k]

    @jit
    def madd_ratio(X1, Y1, Z1, x2, y2):
        """P1 + (x2, y2) (madd) and h = Z3 / Z1, for a finite P1 other than +-(x2, y2): the chain of odd
        multiples, (2j - 1) Q + 2 Q with j < 8, never meets those cases (Q has prime order n)."""
        z1z1 = fsq(Z1)
        h = fsub(fmul(x2, z1z1), X1)
        r = fsub(fmul(y2, fmul(Z1, z1z1)), Y1)
        hh = fsq(h)
        hhh = fmul(h, hh)
        v = fmul(X1, hh)
        X3 = fsub(fsub(fsq(r), hhh), fadd(v, v))
        Y3 = fsub(fmul(r, fsub(v, X3)), fmul(Y1, hhh))
        return X3, Y3, fmul(Z1, h), h

    @jit
    def add_entry(X, Y, Z, qtable, d, negate, base):
        """(X, Y, Z) + [d] of the table's point (rows base..base + 7 hold its odd multiples 1, 3, ..., 15,
        affine), negated when `negate` (the half was negative)."""
        j = base + (abs(d) - 1) // 2
        y = load(qtable[j], 1)
        if (d < 0) != negate:
            y = fsub(ZERO, y)
        return add_affine(X, Y, Z, load(qtable[j], 0), y)

    @jit
    def add_true_affine(X1, Y1, Z1, zt, x2, y2):
        """(X1, Y1, Z1) on the curve scaled by zt (the point itself is (X1, Y1, Z1 zt)) plus an affine point of
        the curve itself, the sum on the scaled curve: madd with Z1 zt in place of Z1 and Z3 = Z1 h, one
        product more than madd (libsecp256k1's secp256k1_gej_add_zinv_var, src/group_impl.h)."""
        if is_zero(Z1):
            zt2 = fsq(zt)
            return fmul(x2, zt2), fmul(y2, fmul(zt2, zt)), ONE_P
        z = fmul(Z1, zt)
        zz = fsq(z)
        h = fsub(fmul(x2, zz), X1)
        r = fsub(fmul(y2, fmul(z, zz)), Y1)
        if is_zero(h):
            if is_zero(r):
                return dbl(X1, Y1, Z1)
            return ZERO, ZERO, ZERO
        hh = fsq(h)
        hhh = fmul(h, hh)
        v = fmul(X1, hh)
        X3 = fsub(fsub(fsq(r), hhh), fadd(v, v))
        Y3 = fsub(fmul(r, fsub(v, X3)), fmul(Y1, hhh))
        return X3, Y3, fmul(Z1, h)

    @jit
    def add_g_entry(X, Y, Z, zt, gtable, base, d, negate):
        """(X, Y, Z) on the scaled curve + [d] of G (base 0) or of phi(G) (base 1) from their odd multiples,
        negated when `negate`."""
        j = (abs(d) - 1) // 2
        y = load(gtable[base, j], 1)
        if (d < 0) != negate:
            y = fsub(ZERO, y)
        return add_true_affine(X, Y, Z, zt, load(gtable[base, j], 0), y)

    @jit
    def double_mul_glv(x_m, y_m, u1, u2, gtable, qtable, naf):
        """u1 G + u2 Q for affine Q as j1 G + j2 phi(G) + k1 Q + k2 phi(Q), the four halves below 2^128: one chain
        of at most 130 doublings, each half's wNAF digits added in it: Q's (width 5) from the odd multiples of
        Q (rows 0-7 of qtable) and of phi(Q) = (beta x, y) (rows 8-15), G's (width glv.G_WNAF_WIDTH) from the
        precomputed odd multiples of G and phi(G) (gtable: kernel_g_table), every one a mixed addition. Q's
        table is affine on an isomorphic curve (libsecp256k1's "effective affine" multiples,
        src/ecmult_impl.h): with 2Q = (Xd, Yd, Zd), the point (x, y) becomes (x Zd^2, y Zd^3), on which 2Q
        is (Xd, Yd), affine; the odd multiples are then brought to one Z, Zg, by their Z ratios, and
        (X / Zg^2, Y / Zg^3) are affine on the curve scaled by Zt = Zd Zg. Doublings and additions on
        y^2 = x^3 + b' do not read b', so the chain runs there (G's points join it by add_true_affine); its
        result, with Z times Zt, is u1 G + u2 Q."""
        Xd, Yd, Zd = dbl(x_m, y_m, ONE_P)
        zd2 = fsq(Zd)
        X, Y, Z = fmul(x_m, zd2), fmul(y_m, fmul(zd2, Zd)), ONE_P
        store(qtable, 0, X, Y)
        for j in range(1, 8):  # (2j + 1) Q; the ratio Z_j / Z_(j-1) in column 2
            X, Y, Z, h = madd_ratio(X, Y, Z, Xd, Yd)
            store(qtable, j, X, Y)
            for k in range(4):
                qtable[j, 2, k] = h[k]
        zt = fmul(Z, Zd)
        ratio = ONE_P  # Zg / Z_j
        for j in range(7, -1, -1):
            x, y = load(qtable[j], 0), load(qtable[j], 1)
            if j < 7:
                ratio = fmul(ratio, load(qtable[j + 1], 2))
                r2 = fsq(ratio)
                x = fmul(x, r2)
                y = fmul(y, fmul(r2, ratio))
                store(qtable, j, x, y)
            store(qtable, 8 + j, fmul(x, BETA_M), y)
        k1, k2 = split_lambda(u2)
        lo1, hi1, neg1 = half(k1)
        lo2, hi2, neg2 = half(k2)
        j1, j2 = split_lambda(u1)
        lo3, hi3, neg3 = half(j1)
        lo4, hi4, neg4 = half(j2)
        n = max(wnaf(lo1, hi1, naf, 0, glv.WNAF_WIDTH), wnaf(lo2, hi2, naf, 1, glv.WNAF_WIDTH),
                wnaf(lo3, hi3, naf, 2, glv.G_WNAF_WIDTH), wnaf(lo4, hi4, naf, 3, glv.G_WNAF_WIDTH))
        X, Y, Z = ZERO, ZERO, ZERO
        for i in range(n - 1, -1, -1):
            X, Y, Z = dbl(X, Y, Z)
            d = naf[0, i]
            if d != 0:
                X, Y, Z = add_entry(X, Y, Z, qtable, d, neg1, 0)
            d = naf[1, i]
            if d != 0:
                X, Y, Z = add_entry(X, Y, Z, qtable, d, neg2, 8)
            d = naf[2, i]
            if d != 0:
                X, Y, Z = add_g_entry(X, Y, Z, zt, gtable, 0, d, neg3)
            d = naf[3, i]
            if d != 0:
                X, Y, Z = add_g_entry(X, Y, Z, zt, gtable, 1, d, neg4)
        return X, Y, fmul(Z, zt)

    @jit
    def double_mul_window(x_m, y_m, u1, u2, gtable, qtable, naf):
        """u1 G + u2 Q for affine Q (Montgomery form): 4-bit windows from the top over Q's multiples 1..15, then
        one mixed addition per nonzero byte of u1 from the fixed-base table (no doubling)."""
        for k in range(4):  # qtable[0] is never read
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
        X, Y, Z = ZERO, ZERO, ZERO
        for i in range(Q_DIGITS - 1, -1, -1):
            for _ in range(Q_WINDOW):
                X, Y, Z = dbl(X, Y, Z)
            d = digit(u2, i, Q_WINDOW)
            if d != 0:
                X, Y, Z = add(X, Y, Z, load(qtable[d], 0), load(qtable[d], 1), load(qtable[d], 2))
        for i in range(G_DIGITS):
            d = digit(u1, i, G_WINDOW)
            if d != 0:
                X, Y, Z = add_affine(X, Y, Z, load(gtable[i, d - 1], 0), load(gtable[i, d - 1], 1))
        return X, Y, Z

    double_mul = double_mul_glv if GLV else double_mul_window

    # ---- verification ----------------------------------------------------------------------------------------

    @jit
    def verify_with_inverse(words, w, gtable, qtable, naf):
        """One signature: words (5, 4) = qx, qy, e, r, s; w = s^-1 R mod n when 0 < s < n (anything otherwise);
        gtable = kernel_g_table(curve); qtable (QTABLE_SHAPE) and naf (NAF_SHAPE) scratch.
        True when valid (SEC 1 section 4.1.4, high s accepted)."""
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
        u1 = mont_mul(w, e, N, NINV)
        u2 = mont_mul(w, r, N, NINV)
        X, Y, Z = double_mul(x_m, y_m, u1, u2, gtable, qtable, naf)
        if is_zero(Z):
            return False
        zz = fsq(Z)
        if equal(X, fmul(fmul(r, R2P), zz)):
            return True
        if less(r, P_MINUS_N):  # x(R) in [n, p): x mod n = x - n
            rn, _ = add4(r, N)
            return equal(X, fmul(fmul(rn, R2P), zz))
        return False

    @jit
    def verify_one(words, gtable, qtable, naf):
        """One signature (verify_with_inverse), s^-1 by Fermat (inv_n, scratch in qtable)."""
        s = load(words, 4)
        if is_zero(s) or not less(s, N):
            return False
        return verify_with_inverse(words, inv_n(mont_mul(s, R2N, N, NINV), qtable), gtable, qtable, naf)

    @jit
    def verify_run(words, start, stop, gtable, qtable, naf, scratch, out):
        """Signatures start..stop (at most scratch.shape[0] of them) into out: the s^-1 of all of them from one
        inversion (Montgomery's trick: prefix products, one inv_n, then back down the prefixes, three products
        per signature instead of about 320); an s outside 1..n-1 stands in as 1 and its signature is rejected
        by verify_with_inverse."""
        acc = ONE_N
        for j in range(stop - start):
            s = load(words[start + j], 4)
            s_m = ONE_N
            if not is_zero(s) and less(s, N):
                s_m = mont_mul(s, R2N, N, NINV)
            for k in range(4):
                scratch[j, 0, k] = s_m[k]
                scratch[j, 1, k] = acc[k]  # the product of the s before this one
            acc = mont_mul(acc, s_m, N, NINV)
        inv = inv_n(acc, qtable)  # (s_start ... s_j)^-1 R for the j of the loop below
        for j in range(stop - start - 1, -1, -1):
            w = mont_mul(inv, load(scratch[j], 1), N, NINV)
            inv = mont_mul(inv, load(scratch[j], 0), N, NINV)
            out[start + j] = verify_with_inverse(words[start + j], w, gtable, qtable, naf)

    return SimpleNamespace(verify_one=verify_one, verify_run=verify_run, mont_mul=mont_mul, fmul=fmul, fsq=fsq,
                           fadd=fadd, fsub=fsub, fhalf=fhalf, dbl=dbl, add=add, add_affine=add_affine, inv_n=inv_n,
                           digit=digit, split_lambda=split_lambda, half=half, wnaf=wnaf, double_mul=double_mul)
