"""Pack a ragged batch of byte strings into one contiguous buffer plus offsets.

Every accelerator backend takes the same packed form: ``data`` (uint8, all messages back to back) and
``offsets`` (int64, n + 1 entries, message i is ``data[offsets[i]:offsets[i + 1]]``). Packing is done
once per batch and is timed as its own phase (``pack``) by the benchmarks.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Packed:
    data: np.ndarray  # uint8, concatenated messages
    offsets: np.ndarray  # int64, n + 1 boundaries

    @property
    def count(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def check_messages(messages: Sequence, name: str = "messages") -> list:
    """Return the batch as a list, raising TypeError for anything that is not bytes-like."""
    if isinstance(messages, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"{name} must be a sequence of bytes-like objects, not a single {type(messages).__name__}")
    try:
        items = list(messages)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of bytes-like objects, got {type(messages).__name__}") from None
    if set(map(type, items)) <= {bytes}:  # the common case, checked at C speed
        return items
    for i, m in enumerate(items):
        if not isinstance(m, (bytes, bytearray, memoryview, np.ndarray)):
            raise TypeError(f"{name}[{i}] must be bytes-like, got {type(m).__name__}")
        if isinstance(m, np.ndarray) and m.dtype != np.uint8:
            raise TypeError(f"{name}[{i}] must be a uint8 array, got dtype {m.dtype}")
    return items


def pack(messages: Sequence) -> Packed:
    """Concatenate a batch of bytes-like messages (any lengths, including empty) into a Packed. A batch of one
    contiguous buffer is wrapped without a copy (a 64 MiB buffer would otherwise be copied before it is read)."""
    items = check_messages(messages)
    if len(items) == 1:
        view = memoryview(items[0])
        if view.contiguous:
            data = np.frombuffer(view.cast("B"), dtype=np.uint8)
            return Packed(data=data, offsets=np.array([0, data.size], dtype=np.int64))
    if not set(map(type, items)) <= {bytes}:
        items = [m if type(m) is bytes else as_bytes(m) for m in items]
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)), out=offsets[1:])
    return Packed(data=np.frombuffer(b"".join(items), dtype=np.uint8), offsets=offsets)


def as_bytes(message) -> bytes:
    """Bytes of any bytes-like message (bytearray, memoryview with any strides, uint8 array)."""
    if isinstance(message, np.ndarray):
        return message.tobytes()
    return memoryview(message).tobytes()


def pack_equal(data: np.ndarray, item_size: int) -> Packed:
    """Pack a flat uint8 buffer cut into equal items (the fast path for fixed-size workloads)."""
    data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    if item_size <= 0 or data.size % item_size:
        raise ValueError(f"item_size={item_size} must be positive and divide the buffer length {data.size}")
    offsets = np.arange(0, data.size + 1, item_size, dtype=np.int64)
    return Packed(data=data, offsets=offsets)
