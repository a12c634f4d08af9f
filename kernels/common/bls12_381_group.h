/* One BLS12-381 group over one field: Jacobian arithmetic, decompression and the msm kernels. Included by
 * bls12_381.h once per group (no include guard on purpose), with FE the field type, FE_(op) its operations,
 * GRP_(name) the group's names (g1_..., g2_...), FE_WORDS the words of one field element, FE_B() the curve's b,
 * GRP_X_TIMES the power of |x| in the subgroup check and GRP_(endo) its endomorphism.
 */
typedef struct { FE x, y, z; } GRP_(jac);  /* z == 0: the identity */

DEVICE_FN GRP_(jac) GRP_(make)(FE x, FE y, FE z) { GRP_(jac) r; r.x = x; r.y = y; r.z = z; return r; }
DEVICE_FN GRP_(jac) GRP_(identity)(void) { return GRP_(make)(FE_(zero)(), FE_(one)(), FE_(zero)()); }

BLS_CALLED_FN GRP_(jac) GRP_(dbl)(GRP_(jac) p) {  /* dbl-2009-l (a = 0); Z3 = 2 Y Z is 0 for the identity */
    FE a = FE_(sq)(p.x), b = FE_(sq)(p.y);
    FE c = FE_(sq)(b);
    FE d = FE_(sub)(FE_(sub)(FE_(sq)(FE_(add)(p.x, b)), a), c);
    d = FE_(add)(d, d);
    FE e = FE_(add)(FE_(add)(a, a), a);
    FE x3 = FE_(sub)(FE_(sq)(e), FE_(add)(d, d));
    FE c8 = FE_(add)(c, c);
    c8 = FE_(add)(c8, c8);
    c8 = FE_(add)(c8, c8);
    FE y3 = FE_(sub)(FE_(mul)(e, FE_(sub)(d, x3)), c8);
    FE yz = FE_(mul)(p.y, p.z);
    return GRP_(make)(x3, y3, FE_(add)(yz, yz));
}

BLS_CALLED_FN GRP_(jac) GRP_(add)(GRP_(jac) p, GRP_(jac) q) {  /* add-2007-bl, every case handled */
    if (FE_(is_zero)(p.z)) return q;
    if (FE_(is_zero)(q.z)) return p;
    FE z1z1 = FE_(sq)(p.z), z2z2 = FE_(sq)(q.z);
    FE u1 = FE_(mul)(p.x, z2z2), u2 = FE_(mul)(q.x, z1z1);
    FE s1 = FE_(mul)(FE_(mul)(p.y, q.z), z2z2), s2 = FE_(mul)(FE_(mul)(q.y, p.z), z1z1);
    FE h = FE_(sub)(u2, u1), rr = FE_(sub)(s2, s1);
    if (FE_(is_zero)(h)) return FE_(is_zero)(rr) ? GRP_(dbl)(p) : GRP_(identity)();
    FE h2 = FE_(add)(h, h);
    FE i = FE_(sq)(h2);
    FE j = FE_(mul)(h, i);
    rr = FE_(add)(rr, rr);
    FE v = FE_(mul)(u1, i);
    FE x3 = FE_(sub)(FE_(sub)(FE_(sq)(rr), j), FE_(add)(v, v));
    FE s1j = FE_(mul)(s1, j);
    FE y3 = FE_(sub)(FE_(mul)(rr, FE_(sub)(v, x3)), FE_(add)(s1j, s1j));
    FE z3 = FE_(mul)(FE_(sub)(FE_(sub)(FE_(sq)(FE_(add)(p.z, q.z)), z1z1), z2z2), h);
    return GRP_(make)(x3, y3, z3);
}

BLS_CALLED_FN GRP_(jac) GRP_(add_affine)(GRP_(jac) p, FE x2, FE y2) {  /* madd-2007-bl, every case handled */
    if (FE_(is_zero)(p.z)) return GRP_(make)(x2, y2, FE_(one)());
    FE z1z1 = FE_(sq)(p.z);
    FE u2 = FE_(mul)(x2, z1z1);
    FE s2 = FE_(mul)(FE_(mul)(y2, p.z), z1z1);
    FE h = FE_(sub)(u2, p.x), rr = FE_(sub)(s2, p.y);
    if (FE_(is_zero)(h)) return FE_(is_zero)(rr) ? GRP_(dbl)(p) : GRP_(identity)();
    FE hh = FE_(sq)(h);
    FE i = FE_(add)(hh, hh);
    i = FE_(add)(i, i);
    FE j = FE_(mul)(h, i);
    rr = FE_(add)(rr, rr);
    FE v = FE_(mul)(p.x, i);
    FE x3 = FE_(sub)(FE_(sub)(FE_(sq)(rr), j), FE_(add)(v, v));
    FE y1j = FE_(mul)(p.y, j);
    FE y3 = FE_(sub)(FE_(mul)(rr, FE_(sub)(v, x3)), FE_(add)(y1j, y1j));
    FE z3 = FE_(sub)(FE_(sub)(FE_(sq)(FE_(add)(p.z, h)), z1z1), hh);
    return GRP_(make)(x3, y3, z3);
}

DEVICE_FN GRP_(jac) GRP_(times_abs_x)(GRP_(jac) p) {  /* [|x|] P over the 64 bits of |x| */
    GRP_(jac) acc = p;
    for (int i = 62; i >= 0; i--) {
        acc = GRP_(dbl)(acc);
        if ((BLS_ABS_X >> i) & 1) acc = GRP_(add)(acc, p);
    }
    return acc;
}

/* Scott's test for a finite point on the curve: [|x|^k] P + endo(P) == O (k = GRP_X_TIMES) */
BLS_CALLED_FN int GRP_(in_subgroup)(FE x, FE y) {
    GRP_(jac) acc = GRP_(times_abs_x)(GRP_(make)(x, y, FE_(one)()));
    for (int k = 1; k < GRP_X_TIMES; k++) acc = GRP_(times_abs_x)(acc);
    FE ex, ey;
    GRP_(endo)(x, y, &ex, &ey);
    return FE_(is_zero)(GRP_(add_affine)(acc, ex, ey).z);
}

DEVICE_FN GRP_(jac) GRP_(load_jac)(GLOBAL const u64 *p) {
    return GRP_(make)(FE_(load)(p), FE_(load)(p + FE_WORDS), FE_(load)(p + 2 * FE_WORDS));
}

DEVICE_FN void GRP_(store_jac)(GLOBAL u64 *p, GRP_(jac) a) {
    FE_(store)(p, a.x);
    FE_(store)(p + FE_WORDS, a.y);
    FE_(store)(p + 2 * FE_WORDS, a.z);
}

/* words: raw x, flags; out: Montgomery x, y, flag (0 finite, 1 identity, 2 invalid); returns validity */
BLS_CALLED_FN int GRP_(decode_one)(GLOBAL const u64 *words, GLOBAL u64 *out) {
    for (int k = 0; k <= 2 * FE_WORDS; k++) out[k] = 0;
    out[2 * FE_WORDS] = 2;
    u64 flags = words[FE_WORDS];
    int sign = (int)(flags & 1);
    if (((flags >> 2) & 1) == 0) return 0;  /* not the compressed form */
    FE x = FE_(load)(words);
    if ((flags >> 1) & 1) {  /* the identity: sign 0 and x = 0 */
        if (sign || !FE_(is_zero)(x)) return 0;
        out[2 * FE_WORDS] = 1;
        return 1;
    }
    if (!FE_(below_p)(x)) return 0;
    FE xm = FE_(to_mont)(x), y;
    if (!FE_(sqrt)(FE_(add)(FE_(mul)(FE_(sq)(xm), xm), FE_B()), &y)) return 0;
    if (FE_(large)(y) != sign) y = FE_(neg)(y);
    if (!GRP_(in_subgroup)(xm, y)) return 0;
    FE_(store)(out, xm);
    FE_(store)(out + FE_WORDS, y);
    out[2 * FE_WORDS] = 0;
    return 1;
}

KERNEL void GRP_(decode)(GLOBAL const u64 *words, GLOBAL u64 *out, GLOBAL u8 *valid, u64 n) {
    u64 i = GLOBAL_ID();
    if (i >= n) return;
    valid[i] = (u8)GRP_(decode_one)(words + i * (FE_WORDS + 1), out + i * (2 * FE_WORDS + 1));
}

/* work-item w * 2^(c-1) + b: bucket b of window w, from every finite point whose digit w is +-(b + 1) */
KERNEL void GRP_(buckets)(GLOBAL const u64 *points, GLOBAL const i32 *digits, u64 n, u64 c, u64 nwin,
                          GLOBAL u64 *buckets) {
    u64 id = GLOBAL_ID(), nb = ((u64)1) << (c - 1);
    if (id >= nwin * nb) return;
    u64 w = id / nb;
    i32 b = (i32)(id % nb) + 1;
    GRP_(jac) acc = GRP_(identity)();
    for (u64 i = 0; i < n; i++) {
        GLOBAL const u64 *pt = points + i * (2 * FE_WORDS + 1);
        i32 d = digits[i * nwin + w];
        if ((d == b || d == -b) && pt[2 * FE_WORDS] == 0) {
            FE y = FE_(load)(pt + FE_WORDS);
            acc = GRP_(add_affine)(acc, FE_(load)(pt), d > 0 ? y : FE_(neg)(y));
        }
    }
    GRP_(store_jac)(buckets + id * 3 * FE_WORDS, acc);
}

/* work-item w: sum_b (b + 1) bucket[w][b], by running sums */
KERNEL void GRP_(windows)(GLOBAL const u64 *buckets, u64 c, u64 nwin, GLOBAL u64 *windows) {
    u64 w = GLOBAL_ID(), nb = ((u64)1) << (c - 1);
    if (w >= nwin) return;
    GRP_(jac) s = GRP_(identity)(), t = GRP_(identity)();
    for (u64 j = nb; j-- > 0;) {
        s = GRP_(add)(s, GRP_(load_jac)(buckets + (w * nb + j) * 3 * FE_WORDS));
        t = GRP_(add)(t, s);
    }
    GRP_(store_jac)(windows + w * 3 * FE_WORDS, t);
}

/* one work-item: sum_w 2^(c w) window[w], from the top window down */
KERNEL void GRP_(combine)(GLOBAL const u64 *windows, u64 c, u64 nwin, GLOBAL u64 *out) {
    if (GLOBAL_ID() != 0) return;
    GRP_(jac) acc = GRP_(load_jac)(windows + (nwin - 1) * 3 * FE_WORDS);
    for (u64 w = nwin - 1; w-- > 0;) {
        for (u64 k = 0; k < c; k++) acc = GRP_(dbl)(acc);
        acc = GRP_(add)(acc, GRP_(load_jac)(windows + w * 3 * FE_WORDS));
    }
    GRP_(store_jac)(out, acc);
}
