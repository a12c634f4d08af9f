"""Constants every fast CRC kernel derives from the polynomial: byte tables, x^(2^k) mod P, fold constants.

All are computed here from the reflected polynomial (nothing is pasted from elsewhere) and checked by the
tests against the bitwise reference. Notation: P is the CRC polynomial; a "reflected" 32-bit value holds the
coefficient of x^j in bit 31 - j, as the CRC register does.
"""
from __future__ import annotations

import functools

import numpy as np

from .reference import POLYS

SLICES = 16  # slicing-by-16 tables (16 x 256 entries)


@functools.cache
def byte_tables(algorithm: str, slices: int = SLICES) -> np.ndarray:
    """(slices, 256) uint32: table[0] advances the register by one byte; table[k][b] is table[0][b] advanced
    by k more zero bytes (slicing-by-N, Kounavis and Berry, Intel 2005)."""
    poly = POLYS[algorithm]
    t = np.zeros((slices, 256), dtype=np.uint32)
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        t[0, b] = c
    for k in range(1, slices):
        prev = t[k - 1]
        t[k] = (prev >> 8) ^ t[0][prev & 0xFF]
    t.setflags(write=False)
    return t


def multmodp(poly: int, a: int, b: int) -> int:
    """a(x) * b(x) mod P for reflected 32-bit values (zlib 1.2.12 crc32.c multmodp)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if (a & (m - 1)) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1


@functools.cache
def x2n_table(algorithm: str) -> np.ndarray:
    """(32,) uint32: x^(2^k) mod P, reflected (zlib's x2n_table): the shift by n bits costs popcount(n) products."""
    poly = POLYS[algorithm]
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = multmodp(poly, p, p)
    out = np.array(table, dtype=np.uint32)
    out.setflags(write=False)
    return out


def xpow8n(algorithm: str, nbytes: int) -> int:
    """x^(8 * nbytes) mod P, reflected: the operator that advances a CRC register over nbytes zero bytes."""
    poly, table = POLYS[algorithm], x2n_table(algorithm)
    p, k, n = 1 << 31, 3, nbytes
    while n:
        if n & 1:
            p = multmodp(poly, int(table[k & 31]), p)
        n >>= 1
        k += 1
    return p


def _xpow_mod_normal(algorithm: str, n: int) -> int:
    """x^n mod P as an ordinary (non-reflected) polynomial: bit j is the coefficient of x^j."""
    full = (int(f"{POLYS[algorithm]:032b}"[::-1], 2)) | (1 << 32)  # P with x^32, ordinary bit order
    r = 1
    for _ in range(n):
        r <<= 1
        if r >> 32:
            r ^= full
    return r


def _rev64(c: int) -> int:
    """The coefficient of x^j at bit 63 - j: a polynomial of degree < 64 in the reflected 64-bit lane order."""
    return int(f"{c:064b}"[::-1], 2)


@functools.cache
def fold_constants(algorithm: str, distance: int) -> tuple[int, int]:
    """(k_lo, k_hi) that fold a 16-byte block forward by `distance` bytes with two carry-less products
    (Gopal et al., "Fast CRC computation for generic polynomials using PCLMULQDQ", Intel 2009), derived for the
    reflected lane order: a block's low qword holds L(x) x^64, its high qword H(x), so the block times
    x^(8 distance) is L x^(64 + 8d) + H x^(8d); clmul(rev a, rev b) = rev(a b x) supplies one factor x, hence
    k_lo = rev64(x^(64 + 8d - 1) mod P), k_hi = rev64(x^(8d - 1) mod P)."""
    d = 8 * distance
    return _rev64(_xpow_mod_normal(algorithm, 64 + d - 1)), _rev64(_xpow_mod_normal(algorithm, d - 1))


ALGORITHM_CODES = {"crc32": 0, "crc32c": 1, "adler32": 2, "inet16": 3}  # CK_* in kernels/common/checksums.h


@functools.cache
def device_tables() -> np.ndarray:
    """The `tables` argument of kernels/common/checksums.h: per CRC (crc32, then crc32c) 4 x 256 slicing-by-4
    entries and 32 entries x^(2^k) mod P, 1056 uint32 each."""
    parts = []
    for algorithm in ("crc32", "crc32c"):
        parts += [byte_tables(algorithm)[:4].reshape(-1), x2n_table(algorithm)]
    out = np.concatenate(parts).astype(np.uint32)
    out.setflags(write=False)
    return out


def device_poly(algorithm: str) -> np.uint32:
    """The `poly` kernel argument (unused by Adler-32 and the Internet checksum)."""
    return np.uint32(POLYS.get(algorithm, 0))
