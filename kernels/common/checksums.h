/* Checksums over a ragged batch cut into pieces: CRC-32, CRC-32C, Adler-32, the Internet checksum.
 * Shared by kernels/checksums/checksums.cl (OpenCL) and kernels/checksums/checksums.cu (CUDA).
 *
 * Pass 1 (checksum_pieces): one work-item per piece (kernels/checksums/pieces.py cuts each buffer into
 * pieces of at most a few KiB, so one large buffer fills the device and small buffers are one piece each).
 * CRCs are linear, so a piece's raw CRC register, advanced over the bytes of its buffer that follow it
 * (a product by x^(8 after) mod P, zlib's multmodp/x2nmodp), can simply be xored with the others.
 * Pass 2 (checksum_combine): one work-item per segment combines its partials: xor (CRC), zlib's
 * adler32_combine (Adler-32), or a ones'-complement sum (RFC 1071); in two levels (pieces -> groups of 64 ->
 * buffers) when a buffer has more than 64 pieces, so no work-item combines more than a few hundred.
 *
 * tables: for each CRC (crc32 at 0, crc32c at CK_TABLE_WORDS): 4 x 256 slicing-by-4 tables, then 32 words
 * x^(2^k) mod P; all computed on the host by kernels/checksums/tables.py. */
#ifndef KERNELS_CHECKSUMS_H
#define KERNELS_CHECKSUMS_H
#include "portable.h"

#define CK_CRC32 0u
#define CK_CRC32C 1u
#define CK_ADLER32 2u
#define CK_INET16 3u
#define CK_TABLE_WORDS 1056u /* 4 * 256 + 32 */
#define CK_ADLER_BASE 65521u /* RFC 1950: largest prime below 65536 */
#define CK_ADLER_NMAX 5552u  /* zlib: most bytes before the 32-bit sums can overflow */

/* Raw CRC register after n bytes from state s: single bytes up to a 4-byte boundary, then one aligned
 * little-endian 32-bit load per step (slicing-by-4), then the last bytes. */
DEVICE_FN u32 ck_crc_bytes(const GLOBAL u32 *tab, u32 s, const GLOBAL u8 *p, u64 n) {
    u64 i = 0;
    for (; i < n && (((u64)(p + i)) & 3u); i++) s = tab[(s ^ p[i]) & 0xffu] ^ (s >> 8);
    for (; i + 4 <= n; i += 4) {
        s ^= *(const GLOBAL u32 *)(p + i); /* both OpenCL CPU devices and CUDA GPUs are little-endian */
        s = tab[768 + (s & 0xffu)] ^ tab[512 + ((s >> 8) & 0xffu)] ^ tab[256 + ((s >> 16) & 0xffu)] ^ tab[s >> 24];
    }
    for (; i < n; i++) s = tab[(s ^ p[i]) & 0xffu] ^ (s >> 8);
    return s;
}

/* a(x) b(x) mod P for reflected 32-bit values (zlib crc32.c multmodp). */
DEVICE_FN u32 ck_multmodp(u32 poly, u32 a, u32 b) {
    u32 m = 1u << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = (b & 1u) ? (b >> 1) ^ poly : b >> 1;
    }
    return p;
}

/* x^(8 n) mod P: moves a register over n zero bytes (zlib x2nmodp(n, 3)). */
DEVICE_FN u32 ck_xpow8n(u32 poly, const GLOBAL u32 *x2n, u64 n) {
    u32 p = 1u << 31;
    u32 k = 3;
    while (n) {
        if (n & 1) p = ck_multmodp(poly, x2n[k & 31u], p);
        n >>= 1;
        k++;
    }
    return p;
}

/* Adler-32 of n bytes from 1 (RFC 1950 section 8.2, zlib's NMAX blocking). */
DEVICE_FN u32 ck_adler(const GLOBAL u8 *p, u64 n) {
    u32 a = 1, b = 0;
    u64 i = 0;
    while (i < n) {
        u64 k = n - i < CK_ADLER_NMAX ? n - i : CK_ADLER_NMAX;
        for (u64 j = 0; j < k; j++) {
            a += p[i + j];
            b += a;
        }
        a %= CK_ADLER_BASE;
        b %= CK_ADLER_BASE;
        i += k;
    }
    return (b << 16) | a;
}

/* zlib adler32_combine_: Adler-32 of A ‖ B from those of A and B and len(B). */
DEVICE_FN u32 ck_adler_combine(u32 adler1, u32 adler2, u64 len2) {
    u64 rem = len2 % CK_ADLER_BASE;
    u64 s1 = ((u64)(adler1 & 0xffffu) + (adler2 & 0xffffu) + CK_ADLER_BASE - 1) % CK_ADLER_BASE;
    u64 s2 = ((u64)(adler1 >> 16) + (adler2 >> 16) + rem * (adler1 & 0xffffu) + CK_ADLER_BASE - rem) % CK_ADLER_BASE;
    return (u32)((s2 << 16) | s1);
}

DEVICE_FN u64 ck_fold16(u64 s) {
    while (s >> 16) s = (s & 0xffffu) + (s >> 16);
    return s;
}

/* Ones'-complement sum of big-endian 16-bit words, folded to 16 bits (RFC 1071); the piece starts at an even
 * offset of its buffer, an odd last byte is the high byte of a zero-padded word. */
DEVICE_FN u32 ck_inet_sum(const GLOBAL u8 *p, u64 n) {
    u64 s = 0, i = 0;
    for (; i + 2 <= n; i += 2) s += ((u64)p[i] << 8) | p[i + 1];
    if (i < n) s += (u64)p[i] << 8;
    return (u32)ck_fold16(s);
}

KERNEL void checksum_pieces(u32 algorithm, u32 poly, const GLOBAL u8 *data, const GLOBAL u64 *offsets,
                            const GLOBAL u64 *start, const GLOBAL u64 *end, const GLOBAL u64 *item,
                            const GLOBAL u64 *item_pieces, u64 npieces, const GLOBAL u32 *tables,
                            GLOBAL u32 *partial) {
    u64 p = GLOBAL_ID();
    if (p >= npieces) return;
    u64 s = start[p], e = end[p];
    if (algorithm == CK_ADLER32) {
        partial[p] = ck_adler(data + s, e - s);
    } else if (algorithm == CK_INET16) {
        partial[p] = ck_inet_sum(data + s, e - s);
    } else {
        const GLOBAL u32 *tab = tables + (algorithm == CK_CRC32C ? CK_TABLE_WORDS : 0u);
        u64 it = item[p];
        u32 r = ck_crc_bytes(tab, item_pieces[it] == p ? 0xffffffffu : 0u, data + s, e - s);
        u64 after = offsets[it + 1] - e;
        partial[p] = after ? ck_multmodp(poly, ck_xpow8n(poly, tab + 1024, after), r) : r;
    }
}

/* Combine segment j of `in` (entries seg_first[j] .. seg_first[j + 1], of in_len bytes each) into out[j],
 * out_len[j]. Run once (pieces -> buffers) or twice (pieces -> groups -> buffers); only the last run
 * finalizes (CRC final xor, Internet checksum complement). */
KERNEL void checksum_combine(u32 algorithm, const GLOBAL u64 *in_len, const GLOBAL u64 *seg_first, u64 nseg,
                             const GLOBAL u32 *in, GLOBAL u32 *out, GLOBAL u64 *out_len, u32 finalize) {
    u64 j = GLOBAL_ID();
    if (j >= nseg) return;
    u64 first = seg_first[j], last = seg_first[j + 1];
    u64 total = in_len[first];
    u32 r = in[first];
    if (algorithm == CK_ADLER32) {
        for (u64 p = first + 1; p < last; p++) {
            r = ck_adler_combine(r, in[p], in_len[p]);
            total += in_len[p];
        }
    } else if (algorithm == CK_INET16) {
        u64 s = r;
        for (u64 p = first + 1; p < last; p++) {
            s += in[p];
            total += in_len[p];
        }
        r = (u32)ck_fold16(s);
        if (finalize) r = ~r & 0xffffu;
    } else {
        for (u64 p = first + 1; p < last; p++) {
            r ^= in[p];
            total += in_len[p];
        }
        if (finalize) r ^= 0xffffffffu;
    }
    out[j] = r;
    out_len[j] = total;
}

#endif
