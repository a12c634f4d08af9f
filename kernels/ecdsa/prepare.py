"""Host-side preparation for the ECDSA kernels: every item as five 256-bit numbers in 64-bit limbs.

The key's point is cut out of its encoding (curves.uncompressed_point), the message hashed with hashlib's
SHA-256 (messages are ragged; the hash is a small part of the cost), and x, y, e = SHA-256(m), r, s become
(n, 5, 4) uint64, least significant limb first: 160 bytes per signature whatever the message length. The
kernels do the rest (range checks, the curve equation, s^-1 mod n, u1 G + u2 Q, x(R) mod n == r).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .curves import CURVES, SIGNATURE_BYTES, uncompressed_point

FIELDS = ("qx", "qy", "e", "r", "s")  # the order of the five numbers in `words`
_ZERO_POINT, _ZERO_SIG = bytes(64), bytes(SIGNATURE_BYTES)


@dataclass(frozen=True)
class Prepared:
    curve: str
    words: np.ndarray  # (n, 5, 4) uint64: qx, qy, e, r, s, little-endian limbs; zeros where malformed
    well_formed: np.ndarray  # (n,) bool: the key had an accepted encoding and the signature 64 bytes

    @property
    def count(self) -> int:
        return int(self.well_formed.size)

    def verdicts(self, kernel_out: np.ndarray) -> np.ndarray:
        """Kernel output (n,) uint8 -> (n,) bool, False for every malformed element."""
        return (np.asarray(kernel_out).reshape(-1)[: self.count] != 0) & self.well_formed

    def part(self, start: int, stop: int) -> "Prepared":
        return Prepared(self.curve, self.words[start:stop], self.well_formed[start:stop])


def limbs_from_bytes(rows: np.ndarray) -> np.ndarray:
    """(n, 32 k) uint8 of big-endian 256-bit numbers -> (n, k, 4) uint64, least significant limb first."""
    n = rows.shape[0]
    words = np.frombuffer(np.ascontiguousarray(rows).tobytes(), dtype=">u8").reshape(n, -1, 4)
    return np.ascontiguousarray(words[:, :, ::-1]).astype(np.uint64)


def prepare(curve: str, public_keys: list[bytes], messages: list[bytes], signatures: list[bytes]) -> Prepared:
    """Fixed-size limbs of a checked batch (lists of bytes of equal lengths)."""
    spec = CURVES[curve]
    n = len(public_keys)
    points = [uncompressed_point(spec, k) for k in public_keys]
    well_formed = np.fromiter((p is not None and len(s) == SIGNATURE_BYTES for p, s in zip(points, signatures)),
                              dtype=bool, count=n)
    sha256 = hashlib.sha256
    if well_formed.all():
        rows = b"".join([p + sha256(m).digest() + s for p, m, s in zip(points, messages, signatures)])
    else:
        rows = b"".join([p + sha256(m).digest() + s if ok else _ZERO_POINT + bytes(32) + _ZERO_SIG
                         for p, m, s, ok in zip(points, messages, signatures, well_formed)])
    words = limbs_from_bytes(np.frombuffer(rows, np.uint8).reshape(n, 160)) if n else np.zeros((0, 5, 4), np.uint64)
    return Prepared(curve, words, well_formed)


class PreparedStaged:
    """The device buffers of a prepared batch, for a staged base of any device API (measure.staged):
    `class Staged(PreparedStaged, OpenCLStaged)`. Input: the limbs; output: one verdict byte per signature."""

    def __init__(self, prepared: Prepared, **kwargs):
        super().__init__(inputs={"words": prepared.words}, outputs={"out": np.zeros(prepared.count, dtype=np.uint8)},
                         **kwargs)
        self.prepared = prepared

    def result(self) -> np.ndarray:
        return self.prepared.verdicts(self.outputs["out"])
