/* ECDSA verification (P-256 and secp256k1, SEC 1 v2 section 4.1.4, high s accepted): the C core shared by the
 * OpenCL (kernels/ecdsa/ecdsa.cl) and CUDA (kernels/ecdsa/ecdsa.cu) kernels. The algorithm is the one of
 * kernels/ecdsa/numba_core.py, step for step:
 *
 * - numbers mod p and mod n in Montgomery form, four 64-bit limbs (least significant first), the word-by-word
 *   (CIOS) Montgomery product (Koc, Acar, Kaliski, IEEE Micro 1996), 64 x 64 -> 128-bit products through
 *   mul_hi (OpenCL) or __umul64hi (CUDA); secp256k1's p = 2^256 - c reduces with one 64 x 33-bit product per
 *   round (mont_mul_special);
 * - Jacobian coordinates with complete case handling: dbl-2009-l (a = 0) or dbl-2001-b (a = -3), add-1998-cmo-2
 *   and madd (Explicit-Formulas Database), doubling and infinity where an addition meets them;
 * - u1 G from the fixed-base table of kernels/ecdsa/tables.py ([d * 256^i] G, affine: one mixed addition per
 *   nonzero byte of u1), u2 Q over 4-bit windows of Q's multiples, s^-1 mod n by Fermat over 4-bit windows of
 *   the exponent, and x(R) mod n == r
 *   checked as X == r Z^2 or, when r + n < p, X == (r + n) Z^2.
 *
 * Inputs per signature: words[5][4] = qx, qy, e = SHA-256(m), r, s. The curve is a buffer of constants
 * (tables.consts: p, n, R^2 mod p, R^2 mod n, R mod p, R mod n, aR, bR, n - 2, p - n, [-p^-1, -n^-1, a == 0, c]
 * where c = 2^256 - p when that is small: secp256k1's field then uses the Montgomery reduction written for
 * that form, mont_mul_special).
 */
#ifndef KERNELS_ECDSA_H
#define KERNELS_ECDSA_H

#include "portable.h"

#ifdef __OPENCL_VERSION__
#define MULHI64(a, b) mul_hi((ulong)(a), (ulong)(b))
#else
#define MULHI64(a, b) __umul64hi((a), (b))
#endif

typedef struct { u64 v[4]; } fe;

typedef struct {
    fe p, n, r2p, r2n, one_p, one_n, a, b, n_minus_2, p_minus_n;
    u64 p_inv, n_inv;
    u64 p_special;  /* c when p = 2^256 - c with c < 2^40 (secp256k1), else 0 */
    int a_is_zero;
} curve_t;

typedef struct { fe x, y, z; } jac;  /* z == 0: the point at infinity */

#define ECDSA_G_WINDOW 8
#define ECDSA_G_DIGITS 32
#define ECDSA_G_ENTRIES 255
#define ECDSA_Q_WINDOW 4
#define ECDSA_Q_DIGITS 64

/* a * b + c + d as (hi, lo): never above 2^128 - 1 */
DEVICE_FN u64 mac(u64 a, u64 b, u64 c, u64 d, u64 *hi) {
    u64 lo = a * b;
    u64 h = MULHI64(a, b);
    u64 t = lo + c;
    h += (t < lo);
    u64 t2 = t + d;
    h += (t2 < t);
    *hi = h;
    return t2;
}

DEVICE_FN u64 addc(u64 a, u64 b, u64 carry_in, u64 *carry) {
    u64 s = a + b;
    u64 c1 = s < a;
    u64 t = s + carry_in;
    *carry = c1 | (t < s);
    return t;
}

DEVICE_FN u64 subb(u64 a, u64 b, u64 borrow_in, u64 *borrow) {
    u64 d = a - b;
    u64 b1 = a < b;
    u64 t = d - borrow_in;
    *borrow = b1 | (d < borrow_in);
    return t;
}

DEVICE_FN fe fe_sub4(fe a, fe b, u64 *borrow) {
    fe d;
    u64 br = 0;
    for (int i = 0; i < 4; i++) d.v[i] = subb(a.v[i], b.v[i], br, &br);
    *borrow = br;
    return d;
}

DEVICE_FN fe fe_add4(fe a, fe b, u64 *carry) {
    fe s;
    u64 c = 0;
    for (int i = 0; i < 4; i++) s.v[i] = addc(a.v[i], b.v[i], c, &c);
    *carry = c;
    return s;
}

DEVICE_FN int fe_is_zero(fe a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0; }

DEVICE_FN int fe_equal(fe a, fe b) {
    return ((a.v[0] ^ b.v[0]) | (a.v[1] ^ b.v[1]) | (a.v[2] ^ b.v[2]) | (a.v[3] ^ b.v[3])) == 0;
}

DEVICE_FN int fe_less(fe a, fe b) {
    u64 br;
    fe_sub4(a, b, &br);
    return br != 0;
}

/* a b R^-1 mod m for a, b < m */
DEVICE_FN fe mont_mul(fe a, fe b, fe m, u64 minv) {
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, c2, q;
    for (int i = 0; i < 4; i++) {
        u64 bi = b.v[i];
        t0 = mac(a.v[0], bi, t0, 0, &c);
        t1 = mac(a.v[1], bi, t1, c, &c);
        t2 = mac(a.v[2], bi, t2, c, &c);
        t3 = mac(a.v[3], bi, t3, c, &c);
        t4 = addc(t4, c, 0, &t5);
        q = t0 * minv;
        mac(q, m.v[0], t0, 0, &c);
        t0 = mac(q, m.v[1], t1, c, &c);
        t1 = mac(q, m.v[2], t2, c, &c);
        t2 = mac(q, m.v[3], t3, c, &c);
        t3 = addc(t4, c, 0, &c2);
        t4 = t5 + c2;
    }
    fe r;
    r.v[0] = t0; r.v[1] = t1; r.v[2] = t2; r.v[3] = t3;
    u64 br;
    fe d = fe_sub4(r, m, &br);
    return (t4 != 0 || br == 0) ? d : r;
}

/* a b R^-1 mod p for p = 2^256 - c with a small c (secp256k1: c = 2^32 + 977): the same Montgomery product,
 * its reduction step written for that form (q p = q 2^256 - q c: one 64 x 33-bit product per round) */
DEVICE_FN fe mont_mul_special(fe a, fe b, fe m, u64 minv, u64 c_small) {
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, c, br, q, ulo, uhi;
    for (int i = 0; i < 4; i++) {
        u64 bi = b.v[i];
        t0 = mac(a.v[0], bi, t0, 0, &c);
        t1 = mac(a.v[1], bi, t1, c, &c);
        t2 = mac(a.v[2], bi, t2, c, &c);
        t3 = mac(a.v[3], bi, t3, c, &c);
        t4 = addc(t4, c, 0, &t5);
        q = t0 * minv;
        ulo = mac(q, c_small, 0, 0, &uhi);
        subb(t0, ulo, 0, &br);  /* the low limb becomes 0 */
        t0 = subb(t1, uhi, br, &br);
        t1 = subb(t2, 0, br, &br);
        t2 = subb(t3, 0, br, &br);
        t3 = subb(t4, 0, br, &br);
        t3 = addc(t3, q, 0, &c);
        t4 = t5 + c - br;
    }
    fe r;
    r.v[0] = t0; r.v[1] = t1; r.v[2] = t2; r.v[3] = t3;
    u64 b2;
    fe d = fe_sub4(r, m, &b2);
    return (t4 != 0 || b2 == 0) ? d : r;
}

DEVICE_FN fe mod_add(fe a, fe b, fe m) {
    u64 c, br;
    fe s = fe_add4(a, b, &c);
    fe d = fe_sub4(s, m, &br);
    return (c != 0 || br == 0) ? d : s;
}

DEVICE_FN fe mod_sub(fe a, fe b, fe m) {
    u64 br, c;
    fe d = fe_sub4(a, b, &br);
    if (br) d = fe_add4(d, m, &c);
    return d;
}

DEVICE_FN fe field_mul(fe a, fe b, const curve_t *C) {
    return C->p_special ? mont_mul_special(a, b, C->p, C->p_inv, C->p_special) : mont_mul(a, b, C->p, C->p_inv);
}

#define FMUL(a, b) field_mul((a), (b), C)
#define FSQ(a) field_mul((a), (a), C)
#define FADD(a, b) mod_add((a), (b), C->p)
#define FSUB(a, b) mod_sub((a), (b), C->p)

DEVICE_FN jac jac_infinity(void) {
    jac r;
    for (int i = 0; i < 4; i++) { r.x.v[i] = 0; r.y.v[i] = 0; r.z.v[i] = 0; }
    return r;
}

DEVICE_FN jac jac_dbl(jac P, const curve_t *C) {
    if (fe_is_zero(P.z) || fe_is_zero(P.y)) return jac_infinity();
    jac R;
    if (C->a_is_zero) {  /* dbl-2009-l */
        fe a = FSQ(P.x), b = FSQ(P.y), cc = FSQ(b);
        fe d = FSUB(FSUB(FSQ(FADD(P.x, b)), a), cc);
        d = FADD(d, d);
        fe e = FADD(FADD(a, a), a);
        fe f = FSQ(e);
        R.x = FSUB(f, FADD(d, d));
        fe c8 = FADD(cc, cc);
        c8 = FADD(c8, c8);
        c8 = FADD(c8, c8);
        R.y = FSUB(FMUL(e, FSUB(d, R.x)), c8);
        fe yz = FMUL(P.y, P.z);
        R.z = FADD(yz, yz);
        return R;
    }
    /* dbl-2001-b, a = -3 */
    fe delta = FSQ(P.z), gamma = FSQ(P.y), beta = FMUL(P.x, gamma);
    fe t = FMUL(FSUB(P.x, delta), FADD(P.x, delta));
    fe alpha = FADD(FADD(t, t), t);
    fe b4 = FADD(beta, beta);
    b4 = FADD(b4, b4);
    R.x = FSUB(FSQ(alpha), FADD(b4, b4));
    R.z = FSUB(FSUB(FSQ(FADD(P.y, P.z)), gamma), delta);
    fe g2 = FSQ(gamma);
    fe g8 = FADD(g2, g2);
    g8 = FADD(g8, g8);
    g8 = FADD(g8, g8);
    R.y = FSUB(FMUL(alpha, FSUB(b4, R.x)), g8);
    return R;
}

/* P1 + P2 (add-1998-cmo-2), every case handled */
DEVICE_FN jac jac_add(jac P1, jac P2, const curve_t *C) {
    if (fe_is_zero(P1.z)) return P2;
    if (fe_is_zero(P2.z)) return P1;
    fe z1z1 = FSQ(P1.z), z2z2 = FSQ(P2.z);
    fe u1 = FMUL(P1.x, z2z2), u2 = FMUL(P2.x, z1z1);
    fe s1 = FMUL(P1.y, FMUL(P2.z, z2z2)), s2 = FMUL(P2.y, FMUL(P1.z, z1z1));
    fe h = FSUB(u2, u1), r = FSUB(s2, s1);
    if (fe_is_zero(h)) return fe_is_zero(r) ? jac_dbl(P1, C) : jac_infinity();
    fe hh = FSQ(h), hhh = FMUL(h, hh), v = FMUL(u1, hh);
    jac R;
    R.x = FSUB(FSUB(FSQ(r), hhh), FADD(v, v));
    R.y = FSUB(FMUL(r, FSUB(v, R.x)), FMUL(s1, hhh));
    R.z = FMUL(FMUL(P1.z, P2.z), h);
    return R;
}

/* P1 + (x2, y2), the second point affine and finite (madd) */
DEVICE_FN jac jac_add_affine(jac P1, fe x2, fe y2, const curve_t *C) {
    jac R;
    if (fe_is_zero(P1.z)) { R.x = x2; R.y = y2; R.z = C->one_p; return R; }
    fe z1z1 = FSQ(P1.z);
    fe u2 = FMUL(x2, z1z1), s2 = FMUL(y2, FMUL(P1.z, z1z1));
    fe h = FSUB(u2, P1.x), r = FSUB(s2, P1.y);
    if (fe_is_zero(h)) return fe_is_zero(r) ? jac_dbl(P1, C) : jac_infinity();
    fe hh = FSQ(h), hhh = FMUL(h, hh), v = FMUL(P1.x, hh);
    R.x = FSUB(FSUB(FSQ(r), hhh), FADD(v, v));
    R.y = FSUB(FMUL(r, FSUB(v, R.x)), FMUL(P1.y, hhh));
    R.z = FMUL(P1.z, h);
    return R;
}

DEVICE_FN int digit_of(fe u, int i, int bits) {
    int per_limb = 64 / bits;
    return (int)((u.v[i / per_limb] >> (bits * (i % per_limb))) & (((u64)1 << bits) - 1));
}

/* s^-1 R mod n from s R mod n: Fermat, s^(n - 2), over 4-bit windows of the exponent */
DEVICE_FN fe inv_n(fe s_m, const curve_t *C) {
    fe pw[16];  /* s^1 .. s^15 (Montgomery form); pw[0] unused */
    pw[1] = s_m;
    for (int d = 2; d < 16; d++) pw[d] = mont_mul(pw[d - 1], s_m, C->n, C->n_inv);
    fe x = C->one_n;
    for (int i = 63; i >= 0; i--) {
        if (i != 63)
            for (int k = 0; k < 4; k++) x = mont_mul(x, x, C->n, C->n_inv);
        int d = digit_of(C->n_minus_2, i, 4);
        if (d) x = mont_mul(x, pw[d], C->n, C->n_inv);
    }
    return x;
}

DEVICE_FN fe load_fe(GLOBAL const u64 *w) {
    fe r;
    for (int i = 0; i < 4; i++) r.v[i] = w[i];
    return r;
}

DEVICE_FN void load_curve(GLOBAL const u64 *k, curve_t *C) {
    C->p = load_fe(k + 0);
    C->n = load_fe(k + 4);
    C->r2p = load_fe(k + 8);
    C->r2n = load_fe(k + 12);
    C->one_p = load_fe(k + 16);
    C->one_n = load_fe(k + 20);
    C->a = load_fe(k + 24);
    C->b = load_fe(k + 28);
    C->n_minus_2 = load_fe(k + 32);
    C->p_minus_n = load_fe(k + 36);
    C->p_inv = k[40];
    C->n_inv = k[41];
    C->a_is_zero = (int)k[42];
    C->p_special = k[43];
}

/* One signature: words = qx, qy, e, r, s (5 x 4 limbs). 1 when valid. */
DEVICE_FN int ecdsa_verify_one(GLOBAL const u64 *words, GLOBAL const u64 *gtable, const curve_t *C) {
    fe qx = load_fe(words), qy = load_fe(words + 4), e = load_fe(words + 8);
    fe r = load_fe(words + 12), s = load_fe(words + 16);
    if (fe_is_zero(r) || fe_is_zero(s) || !fe_less(r, C->n) || !fe_less(s, C->n)) return 0;
    if (!fe_less(qx, C->p) || !fe_less(qy, C->p)) return 0;
    fe x_m = FMUL(qx, C->r2p), y_m = FMUL(qy, C->r2p);
    fe rhs = FADD(FMUL(FADD(FSQ(x_m), C->a), x_m), C->b);
    if (!fe_equal(FSQ(y_m), rhs)) return 0;
    u64 br;
    if (!fe_less(e, C->n)) e = fe_sub4(e, C->n, &br);
    fe w = inv_n(mont_mul(s, C->r2n, C->n, C->n_inv), C);
    fe u1 = mont_mul(w, e, C->n, C->n_inv);
    fe u2 = mont_mul(w, r, C->n, C->n_inv);

    jac qt[16];  /* Q's multiples 1..15; qt[0] unused */
    qt[1].x = x_m; qt[1].y = y_m; qt[1].z = C->one_p;
    qt[2] = jac_dbl(qt[1], C);
    for (int d = 3; d < 16; d++) qt[d] = jac_add_affine(qt[d - 1], x_m, y_m, C);

    jac acc = jac_infinity();
    for (int i = ECDSA_Q_DIGITS - 1; i >= 0; i--) {
        for (int k = 0; k < ECDSA_Q_WINDOW; k++) acc = jac_dbl(acc, C);
        int d = digit_of(u2, i, ECDSA_Q_WINDOW);
        if (d) acc = jac_add(acc, qt[d], C);
    }
    for (int i = 0; i < ECDSA_G_DIGITS; i++) {
        int d = digit_of(u1, i, ECDSA_G_WINDOW);
        if (d) {
            GLOBAL const u64 *entry = gtable + ((u64)i * ECDSA_G_ENTRIES + (u64)(d - 1)) * 8;
            acc = jac_add_affine(acc, load_fe(entry), load_fe(entry + 4), C);
        }
    }
    if (fe_is_zero(acc.z)) return 0;
    fe zz = FSQ(acc.z);
    if (fe_equal(acc.x, FMUL(FMUL(r, C->r2p), zz))) return 1;
    if (fe_less(r, C->p_minus_n)) {  /* x(R) in [n, p): x mod n = x - n */
        u64 c;
        fe rn = fe_add4(r, C->n, &c);
        return fe_equal(acc.x, FMUL(FMUL(rn, C->r2p), zz));
    }
    return 0;
}

KERNEL void ecdsa_verify(GLOBAL const u64 *words, GLOBAL const u64 *consts, GLOBAL const u64 *gtable, u64 n,
                         GLOBAL u8 *out) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    curve_t C;
    load_curve(consts, &C);
    out[i] = (u8)ecdsa_verify_one(words + i * 20, gtable, &C);
}

#endif
