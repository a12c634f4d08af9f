"""The readable oracle for the BLS12-381 group kernels: py_ecc (pure Python, slow, for correctness only).

Decompression is py_ecc's ZCash decoder (py_ecc.bls.point_compression: flags, x < p, y from the square root,
on-curve check); the subgroup check is [r]P == O, the definition. The msm is the plain sum of py_ecc scalar
multiplications.
"""
from __future__ import annotations

import numpy as np
from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.optimized_bls12_381 import Z1, Z2, add, curve_order, is_inf, multiply

from .msm import scalar_ints

_DECOMPRESS = {"g1": decompress_G1, "g2": decompress_G2}
_IDENTITY = {"g1": Z1, "g2": Z2}


def _as_int(group: str, encoding: bytes):
    if group == "g1":
        return int.from_bytes(encoding, "big")
    return int.from_bytes(encoding[:48], "big"), int.from_bytes(encoding[48:], "big")


def decode_one(group: str, encoding: bytes):
    """The py_ecc point for a valid encoding, None for any invalid one."""
    try:
        point = _DECOMPRESS[group](_as_int(group, encoding))
    except ValueError:
        return None
    if not is_inf(multiply(point, curve_order)):
        return None
    return point


def decode(group: str, points: list[bytes]):
    decoded = [decode_one(group, p) for p in points]
    return np.array([d is not None for d in decoded], dtype=bool), decoded


def compress(group: str, point) -> bytes:
    if group == "g1":
        return compress_G1(point).to_bytes(48, "big")
    z1, z2 = compress_G2(point)
    return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")


def msm(decoded, limbs: np.ndarray) -> bytes:
    total = _IDENTITY[decoded.group]
    for point, s in zip(decoded.payload, scalar_ints(limbs)):
        if s:
            total = add(total, multiply(point, s))
    return compress(decoded.group, total)
