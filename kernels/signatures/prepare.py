"""Host-side preparation for the Ed25519 kernels: fixed-size arrays and h = SHA-512(R || A || M) mod L.

The hash is done on the host with hashlib (OpenSSL) because messages are ragged (docs/REFERENCES.md section 2:
the GPU implementations batch SHA-512 separately too), the 64-byte digests reduced mod L in one compiled call
(scalars.reduce_bytes); the kernels then see 128 bytes per signature.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .reference import PUBLIC_KEY_BYTES, SIGNATURE_BYTES
from .scalars import reduce_bytes


@dataclass(frozen=True)
class Prepared:
    public_keys: np.ndarray  # (n, 32) uint8; zeros where the key had the wrong length
    signatures: np.ndarray  # (n, 64) uint8; zeros where the signature had the wrong length
    challenges: np.ndarray  # (n, 32) uint8, h = SHA-512(R || A || M) mod L, little-endian
    well_formed: np.ndarray  # (n,) bool: key and signature had the right lengths

    @property
    def count(self) -> int:
        return int(self.well_formed.size)

    def verdicts(self, kernel_out: np.ndarray) -> np.ndarray:
        """Kernel output (n,) uint8 -> (n,) bool, False for every malformed element."""
        return (np.asarray(kernel_out).reshape(-1)[: self.count] != 0) & self.well_formed

    def subset(self, rows: np.ndarray) -> "Prepared":
        """The elements at `rows` (copies): a sub-batch of batch verification."""
        return Prepared(self.public_keys[rows], self.signatures[rows], self.challenges[rows], self.well_formed[rows])

    def part(self, start: int, stop: int) -> "Prepared":
        """Elements start..stop (views): a batch split to fit a device's largest allocation."""
        return Prepared(self.public_keys[start:stop], self.signatures[start:stop], self.challenges[start:stop],
                        self.well_formed[start:stop])


def prepare(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes]) -> Prepared:
    """Fixed-size arrays of a checked batch (lists of bytes of equal lengths)."""
    n = len(public_keys)
    well_formed = np.fromiter((len(a) == PUBLIC_KEY_BYTES and len(s) == SIGNATURE_BYTES
                               for a, s in zip(public_keys, signatures)), dtype=bool, count=n)
    zero_key, zero_sig = bytes(PUBLIC_KEY_BYTES), bytes(SIGNATURE_BYTES)
    if well_formed.all():
        keys, sigs = public_keys, signatures
    else:
        keys = [a if ok else zero_key for a, ok in zip(public_keys, well_formed)]
        sigs = [s if ok else zero_sig for s, ok in zip(signatures, well_formed)]
    sha512 = hashlib.sha512
    digests = b"".join([sha512(s[:32] + a + m).digest() for a, m, s in zip(keys, messages, sigs)])
    return Prepared(public_keys=np.frombuffer(b"".join(keys), np.uint8).reshape(n, PUBLIC_KEY_BYTES),
                    signatures=np.frombuffer(b"".join(sigs), np.uint8).reshape(n, SIGNATURE_BYTES),
                    challenges=reduce_bytes(np.frombuffer(digests, np.uint8).reshape(n, 64)),
                    well_formed=well_formed)


class PreparedStaged:
    """The device buffers of a prepared batch, for a staged base of any device API (measure.staged):
    `class Staged(PreparedStaged, OpenCLStaged)`. Inputs: keys, signatures, challenges; output: one verdict
    byte per signature, turned into (n,) bool by `result`."""

    def __init__(self, prepared: Prepared, **kwargs):
        super().__init__(inputs={"pk": prepared.public_keys, "sig": prepared.signatures, "h": prepared.challenges},
                         outputs={"out": np.zeros(prepared.count, dtype=np.uint8)}, **kwargs)
        self.prepared = prepared

    def result(self) -> np.ndarray:
        return self.prepared.verdicts(self.outputs["out"])
