"""SHA-256 and the IC structures built on it: hash trees, request ids, state-manifest chunks."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..packing import Packed, as_bytes, check_messages, pack
from ..registry import backend_module, packed_input
from . import hashtree
from .manifest import manifest_chunk_hashes
from .request_id import Int, Nat, hash_value, request_id, request_ids
from ..hotpath import lazy_hot_path

__all__ = ["sha256_batch", "sha256_packed", "hashtree", "request_id", "request_ids", "hash_value", "Nat", "Int",
           "manifest_chunk_hashes", "pack", "Packed"]


def sha256_batch(messages: Sequence | Packed, *, backend: str) -> np.ndarray:
    """SHA-256 of every message (bytes-like, any length; or an already packed batch): an (n, 32) uint8 array."""
    if isinstance(messages, Packed):
        return sha256_packed(messages, backend=backend)
    items = check_messages(messages)
    module = backend_module("sha256", backend)
    if packed_input(backend):
        return module.sha256_packed(pack(items))
    return module.sha256_batch([m if isinstance(m, bytes) else as_bytes(m) for m in items])


def sha256_packed(packed: Packed, *, backend: str) -> np.ndarray:
    """SHA-256 of a batch that is already packed (data + offsets), without copying it."""
    module = backend_module("sha256", backend)
    if packed_input(backend):
        return module.sha256_packed(packed)
    d, o = packed.data, packed.offsets
    return module.sha256_batch([memoryview(d[o[i]:o[i + 1]]) for i in range(packed.count)])


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
