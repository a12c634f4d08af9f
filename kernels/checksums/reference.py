"""Checksums written from their specifications, in plain Python: slow, readable, the oracle of last resort.

- CRC-32 (ISO 3309 / ITU-T V.42, the zlib and Ethernet CRC) and CRC-32C (Castagnoli, RFC 3720 appendix B.4):
  reflected, register preset to all ones, final complement; computed here one bit at a time from the polynomial.
- Adler-32: RFC 1950 section 8.2.
- Internet checksum: RFC 1071 (big-endian 16-bit words, odd length padded with a zero byte, the complement of
  the ones'-complement sum).
- CRC combination (the CRC of A ‖ B from the CRCs of A and B and the length of B): the GF(2) matrix method of
  zlib's original ``crc32_combine`` (Mark Adler), written out with 32x32 bit matrices.
"""
from __future__ import annotations

import numpy as np

# Reflected (LSB-first) generator polynomials, x^32 implied.
CRC32_POLY = 0xEDB88320  # ISO 3309 / zlib: 0x04C11DB7 bit-reversed
CRC32C_POLY = 0x82F63B78  # Castagnoli (RFC 3720 B.4): 0x1EDC6F41 bit-reversed
POLYS = {"crc32": CRC32_POLY, "crc32c": CRC32C_POLY}
ADLER_BASE = 65521  # RFC 1950: largest prime smaller than 65536
MASK = 0xFFFFFFFF


def crc_raw(poly: int, state: int, data: bytes) -> int:
    """The CRC register after feeding `data` into `state`, one bit at a time (no pre/post conditioning)."""
    for byte in data:
        state ^= byte
        for _ in range(8):
            state = (state >> 1) ^ poly if state & 1 else state >> 1
    return state


def crc(poly: int, data: bytes, value: int = 0) -> int:
    """CRC continuing from a previous final value (0 for a fresh start), as zlib.crc32(data, value)."""
    return crc_raw(poly, value ^ MASK, data) ^ MASK


def crc32(data: bytes, value: int = 0) -> int:
    return crc(CRC32_POLY, data, value)


def crc32c(data: bytes, value: int = 0) -> int:
    return crc(CRC32C_POLY, data, value)


def adler32(data: bytes, value: int = 1) -> int:
    """RFC 1950 section 8.2: s1 = 1 + sum of bytes, s2 = sum of the s1s, both mod 65521; s2 << 16 | s1."""
    s1, s2 = value & 0xFFFF, value >> 16
    for byte in data:
        s1 = (s1 + byte) % ADLER_BASE
        s2 = (s2 + s1) % ADLER_BASE
    return (s2 << 16) | s1


def inet16(data: bytes) -> int:
    """RFC 1071: the 16-bit ones'-complement of the ones'-complement sum of the big-endian 16-bit words."""
    if len(data) % 2:
        data = bytes(data) + b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# --- combining CRCs: zlib's original crc32_combine, GF(2) matrices -----------------------------------------

def _gf2_times(matrix: list[int], vector: int) -> int:
    """Matrix (32 column vectors) times a 32-bit vector over GF(2)."""
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, column) for column in matrix]


def crc_combine(poly: int, crc1: int, crc2: int, len2: int) -> int:
    """CRC of A ‖ B from crc1 = CRC(A), crc2 = CRC(B) and len2 = len(B): crc1 advanced over len2 zero bytes by
    repeated squaring of the one-zero-bit operator, then xor crc2 (zlib 1.2.11 crc32_combine_)."""
    if len2 < 0:
        raise ValueError(f"len2 must be non-negative, got {len2}")
    if len2 == 0:
        return crc1
    odd = [poly] + [1 << i for i in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """Adler-32 of A ‖ B from those of A and B and len(B) (zlib adler32_combine_)."""
    if len2 < 0:
        raise ValueError(f"len2 must be non-negative, got {len2}")
    rem = len2 % ADLER_BASE
    s1 = ((adler1 & 0xFFFF) + (adler2 & 0xFFFF) - 1) % ADLER_BASE
    s2 = ((adler1 >> 16) + (adler2 >> 16) + rem * (adler1 & 0xFFFF) - rem) % ADLER_BASE
    return (s2 << 16) | s1


FUNCTIONS = {"crc32": crc32, "crc32c": crc32c, "adler32": adler32, "inet16": inet16}


def checksum_batch(algorithm: str, buffers: list) -> np.ndarray:
    """Checksum of every buffer of an already checked batch: (n,) uint32."""
    fn = FUNCTIONS[algorithm]
    return np.array([fn(bytes(memoryview(b).cast("B"))) for b in buffers], dtype=np.uint32).reshape(-1)
