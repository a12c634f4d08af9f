/* Ed25519 verification with libsodium's acceptance rules (crypto_sign_verify_detached, kernel ed25519_verify)
 * or ZIP 215's (the IC replica's, kernel ed25519_verify_zip215), one work-item per signature, and batch
 * verification under ZIP 215 (decompression and multi-scalar multiplication kernels, at the end). The shared
 * C core of the OpenCL and CUDA kernels (kernels/signatures/ed25519.{cl,cu}).
 *
 * Field elements, two layouts behind one interface (fe_mul, fe_sq, fe_add, fe_sub, fe_frombytes, ...):
 * - default (GPUs): ten signed 32-bit limbs in radix 2^25.5 (26, 25, 26, ... bits), products in 64 bits, as in
 *   SUPERCOP ref10 (Bernstein, Duif, Lange, Schwabe, Yang, "High-speed high-security signatures", 2011);
 * - ED25519_FE51 (CPU devices, ed25519_fe51.cl): five 51-bit limbs in 64-bit words, 128-bit products,
 *   libsodium's fe_51 layout: a quarter of the multiplications where a 64 x 64 -> 128-bit multiply is cheap.
 * Group: ref10's extended coordinates and formulas; R' = [h](-A) + [S]B by a signed sliding window
 * (width 5, digits odd in -15..15) with the base-point table of kernels/common/ed25519_table.h.
 * h = SHA-512(R || A || M) mod L comes from the host (a separate, timed phase), so inputs are fixed-size.
 */
#ifndef KERNELS_ED25519_H
#define KERNELS_ED25519_H
#include "portable.h"
#include "ed25519_table.h"

/* ---- field arithmetic mod p = 2^255 - 19 ---- */
#ifdef ED25519_FE51
/* Radix 2^51 (five 64-bit limbs, 128-bit products through mul_hi): libsodium's fe_51 layout, for CPU
 * devices where a 64 x 64 -> 128-bit multiply is one instruction. Selected with -D ED25519_FE51. */
typedef struct { u64 v[5]; } fe;
#if defined(__SIZEOF_INT128__) && !defined(__CUDA_ARCH__) && !defined(ED25519_NO_INT128)
/* The compiler has 128-bit integers (PoCL's CPU compiler does): one mulq per product. */
typedef unsigned __int128 u128;
#define U128_ZERO 0
DEVICE_FN void u128_mac(u128 *r, u64 a, u64 b) { *r += (u128)a * b; }
DEVICE_FN void u128_add64(u128 *r, u64 a) { *r += a; }
DEVICE_FN u64 u128_lo(const u128 *r) { return (u64)*r; }
DEVICE_FN u64 u128_shr51(const u128 *r) { return (u64)(*r >> 51); }
#else
/* Two 64-bit halves; the high half of each product from mul_hi (OpenCL) or __umul64hi (CUDA). */
typedef struct { u64 lo, hi; } u128;
#define U128_ZERO {0, 0}
#ifdef __OPENCL_VERSION__
#define ED_MULHI(a, b) mul_hi((ulong)(a), (ulong)(b))
#else
#define ED_MULHI(a, b) __umul64hi((a), (b))
#endif
DEVICE_FN void u128_mac(u128 *r, u64 a, u64 b) {
    u64 lo = a * b;
    u64 hi = ED_MULHI(a, b);
    r->lo += lo;
    r->hi += hi + (r->lo < lo);
}
DEVICE_FN void u128_add64(u128 *r, u64 a) {
    r->lo += a;
    r->hi += (r->lo < a);
}
DEVICE_FN u64 u128_lo(const u128 *r) { return r->lo; }
DEVICE_FN u64 u128_shr51(const u128 *r) { return (r->lo >> 51) | (r->hi << 13); }
#endif
#define ED51_MASK (((u64)1 << 51) - 1)

DEVICE_FN void fe_0(fe *h) { for (int i = 0; i < 5; i++) h->v[i] = 0; }
DEVICE_FN void fe_1(fe *h) { fe_0(h); h->v[0] = 1; }
DEVICE_FN void fe_copy(fe *h, const fe *f) { for (int i = 0; i < 5; i++) h->v[i] = f->v[i]; }
DEVICE_FN void fe_add(fe *h, const fe *f, const fe *g) { for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i]; }

/* h = f - g as f + 2p - g, g carried first so every limb stays non-negative (libsodium fe51 sub). */
DEVICE_FN void fe_sub(fe *h, const fe *f, const fe *g) {
    u64 g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    g1 += g0 >> 51; g0 &= ED51_MASK;
    g2 += g1 >> 51; g1 &= ED51_MASK;
    g3 += g2 >> 51; g2 &= ED51_MASK;
    g4 += g3 >> 51; g3 &= ED51_MASK;
    g0 += 19 * (g4 >> 51); g4 &= ED51_MASK;
    h->v[0] = (f->v[0] + 0xfffffffffffdaUL) - g0;
    h->v[1] = (f->v[1] + 0xffffffffffffeUL) - g1;
    h->v[2] = (f->v[2] + 0xffffffffffffeUL) - g2;
    h->v[3] = (f->v[3] + 0xffffffffffffeUL) - g3;
    h->v[4] = (f->v[4] + 0xffffffffffffeUL) - g4;
}

DEVICE_FN void fe_neg(fe *h, const fe *f) {
    fe zero;
    fe_0(&zero);
    fe_sub(h, &zero, f);
}

/* Carry five 128-bit column sums into limbs below 2^51 (h1 slightly above), 2^255 folded as 19. */
DEVICE_FN void fe_carry_wide(fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4) {
    u64 h0 = u128_lo(&r0) & ED51_MASK;
    u128_add64(&r1, u128_shr51(&r0));
    u64 h1 = u128_lo(&r1) & ED51_MASK;
    u128_add64(&r2, u128_shr51(&r1));
    u64 h2 = u128_lo(&r2) & ED51_MASK;
    u128_add64(&r3, u128_shr51(&r2));
    u64 h3 = u128_lo(&r3) & ED51_MASK;
    u128_add64(&r4, u128_shr51(&r3));
    u64 h4 = u128_lo(&r4) & ED51_MASK;
    u128 t = U128_ZERO;
    u128_mac(&t, u128_shr51(&r4), 19);  /* 19 x carry can pass 2^64 */
    u128_add64(&t, h0);
    h->v[0] = u128_lo(&t) & ED51_MASK;
    h->v[1] = h1 + u128_shr51(&t);
    h->v[2] = h2;
    h->v[3] = h3;
    h->v[4] = h4;
}

/* h = f * g: 25 128-bit products, x 2^255 folded as 19 into g (inputs up to about 2^54 per limb). */
DEVICE_FN void fe_mul(fe *h, const fe *f, const fe *g) {
    u64 f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    u64 g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    u64 g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 r0 = U128_ZERO, r1 = U128_ZERO, r2 = U128_ZERO, r3 = U128_ZERO, r4 = U128_ZERO;
    u128_mac(&r0, f0, g0); u128_mac(&r0, f1, g4_19); u128_mac(&r0, f2, g3_19); u128_mac(&r0, f3, g2_19); u128_mac(&r0, f4, g1_19);
    u128_mac(&r1, f0, g1); u128_mac(&r1, f1, g0); u128_mac(&r1, f2, g4_19); u128_mac(&r1, f3, g3_19); u128_mac(&r1, f4, g2_19);
    u128_mac(&r2, f0, g2); u128_mac(&r2, f1, g1); u128_mac(&r2, f2, g0); u128_mac(&r2, f3, g4_19); u128_mac(&r2, f4, g3_19);
    u128_mac(&r3, f0, g3); u128_mac(&r3, f1, g2); u128_mac(&r3, f2, g1); u128_mac(&r3, f3, g0); u128_mac(&r3, f4, g4_19);
    u128_mac(&r4, f0, g4); u128_mac(&r4, f1, g3); u128_mac(&r4, f2, g2); u128_mac(&r4, f3, g1); u128_mac(&r4, f4, g0);
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^2: 15 products, cross terms doubled. */
DEVICE_FN void fe_sq(fe *h, const fe *f) {
    u64 f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    u64 f0_2 = 2 * f0, f1_2 = 2 * f1, f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3, f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 r0 = U128_ZERO, r1 = U128_ZERO, r2 = U128_ZERO, r3 = U128_ZERO, r4 = U128_ZERO;
    u128_mac(&r0, f0, f0); u128_mac(&r0, f1_38, f4); u128_mac(&r0, f2_38, f3);
    u128_mac(&r1, f0_2, f1); u128_mac(&r1, f2_38, f4); u128_mac(&r1, f3_19, f3);
    u128_mac(&r2, f0_2, f2); u128_mac(&r2, f1, f1); u128_mac(&r2, f3_38, f4);
    u128_mac(&r3, f0_2, f3); u128_mac(&r3, f1_2, f2); u128_mac(&r3, f4_19, f4);
    u128_mac(&r4, f0_2, f4); u128_mac(&r4, f1_2, f3); u128_mac(&r4, f2, f2);
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

DEVICE_FN void fe_d(fe *h) { for (int i = 0; i < 5; i++) h->v[i] = ED51_D[i]; }
DEVICE_FN void fe_d2(fe *h) { for (int i = 0; i < 5; i++) h->v[i] = ED51_D2[i]; }
DEVICE_FN void fe_sqrtm1(fe *h) { for (int i = 0; i < 5; i++) h->v[i] = ED51_SQRTM1[i]; }
DEVICE_FN void fe_base(fe *h, int index, int component) {
    for (int i = 0; i < 5; i++) h->v[i] = ED51_BASE[index][component][i];
}

/* Load the low 255 bits of a little-endian encoding (the sign bit is ignored). */
DEVICE_FN void fe_frombytes(fe *h, const u8 *s) {
    u64 w[4];
    for (int k = 0; k < 4; k++) {
        w[k] = 0;
        for (int b = 0; b < 8; b++) w[k] |= (u64)s[8 * k + b] << (8 * b);
    }
    h->v[0] = w[0] & ED51_MASK;
    h->v[1] = ((w[0] >> 51) | (w[1] << 13)) & ED51_MASK;
    h->v[2] = ((w[1] >> 38) | (w[2] << 26)) & ED51_MASK;
    h->v[3] = ((w[2] >> 25) | (w[3] << 39)) & ED51_MASK;
    h->v[4] = (w[3] >> 12) & ED51_MASK;
}

/* Fully reduced little-endian encoding of h. */
DEVICE_FN void fe_tobytes(u8 *s, const fe *f) {
    u64 t[5];
    for (int i = 0; i < 5; i++) t[i] = f->v[i];
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < 4; i++) {
            t[i + 1] += t[i] >> 51;
            t[i] &= ED51_MASK;
        }
        t[0] += 19 * (t[4] >> 51);
        t[4] &= ED51_MASK;
    }
    u64 q = (t[0] + 19) >> 51;
    for (int i = 1; i < 5; i++) q = (t[i] + q) >> 51;
    t[0] += 19 * q;
    for (int i = 0; i < 4; i++) {
        t[i + 1] += t[i] >> 51;
        t[i] &= ED51_MASK;
    }
    t[4] &= ED51_MASK;
    u64 w[4];
    w[0] = t[0] | (t[1] << 51);
    w[1] = (t[1] >> 13) | (t[2] << 38);
    w[2] = (t[2] >> 26) | (t[3] << 25);
    w[3] = (t[3] >> 39) | (t[4] << 12);
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 8; b++) s[8 * k + b] = (u8)(w[k] >> (8 * b));
}

#else /* radix 2^25.5 */
typedef struct { i32 v[10]; } fe;


DEVICE_FN void fe_0(fe *h) { for (int i = 0; i < 10; i++) h->v[i] = 0; }
DEVICE_FN void fe_1(fe *h) { fe_0(h); h->v[0] = 1; }
DEVICE_FN void fe_copy(fe *h, const fe *f) { for (int i = 0; i < 10; i++) h->v[i] = f->v[i]; }
DEVICE_FN void fe_add(fe *h, const fe *f, const fe *g) { for (int i = 0; i < 10; i++) h->v[i] = f->v[i] + g->v[i]; }
DEVICE_FN void fe_sub(fe *h, const fe *f, const fe *g) { for (int i = 0; i < 10; i++) h->v[i] = f->v[i] - g->v[i]; }
DEVICE_FN void fe_neg(fe *h, const fe *f) { for (int i = 0; i < 10; i++) h->v[i] = -f->v[i]; }

DEVICE_FN void fe_d(fe *h) { for (int i = 0; i < 10; i++) h->v[i] = ED_D[i]; }
DEVICE_FN void fe_d2(fe *h) { for (int i = 0; i < 10; i++) h->v[i] = ED_D2[i]; }
DEVICE_FN void fe_sqrtm1(fe *h) { for (int i = 0; i < 10; i++) h->v[i] = ED_SQRTM1[i]; }

/* Rounded carries: limbs end in [-2^25, 2^25] (26-bit) and [-2^24, 2^24] (25-bit), wrapping 2^255 = 19.
 * Two interleaved chains (0..4 and 4..9, then 9 -> 0 -> 1) as in ref10, for instruction-level parallelism. */
#define ED_CARRY(t, i, bits) { i64 c_ = (t[i] + ((i64)1 << ((bits) - 1))) >> (bits); t[(i) + 1] += c_; t[i] -= c_ * ((i64)1 << (bits)); }
DEVICE_FN void fe_reduce_wide(fe *h, i64 *t) {
    ED_CARRY(t, 0, 26); ED_CARRY(t, 4, 26);
    ED_CARRY(t, 1, 25); ED_CARRY(t, 5, 25);
    ED_CARRY(t, 2, 26); ED_CARRY(t, 6, 26);
    ED_CARRY(t, 3, 25); ED_CARRY(t, 7, 25);
    ED_CARRY(t, 4, 26); ED_CARRY(t, 8, 26);
    {
        i64 c = (t[9] + ((i64)1 << 24)) >> 25;
        t[9] -= c * ((i64)1 << 25);
        t[0] += c * 19;
    }
    ED_CARRY(t, 0, 26);
#pragma unroll
    for (int i = 0; i < 10; i++) h->v[i] = (i32)t[i];
}

/* h = f * g: schoolbook in 64-bit, odd x odd limb products doubled (radix 2^25.5), x 2^255 folded as 19. */
DEVICE_FN void fe_mul(fe *h, const fe *f, const fe *g) {
    i64 t[19];
#pragma unroll
    for (int k = 0; k < 19; k++) t[k] = 0;
#pragma unroll
    for (int i = 0; i < 10; i++) {
        i64 fi = f->v[i];
        i64 fi2 = (i & 1) ? 2 * fi : fi;
    #pragma unroll
        for (int j = 0; j < 10; j++) {
            t[i + j] += ((j & 1) ? fi2 : fi) * (i64)g->v[j];
        }
    }
#pragma unroll
    for (int k = 0; k < 9; k++) t[k] += 19 * t[k + 10];
    fe_reduce_wide(h, t);
}

DEVICE_FN void fe_sq(fe *h, const fe *f) {
    i64 t[19];
#pragma unroll
    for (int k = 0; k < 19; k++) t[k] = 0;
#pragma unroll
    for (int i = 0; i < 10; i++) {
        i64 fi = f->v[i];
        i64 fi2 = (i & 1) ? 2 * fi : fi;
        t[2 * i] += ((i & 1) ? fi2 : fi) * fi;
    #pragma unroll
        for (int j = i + 1; j < 10; j++) {
            t[i + j] += 2 * ((j & 1) ? fi2 : fi) * (i64)f->v[j];
        }
    }
#pragma unroll
    for (int k = 0; k < 9; k++) t[k] += 19 * t[k + 10];
    fe_reduce_wide(h, t);
}

/* Load the low 255 bits of a little-endian encoding (the sign bit is ignored). */
DEVICE_FN void fe_frombytes(fe *h, const u8 *s) {
    int shift = 0;
#pragma unroll
    for (int i = 0; i < 10; i++) {
        int bits = (i & 1) ? 25 : 26;
        u64 word = 0;
        int byte = shift >> 3;
        for (int k = 0; k < 5 && byte + k < 32; k++) word |= (u64)s[byte + k] << (8 * k);
        h->v[i] = (i32)((word >> (shift & 7)) & (((u64)1 << bits) - 1));
        shift += bits;
    }
    h->v[9] &= (1 << 25) - 1;  /* bit 255 is the sign of x */
}

/* Fully reduced little-endian encoding of h. */
DEVICE_FN void fe_tobytes(u8 *s, const fe *f) {
    i64 t[10];
#pragma unroll
    for (int i = 0; i < 10; i++) t[i] = f->v[i];
    /* floor carries (three passes make every limb non-negative and the value < 2^255) */
#pragma unroll
    for (int pass = 0; pass < 3; pass++) {
    #pragma unroll
        for (int i = 0; i < 9; i++) {
            int bits = (i & 1) ? 25 : 26;
            i64 c = t[i] >> bits;
            t[i + 1] += c;
            t[i] -= c * ((i64)1 << bits);
        }
        i64 c = t[9] >> 25;
        t[9] -= c * ((i64)1 << 25);
        t[0] += 19 * c;
    }
    /* subtract p once if value >= p: q = 1 exactly when value + 19 >= 2^255 */
    i64 q = (t[0] + 19) >> 26;
#pragma unroll
    for (int i = 1; i < 10; i++) q = (t[i] + q) >> ((i & 1) ? 25 : 26);
    t[0] += 19 * q;
#pragma unroll
    for (int i = 0; i < 9; i++) {
        int bits = (i & 1) ? 25 : 26;
        i64 c = t[i] >> bits;
        t[i + 1] += c;
        t[i] -= c * ((i64)1 << bits);
    }
    t[9] &= ((i64)1 << 25) - 1;
    u64 acc = 0;
    int have = 0, out = 0;
#pragma unroll
    for (int i = 0; i < 10; i++) {
        acc |= (u64)t[i] << have;
        have += (i & 1) ? 25 : 26;
        while (have >= 8) {
            s[out++] = (u8)(acc & 0xFF);
            acc >>= 8;
            have -= 8;
        }
    }
    if (out < 32) s[out] = (u8)acc;  /* 255 bits: the last 7 */
}

DEVICE_FN void fe_base(fe *h, int index, int component) {
#pragma unroll
    for (int i = 0; i < 10; i++) h->v[i] = ED_BASE[index][component][i];
}

#endif /* ED25519_FE51 */

DEVICE_FN void fe_sqn(fe *h, const fe *f, int n) {
    fe_sq(h, f);
    for (int i = 1; i < n; i++) fe_sq(h, h);
}

/* z^(p-2) = 1/z, ref10's addition chain. */
DEVICE_FN void fe_invert(fe *out, const fe *z) {
    fe t0, t1, t2, t3;
    fe_sq(&t0, z);
    fe_sqn(&t1, &t0, 2);
    fe_mul(&t1, z, &t1);
    fe_mul(&t0, &t0, &t1);
    fe_sq(&t2, &t0);
    fe_mul(&t1, &t1, &t2);
    fe_sqn(&t2, &t1, 5);
    fe_mul(&t1, &t2, &t1);
    fe_sqn(&t2, &t1, 10);
    fe_mul(&t2, &t2, &t1);
    fe_sqn(&t3, &t2, 20);
    fe_mul(&t2, &t3, &t2);
    fe_sqn(&t2, &t2, 10);
    fe_mul(&t1, &t2, &t1);
    fe_sqn(&t2, &t1, 50);
    fe_mul(&t2, &t2, &t1);
    fe_sqn(&t3, &t2, 100);
    fe_mul(&t2, &t3, &t2);
    fe_sqn(&t2, &t2, 50);
    fe_mul(&t1, &t2, &t1);
    fe_sqn(&t1, &t1, 5);
    fe_mul(out, &t1, &t0);
}

/* z^((p-5)/8), ref10's addition chain (square roots during decompression). */
DEVICE_FN void fe_pow22523(fe *out, const fe *z) {
    fe t0, t1, t2;
    fe_sq(&t0, z);
    fe_sqn(&t1, &t0, 2);
    fe_mul(&t1, z, &t1);
    fe_mul(&t0, &t0, &t1);
    fe_sq(&t0, &t0);
    fe_mul(&t0, &t1, &t0);
    fe_sqn(&t1, &t0, 5);
    fe_mul(&t0, &t1, &t0);
    fe_sqn(&t1, &t0, 10);
    fe_mul(&t1, &t1, &t0);
    fe_sqn(&t2, &t1, 20);
    fe_mul(&t1, &t2, &t1);
    fe_sqn(&t1, &t1, 10);
    fe_mul(&t0, &t1, &t0);
    fe_sqn(&t1, &t0, 50);
    fe_mul(&t1, &t1, &t0);
    fe_sqn(&t2, &t1, 100);
    fe_mul(&t1, &t2, &t1);
    fe_sqn(&t1, &t1, 50);
    fe_mul(&t0, &t1, &t0);
    fe_sqn(&t0, &t0, 2);
    fe_mul(out, &t0, z);
}

DEVICE_FN int fe_isnonzero(const fe *f) {
    u8 s[32];
    fe_tobytes(s, f);
    u8 r = 0;
    for (int i = 0; i < 32; i++) r |= s[i];
    return r != 0;
}

DEVICE_FN int fe_isnegative(const fe *f) {
    u8 s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

/* ---- group arithmetic (ref10 formulas) ---- */

typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe X, Y, Z, T; } ge_p3;
typedef struct { fe X, Y, Z, T; } ge_p1p1;
typedef struct { fe yplusx, yminusx, xy2d; } ge_precomp;
typedef struct { fe YplusX, YminusX, Z, T2d; } ge_cached;


DEVICE_FN void ge_p3_0(ge_p3 *h) { fe_0(&h->X); fe_1(&h->Y); fe_1(&h->Z); fe_0(&h->T); }
DEVICE_FN void ge_p2_0(ge_p2 *h) { fe_0(&h->X); fe_1(&h->Y); fe_1(&h->Z); }

DEVICE_FN void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->X, &p->T);
    fe_mul(&r->Y, &p->Y, &p->Z);
    fe_mul(&r->Z, &p->Z, &p->T);
}

DEVICE_FN void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->X, &p->T);
    fe_mul(&r->Y, &p->Y, &p->Z);
    fe_mul(&r->Z, &p->Z, &p->T);
    fe_mul(&r->T, &p->X, &p->Y);
}

DEVICE_FN void ge_p3_to_cached(ge_cached *r, const ge_p3 *p) {
    fe d2;
    fe_d2(&d2);
    fe_add(&r->YplusX, &p->Y, &p->X);
    fe_sub(&r->YminusX, &p->Y, &p->X);
    fe_copy(&r->Z, &p->Z);
    fe_mul(&r->T2d, &p->T, &d2);
}

DEVICE_FN void ge_p2_dbl(ge_p1p1 *r, const ge_p2 *p) {
    fe t0;
    fe_sq(&r->X, &p->X);
    fe_sq(&r->Z, &p->Y);
    fe_sq(&r->T, &p->Z);
    fe_add(&r->T, &r->T, &r->T);
    fe_add(&r->Y, &p->X, &p->Y);
    fe_sq(&t0, &r->Y);
    fe_add(&r->Y, &r->Z, &r->X);
    fe_sub(&r->Z, &r->Z, &r->X);
    fe_sub(&r->X, &t0, &r->Y);
    fe_sub(&r->T, &r->T, &r->Z);
}

DEVICE_FN void ge_p3_dbl(ge_p1p1 *r, const ge_p3 *p) {
    ge_p2 q;
    fe_copy(&q.X, &p->X);
    fe_copy(&q.Y, &p->Y);
    fe_copy(&q.Z, &p->Z);
    ge_p2_dbl(r, &q);
}

/* r = p + q (sign = +1) or p - q (sign = -1), q cached. */
DEVICE_FN void ge_add_cached(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q, int sign) {
    fe t0;
    fe_add(&r->X, &p->Y, &p->X);
    fe_sub(&r->Y, &p->Y, &p->X);
    fe_mul(&r->Z, &r->X, sign > 0 ? &q->YplusX : &q->YminusX);
    fe_mul(&r->Y, &r->Y, sign > 0 ? &q->YminusX : &q->YplusX);
    fe_mul(&r->T, &q->T2d, &p->T);
    fe_mul(&r->X, &p->Z, &q->Z);
    fe_add(&t0, &r->X, &r->X);
    fe_sub(&r->X, &r->Z, &r->Y);
    fe_add(&r->Y, &r->Z, &r->Y);
    if (sign > 0) {
        fe_add(&r->Z, &t0, &r->T);
        fe_sub(&r->T, &t0, &r->T);
    } else {
        fe_sub(&r->Z, &t0, &r->T);
        fe_add(&r->T, &t0, &r->T);
    }
}

/* r = p + q (sign = +1) or p - q (sign = -1), q = ED_BASE[index] (precomputed, affine). */
DEVICE_FN void ge_add_base(ge_p1p1 *r, const ge_p3 *p, int index, int sign) {
    fe t0, qp, qm, qt;
    fe_base(&qp, index, 0);
    fe_base(&qm, index, 1);
    fe_base(&qt, index, 2);
    fe_add(&r->X, &p->Y, &p->X);
    fe_sub(&r->Y, &p->Y, &p->X);
    fe_mul(&r->Z, &r->X, sign > 0 ? &qp : &qm);
    fe_mul(&r->Y, &r->Y, sign > 0 ? &qm : &qp);
    fe_mul(&r->T, &qt, &p->T);
    fe_add(&t0, &p->Z, &p->Z);
    fe_sub(&r->X, &r->Z, &r->Y);
    fe_add(&r->Y, &r->Z, &r->Y);
    if (sign > 0) {
        fe_add(&r->Z, &t0, &r->T);
        fe_sub(&r->T, &t0, &r->T);
    } else {
        fe_sub(&r->Z, &t0, &r->T);
        fe_add(&r->T, &t0, &r->T);
    }
}

/* -A from its encoding (ref10 ge_frombytes_negate_vartime); 0 if y is not the y of a curve point. */
DEVICE_FN int ge_frombytes_negate(ge_p3 *h, const u8 *s) {
    fe u, v, v3, vxx, check, d;
    fe_frombytes(&h->Y, s);
    fe_1(&h->Z);
    fe_d(&d);
    fe_sq(&u, &h->Y);
    fe_mul(&v, &u, &d);
    fe_sub(&u, &u, &h->Z);      /* u = y^2 - 1 */
    fe_add(&v, &v, &h->Z);      /* v = d y^2 + 1 */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);       /* v^3 */
    fe_sq(&h->X, &v3);
    fe_mul(&h->X, &h->X, &v);
    fe_mul(&h->X, &h->X, &u);   /* u v^7 */
    fe_pow22523(&h->X, &h->X);
    fe_mul(&h->X, &h->X, &v3);
    fe_mul(&h->X, &h->X, &u);   /* x = u v^3 (u v^7)^((p-5)/8) */
    fe_sq(&vxx, &h->X);
    fe_mul(&vxx, &vxx, &v);
    fe_sub(&check, &vxx, &u);
    if (fe_isnonzero(&check)) {
        fe_add(&check, &vxx, &u);
        if (fe_isnonzero(&check)) return 0;
        fe sqrtm1;
        fe_sqrtm1(&sqrtm1);
        fe_mul(&h->X, &h->X, &sqrtm1);
    }
    if (fe_isnegative(&h->X) == (s[31] >> 7)) fe_neg(&h->X, &h->X);
    fe_mul(&h->T, &h->X, &h->Y);
    return 1;
}

DEVICE_FN void ge_tobytes(u8 *s, const ge_p2 *h) {
    fe recip, x, y;
    fe_invert(&recip, &h->Z);
    fe_mul(&x, &h->X, &recip);
    fe_mul(&y, &h->Y, &recip);
    fe_tobytes(s, &y);
    s[31] ^= (u8)(fe_isnegative(&x) << 7);
}

/* Signed sliding-window digits of a 256-bit scalar (ref10 slide): odd, in -15..15, or 0. */
DEVICE_FN void ed_slide(signed char *r, const u8 *a) {
    for (int i = 0; i < 256; i++) r[i] = (signed char)(1 & (a[i >> 3] >> (i & 7)));
    for (int i = 0; i < 256; i++) {
        if (!r[i]) continue;
        for (int b = 1; b <= 6 && i + b < 256; b++) {
            if (!r[i + b]) continue;
            if (r[i] + (r[i + b] << b) <= 15) {
                r[i] = (signed char)(r[i] + (r[i + b] << b));
                r[i + b] = 0;
            } else if (r[i] - (r[i + b] << b) >= -15) {
                r[i] = (signed char)(r[i] - (r[i + b] << b));
                for (int k = i + b; k < 256; k++) {
                    if (!r[k]) {
                        r[k] = 1;
                        break;
                    }
                    r[k] = 0;
                }
            } else {
                break;
            }
        }
    }
}

/* t = [a]A + [b]B as a p1p1 point (the last step, not yet converted), variable time (inputs are public). */
DEVICE_FN void ge_double_scalarmult_p1p1(ge_p1p1 *t, const u8 *a, const ge_p3 *A, const u8 *b) {
    signed char aslide[256], bslide[256];
    ge_cached Ai[8];
    ge_p2 r;
    ge_p3 u, A2;
    int i;
    ed_slide(aslide, a);
    ed_slide(bslide, b);
    ge_p3_to_cached(&Ai[0], A);
    ge_p3_dbl(t, A);
    ge_p1p1_to_p3(&A2, t);
    for (i = 1; i < 8; i++) {
        ge_add_cached(t, &A2, &Ai[i - 1], 1);
        ge_p1p1_to_p3(&u, t);
        ge_p3_to_cached(&Ai[i], &u);
    }
    /* the identity in p1p1 form: x = X/Z = 0, y = Y/T = 1 */
    fe_0(&t->X); fe_1(&t->Y); fe_1(&t->Z); fe_1(&t->T);
    ge_p1p1_to_p2(&r, t);
    for (i = 255; i >= 0; i--) {
        if (aslide[i] || bslide[i]) break;
    }
    for (; i >= 0; i--) {
        ge_p2_dbl(t, &r);
        if (aslide[i] > 0) {
            ge_p1p1_to_p3(&u, t);
            ge_add_cached(t, &u, &Ai[aslide[i] / 2], 1);
        } else if (aslide[i] < 0) {
            ge_p1p1_to_p3(&u, t);
            ge_add_cached(t, &u, &Ai[(-aslide[i]) / 2], -1);
        }
        if (bslide[i] > 0) {
            ge_p1p1_to_p3(&u, t);
            ge_add_base(t, &u, bslide[i] / 2, 1);
        } else if (bslide[i] < 0) {
            ge_p1p1_to_p3(&u, t);
            ge_add_base(t, &u, (-bslide[i]) / 2, -1);
        }
        if (i > 0) ge_p1p1_to_p2(&r, t);
    }
}

/* r = [a]A + [b]B, variable time (inputs are public). */
DEVICE_FN void ge_double_scalarmult(ge_p2 *r, const u8 *a, const ge_p3 *A, const u8 *b) {
    ge_p1p1 t;
    ge_double_scalarmult_p1p1(&t, a, A, b);
    ge_p1p1_to_p2(r, &t);
}

/* ---- libsodium's checks on the encodings ---- */

/* S < L (sc25519_is_canonical). */
DEVICE_FN int sc_is_canonical(const u8 *s) {
    for (int i = 31; i >= 0; i--) {
        if (s[i] < ED_L[i]) return 1;
        if (s[i] > ED_L[i]) return 0;
    }
    return 0; /* S == L */
}

/* y < p (ge25519_is_canonical; the sign bit is not looked at). */
DEVICE_FN int ge_is_canonical(const u8 *s) {
    if ((s[31] & 0x7f) != 0x7f) return 1;
    for (int i = 30; i > 0; i--) {
        if (s[i] != 0xff) return 1;
    }
    return s[0] < 0xed;
}

/* The encoding's y (sign bit ignored) is on libsodium's block list (ge25519_has_small_order). */
DEVICE_FN int ge_has_small_order(const u8 *s) {
    for (int k = 0; k < 7; k++) {
        int same = (s[31] & 0x7f) == ED_SMALL_ORDER[k][31];
        for (int i = 0; i < 31 && same; i++) same = s[i] == ED_SMALL_ORDER[k][i];
        if (same) return 1;
    }
    return 0;
}

/* One verification: pk (32 bytes), sig = R || S (64 bytes), h = SHA-512(R || A || M) mod L (32 bytes). */
DEVICE_FN int ed25519_verify_one(const u8 *pk, const u8 *sig, const u8 *h) {
    ge_p3 minus_a;
    ge_p2 rp;
    u8 rcheck[32];
    if (!sc_is_canonical(sig + 32) || ge_has_small_order(sig)) return 0;
    if (!ge_is_canonical(pk) || ge_has_small_order(pk)) return 0;
    if (!ge_frombytes_negate(&minus_a, pk)) return 0;
    ge_double_scalarmult(&rp, h, &minus_a, sig + 32);
    ge_tobytes(rcheck, &rp);
    u8 diff = 0;
    for (int i = 0; i < 32; i++) diff |= rcheck[i] ^ sig[i];
    return diff == 0;
}

/* ZIP 215, the IC replica's rules (ic-ed25519): S < L; A and R decoded with non-canonical y (taken mod p)
 * and x = 0 with the sign bit set accepted, small order allowed; [8]([S]B - [h]A - R) = identity, with
 * h = SHA-512(R || A || M) mod L over the bytes as received (from the host). */
DEVICE_FN int ed25519_verify_zip215_one(const u8 *pk, const u8 *sig, const u8 *h) {
    ge_p3 minus_a, minus_r, u;
    ge_p1p1 t;
    ge_p2 p2;
    ge_cached rc;
    fe check;
    if (!sc_is_canonical(sig + 32)) return 0;
    if (!ge_frombytes_negate(&minus_a, pk)) return 0;
    if (!ge_frombytes_negate(&minus_r, sig)) return 0;  /* R is sig[0..32) */
    ge_double_scalarmult_p1p1(&t, h, &minus_a, sig + 32);
    ge_p1p1_to_p3(&u, &t);
    ge_p3_to_cached(&rc, &minus_r);
    ge_add_cached(&t, &u, &rc, 1);
    for (int i = 0; i < 3; i++) {  /* the cofactor 8 */
        ge_p1p1_to_p2(&p2, &t);
        ge_p2_dbl(&t, &p2);
    }
    fe_sub(&check, &t.Y, &t.T);  /* p1p1: x = X/Z = 0 and y = Y/T = 1 */
    return !fe_isnonzero(&t.X) && !fe_isnonzero(&check);
}

/* One work-item per signature: pk (n, 32), sig (n, 64), h (n, 32) -> out (n,) 1 if valid else 0. */
#define ED25519_KERNEL(name, verify_one)                                                                    \
KERNEL void name(const GLOBAL u8 *pk, const GLOBAL u8 *sig, const GLOBAL u8 *h, u64 n, GLOBAL u8 *out) {   \
    for (u64 i = GLOBAL_ID(); i < n; i += GLOBAL_SIZE()) {                                                \
        u8 p[32], s[64], hh[32];                                                                          \
        for (int k = 0; k < 32; k++) {                                                                    \
            p[k] = pk[32 * i + k];                                                                        \
            hh[k] = h[32 * i + k];                                                                        \
        }                                                                                                 \
        for (int k = 0; k < 64; k++) s[k] = sig[64 * i + k];                                              \
        out[i] = (u8)verify_one(p, s, hh);                                                                \
    }                                                                                                     \
}
ED25519_KERNEL(ed25519_verify, ed25519_verify_one)            /* libsodium's rules */
ED25519_KERNEL(ed25519_verify_zip215, ed25519_verify_zip215_one)  /* ZIP 215 */

/* ---- batch verification under ZIP 215: the device side of kernels/signatures/batch.py ----
 * The host draws the random linear combination and bisects failing batches; the device decodes the points
 * once per batch and evaluates each combination's multi-scalar multiplication (MSM) with the cofactored check
 * [8](sum_j [s_j] P_j) = identity, in four kernels:
 *   ed25519_batch_decompress   one work-item per signature: -A_i at row i (first of equal keys), -R_i at row
 *                              n + i, B at row 2n, in cached form (160 bytes a point in either field layout);
 *   ed25519_msm_buckets        one work-item per (c-bit window, chunk of the terms): Pippenger's buckets for
 *                              that window over the chunk's terms (every chunks-th term), weighed by a running
 *                              sum (Bernstein, Doumen, Lange, Oosterwijk, "Faster batch forgery
 *                              identification", 2012, section 4); signed digits (recoded on the host,
 *                              batch.signed_digits), so 2^(c-1) buckets, a negative digit subtracting its point;
 *   ed25519_msm_windows        one work-item per window: the sum of its chunks' partial sums;
 *   ed25519_msm_is_small_order one work-item: Horner over the windows (c doublings each), then [8] and the
 *                              identity check (x = 0, y = 1). */

DEVICE_FN void ge_p3_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q) {
    ge_cached qc;
    ge_p1p1 t;
    ge_p3_to_cached(&qc, q);
    ge_add_cached(&t, p, &qc, 1);
    ge_p1p1_to_p3(r, &t);
}

/* r = [2^n] r, n >= 1. */
DEVICE_FN void ge_p3_dbl_n(ge_p3 *r, u32 n) {
    ge_p1p1 t;
    ge_p2 q;
    fe_copy(&q.X, &r->X);
    fe_copy(&q.Y, &r->Y);
    fe_copy(&q.Z, &r->Z);
    for (u32 i = 0; i < n; i++) {
        ge_p2_dbl(&t, &q);
        if (i + 1 < n) ge_p1p1_to_p2(&q, &t);
    }
    ge_p1p1_to_p3(r, &t);
}

DEVICE_FN int ge_p3_is_identity(const ge_p3 *p) {
    fe d;
    fe_sub(&d, &p->Y, &p->Z);
    return !fe_isnonzero(&p->X) && !fe_isnonzero(&d);
}

/* pk (n, 32), sig (n, 64), first (n,): the index of the first signature with the same key. Writes pts
 * (2n + 1 cached points), ok_a[i] (A_i decodes, where first[i] == i) and ok_r[i] (R_i decodes and S_i < L).
 * A point that does not decode is stored as the identity (its signature never joins a combination). */
KERNEL void ed25519_batch_decompress(const GLOBAL u8 *pk, const GLOBAL u8 *sig, const GLOBAL i64 *first, u64 n,
                                     GLOBAL ge_cached *pts, GLOBAL u8 *ok_a, GLOBAL u8 *ok_r) {
    for (u64 i = GLOBAL_ID(); i < n; i += GLOBAL_SIZE()) {
        u8 r[32], s[32];
        ge_p3 p;
        ge_cached pc;
        int ok;
        if (first[i] == (i64)i) {
            for (int k = 0; k < 32; k++) r[k] = pk[32 * i + k];
            ok = ge_frombytes_negate(&p, r);
            if (!ok) ge_p3_0(&p);
            ge_p3_to_cached(&pc, &p);
            pts[i] = pc;
            ok_a[i] = (u8)ok;
        } else {
            ok_a[i] = 0;
        }
        for (int k = 0; k < 32; k++) {
            r[k] = sig[64 * i + k];
            s[k] = sig[64 * i + 32 + k];
        }
        ok = ge_frombytes_negate(&p, r);
        if (!ok) ge_p3_0(&p);
        ge_p3_to_cached(&pc, &p);
        pts[n + i] = pc;
        ok_r[i] = (u8)(ok && sc_is_canonical(s));
        if (i == 0) {  /* B = ED_BASE[0] (y + x, y - x, 2dxy), affine: Z = 1 */
            fe_base(&pc.YplusX, 0, 0);
            fe_base(&pc.YminusX, 0, 1);
            fe_1(&pc.Z);
            fe_base(&pc.T2d, 0, 2);
            pts[2 * n] = pc;
        }
    }
}

/* Work-item g = w * chunks + t: window w over the terms j = t, t + chunks, ... of sum_j [s_j] pts[idx[j]], with
 * digits[w * m + j] the signed digit of s_j in window w (|d| <= 2^(c-1)); buckets and used: scratch of 2^(c-1)
 * entries per work-item, bucket k holding the points of digit +-(k + 1); partial[g]: sum over k of [k + 1]
 * (bucket k). */
KERNEL void ed25519_msm_buckets(const GLOBAL ge_cached *pts, const GLOBAL i64 *idx, const GLOBAL i32 *digits,
                                u64 m, u32 c, u32 windows, u32 chunks, GLOBAL ge_p3 *buckets, GLOBAL u8 *used,
                                GLOBAL ge_p3 *partial) {
    u64 nb = (u64)1 << (c - 1);
    for (u64 g = GLOBAL_ID(); g < (u64)windows * chunks; g += GLOBAL_SIZE()) {
        u32 w = (u32)(g / chunks), t = (u32)(g % chunks);
        GLOBAL ge_p3 *b = buckets + g * nb;
        GLOBAL u8 *u = used + g * nb;
        ge_p3 acc, running, total;
        ge_p1p1 sum;
        for (u64 k = 0; k < nb; k++) u[k] = 0;
        for (u64 j = t; j < m; j += chunks) {
            i32 d = digits[(u64)w * m + j];
            if (d == 0) continue;
            u32 k = (u32)(d > 0 ? d : -d) - 1;
            ge_cached q = pts[idx[j]];
            if (u[k]) {
                acc = b[k];
            } else {
                ge_p3_0(&acc);
                u[k] = 1;
            }
            ge_add_cached(&sum, &acc, &q, d > 0 ? 1 : -1);
            ge_p1p1_to_p3(&acc, &sum);
            b[k] = acc;
        }
        ge_p3_0(&running);
        ge_p3_0(&total);
        int started = 0;
        for (u64 k = nb; k-- > 0;) {
            if (u[k]) {
                acc = b[k];
                if (started) ge_p3_add(&running, &running, &acc); else running = acc;
                started = 1;
            }
            if (started) ge_p3_add(&total, &total, &running);
        }
        partial[g] = total;
    }
}

/* window_sums[w] = sum over t of partial[w * chunks + t]. */
KERNEL void ed25519_msm_windows(const GLOBAL ge_p3 *partial, u32 windows, u32 chunks, GLOBAL ge_p3 *window_sums) {
    for (u64 w = GLOBAL_ID(); w < windows; w += GLOBAL_SIZE()) {
        ge_p3 acc = partial[w * chunks], q;
        for (u32 t = 1; t < chunks; t++) {
            q = partial[w * chunks + t];
            ge_p3_add(&acc, &acc, &q);
        }
        window_sums[w] = acc;
    }
}

/* out[0] = 1 when [8](sum over w of [2^(w c)] window_sums[w]) is the identity, else 0 (one work-item). */
KERNEL void ed25519_msm_is_small_order(const GLOBAL ge_p3 *window_sums, u32 windows, u32 c, GLOBAL u8 *out) {
    if (GLOBAL_ID() != 0) return;
    ge_p3 acc = window_sums[windows - 1], q;
    for (u32 w = windows - 1; w-- > 0;) {
        ge_p3_dbl_n(&acc, c);
        q = window_sums[w];
        ge_p3_add(&acc, &acc, &q);
    }
    ge_p3_dbl_n(&acc, 3);  /* the cofactor 8 */
    out[0] = (u8)ge_p3_is_identity(&acc);
}

#endif
