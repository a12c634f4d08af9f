"""SHA-256 in Numba on all CPU cores, multi-buffer: 16 messages hashed in lock-step.

The compression function is written with the 16 messages ("lanes") as the innermost loop, so LLVM
vectorises each round across lanes (one AVX-512 register holds one state word of 16 messages). The
working variables live in two arrays, ``A`` and ``E``: SHA-256 creates only a new ``a`` and a new ``e``
each round (the other six are the previous rounds' values), so round t reads rows t..t+3 and writes
row t + 4, and the loop carries no aliasing LLVM cannot see through. Messages of different lengths are
sorted by block count first so that lanes of a group finish together.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..packing import Packed
from .reference import H0, K

LANES = 16
_K = np.array(K, dtype=np.uint32)
_H0 = np.array(H0, dtype=np.uint32)


@njit(inline="always")
def _rotr(x, n):
    # Numba widens integer arithmetic to 64 bits; casting back to uint32 at every step lets LLVM keep
    # 16 lanes of 32 bits per AVX-512 register and emit native rotates.
    return np.uint32((x >> n) | (x << (32 - n)))


@njit(inline="always")
def _block_word(data, start, length, nblocks, b, j):
    """Big-endian word j of block b of the padded message (FIPS 180-4 section 5.1.1), built on the fly."""
    pos = b * 64 + j * 4
    if pos + 4 <= length:
        i = start + pos
        return (np.uint32(data[i]) << 24) | (np.uint32(data[i + 1]) << 16) | (np.uint32(data[i + 2]) << 8) | np.uint32(data[i + 3])
    if b == nblocks - 1 and j >= 14:
        bits = np.uint64(length) * np.uint64(8)
        return np.uint32(bits >> np.uint64(32)) if j == 14 else np.uint32(bits & np.uint64(0xFFFFFFFF))
    word = np.uint32(0)
    for k in range(4):
        p = pos + k
        byte = np.uint32(0)
        if p < length:
            byte = np.uint32(data[start + p])
        elif p == length:
            byte = np.uint32(0x80)
        word = (word << 8) | byte
    return word


@njit(parallel=True)
def _sha256_lanes(data, offsets, order, out):
    n = order.size
    for g in prange((n + LANES - 1) // LANES):
        W = np.empty(64 * LANES, np.uint32)
        A = np.empty(68 * LANES, np.uint32)
        E = np.empty(68 * LANES, np.uint32)
        state = np.empty(8 * LANES, np.uint32)
        starts = np.zeros(LANES, np.int64)
        lengths = np.zeros(LANES, np.int64)
        nblocks = np.zeros(LANES, np.int64)
        most = 0
        for l in range(LANES):
            m = g * LANES + l
            if m < n:
                i = order[m]
                starts[l] = offsets[i]
                lengths[l] = offsets[i + 1] - offsets[i]
                nblocks[l] = (lengths[l] + 9 + 63) // 64
                most = max(most, nblocks[l])
            for s in range(8):
                state[s * LANES + l] = _H0[s]
        for b in range(most):
            for l in range(LANES):
                if b < nblocks[l]:
                    for j in range(16):
                        W[j * LANES + l] = _block_word(data, starts[l], lengths[l], nblocks[l], b, j)
                else:
                    for j in range(16):
                        W[j * LANES + l] = 0
            for t in range(16, 64):
                for l in range(LANES):
                    w15 = W[(t - 15) * LANES + l]
                    w2 = W[(t - 2) * LANES + l]
                    s0 = np.uint32(_rotr(w15, 7) ^ _rotr(w15, 18) ^ (w15 >> 3))
                    s1 = np.uint32(_rotr(w2, 17) ^ _rotr(w2, 19) ^ (w2 >> 10))
                    W[t * LANES + l] = W[(t - 16) * LANES + l] + s0 + W[(t - 7) * LANES + l] + s1
            for l in range(LANES):
                for r in range(4):  # rows 3..0 hold a, b, c, d and e, f, g, h
                    A[(3 - r) * LANES + l] = state[r * LANES + l]
                    E[(3 - r) * LANES + l] = state[(4 + r) * LANES + l]
            for t in range(64):
                kt = _K[t]
                for l in range(LANES):
                    a = A[(t + 3) * LANES + l]
                    b_ = A[(t + 2) * LANES + l]
                    c = A[(t + 1) * LANES + l]
                    d = A[t * LANES + l]
                    e = E[(t + 3) * LANES + l]
                    f = E[(t + 2) * LANES + l]
                    g_ = E[(t + 1) * LANES + l]
                    h = E[t * LANES + l]
                    s1 = np.uint32(_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                    ch = np.uint32((e & f) ^ (~e & g_))
                    t1 = np.uint32(h + s1 + ch + kt + W[t * LANES + l])
                    s0 = np.uint32(_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22))
                    maj = np.uint32((a & b_) ^ (a & c) ^ (b_ & c))
                    t2 = np.uint32(s0 + maj)
                    E[(t + 4) * LANES + l] = d + t1
                    A[(t + 4) * LANES + l] = t1 + t2
            for l in range(LANES):
                if b < nblocks[l]:
                    for r in range(4):
                        state[r * LANES + l] += A[(67 - r) * LANES + l]
                        state[(4 + r) * LANES + l] += E[(67 - r) * LANES + l]
        for l in range(LANES):
            m = g * LANES + l
            if m < n:
                i = order[m]
                for s in range(8):
                    v = state[s * LANES + l]
                    out[i, 4 * s] = v >> 24
                    out[i, 4 * s + 1] = (v >> 16) & 0xFF
                    out[i, 4 * s + 2] = (v >> 8) & 0xFF
                    out[i, 4 * s + 3] = v & 0xFF


# One lane group fits in one thread: skip the thread pool's start-up cost (~10 us) for such batches.
_sha256_lanes_serial = njit(_sha256_lanes.py_func)


def lane_order(packed: Packed) -> np.ndarray:
    """Order in which messages fill the lanes: as given when there is one group or all messages have one
    block count, else sorted by block count so the lanes of a group finish together."""
    if packed.count <= LANES:
        return np.arange(packed.count, dtype=np.int64)
    blocks = (packed.lengths + 9 + 63) // 64
    if blocks.size == 0 or blocks.min() == blocks.max():
        return np.arange(packed.count, dtype=np.int64)
    return np.argsort(blocks, kind="stable").astype(np.int64)


def compile() -> None:
    """JIT-compile both variants of the kernel (timed once by the harness as the `compile` phase)."""
    sha256_packed(Packed(np.zeros(1, np.uint8), np.array([0, 1], np.int64)))
    sha256_packed(Packed(np.zeros(LANES + 1, np.uint8), np.arange(LANES + 2, dtype=np.int64)))


def threads(count: int) -> int | None:
    """CPU threads the kernel really uses for a batch of `count` messages: 1 for one lane group (the serial
    variant), else None (every Numba thread)."""
    return 1 if count <= LANES else None


def sha256_packed(packed: Packed) -> np.ndarray:
    out = np.empty((packed.count, 32), dtype=np.uint8)
    if packed.count:
        kernel = _sha256_lanes_serial if packed.count <= LANES else _sha256_lanes
        kernel(packed.data, packed.offsets, lane_order(packed), out)
    return out
