/* BLS12-381 group kernels: point decompression with on-curve and subgroup checks, and Pippenger's
 * multi-scalar multiplication, in G1 (over GF(p)) and G2 (over GF(p^2)). The C core shared by the OpenCL
 * (kernels/bls/msm.cl) and CUDA (kernels/bls/msm.cu) sources; the algorithm of kernels/bls/msm_numba_core.py,
 * step for step:
 *
 * - GF(p): six 64-bit limbs (least significant first), Montgomery form with R = 2^384, the word-by-word (CIOS)
 *   product (Koc, Acar, Kaliski, IEEE Micro 1996), 64 x 64 -> 128-bit products through mul_hi (OpenCL) or
 *   __umul64hi (CUDA); square roots a^((p+1)/4) (p = 3 mod 4), inverses a^(p-2);
 * - GF(p^2) = GF(p)[i]/(i^2 + 1): Karatsuba products; square roots by the complex method (Adj and
 *   Rodriguez-Henriquez, IEEE Trans. Computers 2014): one square root of the norm, one exponentiation, one
 *   inverse;
 * - Jacobian points on y^2 = x^3 + b: dbl-2009-l, add-2007-bl, madd-2007-bl (Explicit-Formulas Database),
 *   written once in bls12_381_group.h and included for each group;
 * - decompression per the ZCash encoding; the subgroup checks of Scott (eprint 2021/1130, as blst does them):
 *   G1: phi(P) == [-x^2]P with phi(x, y) = (beta x, y); G2: psi(P) == [x]P, x = -0xd201000000010000;
 * - msm over signed c-bit digits (kernels/bls/msm.py: signed_digits, on the host; 2^(c-1) buckets per window,
 *   a point entering as P or -P): one work-item per (window, bucket) fills its bucket from every point whose
 *   digit selects it, one work-item per window sums its buckets by running sums, one combines the windows.
 *
 * Layouts (kernels/bls/msm.py): raw input per point: x limbs (G2: x_re then x_im) and a flags word (bit 2
 * compressed, bit 1 infinity, bit 0 sign); a decoded point: Montgomery x, y and a flag word (0 finite,
 * 1 identity, 2 invalid); a Jacobian point: X, Y, Z; digits: i32 [point][window].
 */
#ifndef KERNELS_BLS12_381_H
#define KERNELS_BLS12_381_H

#include "portable.h"

#ifdef __OPENCL_VERSION__
#define BLS_MULHI(a, b) mul_hi((ulong)(a), (ulong)(b))
#define BLS_CALLED_FN static
#else
#define BLS_MULHI(a, b) __umul64hi((a), (b))
/* the large functions stay calls on CUDA: inlining every point operation into the decode and msm kernels
 * (field products included) makes ptxas run for many minutes */
#define BLS_CALLED_FN static __device__ __noinline__
#endif

typedef struct { u64 v[6]; } fp;
typedef struct { fp c0, c1; } fp2;  /* c0 + c1 i */

/* constants derived from p (draft-irtf-cfrg-pairing-friendly-curves-11, section 4.2.1); msm_numba_core.py
 * computes the same values from kernels/bls/msm.py's P, and the tests compare the two implementations */
#define BLS_PINV 0x89f3fffcfffcfffdUL /* -p^-1 mod 2^64 */
#define BLS_SQRT_BITS 379             /* bits of (p + 1) / 4 */
#define BLS_INV_BITS 381              /* bits of p - 2 */
#define BLS_ABS_X 0xd201000000010000UL /* |x|, the curve parameter x being negative */

DEVICE_FN fp fp_make(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    fp r;
    r.v[0] = a0; r.v[1] = a1; r.v[2] = a2; r.v[3] = a3; r.v[4] = a4; r.v[5] = a5;
    return r;
}
DEVICE_FN fp fp_modulus(void) { return fp_make(0xb9feffffffffaaabUL, 0x1eabfffeb153ffffUL, 0x6730d2a0f6b0f624UL, 0x64774b84f38512bfUL, 0x4b1ba7b6434bacd7UL, 0x1a0111ea397fe69aUL); }
DEVICE_FN fp fp_one(void) { return fp_make(0x760900000002fffdUL, 0xebf4000bc40c0002UL, 0x5f48985753c758baUL, 0x77ce585370525745UL, 0x5c071a97a256ec6dUL, 0x15f65ec3fa80e493UL); }  /* R mod p */
DEVICE_FN fp fp_r2(void) { return fp_make(0xf4df1f341c341746UL, 0x0a76e6a609d104f1UL, 0x8de5476c4c95b6d5UL, 0x67eb88a9939d83c0UL, 0x9a793e85b519952dUL, 0x11988fe592cae3aaUL); }  /* R^2 mod p */
DEVICE_FN fp fp_half(void) { return fp_make(0xdcff7fffffffd555UL, 0x0f55ffff58a9ffffUL, 0xb39869507b587b12UL, 0xb23ba5c279c2895fUL, 0x258dd3db21a5d66bUL, 0x0d0088f51cbff34dUL); }  /* (p - 1) / 2 */
DEVICE_FN fp fp_sqrt_exp(void) { return fp_make(0xee7fbfffffffeaabUL, 0x07aaffffac54ffffUL, 0xd9cc34a83dac3d89UL, 0xd91dd2e13ce144afUL, 0x92c6e9ed90d2eb35UL, 0x0680447a8e5ff9a6UL); }  /* (p + 1) / 4 */
DEVICE_FN fp fp_inv_exp(void) { return fp_make(0xb9feffffffffaaa9UL, 0x1eabfffeb153ffffUL, 0x6730d2a0f6b0f624UL, 0x64774b84f38512bfUL, 0x4b1ba7b6434bacd7UL, 0x1a0111ea397fe69aUL); }  /* p - 2 */
DEVICE_FN fp fp_inv2(void) { return fp_make(0x1804000000015554UL, 0x855000053ab00001UL, 0x633cb57c253c276fUL, 0x6e22d1ec31ebb502UL, 0xd3916126f2d14ca2UL, 0x17fbb8571a006596UL); }  /* 1/2, Montgomery */
DEVICE_FN fp fp_four(void) { return fp_make(0xaa270000000cfff3UL, 0x53cc0032fc34000aUL, 0x478fe97a6b0a807fUL, 0xb1d37ebee6ba24d7UL, 0x8ec9733bbf78ab2fUL, 0x09d645513d83de7eUL); }  /* 4, Montgomery */
DEVICE_FN fp fp_zero(void) { return fp_make(0, 0, 0, 0, 0, 0); }
DEVICE_FN fp fp_raw_one(void) { return fp_make(1, 0, 0, 0, 0, 0); }
/* the endomorphisms of the subgroup checks, Montgomery form (kernels/bls/msm_numba_core.py: BETA, CX, CY) */
DEVICE_FN fp fp_beta(void) { return fp_make(0x30f1361b798a64e8UL, 0xf3b8ddab7ece5a2aUL, 0x16a8ca3ac61577f7UL, 0xc26a2ff874fd029bUL, 0x3636b76660701c6eUL, 0x051ba4ab241b6160UL); }
DEVICE_FN fp fp_cx1(void) { return fp_make(0x890dc9e4867545c3UL, 0x2af322533285a5d5UL, 0x50880866309b7e2cUL, 0xa20d1b8c7e881024UL, 0x14e4f04fe2db9068UL, 0x14e56d3f1564853aUL); }
DEVICE_FN fp fp_cy0(void) { return fp_make(0x3e2f585da55c9ad1UL, 0x4294213d86c18183UL, 0x382844c88b623732UL, 0x92ad2afd19103e18UL, 0x1d794e4fac7cf0b9UL, 0x0bd592fc7d825ec8UL); }
DEVICE_FN fp fp_cy1(void) { return fp_make(0x7bcfa7a25aa30fdaUL, 0xdc17dec12a927e7cUL, 0x2f088dd86b4ebef1UL, 0xd1ca2087da74d4a7UL, 0x2da2596696cebc1dUL, 0x0e2b7eedbbfd87d2UL); }

/* a * b + c + d, low word returned, high word in *hi (never above 2^128 - 1) */
DEVICE_FN u64 bls_mac(u64 a, u64 b, u64 c, u64 d, u64 *hi) {
    u64 lo = a * b;
    u64 h = BLS_MULHI(a, b);
    u64 t = lo + c;
    h += (t < lo);
    u64 t2 = t + d;
    h += (t2 < t);
    *hi = h;
    return t2;
}

DEVICE_FN u64 bls_addc(u64 a, u64 b, u64 carry_in, u64 *carry) {
    u64 s = a + b;
    u64 c1 = s < a;
    u64 t = s + carry_in;
    *carry = c1 | (t < s);
    return t;
}

DEVICE_FN u64 bls_subb(u64 a, u64 b, u64 borrow_in, u64 *borrow) {
    u64 d = a - b;
    u64 b1 = a < b;
    u64 t = d - borrow_in;
    *borrow = b1 | (d < borrow_in);
    return t;
}

DEVICE_FN fp fp_sub6(fp a, fp b, u64 *borrow) {
    fp d;
    u64 br = 0;
    for (int i = 0; i < 6; i++) d.v[i] = bls_subb(a.v[i], b.v[i], br, &br);
    *borrow = br;
    return d;
}

DEVICE_FN fp fp_add6(fp a, fp b) {
    fp s;
    u64 cr = 0;
    for (int i = 0; i < 6; i++) s.v[i] = bls_addc(a.v[i], b.v[i], cr, &cr);
    return s;
}

DEVICE_FN int fp_is_zero(fp a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3] | a.v[4] | a.v[5]) == 0; }

DEVICE_FN int fp_less(fp a, fp b) {
    u64 br;
    fp_sub6(a, b, &br);
    return br != 0;
}

DEVICE_FN int fp_eq(fp a, fp b) {
    u64 acc = 0;
    for (int i = 0; i < 6; i++) acc |= a.v[i] ^ b.v[i];
    return acc == 0;
}

/* ---- GF(p) ------------------------------------------------------------------------------------------------ */
BLS_CALLED_FN fp fp_mul(fp a, fp b) {  /* a b R^-1 mod p, CIOS */
    fp m = fp_modulus();
    u64 t[8];
    for (int i = 0; i < 8; i++) t[i] = 0;
    for (int i = 0; i < 6; i++) {
        u64 cr = 0, c2;
        for (int j = 0; j < 6; j++) t[j] = bls_mac(a.v[j], b.v[i], t[j], cr, &cr);
        t[6] = bls_addc(t[6], cr, 0, &t[7]);
        u64 q = t[0] * BLS_PINV;
        bls_mac(q, m.v[0], t[0], 0, &cr);
        for (int j = 1; j < 6; j++) t[j - 1] = bls_mac(q, m.v[j], t[j], cr, &cr);
        t[5] = bls_addc(t[6], cr, 0, &c2);
        t[6] = t[7] + c2;
    }
    fp r = fp_make(t[0], t[1], t[2], t[3], t[4], t[5]);
    u64 br;
    fp d = fp_sub6(r, m, &br);
    return (t[6] != 0 || br == 0) ? d : r;
}

DEVICE_FN fp fp_sq(fp a) { return fp_mul(a, a); }

DEVICE_FN fp fp_add(fp a, fp b) {
    fp s = fp_add6(a, b);  /* < 2p < 2^384: no carry out */
    u64 br;
    fp d = fp_sub6(s, fp_modulus(), &br);
    return br ? s : d;
}

DEVICE_FN fp fp_sub(fp a, fp b) {
    u64 br;
    fp d = fp_sub6(a, b, &br);
    return br ? fp_add6(d, fp_modulus()) : d;
}

DEVICE_FN fp fp_neg(fp a) {
    u64 br;
    return fp_is_zero(a) ? a : fp_sub6(fp_modulus(), a, &br);
}

BLS_CALLED_FN fp fp_pow(fp a, fp e, int nbits) {  /* square and multiply from the top bit */
    fp x = fp_one();
    for (int i = nbits - 1; i >= 0; i--) {
        x = fp_sq(x);
        if ((e.v[i / 64] >> (i % 64)) & 1) x = fp_mul(x, a);
    }
    return x;
}

DEVICE_FN fp fp_inv(fp a) { return fp_pow(a, fp_inv_exp(), BLS_INV_BITS); }

BLS_CALLED_FN int fp_sqrt(fp a, fp *root) {
    fp y = fp_pow(a, fp_sqrt_exp(), BLS_SQRT_BITS);
    *root = y;
    return fp_eq(fp_sq(y), a);
}

DEVICE_FN int fp_large(fp a) { return fp_less(fp_half(), fp_mul(a, fp_raw_one())); }  /* the sign bit */
DEVICE_FN fp fp_to_mont(fp a) { return fp_mul(a, fp_r2()); }

DEVICE_FN fp fp_load(GLOBAL const u64 *p) { return fp_make(p[0], p[1], p[2], p[3], p[4], p[5]); }
DEVICE_FN void fp_store(GLOBAL u64 *p, fp a) { for (int i = 0; i < 6; i++) p[i] = a.v[i]; }
DEVICE_FN int fp_below_p(fp a) { return fp_less(a, fp_modulus()); }

/* ---- GF(p^2) ---------------------------------------------------------------------------------------------- */
DEVICE_FN fp2 fp2_make(fp c0, fp c1) { fp2 r; r.c0 = c0; r.c1 = c1; return r; }
DEVICE_FN fp2 fp2_zero(void) { return fp2_make(fp_zero(), fp_zero()); }
DEVICE_FN fp2 fp2_one(void) { return fp2_make(fp_one(), fp_zero()); }
DEVICE_FN fp2 fp2_add(fp2 a, fp2 b) { return fp2_make(fp_add(a.c0, b.c0), fp_add(a.c1, b.c1)); }
DEVICE_FN fp2 fp2_sub(fp2 a, fp2 b) { return fp2_make(fp_sub(a.c0, b.c0), fp_sub(a.c1, b.c1)); }
DEVICE_FN fp2 fp2_neg(fp2 a) { return fp2_make(fp_neg(a.c0), fp_neg(a.c1)); }
DEVICE_FN int fp2_is_zero(fp2 a) { return fp_is_zero(a.c0) && fp_is_zero(a.c1); }
DEVICE_FN int fp2_eq(fp2 a, fp2 b) { return fp_eq(a.c0, b.c0) && fp_eq(a.c1, b.c1); }

BLS_CALLED_FN fp2 fp2_mul(fp2 a, fp2 b) {  /* Karatsuba */
    fp v0 = fp_mul(a.c0, b.c0), v1 = fp_mul(a.c1, b.c1);
    fp s = fp_mul(fp_add(a.c0, a.c1), fp_add(b.c0, b.c1));
    return fp2_make(fp_sub(v0, v1), fp_sub(fp_sub(s, v0), v1));
}

BLS_CALLED_FN fp2 fp2_sq(fp2 a) {
    fp m = fp_mul(a.c0, a.c1);
    return fp2_make(fp_mul(fp_add(a.c0, a.c1), fp_sub(a.c0, a.c1)), fp_add(m, m));
}

BLS_CALLED_FN int fp2_sqrt(fp2 a, fp2 *root) {  /* the complex method */
    fp s;
    if (fp_is_zero(a.c1)) {
        if (fp_sqrt(a.c0, &s)) { *root = fp2_make(s, fp_zero()); return 1; }
        int ok = fp_sqrt(fp_neg(a.c0), &s);  /* (s i)^2 = -s^2 = a0 */
        *root = fp2_make(fp_zero(), s);
        return ok;
    }
    if (!fp_sqrt(fp_add(fp_sq(a.c0), fp_sq(a.c1)), &s)) return 0;  /* the norm is a square iff a is */
    /* t = (a0 + s) / 2 != 0, y = t^((p+1)/4): y^2 = +-t; the root is (y, a1 / 2y) or (a1 / 2y, y) */
    fp t = fp_mul(fp_add(a.c0, s), fp_inv2());
    fp y = fp_pow(t, fp_sqrt_exp(), BLS_SQRT_BITS);
    fp w = fp_mul(a.c1, fp_inv(fp_add(y, y)));
    fp2 x = fp_eq(fp_sq(y), t) ? fp2_make(y, w) : fp2_make(w, y);
    *root = x;
    return fp2_eq(fp2_sq(x), a);
}

DEVICE_FN int fp2_large(fp2 a) { return fp_is_zero(a.c1) ? fp_large(a.c0) : fp_large(a.c1); }
DEVICE_FN fp2 fp2_to_mont(fp2 a) { return fp2_make(fp_to_mont(a.c0), fp_to_mont(a.c1)); }
DEVICE_FN fp2 fp2_load(GLOBAL const u64 *p) { return fp2_make(fp_load(p), fp_load(p + 6)); }
DEVICE_FN void fp2_store(GLOBAL u64 *p, fp2 a) { fp_store(p, a.c0); fp_store(p + 6, a.c1); }
DEVICE_FN int fp2_below_p(fp2 a) { return fp_below_p(a.c0) && fp_below_p(a.c1); }

/* phi(x, y) = (beta x, y) on G1; psi(x, y) = (conj(x) cx, conj(y) cy) on G2 */
DEVICE_FN void g1_endo(fp x, fp y, fp *ex, fp *ey) { *ex = fp_mul(x, fp_beta()); *ey = y; }
DEVICE_FN void g2_endo(fp2 x, fp2 y, fp2 *ex, fp2 *ey) {
    *ex = fp2_mul(fp2_make(x.c0, fp_neg(x.c1)), fp2_make(fp_zero(), fp_cx1()));
    *ey = fp2_mul(fp2_make(y.c0, fp_neg(y.c1)), fp2_make(fp_cy0(), fp_cy1()));
}

/* ---- the two groups: one template (bls12_381_group.h) ------------------------------------------------------- */
#define FE fp
#define FE_(name) fp_##name
#define GRP_(name) g1_##name
#define FE_WORDS 6
#define FE_B() fp_four()
#define GRP_X_TIMES 2 /* G1: phi(P) == [-x^2]P */
#include "bls12_381_group.h"
#undef FE
#undef FE_
#undef GRP_
#undef FE_WORDS
#undef FE_B
#undef GRP_X_TIMES

#define FE fp2
#define FE_(name) fp2_##name
#define GRP_(name) g2_##name
#define FE_WORDS 12
#define FE_B() fp2_make(fp_four(), fp_four())
#define GRP_X_TIMES 1 /* G2: psi(P) == [x]P */
#include "bls12_381_group.h"
#undef FE
#undef FE_
#undef GRP_
#undef FE_WORDS
#undef FE_B
#undef GRP_X_TIMES

#endif
