"""Checksums as numba.cuda kernels, the same two passes as kernels/common/checksums.h: one thread per piece,
then one per buffer to combine the pieces. Runs on a GPU, or on the CUDA simulator (NUMBA_ENABLE_CUDASIM=1)
for correctness checks on machines without one."""
from __future__ import annotations

import numpy as np
from numba import cuda, int64, uint32, uint64

from ..measure.staged import NumbaCudaStaged
from ..packing import Packed
from .pieces import PiecesStaged, combine_passes
from .reference import ADLER_BASE
from .tables import ALGORITHM_CODES

THREADS = 128
CRC32C, ADLER32, INET16 = ALGORITHM_CODES["crc32c"], ALGORITHM_CODES["adler32"], ALGORITHM_CODES["inet16"]
TABLE_WORDS = 1056  # per CRC in device_tables(): 4 x 256 slicing-by-4 entries, then 32 x^(2^k) mod P
ADLER_NMAX = 5552  # zlib: most bytes before the 32-bit Adler sums can overflow
# Index arithmetic is int64 throughout (Numba types uint64 +/- int64 as float64); sums use these constants.
_BASE = uint64(ADLER_BASE)
_LOW16 = uint64(0xFFFF)
_ONES = uint32(0xFFFFFFFF)


@cuda.jit(device=True)
def _crc_bytes(tables, base, s, data, start, end):
    """Raw CRC register after data[start:end] from s: slicing-by-4, then single bytes."""
    i = start
    while i + 4 <= end:
        s = uint32(s ^ (uint32(data[i]) | (uint32(data[i + 1]) << 8) | (uint32(data[i + 2]) << 16)
                        | (uint32(data[i + 3]) << 24)))
        s = uint32(tables[base + 768 + int64(s & 0xFF)] ^ tables[base + 512 + int64((s >> 8) & 0xFF)]
                   ^ tables[base + 256 + int64((s >> 16) & 0xFF)] ^ tables[base + int64(s >> 24)])
        i += 4
    while i < end:
        s = uint32(tables[base + int64((s ^ data[i]) & 0xFF)] ^ (s >> 8))
        i += 1
    return s


@cuda.jit(device=True)
def _multmodp(poly, a, b):
    """a(x) b(x) mod P for reflected 32-bit values (zlib crc32.c)."""
    m = uint32(0x80000000)
    p = uint32(0)
    while m:
        if a & m:
            p = uint32(p ^ b)
            if (a & (m - 1)) == 0:
                break
        m = uint32(m >> 1)
        b = uint32((b >> 1) ^ poly) if b & 1 else uint32(b >> 1)
    return p


@cuda.jit(device=True)
def _xpow8n(poly, tables, x2n_base, n):
    """x^(8 n) mod P (zlib x2nmodp(n, 3)); n is an int64 byte count."""
    p = uint32(0x80000000)
    k = int64(3)
    while n:
        if n & 1:
            p = _multmodp(poly, tables[x2n_base + (k & 31)], p)
        n >>= 1
        k += 1
    return p


@cuda.jit(device=True)
def _adler(data, start, end):
    """Adler-32 of data[start:end] from 1 (RFC 1950), zlib's NMAX blocking."""
    a = uint64(1)
    b = uint64(0)
    i = start
    while i < end:
        k = min(ADLER_NMAX, end - i)
        for j in range(k):
            a += data[i + j]
            b += a
        a %= _BASE
        b %= _BASE
        i += k
    return uint32((b << uint64(16)) | a)


@cuda.jit(device=True)
def _fold16(s):
    while s >> uint64(16):
        s = (s & _LOW16) + (s >> uint64(16))
    return s


@cuda.jit(device=True)
def _inet_sum(data, start, end):
    """Ones'-complement sum of big-endian 16-bit words of data[start:end], folded to 16 bits."""
    s = uint64(0)
    i = start
    while i + 2 <= end:
        s += (uint64(data[i]) << uint64(8)) | uint64(data[i + 1])
        i += 2
    if i < end:
        s += uint64(data[i]) << uint64(8)
    return uint32(_fold16(s))


@cuda.jit(device=True)
def _piece(p, algorithm, poly, data, offsets, start, end, item, item_pieces, tables, partial):
    """Pass 1 for piece p (kernels/common/checksums.h checksum_pieces)."""
    s = start[p]
    e = end[p]
    if algorithm == ADLER32:
        partial[p] = _adler(data, s, e)
    elif algorithm == INET16:
        partial[p] = _inet_sum(data, s, e)
    else:
        base = TABLE_WORDS if algorithm == CRC32C else 0
        it = item[p]
        r = _crc_bytes(tables, base, _ONES if item_pieces[it] == p else uint32(0), data, s, e)
        after = offsets[it + 1] - e
        if after:
            r = _multmodp(poly, _xpow8n(poly, tables, base + 1024, after), r)
        partial[p] = r


@cuda.jit(device=True)
def _combine(j, algorithm, in_len, seg_first, inp, out, out_len, finalize):
    """Pass 2 for segment j (checksum_combine): xor, adler32_combine, or a ones'-complement sum of the entries
    seg_first[j] .. seg_first[j + 1]; only the last level finalizes."""
    first = seg_first[j]
    last = seg_first[j + 1]
    total = in_len[first]
    if algorithm == ADLER32:
        a = int64(inp[first])
        for p in range(first + 1, last):
            rem = in_len[p] % ADLER_BASE
            a2 = int64(inp[p])
            s1 = ((a & 0xFFFF) + (a2 & 0xFFFF) + ADLER_BASE - 1) % ADLER_BASE
            s2 = ((a >> 16) + (a2 >> 16) + rem * (a & 0xFFFF) + ADLER_BASE - rem) % ADLER_BASE
            a = (s2 << 16) | s1
            total += in_len[p]
        out[j] = uint32(a)
    elif algorithm == INET16:
        s = uint64(inp[first])
        for p in range(first + 1, last):
            s += uint64(inp[p])
            total += in_len[p]
        s = _fold16(s)
        out[j] = uint32(~s & _LOW16) if finalize else uint32(s)
    else:
        x = uint32(inp[first])
        for p in range(first + 1, last):
            x = uint32(x ^ inp[p])
            total += in_len[p]
        out[j] = uint32(x ^ _ONES) if finalize else x
    out_len[j] = total


@cuda.jit
def _pieces_kernel(algorithm, poly, data, offsets, start, end, item, item_pieces, tables, partial):
    p = cuda.grid(1)
    if p < start.shape[0]:
        _piece(p, algorithm, poly, data, offsets, start, end, item, item_pieces, tables, partial)


@cuda.jit
def _combine_kernel(algorithm, in_len, seg_first, inp, out, out_len, finalize):
    j = cuda.grid(1)
    if j < out.shape[0]:
        _combine(j, algorithm, in_len, seg_first, inp, out, out_len, finalize)


class Staged(PiecesStaged, NumbaCudaStaged):
    """The batch and its pieces on the device (buffers allocated once, index arrays as int64: Numba types
    uint64 +/- int64 as float64); `launch` runs the two passes."""

    index_dtype = np.int64
    code_dtype = np.int64

    def launch(self) -> None:
        if not self.n:
            return
        d, npieces = self.dev, self.sizes["pieces"]
        _pieces_kernel[(npieces + THREADS - 1) // THREADS, THREADS](
            self.algorithm, self.poly, d["data"], d["offsets"], d["start"], d["end"], d["item"], d["item_pieces"],
            d["tables"], d["partial"])
        for in_len, first, nseg, inp, out, out_len, finalize in combine_passes(self.sizes, self.n):
            _combine_kernel[(nseg + THREADS - 1) // THREADS, THREADS](
                self.algorithm, d[in_len], d[first], d[inp], d[out], d[out_len], np.int64(finalize))


def compile() -> None:
    packed = Packed(np.zeros(8, np.uint8), np.array([0, 8], np.int64))
    for algorithm in ALGORITHM_CODES:
        checksum_packed(algorithm, packed)


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    return Staged(algorithm, packed).run()
