"""SHA-256 and the IC structures built on it: hash trees, request ids, state-manifest chunks."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..packing import Packed, as_bytes, check_messages, pack, pack_rows, unpack
from ..registry import backend_module, packed_input
from . import hashtree
from .manifest import manifest_chunk_hashes
from .request_id import Int, Nat, hash_value, request_id, request_ids
from ..hotpath import lazy_hot_path

__all__ = ["sha256_batch", "sha256_packed", "hashtree", "request_id", "request_ids", "hash_value", "Nat", "Int",
           "manifest_chunk_hashes", "pack", "Packed"]


def sha256_batch(messages: Sequence | np.ndarray | Packed, *, backend: str) -> np.ndarray:
    """SHA-256 of every message: an (n, 32) uint8 array. `messages` is a sequence of bytes-like messages (any
    lengths), a 2-D uint8 array (n, k) of n messages of k bytes, or an already packed batch; the last two are
    read where they lie, without a copy (a 2-D array whose rows are not C-contiguous is copied once)."""
    if isinstance(messages, Packed):
        return sha256_packed(messages, backend=backend)
    if isinstance(messages, np.ndarray):  # a 2-D uint8 array, else TypeError
        return sha256_packed(pack_rows(messages), backend=backend)
    module = backend_module("sha256", backend)
    if packed_input(backend):
        return module.sha256_packed(pack(messages))
    items = check_messages(messages)
    return module.sha256_batch([m if isinstance(m, bytes) else as_bytes(m) for m in items])


ZERO_COPY_MIN_BYTES = 4096  # from this mean item size a view per item beats one copy and a bytes slice per item


def sha256_packed(packed: Packed, *, backend: str) -> np.ndarray:
    """SHA-256 of a batch that is already packed (data + offsets), without copying it."""
    module = backend_module("sha256", backend)
    if packed_input(backend):
        return module.sha256_packed(packed)
    if packed.count and packed.data.size // packed.count >= ZERO_COPY_MIN_BYTES:  # big items: no copy at all
        view, bounds = memoryview(packed.data), packed.offsets.tolist()
        return module.sha256_batch(list(map(view.__getitem__, map(slice, bounds[:-1], bounds[1:]))))
    return module.sha256_batch(unpack(packed))


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
