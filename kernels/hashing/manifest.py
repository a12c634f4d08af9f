"""State-manifest chunk hashing: a checkpoint cuts every state file into 1 MiB chunks and hashes each
(dfinity/ic state_manager; docs/REFERENCES.md section 1). Here the chunks are hashed as one batch, zero-copy."""
from __future__ import annotations

import numpy as np

from ..packing import Packed

CHUNK_SIZE = 1 << 20  # 1 MiB, the state manifest's chunk size (dfinity/ic state_manager)


def chunk_offsets(nbytes: int, chunk_size: int = CHUNK_SIZE) -> np.ndarray:
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    return np.append(np.arange(0, nbytes, chunk_size, dtype=np.int64), np.int64(nbytes)) if nbytes else np.zeros(1, np.int64)


def manifest_chunk_hashes(data, *, chunk_size: int = CHUNK_SIZE, backend: str = "library") -> np.ndarray:
    """SHA-256 of each `chunk_size` chunk of `data` (the last one may be shorter): (chunks, 32) uint8."""
    from . import sha256_packed

    if not isinstance(data, (bytes, bytearray, memoryview, np.ndarray)):
        raise TypeError(f"data must be bytes-like, got {type(data).__name__}")
    if isinstance(data, np.ndarray):
        flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    else:
        flat = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    return sha256_packed(Packed(flat, chunk_offsets(flat.size, chunk_size)), backend=backend)
