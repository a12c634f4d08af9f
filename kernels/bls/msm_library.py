"""The BLS12-381 group operations as a node would call them today: blst through pyblst.

Decompression is blst's (`uncompress`: ZCash encoding, on-curve and subgroup checks; it raises on anything
else); the msm is one blst scalar multiplication per point and a sum, the per-point loop (pyblst exposes no
multi-scalar multiplication).
"""
from __future__ import annotations

import numpy as np
from pyblst import BlstP1Element, BlstP2Element

from .msm import scalar_ints

_ELEMENT = {"g1": BlstP1Element, "g2": BlstP2Element}


def decode(group: str, points: list[bytes]):
    cls = _ELEMENT[group]
    elements = []
    for p in points:
        try:
            elements.append(cls.uncompress(p))
        except ValueError:
            elements.append(None)
    return np.array([e is not None for e in elements], dtype=bool), elements


def msm(decoded, limbs: np.ndarray) -> bytes:
    total = _ELEMENT[decoded.group]()  # the identity
    for element, s in zip(decoded.payload, scalar_ints(limbs)):
        if s:
            total = total + element.scalar_mul(s)
    return total.compress()
