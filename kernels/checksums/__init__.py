"""Checksums on every backend: CRC-32 (zlib), CRC-32C (Castagnoli), Adler-32, the Internet checksum
(RFC 1071); the IC's textual principal ids, which carry a CRC-32."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..packing import Packed, as_bytes, check_messages, pack
from ..registry import HOT_PATHS, backend_module, packed_input
from .principal import principal_from_text, principal_to_text
from ..hotpath import lazy_hot_path

ALGORITHMS = HOT_PATHS["kernels.checksums"]  # the operations: crc32, crc32c, adler32, inet16

__all__ = ["ALGORITHMS", "checksum_batch", "checksum_packed", "principal_to_text", "principal_from_text",
           "pack", "Packed"]


def check_algorithm(algorithm: str) -> None:
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


def checksum_batch(algorithm: str, buffers: Sequence, *, backend: str) -> np.ndarray:
    """The checksum of every buffer (bytes-like, any length): an (n,) uint32 array. inet16 values are the
    16-bit RFC 1071 checksum (as the integer the two big-endian checksum bytes spell)."""
    check_algorithm(algorithm)
    items = check_messages(buffers, "buffers")
    module = backend_module(algorithm, backend)
    if packed_input(backend):
        return module.checksum_packed(algorithm, pack(items))
    return module.checksum_batch(algorithm, [b if isinstance(b, bytes) else as_bytes(b) for b in items])


def checksum_packed(algorithm: str, packed: Packed, *, backend: str) -> np.ndarray:
    """Checksums of a batch that is already packed (data + offsets), without copying it."""
    check_algorithm(algorithm)
    module = backend_module(algorithm, backend)
    if packed_input(backend):
        return module.checksum_packed(algorithm, packed)
    d, o = packed.data, packed.offsets
    return module.checksum_batch(algorithm, [d[o[i]:o[i + 1]].tobytes() for i in range(packed.count)])


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
