"""SHA-256 and the IC structures built on it: hash trees, request ids, state-manifest chunks."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import STANDARD_MODULES, backend_module
from . import hashtree
from .manifest import manifest_chunk_hashes
from ..packing import Packed, as_bytes, check_messages, pack
from .request_id import request_id, request_ids

SHA256_BACKENDS = STANDARD_MODULES
# Every hashing operation runs on the SHA-256 backends.
BACKEND_MODULES = {op: SHA256_BACKENDS for op in ("sha256", "hashtree", "request_id", "manifest_chunks")}
PACKED_INPUT = ("numba_cpu", "opencl", "numba_cuda", "cupy")  # backends that take data + offsets

__all__ = ["sha256_batch", "sha256_packed", "hashtree", "request_id", "request_ids", "manifest_chunk_hashes",
           "pack", "Packed"]


def sha256_batch(messages: Sequence, *, backend: str) -> np.ndarray:
    """SHA-256 of every message (bytes-like, any length): an (n, 32) uint8 array."""
    items = check_messages(messages)
    module = backend_module("sha256", backend)
    if backend in PACKED_INPUT:
        return module.sha256_packed(pack(items))
    return module.sha256_batch([m if isinstance(m, bytes) else as_bytes(m) for m in items])


def sha256_packed(packed: Packed, *, backend: str) -> np.ndarray:
    """SHA-256 of a batch that is already packed (data + offsets), without copying it."""
    module = backend_module("sha256", backend)
    if backend in PACKED_INPUT:
        return module.sha256_packed(packed)
    d, o = packed.data, packed.offsets
    return module.sha256_batch([memoryview(d[o[i]:o[i + 1]]) for i in range(packed.count)])
