"""SHA-256 as a numba.cuda kernel: one thread per message. Runs on a GPU, or on the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) for correctness checks on machines without one."""
from __future__ import annotations

import numpy as np
from numba import cuda, uint32, uint64

from ..measure.staged import NumbaCudaStaged
from ..packing import Packed
from .reference import H0, K

THREADS = 128
_K = np.array(K, dtype=np.uint32)
_H0 = np.array(H0, dtype=np.uint32)


@cuda.jit(device=True, inline=True)
def _rotr(x, n):
    return uint32((x >> n) | (x << (32 - n)))


@cuda.jit(device=True)
def _block_word(data, start, length, nblocks, b, j):
    pos = b * 64 + j * 4
    if pos + 4 <= length:
        i = start + pos
        return uint32((uint32(data[i]) << 24) | (uint32(data[i + 1]) << 16) | (uint32(data[i + 2]) << 8) | uint32(data[i + 3]))
    if b == nblocks - 1 and j >= 14:
        bits = uint64(length) * uint64(8)
        if j == 14:
            return uint32(bits >> uint64(32))
        return uint32(bits & uint64(0xFFFFFFFF))
    word = uint32(0)
    for k in range(4):
        p = pos + k
        byte = uint32(0)
        if p < length:
            byte = uint32(data[start + p])
        elif p == length:
            byte = uint32(0x80)
        word = uint32((word << 8) | byte)
    return word


@cuda.jit
def _sha256_kernel(data, offsets, k, h0, out):
    i = cuda.grid(1)
    if i >= out.shape[0]:
        return
    start = offsets[i]
    length = offsets[i + 1] - start
    nblocks = (length + 9 + 63) // 64
    w = cuda.local.array(64, dtype=uint32)
    st = cuda.local.array(8, dtype=uint32)
    for s in range(8):
        st[s] = h0[s]
    for b in range(nblocks):
        for j in range(16):
            w[j] = _block_word(data, start, length, nblocks, b, j)
        for t in range(16, 64):
            s0 = _rotr(w[t - 15], 7) ^ _rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            s1 = _rotr(w[t - 2], 17) ^ _rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = uint32(w[t - 16] + s0 + w[t - 7] + s1)
        a = st[0]
        b_ = st[1]
        c = st[2]
        d = st[3]
        e = st[4]
        f = st[5]
        g = st[6]
        h = st[7]
        for t in range(64):
            t1 = uint32(h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t])
            t2 = uint32((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b_) ^ (a & c) ^ (b_ & c)))
            h = g
            g = f
            f = e
            e = uint32(d + t1)
            d = c
            c = b_
            b_ = a
            a = uint32(t1 + t2)
        st[0] = uint32(st[0] + a)
        st[1] = uint32(st[1] + b_)
        st[2] = uint32(st[2] + c)
        st[3] = uint32(st[3] + d)
        st[4] = uint32(st[4] + e)
        st[5] = uint32(st[5] + f)
        st[6] = uint32(st[6] + g)
        st[7] = uint32(st[7] + h)
    for s in range(8):
        v = st[s]
        out[i, 4 * s] = (v >> 24) & 0xFF
        out[i, 4 * s + 1] = (v >> 16) & 0xFF
        out[i, 4 * s + 2] = (v >> 8) & 0xFF
        out[i, 4 * s + 3] = v & 0xFF


class Staged(NumbaCudaStaged):
    """The packed batch (data + offsets) in, one 32-byte digest per message out; buffers allocated once,
    the round constants and initial hash copied to the device at construction."""

    def __init__(self, packed: Packed):
        self.n = packed.count
        super().__init__(inputs={"data": packed.data, "offsets": packed.offsets},
                         outputs={"out": np.empty((packed.count, 32), dtype=np.uint8)},
                         constants={"k": _K, "h0": _H0})

    def launch(self) -> None:
        if self.n:
            blocks = (self.n + THREADS - 1) // THREADS
            d = self.dev
            _sha256_kernel[blocks, THREADS](d["data"], d["offsets"], d["k"], d["h0"], d["out"])


def compile() -> None:
    sha256_packed(Packed(np.zeros(1, np.uint8), np.array([0, 1], np.int64)))


def sha256_packed(packed: Packed) -> np.ndarray:
    return Staged(packed).run()
