"""The BLS12-381 optimal-ate pairing for Numba, written once over the field core of msm_numba_core.py and
compiled per target: ``build_pairing(njit, CORE)`` for the CPU (pairing_numba_cpu.py), and later
``build_pairing(cuda.jit(device=True), CUDA_CORE)`` for the GPU. Only tuples, scalars and the arrays passed in:
no allocation, no exceptions.

- The tower: GF(p^6) = GF(p^2)[v] / (v^3 - xi) with xi = 1 + i, GF(p^12) = GF(p^6)[w] / (w^2 - v), so
  w^6 = xi (the tower of the IETF draft draft-irtf-cfrg-pairing-friendly-curves-11, section 4.2.1, and of
  zkcrypto/bls12_381). An element is ((c00, c01, c02), (c10, c11, c12)) with c_bm the GF(p^2) coefficient of
  w^(2m + b). A row of 72 words holds the six GF(p^2) coefficients in the order c00, c01, c02, c10, c11, c12,
  each as re then im, each GF(p) value as 6 Montgomery limbs (least significant first): coefficient s of that
  order at words 12 s (re) and 12 s + 6 (im).
- Products: Karatsuba in GF(p^6) and GF(p^12), Chung-Hasan's SQR2 for GF(p^6) squares and the "complex"
  squaring in GF(p^12) (Devegili, O hEigeartaigh, Scott and Dahab, "Multiplication and squaring on
  pairing-friendly fields", eprint 2006/471); inverses by the norm down to GF(p) (one Fermat inverse).
- Frobenius maps: (c w^k)^(p^j) = conj^j(c) xi^(k (p^j - 1) / 6) w^k, the constants computed here from p.
- The Miller loop: the optimal ate pairing f_{x,Q}(P) of BLS12 curves (Vercauteren, "Optimal pairings", IEEE
  Trans. IT 2010) over the bits of |x| = 0xd201000000010000, then a conjugation since x < 0 (f_{-n} and
  1 / f_n agree up to factors the final exponentiation removes). The G2 point T runs in homogeneous
  projective coordinates on the twist E': y^2 = x^3 + b' (b' = 4 xi), with the doubling and mixed addition of
  Costello, Lange and Naehrig (PKC 2010) as written by Aranha, Karabina, Longa, Gebotys and Lopez ("Faster
  explicit formulas for computing pairings over ordinary curves", Eurocrypt 2011, section 4). E' is an M-type
  twist: Q' = (x', y') maps to (x' w^-2, y' w^-3) on E, so a line through T' with slope s' evaluated at
  P = (xP, yP) is, times w^3 (in GF(p^4), removed by the final exponentiation),
  (s' xT - yT) - s' xP w^2 + yP w^3: the coefficients of w^0, w^2 and w^3 (c00, c01 and c11), multiplied in
  by a sparse product. The multi-Miller loop shares the GF(p^12) squarings among the pairs.
- The final exponentiation f^(3 (p^12 - 1) / r): the easy part f^((p^6 - 1)(p^2 + 1)) by a conjugation, an
  inverse and a Frobenius map; the hard part to the power 3 (p^4 - p^2 + 1) / r =
  (x - 1)^2 (x + p) (x^2 + p^2 - 1) + 3 (Hayashida, Hayasaka and Teruya, eprint 2020/875), five
  exponentiations by x with the cyclotomic squarings of Granger and Scott ("Faster squaring in the cyclotomic
  subgroup of sixth degree extensions", PKC 2010). So e(P, Q) here is the cube of the pairing with exponent
  (p^12 - 1) / r: still bilinear and non-degenerate (3 is prime to r), and 1 exactly when that one is.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .msm import B_G2, P
from .msm_numba_core import ABS_X, U0, U1, mont

FP12_WORDS = 72
G1_FLAG, G2_FLAG = 12, 24  # the flag word of a decoded G1 / G2 row
STATE_WORDS = 36  # a projective G2 point (X, Y, Z) in GF(p^2)
XI = (1, 1)  # 1 + i, the sextic non-residue: v^3 = w^6 = xi


def _f2_mul_int(a, b):
    return (a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P


def _f2_pow_int(a, e):
    r = (1, 0)
    for bit in bin(e)[2:]:
        r = _f2_mul_int(r, r)
        if bit == "1":
            r = _f2_mul_int(r, a)
    return r


def frobenius_constants(j: int) -> tuple:
    """gamma_k = xi^(k (p^j - 1) / 6) for k = 0 .. 5, as plain ints (p = 1 mod 6)."""
    return tuple(_f2_pow_int(XI, k * (P ** j - 1) // 6) for k in range(6))


def build_pairing(jit, core) -> SimpleNamespace:
    """The pairing functions over `core` (msm_numba_core.build), compiled with `jit`."""
    fp_mul, fp_add, fp_sub, fp_neg, fp_inv = core.fp_mul, core.fp_add, core.fp_sub, core.fp_neg, core.fp_inv
    fp_sq, fp_eq, fp_is_zero, fp_load = core.fp_sq, core.fp_eq, core.fp_is_zero, core.fp_load
    f2_mul, f2_sq, f2_add, f2_sub, f2_neg = core.f2_mul, core.f2_sq, core.f2_add, core.f2_sub, core.f2_neg
    f2_load, f2_store = core.f2_load, core.f2_store
    ZERO, ONE = core.ZERO, core.ONE
    F2_ZERO, F2_ONE = (ZERO, ZERO), (ONE, ZERO)
    F6_ZERO, F6_ONE = (F2_ZERO, F2_ZERO, F2_ZERO), (F2_ONE, F2_ZERO, F2_ZERO)
    F12_ONE = (F6_ONE, F6_ZERO)
    B3 = (mont(3 * B_G2[0]), mont(3 * B_G2[1]))  # 3 b' = 12 + 12 i

    # ---- GF(p^2) extras -------------------------------------------------------------------------------------
    @jit
    def f2_dbl(a):
        return f2_add(a, a)

    @jit
    def f2_mul_fp(a, s):
        return fp_mul(a[0], s), fp_mul(a[1], s)

    @jit
    def f2_mul_xi(a):
        """(a0 + a1 i)(1 + i) = (a0 - a1) + (a0 + a1) i."""
        return fp_sub(a[0], a[1]), fp_add(a[0], a[1])

    @jit
    def f2_conj(a):
        return a[0], fp_neg(a[1])

    @jit
    def f2_inv(a):
        t = fp_inv(fp_add(fp_sq(a[0]), fp_sq(a[1])))
        return fp_mul(a[0], t), fp_neg(fp_mul(a[1], t))

    @jit
    def f2_is_one(a):
        return fp_eq(a[0], ONE) and fp_is_zero(a[1])

    @jit
    def f2_is_zero(a):
        return fp_is_zero(a[0]) and fp_is_zero(a[1])

    # ---- GF(p^6) = GF(p^2)[v] / (v^3 - xi) ------------------------------------------------------------------
    @jit
    def f6_add(a, b):
        return f2_add(a[0], b[0]), f2_add(a[1], b[1]), f2_add(a[2], b[2])

    @jit
    def f6_sub(a, b):
        return f2_sub(a[0], b[0]), f2_sub(a[1], b[1]), f2_sub(a[2], b[2])

    @jit
    def f6_neg(a):
        return f2_neg(a[0]), f2_neg(a[1]), f2_neg(a[2])

    @jit
    def f6_mul_v(a):
        """a v = (xi a2, a0, a1)."""
        return f2_mul_xi(a[2]), a[0], a[1]

    @jit
    def f6_mul(a, b):
        """Karatsuba: 6 GF(p^2) products."""
        t0, t1, t2 = f2_mul(a[0], b[0]), f2_mul(a[1], b[1]), f2_mul(a[2], b[2])
        c0 = f2_add(f2_mul_xi(f2_sub(f2_sub(f2_mul(f2_add(a[1], a[2]), f2_add(b[1], b[2])), t1), t2)), t0)
        c1 = f2_add(f2_sub(f2_sub(f2_mul(f2_add(a[0], a[1]), f2_add(b[0], b[1])), t0), t1), f2_mul_xi(t2))
        c2 = f2_add(f2_sub(f2_sub(f2_mul(f2_add(a[0], a[2]), f2_add(b[0], b[2])), t0), t2), t1)
        return c0, c1, c2

    @jit
    def f6_sq(a):
        """Chung-Hasan SQR2: 2 products and 3 squares in GF(p^2)."""
        s0 = f2_sq(a[0])
        s1 = f2_dbl(f2_mul(a[0], a[1]))
        s2 = f2_sq(f2_add(f2_sub(a[0], a[1]), a[2]))
        s3 = f2_dbl(f2_mul(a[1], a[2]))
        s4 = f2_sq(a[2])
        c2 = f2_sub(f2_sub(f2_add(f2_add(s1, s2), s3), s0), s4)
        return f2_add(f2_mul_xi(s3), s0), f2_add(f2_mul_xi(s4), s1), c2

    @jit
    def f6_mul_01(a, b0, b1):
        """a (b0 + b1 v): 5 GF(p^2) products."""
        t0, t1 = f2_mul(a[0], b0), f2_mul(a[1], b1)
        c0 = f2_add(f2_mul_xi(f2_mul(a[2], b1)), t0)
        c1 = f2_sub(f2_sub(f2_mul(f2_add(a[0], a[1]), f2_add(b0, b1)), t0), t1)
        c2 = f2_add(f2_mul(a[2], b0), t1)
        return c0, c1, c2

    @jit
    def f6_mul_1(a, b1):
        """a (b1 v) = (xi a2 b1, a0 b1, a1 b1)."""
        return f2_mul_xi(f2_mul(a[2], b1)), f2_mul(a[0], b1), f2_mul(a[1], b1)

    @jit
    def f6_inv(a):
        """(A + B v + C v^2) / (a0 A + xi (a2 B + a1 C)) with A = a0^2 - xi a1 a2, B = xi a2^2 - a0 a1,
        C = a1^2 - a0 a2."""
        A = f2_sub(f2_sq(a[0]), f2_mul_xi(f2_mul(a[1], a[2])))
        B = f2_sub(f2_mul_xi(f2_sq(a[2])), f2_mul(a[0], a[1]))
        C = f2_sub(f2_sq(a[1]), f2_mul(a[0], a[2]))
        n = f2_add(f2_mul(a[0], A), f2_mul_xi(f2_add(f2_mul(a[2], B), f2_mul(a[1], C))))
        t = f2_inv(n)
        return f2_mul(A, t), f2_mul(B, t), f2_mul(C, t)

    # ---- GF(p^12) = GF(p^6)[w] / (w^2 - v) ------------------------------------------------------------------
    @jit
    def f12_mul(a, b):
        t0, t1 = f6_mul(a[0], b[0]), f6_mul(a[1], b[1])
        c1 = f6_sub(f6_sub(f6_mul(f6_add(a[0], a[1]), f6_add(b[0], b[1])), t0), t1)
        return f6_add(t0, f6_mul_v(t1)), c1

    @jit
    def f12_sq(a):
        """Complex squaring: (a0 + a1 w)^2 = (a0 + a1)(a0 + v a1) - t - v t + 2 t w, t = a0 a1."""
        t = f6_mul(a[0], a[1])
        c0 = f6_sub(f6_sub(f6_mul(f6_add(a[0], a[1]), f6_add(a[0], f6_mul_v(a[1]))), t), f6_mul_v(t))
        return c0, f6_add(t, t)

    @jit
    def f12_conj(a):
        """a^(p^6): w -> -w."""
        return a[0], f6_neg(a[1])

    @jit
    def f12_inv(a):
        """(a0 - a1 w) / (a0^2 - v a1^2)."""
        t = f6_inv(f6_sub(f6_sq(a[0]), f6_mul_v(f6_sq(a[1]))))
        return f6_mul(a[0], t), f6_neg(f6_mul(a[1], t))

    @jit
    def f12_is_one(a):
        c, d = a
        return (f2_is_one(c[0]) and f2_is_zero(c[1]) and f2_is_zero(c[2]) and f2_is_zero(d[0])
                and f2_is_zero(d[1]) and f2_is_zero(d[2]))

    @jit
    def mul_by_014(f, l0, l2, l3):
        """f (l0 + l2 w^2 + l3 w^3), the line's coefficients at c00, c01, c11: 13 GF(p^2) products."""
        aa = f6_mul_01(f[0], l0, l2)
        bb = f6_mul_1(f[1], l3)
        c1 = f6_sub(f6_sub(f6_mul_01(f6_add(f[0], f[1]), l0, f2_add(l2, l3)), aa), bb)
        return f6_add(f6_mul_v(bb), aa), c1

    @jit
    def fp4_sq(a, b):
        """(a + b t)^2 in GF(p^4) = GF(p^2)[t] / (t^2 - xi)."""
        t0, t1 = f2_sq(a), f2_sq(b)
        return f2_add(f2_mul_xi(t1), t0), f2_sub(f2_sub(f2_sq(f2_add(a, b)), t0), t1)

    @jit
    def cyc_sq(f):
        """Granger-Scott squaring of f in the cyclotomic subgroup (f^(p^4 - p^2 + 1) = 1): three GF(p^4)
        squares; pairs (c00, c11), (c10, c02), (c01, c12)."""
        z0, z4, z3 = f[0]
        z2, z1, z5 = f[1]
        t0, t1 = fp4_sq(z0, z1)
        z0 = f2_sub(t0, z0)
        z0 = f2_add(f2_dbl(z0), t0)
        z1 = f2_add(t1, z1)
        z1 = f2_add(f2_dbl(z1), t1)
        t0, t1 = fp4_sq(z2, z3)
        t2, t3 = fp4_sq(z4, z5)
        z4 = f2_sub(t0, z4)
        z4 = f2_add(f2_dbl(z4), t0)
        z5 = f2_add(t1, z5)
        z5 = f2_add(f2_dbl(z5), t1)
        t0 = f2_mul_xi(t3)
        z2 = f2_add(t0, z2)
        z2 = f2_add(f2_dbl(z2), t0)
        z3 = f2_sub(t2, z3)
        z3 = f2_add(f2_dbl(z3), t2)
        return (z0, z4, z3), (z2, z1, z5)

    @jit
    def cyc_exp_x(f):
        """f^x for f in the cyclotomic subgroup: f^|x| by 63 cyclotomic squarings and 5 products, conjugated
        (f^-1 = conj(f) there) since x < 0."""
        r = f
        for k in range(62, -1, -1):
            r = cyc_sq(r)
            if (ABS_X >> np.uint64(k)) & U1:
                r = f12_mul(r, f)
        return f12_conj(r)

    frob1, frob2, frob3 = (_frobenius(jit, j, f2_mul, f2_conj) for j in (1, 2, 3))

    @jit
    def final_exp(f):
        """f^(3 (p^12 - 1) / r): easy part, then the hard part (x - 1)^2 (x + p)(x^2 + p^2 - 1) + 3."""
        t = f12_mul(f12_conj(f), f12_inv(f))  # f^(p^6 - 1)
        t = f12_mul(frob2(t), t)  # ^(p^2 + 1): now in the cyclotomic subgroup
        a = f12_mul(cyc_exp_x(t), f12_conj(t))  # t^(x - 1)
        a = f12_mul(cyc_exp_x(a), f12_conj(a))  # t^((x - 1)^2)
        b = f12_mul(cyc_exp_x(a), frob1(a))  # a^(x + p)
        c = f12_mul(f12_mul(cyc_exp_x(cyc_exp_x(b)), frob2(b)), f12_conj(b))  # b^(x^2 + p^2 - 1)
        return f12_mul(c, f12_mul(cyc_sq(t), t))

    # ---- rows -----------------------------------------------------------------------------------------------
    @jit
    def f12_load(row, off):
        c = (f2_load(row, off), f2_load(row, off + 12), f2_load(row, off + 24))
        d = (f2_load(row, off + 36), f2_load(row, off + 48), f2_load(row, off + 60))
        return c, d

    @jit
    def f12_store(row, off, a):
        c, d = a
        f2_store(row, off, c[0])
        f2_store(row, off + 12, c[1])
        f2_store(row, off + 24, c[2])
        f2_store(row, off + 36, d[0])
        f2_store(row, off + 48, d[1])
        f2_store(row, off + 60, d[2])

    # ---- the Miller loop ------------------------------------------------------------------------------------
    @jit
    def dbl_step(X, Y, Z):
        """2T (coordinates scaled by 4) and the tangent line at T: (l0, l2, l3) to multiply as
        l0 + l2 xP w^2 + l3 yP w^3, here (3 b' Z^2 - Y^2) + 3 X^2 xP w^2 - 2 Y Z yP w^3."""
        B = f2_sq(Y)
        C = f2_sq(Z)
        E = f2_mul(C, B3)
        F = f2_add(f2_dbl(E), E)
        G = f2_add(B, F)
        H = f2_sub(f2_sub(f2_sq(f2_add(Y, Z)), B), C)  # 2 Y Z
        XX = f2_sq(X)
        X3 = f2_dbl(f2_mul(f2_mul(X, Y), f2_sub(B, F)))
        E2 = f2_sq(E)
        E12 = f2_dbl(f2_dbl(f2_add(f2_dbl(E2), E2)))
        Y3 = f2_sub(f2_sq(G), E12)
        Z3 = f2_dbl(f2_dbl(f2_mul(B, H)))
        return X3, Y3, Z3, f2_sub(E, B), f2_add(f2_dbl(XX), XX), f2_neg(H)

    @jit
    def add_step(X, Y, Z, xq, yq):
        """T + Q for an affine Q and the line through them: theta = Y - yq Z, lam = X - xq Z; the line
        (theta xq - lam yq) - theta xP w^2 + lam yP w^3."""
        theta = f2_sub(Y, f2_mul(yq, Z))
        lam = f2_sub(X, f2_mul(xq, Z))
        C = f2_sq(theta)
        D = f2_sq(lam)
        E = f2_mul(lam, D)
        F = f2_mul(Z, C)
        G = f2_mul(X, D)
        H = f2_sub(f2_add(E, F), f2_dbl(G))
        X3 = f2_mul(lam, H)
        Y3 = f2_sub(f2_mul(theta, f2_sub(G, H)), f2_mul(Y, E))
        Z3 = f2_mul(Z, E)
        l0 = f2_sub(f2_mul(theta, xq), f2_mul(lam, yq))
        return X3, Y3, Z3, l0, f2_neg(theta), lam

    @jit
    def line_at(f, l0, l2, l3, xp, yp):
        return mul_by_014(f, l0, f2_mul_fp(l2, xp), f2_mul_fp(l3, yp))

    @jit
    def miller_loop_rows(g1, g2, start, end, state, out):
        """out = conj(prod_{start <= i < end} f_{|x|, Q_i}(P_i)) (72 words), P_i, Q_i from rows i of the decoded
        g1, g2 arrays; a pair with a nonzero flag in either row is skipped (contributes 1). state[i] (36 words
        per row, i in [start, end)) holds T_i = (X, Y, Z) between iterations."""
        for i in range(start, end):
            for k in range(24):
                state[i, k] = g2[i, k]
            f2_store(state[i], 24, F2_ONE)
        f = F12_ONE
        for k in range(62, -1, -1):
            if k != 62:
                f = f12_sq(f)
            add = ((ABS_X >> np.uint64(k)) & U1) != U0
            for i in range(start, end):
                if g1[i, G1_FLAG] != U0 or g2[i, G2_FLAG] != U0:
                    continue
                s = state[i]
                xp, yp = fp_load(g1[i], 0), fp_load(g1[i], 6)
                X, Y, Z, l0, l2, l3 = dbl_step(f2_load(s, 0), f2_load(s, 12), f2_load(s, 24))
                f = line_at(f, l0, l2, l3, xp, yp)
                if add:
                    X, Y, Z, l0, l2, l3 = add_step(X, Y, Z, f2_load(g2[i], 0), f2_load(g2[i], 12))
                    f = line_at(f, l0, l2, l3, xp, yp)
                f2_store(s, 0, X)
                f2_store(s, 12, Y)
                f2_store(s, 24, Z)
        f12_store(out, 0, f12_conj(f))

    @jit
    def final_exponentiation(row_in, row_out):
        f12_store(row_out, 0, final_exp(f12_load(row_in, 0)))

    @jit
    def fp12_mul_rows(a_row, b_row, out_row):
        f12_store(out_row, 0, f12_mul(f12_load(a_row, 0), f12_load(b_row, 0)))

    @jit
    def is_one_row(row):
        return f12_is_one(f12_load(row, 0))

    return SimpleNamespace(
        f6_add=f6_add, f6_sub=f6_sub, f6_mul=f6_mul, f6_sq=f6_sq, f6_inv=f6_inv, f6_mul_v=f6_mul_v,
        f12_mul=f12_mul, f12_sq=f12_sq, f12_conj=f12_conj, f12_inv=f12_inv, f12_is_one=f12_is_one,
        frob1=frob1, frob2=frob2, frob3=frob3, cyc_sq=cyc_sq, cyc_exp_x=cyc_exp_x, mul_by_014=mul_by_014,
        dbl_step=dbl_step, add_step=add_step, final_exp=final_exp, f12_load=f12_load, f12_store=f12_store,
        miller_loop_rows=miller_loop_rows, final_exponentiation=final_exponentiation,
        fp12_mul_rows=fp12_mul_rows, is_one_row=is_one_row, ONE=F12_ONE, words=FP12_WORDS,
        state_words=STATE_WORDS)


def _frobenius(jit, j, f2_mul, f2_conj):
    """a -> a^(p^j): coefficient c of w^k becomes conj^j(c) gamma_k, gamma_k = xi^(k (p^j - 1) / 6)."""
    g = tuple((mont(re), mont(im)) for re, im in frobenius_constants(j))
    g0, g1, g2, g3, g4, g5 = g
    odd = j % 2 == 1

    @jit
    def frob(a):
        c, d = a
        if odd:
            c = (f2_conj(c[0]), f2_conj(c[1]), f2_conj(c[2]))
            d = (f2_conj(d[0]), f2_conj(d[1]), f2_conj(d[2]))
        return ((f2_mul(c[0], g0), f2_mul(c[1], g2), f2_mul(c[2], g4)),
                (f2_mul(d[0], g1), f2_mul(d[1], g3), f2_mul(d[2], g5)))

    return frob
