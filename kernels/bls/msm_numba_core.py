"""BLS12-381 group kernels for Numba, written once and compiled per target: ``build(njit, madd_i128)`` for the
CPU (msm_numba_cpu.py) and ``build(cuda.jit(device=True), madd_split)`` for the GPU (msm_numba_cuda.py), with
the 64 x 64 -> 128-bit product helpers of kernels/ecdsa/numba_core.py. The same algorithm as the C core
(kernels/common/bls12_381.h):

- GF(p) on the CPU: the product in mulx/adcx/adox assembly where the CPU has ADX, sums and differences as
  384-bit LLVM integers (fp_cpu.py, passed to `build` as `cpu`); the portable versions below serve the GPU,
  the CUDA simulator and CPUs without ADX:
- GF(p): six 64-bit limbs as tuples (registers), Montgomery form with R = 2^384, the word-by-word (CIOS)
  Montgomery product (Koc, Acar and Kaliski, IEEE Micro 1996), and a dedicated squaring (each cross product
  once, doubled: 21 of the 36 word products, then the separated reduction); square roots as a^((p+1)/4)
  (p = 3 mod 4), inverses as a^(p-2) (Fermat), both with fixed 4-bit windows (about 95 products instead of
  about 230 besides the 380 squarings);
- GF(p^2) = GF(p)[i]/(i^2 + 1): Karatsuba products, and the square root by the "complex method" (Adj and
  Rodriguez-Henriquez, "Square root computation over even extension fields", IEEE Trans. Computers 2014,
  section on q = 3 mod 4): sqrt(a0 + a1 i) from s = sqrt(a0^2 + a1^2) and y = ((a0 + s) / 2)^((p+1)/4): the
  root is (y, a1 / 2y) or (a1 / 2y, y), whichever squares to a; 1 / y comes with y from one exponentiation
  (z = t^((p-3)/4), y = z t, 1 / y = +-z), so two exponentiations in GF(p) in all, each with fixed 4-bit
  windows (a table of a^0 .. a^15);
- points in Jacobian coordinates on y^2 = x^3 + b (a = 0), the same formulas for G1 over GF(p) and G2 over
  GF(p^2) (built twice from one template, `_group`): dbl-2009-l, add-2007-bl and madd-2007-bl
  (Explicit-Formulas Database, hyperelliptic.org/EFD), with infinity, doubling and P + (-P) handled;
- decompression per the ZCash encoding (flags, x < p, y from the square root, the sign bit as "y is the
  larger of y, -y": for GF(p^2) the imaginary part decides unless it is 0), then the subgroup checks of Scott
  ("A note on group membership tests for G1, G2 and GT on BLS pairing-friendly curves", eprint 2021/1130, as
  blst does them): G1: phi(P) == [-x^2]P with phi(x, y) = (beta x, y), beta the cube root of unity for which
  phi acts on G1 as -x^2; G2: psi(P) == [x]P with psi the untwist-Frobenius-twist map; x = -0xd201000000010000
  (64 bits, 6 of them set), so each check is one or two 64-bit double-and-add chains instead of [r]P's 255;
- multi-scalar multiplication: Pippenger's bucket method over signed c-bit digits of the scalars
  (msm.signed_digits, computed on the host: 2^(c-1) buckets per window, a point entering as P or -P), each
  window's buckets filled by mixed additions of the affine points and summed by running sums, the windows
  combined by c doublings each. Straus's interleaved windows, tried for few points, were no faster at 23 points and
  slower from 40 (Jacobian additions of table entries cost more than Pippenger's mixed bucket additions);
- the NAF chain (`chain`): for few points, one doubling chain over the scalars' non-adjacent forms, the affine
  points entering by mixed additions (no tables, no buckets); the CPU driver picks it over Pippenger by
  operation count (msm.chain_ops, msm.pippenger_ops), which is how sparse batch scalars pay (batch.py).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..ecdsa.numba_core import carry_ops, madd_i128, madd_split  # noqa: F401  (madd_*: the two drivers' product helpers)
from .msm import B_G1, B_G2, LIMBS, MONT_R, P, X

U0, U1 = np.uint64(0), np.uint64(1)
MASK64 = (1 << 64) - 1
ABS_X = np.uint64(-X)
# The endomorphisms of the subgroup checks (values computed from p with py_ecc and checked by
# tests/test_bls_msm.py: phi(G1) = [-x^2] G1, psi(G2) = [x] G2): beta, a primitive cube root of unity mod p;
# psi(x, y) = (conj(x) CX, conj(y) CY) with CX = 1 / (1 + i)^((p - 1) / 3), CY = 1 / (1 + i)^((p - 1) / 2).
BETA = 0x5F19672FDF76CE51BA69C6076A0F77EADDB3A93BE6F89688DE17D813620A00022E01FFFFFFFEFFFE
CX = (0, 0x1A0111EA397FE699EC02408663D4DE85AA0D857D89759AD4897D29650FB85F9B409427EB4F49FFFD8BFD00000000AAAD)
CY = (0x135203E60180A68EE2E9C448D77A2CD91C3DEDD930B1CF60EF396489F61EB45E304466CF3E67FA0AF1EE7B04121BDEA2,
      0x06AF0E0437FF400B6831E36D6BD17FFE48395DABC2D3435E77F76E17009241C5EE67992F72EC05F4C81084FBEDE3CC09)


def limbs(x: int) -> tuple:
    """x as a tuple of six uint64 limbs, least significant first."""
    return tuple(np.uint64((x >> (64 * i)) & MASK64) for i in range(LIMBS))


def mont(x: int) -> tuple:
    return limbs(x * MONT_R % P)


def window_digits(e: int) -> tuple:
    """e > 0 as 4-bit digits, most significant first: sum_k d_k 16^(len - 1 - k) = e."""
    return tuple((e >> (4 * k)) & 15 for k in range((e.bit_length() + 3) // 4 - 1, -1, -1))


def build(jit, madd, cpu=None) -> SimpleNamespace:
    """The kernel functions, compiled with `jit` (njit, or cuda.jit(device=True)). `cpu`, when given, holds
    CPU-only GF(p) operations to use instead of the portable ones (fp_cpu.py): `add` and `sub` (LLVM 384-bit
    integers) and, where the CPU has BMI2 and ADX, `mul` (mulx/adcx/adox assembly; squarings then use it too)."""
    PL = limbs(P)
    PINV = np.uint64((-pow(P, -1, 1 << 64)) % (1 << 64))
    ONE, R2 = mont(1), limbs(MONT_R * MONT_R % P)
    RAW_ONE = limbs(1)
    HALF = limbs((P - 1) // 2)  # y is "large" (sign bit 1) when y > (p - 1) / 2
    # the fixed exponents as 4-bit digits, most significant first (fixed-window exponentiation)
    SQRT_D, INV_D, SQRT_M3_D = window_digits((P + 1) // 4), window_digits(P - 2), window_digits((P - 3) // 4)
    INV2 = mont(pow(2, -1, P))
    B1 = mont(B_G1)
    B2 = (mont(B_G2[0]), mont(B_G2[1]))
    BETA_M = mont(BETA)
    CX_M, CY_M = (mont(CX[0]), mont(CX[1])), (mont(CY[0]), mont(CY[1]))
    Z = limbs(0)

    # ---- 384-bit numbers ------------------------------------------------------------------------------------
    addc, subb = carry_ops(jit)

    @jit
    def sub6(a, b):
        d0, br = subb(a[0], b[0], U0)
        d1, br = subb(a[1], b[1], br)
        d2, br = subb(a[2], b[2], br)
        d3, br = subb(a[3], b[3], br)
        d4, br = subb(a[4], b[4], br)
        d5, br = subb(a[5], b[5], br)
        return (d0, d1, d2, d3, d4, d5), br

    @jit
    def add6(a, b):
        s0, cr = addc(a[0], b[0], U0)
        s1, cr = addc(a[1], b[1], cr)
        s2, cr = addc(a[2], b[2], cr)
        s3, cr = addc(a[3], b[3], cr)
        s4, cr = addc(a[4], b[4], cr)
        s5, cr = addc(a[5], b[5], cr)
        return (s0, s1, s2, s3, s4, s5), cr

    @jit
    def fp_is_zero(a):
        return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == U0

    @jit
    def fp_eq(a, b):
        return fp_is_zero(sub6(a, b)[0])

    @jit
    def less(a, b):
        return sub6(a, b)[1] != U0

    # ---- GF(p) ----------------------------------------------------------------------------------------------
    @jit
    def fp_mul_cios(a, b):
        """a b R^-1 mod p for a, b < p (CIOS)."""
        a0, a1, a2, a3, a4, a5 = a
        t0 = t1 = t2 = t3 = t4 = t5 = t6 = U0
        for i in range(6):
            bi = b[i]
            t0, cr = madd(a0, bi, t0, U0)
            t1, cr = madd(a1, bi, t1, cr)
            t2, cr = madd(a2, bi, t2, cr)
            t3, cr = madd(a3, bi, t3, cr)
            t4, cr = madd(a4, bi, t4, cr)
            t5, cr = madd(a5, bi, t5, cr)
            t6, t7 = addc(t6, cr, U0)
            q = t0 * PINV
            _, cr = madd(q, PL[0], t0, U0)
            t0, cr = madd(q, PL[1], t1, cr)
            t1, cr = madd(q, PL[2], t2, cr)
            t2, cr = madd(q, PL[3], t3, cr)
            t3, cr = madd(q, PL[4], t4, cr)
            t4, cr = madd(q, PL[5], t5, cr)
            t5, c2 = addc(t6, cr, U0)
            t6 = t7 + c2
        r = (t0, t1, t2, t3, t4, t5)
        d, br = sub6(r, PL)
        return d if (t6 != U0 or br == U0) else r

    @jit
    def redc_step(t, top, carry):
        """One word of Montgomery reduction (separated operand scanning, Koc, Acar and Kaliski 1996): with
        q = t[0] (-1/p) mod 2^64, (t + q p) / 2^64 over the window t[0..5] and the next word `top` (plus the
        previous step's carry); returns the shifted window and the carry out."""
        q = t[0] * PINV
        _, cr = madd(q, PL[0], t[0], U0)
        u0, cr = madd(q, PL[1], t[1], cr)
        u1, cr = madd(q, PL[2], t[2], cr)
        u2, cr = madd(q, PL[3], t[3], cr)
        u3, cr = madd(q, PL[4], t[4], cr)
        u4, cr = madd(q, PL[5], t[5], cr)
        u5, carry = addc(top, cr, carry)
        return (u0, u1, u2, u3, u4, u5), carry

    @jit
    def fp_sq_cios(a):
        """a^2 R^-1 mod p: the 15 cross products once, doubled, plus the 6 squares (21 products, not 36), then
        six reduction steps."""
        a0, a1, a2, a3, a4, a5 = a
        t1, cr = madd(a0, a1, U0, U0)
        t2, cr = madd(a0, a2, U0, cr)
        t3, cr = madd(a0, a3, U0, cr)
        t4, cr = madd(a0, a4, U0, cr)
        t5, t6 = madd(a0, a5, U0, cr)
        t3, cr = madd(a1, a2, t3, U0)
        t4, cr = madd(a1, a3, t4, cr)
        t5, cr = madd(a1, a4, t5, cr)
        t6, t7 = madd(a1, a5, t6, cr)
        t5, cr = madd(a2, a3, t5, U0)
        t6, cr = madd(a2, a4, t6, cr)
        t7, t8 = madd(a2, a5, t7, cr)
        t7, cr = madd(a3, a4, t7, U0)
        t8, t9 = madd(a3, a5, t8, cr)
        t9, t10 = madd(a4, a5, t9, U0)
        S = np.uint64(63)
        t11 = t10 >> S
        t10 = (t10 << U1) | (t9 >> S)
        t9 = (t9 << U1) | (t8 >> S)
        t8 = (t8 << U1) | (t7 >> S)
        t7 = (t7 << U1) | (t6 >> S)
        t6 = (t6 << U1) | (t5 >> S)
        t5 = (t5 << U1) | (t4 >> S)
        t4 = (t4 << U1) | (t3 >> S)
        t3 = (t3 << U1) | (t2 >> S)
        t2 = (t2 << U1) | (t1 >> S)
        t1 = t1 << U1
        t0, hi = madd(a0, a0, U0, U0)
        t1, cr = addc(t1, hi, U0)
        lo, hi = madd(a1, a1, U0, U0)
        t2, cr = addc(t2, lo, cr)
        t3, cr = addc(t3, hi, cr)
        lo, hi = madd(a2, a2, U0, U0)
        t4, cr = addc(t4, lo, cr)
        t5, cr = addc(t5, hi, cr)
        lo, hi = madd(a3, a3, U0, U0)
        t6, cr = addc(t6, lo, cr)
        t7, cr = addc(t7, hi, cr)
        lo, hi = madd(a4, a4, U0, U0)
        t8, cr = addc(t8, lo, cr)
        t9, cr = addc(t9, hi, cr)
        lo, hi = madd(a5, a5, U0, U0)
        t10, cr = addc(t10, lo, cr)
        t11, _ = addc(t11, hi, cr)  # a^2 < 2^768: no carry out
        w, cr = redc_step((t0, t1, t2, t3, t4, t5), t6, U0)
        w, cr = redc_step(w, t7, cr)
        w, cr = redc_step(w, t8, cr)
        w, cr = redc_step(w, t9, cr)
        w, cr = redc_step(w, t10, cr)
        w, cr = redc_step(w, t11, cr)
        d, br = sub6(w, PL)  # a^2 < p^2, so (a^2 + m p) / R < 2p: one conditional subtraction
        return d if (cr != U0 or br == U0) else w

    fp_mul, fp_sq = fp_mul_cios, fp_sq_cios
    if cpu is not None and cpu.mul is not None:
        mont_mul = cpu.mul

        @jit
        def fp_mul(a, b):
            return mont_mul(a, b)

        @jit
        def fp_sq(a):
            return mont_mul(a, a)

    @jit
    def fp_add_limbs(a, b):
        s, _ = add6(a, b)  # < 2p < 2^384: no carry out
        d, br = sub6(s, PL)
        return s if br != U0 else d

    @jit
    def fp_sub_limbs(a, b):
        d, br = sub6(a, b)
        if br != U0:
            d, _ = add6(d, PL)
        return d

    fp_add, fp_sub = fp_add_limbs, fp_sub_limbs
    if cpu is not None:
        wide_add, wide_sub = cpu.add, cpu.sub

        @jit
        def fp_add(a, b):
            return wide_add(a, b)

        @jit
        def fp_sub(a, b):
            return wide_sub(a, b)

    @jit
    def fp_neg(a):
        return Z if fp_is_zero(a) else sub6(PL, a)[0]

    @jit
    def fp_pow(a, digits):
        """a^e for a fixed exponent e given as 4-bit digits, most significant first (window_digits): a table of
        a^0 .. a^15, then 4 squarings and at most one product per digit (about 380 squarings and 95 products
        for a 381-bit e, against 380 and about 230 bit by bit)."""
        a2 = fp_sq(a)
        a3 = fp_mul(a2, a)
        a4 = fp_mul(a3, a)
        a5 = fp_mul(a4, a)
        a6 = fp_mul(a5, a)
        a7 = fp_mul(a6, a)
        a8 = fp_mul(a7, a)
        a9 = fp_mul(a8, a)
        a10 = fp_mul(a9, a)
        a11 = fp_mul(a10, a)
        a12 = fp_mul(a11, a)
        a13 = fp_mul(a12, a)
        a14 = fp_mul(a13, a)
        a15 = fp_mul(a14, a)
        table = (ONE, a, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
        x = table[digits[0]]
        for k in range(1, len(digits)):
            x = fp_sq(fp_sq(fp_sq(fp_sq(x))))
            d = digits[k]
            if d != 0:
                x = fp_mul(x, table[d])
        return x

    @jit
    def fp_inv(a):
        return fp_pow(a, INV_D)

    @jit
    def fp_sqrt(a):
        """(True, a square root of a) if a is a square, else (False, junk)."""
        y = fp_pow(a, SQRT_D)
        return fp_eq(fp_sq(y), a), y

    @jit
    def fp_large(a):
        """The sign bit: a (Montgomery) > (p - 1) / 2 once out of Montgomery form."""
        return less(HALF, fp_mul(a, RAW_ONE))

    @jit
    def fp_to_mont(a):
        return fp_mul(a, R2)

    # ---- GF(p^2) = GF(p)[i] / (i^2 + 1), elements (re, im) --------------------------------------------------
    @jit
    def f2_mul(a, b):
        v0 = fp_mul(a[0], b[0])
        v1 = fp_mul(a[1], b[1])
        s = fp_mul(fp_add(a[0], a[1]), fp_add(b[0], b[1]))
        return fp_sub(v0, v1), fp_sub(fp_sub(s, v0), v1)

    @jit
    def f2_sq(a):
        m = fp_mul(a[0], a[1])
        return fp_mul(fp_add(a[0], a[1]), fp_sub(a[0], a[1])), fp_add(m, m)

    @jit
    def f2_add(a, b):
        return fp_add(a[0], b[0]), fp_add(a[1], b[1])

    @jit
    def f2_sub(a, b):
        return fp_sub(a[0], b[0]), fp_sub(a[1], b[1])

    @jit
    def f2_neg(a):
        return fp_neg(a[0]), fp_neg(a[1])

    @jit
    def f2_is_zero(a):
        return fp_is_zero(a[0]) and fp_is_zero(a[1])

    @jit
    def f2_eq(a, b):
        return fp_eq(a[0], b[0]) and fp_eq(a[1], b[1])

    @jit
    def f2_sqrt(a):
        """(True, a square root of a) if a is a square in GF(p^2), else (False, junk): the complex method."""
        a0, a1 = a
        if fp_is_zero(a1):
            ok, s = fp_sqrt(a0)
            if ok:
                return True, (s, Z)
            ok, s = fp_sqrt(fp_neg(a0))  # (s i)^2 = -s^2 = a0
            return ok, (Z, s)
        ok, s = fp_sqrt(fp_add(fp_sq(a0), fp_sq(a1)))  # the norm is a square iff a is
        if not ok:
            return False, a
        # t = (a0 + s) / 2 is not 0 (else a1 = 0), so y = t^((p+1)/4) has y^2 = t or -t; with w = a1 / 2y the
        # root is (y, w) when y^2 = t, else (w, y) (then (a0 - s) / 2 = w^2). No inverse: z = t^((p-3)/4) gives
        # y = z t and y z = t^((p-1)/2) = chi = +-1 (y^2 = chi t), so 1 / y = chi z and w = chi z a1 / 2
        t = fp_mul(fp_add(a0, s), INV2)
        z = fp_pow(t, SQRT_M3_D)
        y = fp_mul(z, t)
        w = fp_mul(fp_mul(a1, INV2), z)
        if fp_eq(fp_mul(y, z), ONE):
            x = (y, w)
        else:
            x = (fp_neg(w), y)
        return f2_eq(f2_sq(x), a), x

    @jit
    def f2_large(a):
        if fp_is_zero(a[1]):
            return fp_large(a[0])
        return fp_large(a[1])

    @jit
    def f2_to_mont(a):
        return fp_to_mont(a[0]), fp_to_mont(a[1])

    @jit
    def fp_load(row, off):
        return (row[off], row[off + 1], row[off + 2], row[off + 3], row[off + 4], row[off + 5])

    @jit
    def fp_store(row, off, a):
        for k in range(6):
            row[off + k] = a[k]

    @jit
    def f2_load(row, off):
        return fp_load(row, off), fp_load(row, off + 6)

    @jit
    def f2_store(row, off, a):
        fp_store(row, off, a[0])
        fp_store(row, off + 6, a[1])

    @jit
    def g1_endo(x, y):
        """phi(x, y) = (beta x, y)."""
        return fp_mul(x, BETA_M), y

    @jit
    def g2_endo(x, y):
        """psi(x, y) = (conj(x) CX, conj(y) CY)."""
        return f2_mul((x[0], fp_neg(x[1])), CX_M), f2_mul((y[0], fp_neg(y[1])), CY_M)

    fp = SimpleNamespace(mul=fp_mul, sq=fp_sq, add=fp_add, sub=fp_sub, neg=fp_neg, is_zero=fp_is_zero,
                         sqrt=fp_sqrt, large=fp_large, to_mont=fp_to_mont, load=fp_load,
                         store=fp_store, zero=Z, one=ONE, b=B1, width=6, endo=g1_endo, x_times=2)
    fp2 = SimpleNamespace(mul=f2_mul, sq=f2_sq, add=f2_add, sub=f2_sub, neg=f2_neg, is_zero=f2_is_zero,
                          sqrt=f2_sqrt, large=f2_large, to_mont=f2_to_mont, load=f2_load, store=f2_store,
                          zero=(Z, Z), one=(ONE, Z), b=B2, width=12, endo=g2_endo, x_times=1)

    @jit
    def below_p(row, off, width):
        """Every 6-limb component of row[off : off + width] (raw, not Montgomery) is < p."""
        for c in range(0, width, 6):
            if not less(fp_load(row, off + c), PL):
                return False
        return True

    return SimpleNamespace(g1=_group(jit, fp, below_p), g2=_group(jit, fp2, below_p), fp=fp, fp2=fp2,
                           fp_mul=fp_mul, fp_sq=fp_sq, fp_add=fp_add, fp_sub=fp_sub, fp_inv=fp_inv, fp_sqrt=fp_sqrt,
                           fp_neg=fp_neg, fp_is_zero=fp_is_zero, fp_eq=fp_eq, fp_pow=fp_pow, fp_large=fp_large,
                           fp_to_mont=fp_to_mont, f2_mul=f2_mul, f2_sq=f2_sq, f2_sqrt=f2_sqrt, f2_add=f2_add,
                           f2_sub=f2_sub, f2_neg=f2_neg, f2_is_zero=f2_is_zero, f2_eq=f2_eq, fp_load=fp_load,
                           fp_store=fp_store, f2_load=f2_load, f2_store=f2_store, less=less, sub6=sub6, add6=add6,
                           PL=PL, ONE=ONE, ZERO=Z, RAW_ONE=RAW_ONE)


def _group(jit, F, below_p) -> SimpleNamespace:
    """Point decompression, the subgroup check and Pippenger's pieces on y^2 = x^3 + b over the field F."""
    fmul, fsq, fadd, fsub, is_zero = F.mul, F.sq, F.add, F.sub, F.is_zero
    fload, fstore = F.load, F.store
    to_mont, fsqrt, large, neg = F.to_mont, F.sqrt, F.large, F.neg
    ZERO, ONE, BM, W = F.zero, F.one, F.b, F.width
    endo, X_TIMES = F.endo, F.x_times  # the subgroup check: endo(P) == [-x^2]P (G1) or [x]P (G2)
    FLAG = 2 * W  # the flag word of a decoded point
    JW = 3 * W  # words of a Jacobian point

    @jit
    def dbl(X, Y, Zc):
        """dbl-2009-l (a = 0); Z3 = 2 Y Z is 0 for the identity and for points of order 2."""
        a = fsq(X)
        b = fsq(Y)
        c = fsq(b)
        d = fsub(fsub(fsq(fadd(X, b)), a), c)
        d = fadd(d, d)
        e = fadd(fadd(a, a), a)
        X3 = fsub(fsq(e), fadd(d, d))
        c8 = fadd(c, c)
        c8 = fadd(c8, c8)
        c8 = fadd(c8, c8)
        Y3 = fsub(fmul(e, fsub(d, X3)), c8)
        yz = fmul(Y, Zc)
        return X3, Y3, fadd(yz, yz)

    @jit
    def add(X1, Y1, Z1, X2, Y2, Z2):
        """add-2007-bl, with the identity, P + P and P + (-P) handled."""
        if is_zero(Z1):
            return X2, Y2, Z2
        if is_zero(Z2):
            return X1, Y1, Z1
        z1z1 = fsq(Z1)
        z2z2 = fsq(Z2)
        u1 = fmul(X1, z2z2)
        u2 = fmul(X2, z1z1)
        s1 = fmul(fmul(Y1, Z2), z2z2)
        s2 = fmul(fmul(Y2, Z1), z1z1)
        h = fsub(u2, u1)
        rr = fsub(s2, s1)
        if is_zero(h):
            if is_zero(rr):
                return dbl(X1, Y1, Z1)
            return ZERO, ONE, ZERO
        h2 = fadd(h, h)
        i = fsq(h2)
        j = fmul(h, i)
        rr = fadd(rr, rr)
        v = fmul(u1, i)
        X3 = fsub(fsub(fsq(rr), j), fadd(v, v))
        s1j = fmul(s1, j)
        Y3 = fsub(fmul(rr, fsub(v, X3)), fadd(s1j, s1j))
        Z3 = fmul(fsub(fsub(fsq(fadd(Z1, Z2)), z1z1), z2z2), h)
        return X3, Y3, Z3

    @jit
    def add_affine(X1, Y1, Z1, x2, y2):
        """madd-2007-bl: P1 + (x2, y2) for a finite affine point, with the identity, doubling, P + (-P)."""
        if is_zero(Z1):
            return x2, y2, ONE
        z1z1 = fsq(Z1)
        u2 = fmul(x2, z1z1)
        s2 = fmul(fmul(y2, Z1), z1z1)
        h = fsub(u2, X1)
        rr = fsub(s2, Y1)
        if is_zero(h):
            if is_zero(rr):
                return dbl(X1, Y1, Z1)
            return ZERO, ONE, ZERO
        hh = fsq(h)
        i = fadd(hh, hh)
        i = fadd(i, i)
        j = fmul(h, i)
        rr = fadd(rr, rr)
        v = fmul(X1, i)
        X3 = fsub(fsub(fsq(rr), j), fadd(v, v))
        y1j = fmul(Y1, j)
        Y3 = fsub(fmul(rr, fsub(v, X3)), fadd(y1j, y1j))
        Z3 = fsub(fsub(fsq(fadd(Z1, h)), z1z1), hh)
        return X3, Y3, Z3

    @jit
    def times_abs_x(X, Y, Zc):
        """[|x|] P, double-and-add over the 64 bits of |x|."""
        AX, AY, AZ = X, Y, Zc
        for i in range(62, -1, -1):
            AX, AY, AZ = dbl(AX, AY, AZ)
            if (ABS_X >> np.uint64(i)) & U1:
                AX, AY, AZ = add(AX, AY, AZ, X, Y, Zc)
        return AX, AY, AZ

    @jit
    def in_subgroup(x, y):
        """Scott's test for a finite point on the curve: [|x|^k] P + endo(P) == O, i.e. endo(P) == [-x^2]P
        (G1, k = 2) or endo(P) == [x]P (G2, k = 1, x < 0)."""
        X, Y, Zc = times_abs_x(x, y, ONE)
        for _ in range(X_TIMES - 1):
            X, Y, Zc = times_abs_x(X, Y, Zc)
        ex, ey = endo(x, y)
        return is_zero(add_affine(X, Y, Zc, ex, ey)[2])

    @jit
    def decode_one(words, out):
        """words: raw x limbs (W) and the flags word; out: Montgomery x, y and the flag word (0 finite,
        1 identity, 2 invalid). True when the encoding is a valid point of the subgroup."""
        for k in range(FLAG + 1):
            out[k] = U0
        out[FLAG] = np.uint64(2)
        flags = words[W]
        sign = (flags & U1) != U0
        if ((flags >> np.uint64(2)) & U1) == U0:  # not the compressed form
            return False
        x = fload(words, 0)
        if ((flags >> U1) & U1) != U0:  # the identity: sign 0 and x = 0
            if sign or not is_zero(x):
                return False
            out[FLAG] = U1
            return True
        if not below_p(words, 0, W):
            return False
        xm = to_mont(x)
        ok, y = fsqrt(fadd(fmul(fsq(xm), xm), BM))
        if not ok:
            return False
        if large(y) != sign:
            y = neg(y)
        if not in_subgroup(xm, y):
            return False
        fstore(out, 0, xm)
        fstore(out, W, y)
        out[FLAG] = U0
        return True

    @jit
    def identity():
        return ZERO, ONE, ZERO

    @jit
    def load_jac(row, off):
        return fload(row, off), fload(row, off + W), fload(row, off + 2 * W)

    @jit
    def store_jac(row, off, X, Y, Zc):
        fstore(row, off, X)
        fstore(row, off + W, Y)
        fstore(row, off + 2 * W, Zc)

    @jit
    def add_into(row, other):
        """row += other, both Jacobian rows."""
        X, Y, Zc = load_jac(row, 0)
        PX, PY, PZ = load_jac(other, 0)
        X, Y, Zc = add(X, Y, Zc, PX, PY, PZ)
        store_jac(row, 0, X, Y, Zc)

    @jit
    def bucket_add(buckets, d, point):
        """buckets[|d| - 1] += the decoded (finite) point, negated when the digit d is negative."""
        b = abs(d) - 1
        y = fload(point, W)
        X, Y, Zc = load_jac(buckets[b], 0)
        X, Y, Zc = add_affine(X, Y, Zc, fload(point, 0), y if d > 0 else neg(y))
        store_jac(buckets[b], 0, X, Y, Zc)

    @jit
    def bucket_sum(buckets, out):
        """sum_j (j + 1) buckets[j] by running sums, into out (a Jacobian row)."""
        SX, SY, SZ = ZERO, ONE, ZERO
        TX, TY, TZ = ZERO, ONE, ZERO
        for j in range(buckets.shape[0] - 1, -1, -1):
            BX, BY, BZ = load_jac(buckets[j], 0)
            SX, SY, SZ = add(SX, SY, SZ, BX, BY, BZ)
            TX, TY, TZ = add(TX, TY, TZ, SX, SY, SZ)
        store_jac(out, 0, TX, TY, TZ)

    @jit
    def window_sum(points, digits, w, buckets, out):
        """One Pippenger window: each point goes to the bucket of its signed digit w (as -P for a negative
        digit), then the running sums."""
        for i in range(points.shape[0]):
            d = digits[i, w]
            if d != 0 and points[i, FLAG] == U0:
                bucket_add(buckets, d, points[i])
        bucket_sum(buckets, out)

    @jit
    def combine(windows, c, out):
        """sum_w 2^(c w) windows[w], from the top window down: c doublings between windows."""
        X, Y, Zc = load_jac(windows[windows.shape[0] - 1], 0)
        for w in range(windows.shape[0] - 2, -1, -1):
            for _ in range(c):
                X, Y, Zc = dbl(X, Y, Zc)
            WX, WY, WZ = load_jac(windows[w], 0)
            X, Y, Zc = add(X, Y, Zc, WX, WY, WZ)
        store_jac(out, 0, X, Y, Zc)

    @jit
    def chain(points, exponent, point, negative, start, end, out):
        """sum_k d_k 2^e_k P_i_k over the NAF terms k in [start, end) (sorted by descending exponent e_k): one
        doubling chain from the top term down, a mixed addition per term (-P for d_k = -1); points that are
        not finite are skipped (their scalars are zero, or they are the identity)."""
        X, Y, Zc = ZERO, ONE, ZERO
        top = exponent[start] if end > start else 0
        for k in range(start, end):
            for _ in range(top - exponent[k]):
                X, Y, Zc = dbl(X, Y, Zc)
            top = exponent[k]
            row = points[point[k]]
            if row[FLAG] == U0:
                y = fload(row, W)
                X, Y, Zc = add_affine(X, Y, Zc, fload(row, 0), neg(y) if negative[k] else y)
        for _ in range(top):
            X, Y, Zc = dbl(X, Y, Zc)
        store_jac(out, 0, X, Y, Zc)

    return SimpleNamespace(dbl=dbl, add=add, add_affine=add_affine, in_subgroup=in_subgroup, decode_one=decode_one,
                           bucket_add=bucket_add, bucket_sum=bucket_sum, window_sum=window_sum,
                           combine=combine, chain=chain, add_into=add_into, times_abs_x=times_abs_x, identity=identity, load=fload,
                           load_jac=load_jac, store_jac=store_jac, width=W, jacobian_words=JW)
