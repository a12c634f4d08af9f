"""Checksums as numba.cuda kernels, the same two passes as kernels/common/checksums.h: one thread per piece,
then one per buffer to combine the pieces. Runs on a GPU, or on the CUDA simulator (NUMBA_ENABLE_CUDASIM=1)
for correctness checks on machines without one."""
from __future__ import annotations

import numpy as np
from numba import cuda, int64, uint32, uint64

from .. import devices
from ..packing import Packed
from .pieces import device_arrays, two_level
from .reference import ADLER_BASE
from .tables import ALGORITHM_CODES, device_poly, device_tables

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


def host_arrays(packed: Packed) -> dict[str, np.ndarray]:
    """device_arrays with the index arrays as int64 (the values are the same, non-negative)."""
    return {name: a if name == "data" else a.view(np.int64) for name, a in device_arrays(packed).items()}


class Staged:
    """Device copies of the batch and its pieces, so h2d, kernel and d2h can be timed apart."""

    def __init__(self, algorithm: str, packed: Packed):
        self.algorithm = np.int64(ALGORITHM_CODES[algorithm])
        self.poly = device_poly(algorithm)
        self.n = packed.count
        self.host = host_arrays(packed)
        self.npieces = self.host["start"].size
        self.d_tables = cuda.to_device(device_tables())
        self.ngroups = self.host["group_first"].size - 1
        self.two_level = two_level(self.host)
        self.d_partial = cuda.device_array(max(self.npieces, 1), dtype=np.uint32)
        self.d_group = cuda.device_array(self.ngroups, dtype=np.uint32)
        self.d_group_len = cuda.device_array(self.ngroups, dtype=np.int64)
        self.d_out = cuda.device_array(self.n, dtype=np.uint32)
        self.d_out_len = cuda.device_array(self.n, dtype=np.int64)

    def h2d(self) -> None:
        self.d = {name: cuda.to_device(a) for name, a in self.host.items()}

    def kernel(self) -> None:
        if not self.n:
            return
        d = self.d
        blocks = (self.npieces + THREADS - 1) // THREADS
        _pieces_kernel[blocks, THREADS](self.algorithm, self.poly, d["data"], d["offsets"], d["start"], d["end"],
                                        d["item"], d["item_pieces"], self.d_tables, self.d_partial)
        if self.two_level:  # pieces -> groups of COMBINE_FAN_IN -> buffers
            self._combine(d["piece_len"], d["group_first"], self.d_partial, self.d_group, self.d_group_len, 0)
            self._combine(self.d_group_len, d["item_groups"], self.d_group, self.d_out, self.d_out_len, 1)
        else:
            self._combine(d["piece_len"], d["item_pieces"], self.d_partial, self.d_out, self.d_out_len, 1)

    def _combine(self, in_len, seg_first, inp, out, out_len, finalize: int) -> None:
        blocks = (out.shape[0] + THREADS - 1) // THREADS
        _combine_kernel[blocks, THREADS](self.algorithm, in_len, seg_first, inp, out, out_len, np.int64(finalize))

    def d2h(self) -> np.ndarray:
        return self.d_out.copy_to_host()

    def sync(self) -> None:
        cuda.synchronize()


def compile() -> None:
    packed = Packed(np.zeros(8, np.uint8), np.array([0, 8], np.int64))
    for algorithm in ALGORITHM_CODES:
        checksum_packed(algorithm, packed)


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    return devices.run_staged(Staged(algorithm, packed))
