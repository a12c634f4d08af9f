/* SHA-256 (FIPS 180-4) over a ragged batch: one work-item per message, padding built on the fly.
 * Shared by kernels/hashing/sha256.cl (OpenCL) and kernels/hashing/sha256.cu (CUDA).
 * data: all messages back to back; offsets: n + 1 boundaries; out: n * 32 digest bytes. */
#ifndef KERNELS_SHA256_H
#define KERNELS_SHA256_H
#include "portable.h"

CONSTANT u32 SHA256_K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

#define SHA256_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Big-endian word j of block b of the padded message (FIPS 180-4 section 5.1.1). */
DEVICE_FN u32 sha256_block_word(const GLOBAL u8 *msg, u64 len, u64 nblocks, u64 b, u32 j) {
    u64 pos = b * 64 + (u64)j * 4;
    if (pos + 4 <= len) {
        return ((u32)msg[pos] << 24) | ((u32)msg[pos + 1] << 16) | ((u32)msg[pos + 2] << 8) | (u32)msg[pos + 3];
    }
    if (b == nblocks - 1 && j >= 14) {
        u64 bits = len * 8;
        return j == 14 ? (u32)(bits >> 32) : (u32)bits;
    }
    u32 word = 0;
    for (u32 k = 0; k < 4; k++) {
        u64 p = pos + k;
        u32 byte = p < len ? (u32)msg[p] : (p == len ? 0x80u : 0u);
        word = (word << 8) | byte;
    }
    return word;
}

DEVICE_FN void sha256_compress(u32 *state, u32 *w) {
    for (int t = 16; t < 64; t++) {
        u32 s0 = SHA256_ROTR(w[t - 15], 7) ^ SHA256_ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
        u32 s1 = SHA256_ROTR(w[t - 2], 17) ^ SHA256_ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    u32 a = state[0], b = state[1], c = state[2], d = state[3];
    u32 e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        u32 t1 = h + (SHA256_ROTR(e, 6) ^ SHA256_ROTR(e, 11) ^ SHA256_ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                 SHA256_K[t] + w[t];
        u32 t2 = (SHA256_ROTR(a, 2) ^ SHA256_ROTR(a, 13) ^ SHA256_ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

/* Digest one message into out[0..31]. */
DEVICE_FN void sha256_message(const GLOBAL u8 *msg, u64 len, GLOBAL u8 *out) {
    u32 state[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    u32 w[64];
    u64 nblocks = (len + 9 + 63) / 64;
    for (u64 b = 0; b < nblocks; b++) {
        for (u32 j = 0; j < 16; j++) w[j] = sha256_block_word(msg, len, nblocks, b, j);
        sha256_compress(state, w);
    }
    for (int s = 0; s < 8; s++) {
        out[4 * s] = (u8)(state[s] >> 24);
        out[4 * s + 1] = (u8)(state[s] >> 16);
        out[4 * s + 2] = (u8)(state[s] >> 8);
        out[4 * s + 3] = (u8)state[s];
    }
}

KERNEL void sha256_batch(const GLOBAL u8 *data, const GLOBAL u64 *offsets, u64 n, GLOBAL u8 *out) {
    for (u64 i = GLOBAL_ID(); i < n; i += GLOBAL_SIZE()) {
        sha256_message(data + offsets[i], offsets[i + 1] - offsets[i], out + 32 * i);
    }
}

#endif
