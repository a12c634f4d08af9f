/* What every canister shares: the heap layout, memcpy/memset/memcmp (no libc), the undo log through which
 * every persistent write goes, argument/reply helpers and SHA-256 (FIPS 180-4).
 *
 * Layout of the linear memory (kernels/requests/execution.py mirrors these addresses):
 *   [0, SCRATCH_BASE)             read-only data and the C stack (wasm-ld; the memory import asks <= 8 pages)
 *   [SCRATCH_BASE, CONTROL_BASE)  per-message scratch (argument copy, blocks being built); never persistent
 *   CONTROL_BASE                  u32: bytes committed to the undo log by the current message (host resets it)
 *   [UNDO_BASE, UNDO_END)         the undo log: entries {u32 addr, u32 len, len old bytes, pad to 4}
 *   [STATE_BASE, memory end)      the canister's persistent state (zero when the canister is created)
 * A new instance per message re-applies the data segments and resets the stack pointer, so no C global may
 * hold state (build.py rejects modules with .data/.bss segments). An entry is committed (the counter bumped)
 * only after its old bytes are copied, and the write happens only after the commit, so replaying the log
 * backwards undoes a message that traps anywhere, even out of instructions in the middle of a copy. */
#ifndef SUPPORT_H
#define SUPPORT_H

#include "ic0.h"

#define SCRATCH_BASE 0x80000u
#define CONTROL_BASE 0x100000u
#define UNDO_BASE 0x101000u
#define UNDO_END 0x200000u
#define STATE_BASE 0x200000u
#define WASM_PAGE 65536ull
#define STABLE_PAGE 65536ull

#define SCRATCH ((u8 *)SCRATCH_BASE)
#define SCRATCH_BYTES (CONTROL_BASE - SCRATCH_BASE)

typedef u64 __attribute__((aligned(1))) u64_unaligned; /* Wasm loads and stores need no alignment */

/* Eight bytes a step, then the tail (as a Rust canister's copy loop would; no bulk-memory opcodes). */
void *memcpy(void *dst, const void *src, unsigned long n) {
    u8 *d = dst;
    const u8 *s = src;
    for (; n >= 8; n -= 8, d += 8, s += 8) *(u64_unaligned *)d = *(const u64_unaligned *)s;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, unsigned long n) {
    u8 *d = dst;
    u64 pattern = 0x0101010101010101ull * (u8)c;
    for (; n >= 8; n -= 8, d += 8) *(u64_unaligned *)d = pattern;
    while (n--) *d++ = (u8)c;
    return dst;
}

int memcmp(const void *a, const void *b, unsigned long n) {
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

static inline u32 cstr_len(const char *s) {
    u32 n = 0;
    while (s[n]) n++;
    return n;
}

static inline __attribute__((noreturn)) void trap(const char *message) {
    ic0_trap((u32)message, cstr_len(message));
}

static inline u64 heap_bytes(void) { return (u64)__builtin_wasm_memory_size(0) * WASM_PAGE; }

static inline u64 load_u64(const u8 *p) {
    u64 v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline void store_u64(u8 *p, u64 v) {
    for (int i = 0; i < 8; i++) p[i] = (u8)(v >> (8 * i));
}

/* A compiler barrier: no store moves across it (the undo log's ordering rule). */
static inline void barrier(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

/* Record the `len` bytes at `addr` in the undo log; traps (before any write) when the log is full. */
static inline void undo_record(const void *addr, u32 len) {
    volatile u32 *used = (volatile u32 *)CONTROL_BASE;
    u32 entry = (8 + len + 3) & ~3u;
    if (len > UNDO_END - UNDO_BASE || *used > UNDO_END - UNDO_BASE - entry)
        trap("undo log full: the message writes more state than the log holds");
    u8 *e = (u8 *)(UNDO_BASE + *used);
    u32 head[2] = {(u32)addr, len};
    memcpy(e, head, 8);
    memcpy(e + 8, addr, len);
    barrier(); /* the old bytes are in the log before the entry counts ... */
    *used += entry;
    barrier(); /* ... and the entry counts before the caller writes */
}

/* Every write to persistent state goes through these two. */
static inline void state_write(void *dst, const void *src, u32 len) {
    undo_record(dst, len);
    memcpy(dst, src, len);
}

static inline void state_set_u64(u64 *dst, u64 value) {
    undo_record(dst, 8);
    *(volatile u64 *)dst = value;
}

/* The argument, copied into scratch; traps unless its size lies in [min, max]. */
static inline u8 *read_arg(u32 min, u32 max, u32 *size, const char *what) {
    u32 n = ic0_msg_arg_data_size();
    if (n < min || n > max || n > SCRATCH_BYTES) trap(what);
    ic0_msg_arg_data_copy(SCRATCH_BASE, 0, n);
    *size = n;
    return SCRATCH;
}

static inline void reply(const void *data, u32 len) {
    ic0_msg_reply_data_append((u32)data, len);
    ic0_msg_reply();
}

static inline void reply_u64(u64 value) {
    u8 b[8];
    store_u64(b, value);
    reply(b, 8);
}

/* SHA-256, FIPS 180-4. */
static const u32 SHA256_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline u32 rotr(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

static inline void sha256_block(u32 h[8], const u8 block[64]) {
    u32 w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (u32)block[4 * i] << 24 | (u32)block[4 * i + 1] << 16 | (u32)block[4 * i + 2] << 8 |
               block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        u32 t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i];
        u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static inline void sha256(const u8 *data, u32 len, u8 out[32]) {
    u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    u8 tail[128];
    u32 full = len & ~63u;
    for (u32 i = 0; i < full; i += 64) sha256_block(h, data + i);
    u32 rest = len - full, tail_len = rest < 56 ? 64 : 128;
    memset(tail, 0, sizeof tail);
    memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    u64 bits = (u64)len * 8;
    for (int i = 0; i < 8; i++) tail[tail_len - 1 - i] = (u8)(bits >> (8 * i));
    for (u32 i = 0; i < tail_len; i += 64) sha256_block(h, tail + i);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (u8)(h[i] >> 24), out[4 * i + 1] = (u8)(h[i] >> 16);
        out[4 * i + 2] = (u8)(h[i] >> 8), out[4 * i + 3] = (u8)h[i];
    }
}

#endif
