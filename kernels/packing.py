"""Pack a batch of byte strings into one contiguous buffer plus offsets, copying only what must be copied.

Every accelerator backend takes the same packed form: ``data`` (uint8, all messages back to back) and
``offsets`` (int64, n + 1 entries, message i is ``data[offsets[i]:offsets[i + 1]]``). A batch arrives as

- a list of bytes-like messages: packed with one copy, by C-level passes only (types, lengths, ``b"".join``),
  never a Python loop per message; a list holding one contiguous buffer is wrapped without a copy;
- a 2-D uint8 array ``(n, k)``: n messages of k bytes, its C-contiguous memory used as it is (``pack_rows``);
- a ``Packed`` already: used as it is.

Packing is timed as its own phase (``pack``) by the benchmarks.
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


def _checked(messages: Sequence, name: str) -> tuple[list, bool]:
    """(the batch as a list, whether every item is exactly `bytes`); TypeError for anything not bytes-like.
    A list is used as it is, not copied."""
    if isinstance(messages, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"{name} must be a sequence of bytes-like objects, not a single {type(messages).__name__}")
    if type(messages) is list:
        items = messages
    else:
        try:
            items = list(messages)
        except TypeError:
            raise TypeError(f"{name} must be a sequence of bytes-like objects, got {type(messages).__name__}") from None
    if set(map(type, items)) <= {bytes}:  # the common case, checked by one C-level pass
        return items, True
    for i, m in enumerate(items):
        if not isinstance(m, (bytes, bytearray, memoryview, np.ndarray)):
            raise TypeError(f"{name}[{i}] must be bytes-like, got {type(m).__name__}")
        if isinstance(m, np.ndarray) and m.dtype != np.uint8:
            raise TypeError(f"{name}[{i}] must be a uint8 array, got dtype {m.dtype}")
    return items, False


def check_messages(messages: Sequence, name: str = "messages") -> list:
    """Return the batch as a list (a list is returned as it is, not copied), raising TypeError for anything
    that is not bytes-like."""
    return _checked(messages, name)[0]


def check_rows(rows: np.ndarray, name: str = "messages") -> np.ndarray:
    """A 2-D uint8 array of messages, or TypeError naming the argument."""
    if not isinstance(rows, np.ndarray) or rows.ndim != 2 or rows.dtype != np.uint8:
        what = f"{rows.ndim}-D {rows.dtype} array" if isinstance(rows, np.ndarray) else type(rows).__name__
        raise TypeError(f"{name} must be a 2-D uint8 array (n, k), got a {what}")
    return rows


def is_rows(messages) -> bool:
    """Whether a batch is given as a 2-D array (one message per row)."""
    return isinstance(messages, np.ndarray) and messages.ndim == 2


def pack_rows(rows: np.ndarray, name: str = "messages") -> Packed:
    """The rows of a 2-D uint8 array (n, k) as a Packed: the array's own memory when its rows are C-contiguous
    (no copy), else one copy into a contiguous array."""
    rows = check_rows(rows, name)
    n, k = rows.shape
    data = np.ascontiguousarray(rows).reshape(-1)
    return Packed(data=data, offsets=np.arange(0, n * k + 1, k, dtype=np.int64) if k else np.zeros(n + 1, np.int64))


def pack(messages) -> Packed:
    """Pack a batch (a list of bytes-like messages of any lengths, a 2-D uint8 array, or a Packed). A list of one
    contiguous buffer is wrapped without a copy (a 64 MiB buffer would otherwise be copied before it is read);
    a list of `bytes` is packed by C-level passes: its lengths, then one `b"".join`."""
    if isinstance(messages, Packed):
        return messages
    if is_rows(messages):
        return pack_rows(messages)
    items, only_bytes = _checked(messages, "messages")
    if len(items) == 1:
        view = memoryview(items[0])
        if view.contiguous:
            data = np.frombuffer(view.cast("B"), dtype=np.uint8)
            return Packed(data=data, offsets=np.array([0, data.size], dtype=np.int64))
    if not only_bytes:
        items = [m if type(m) is bytes else as_bytes(m) for m in items]
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)), out=offsets[1:])
    return Packed(data=np.frombuffer(b"".join(items), dtype=np.uint8), offsets=offsets)


def unpack(packed: Packed) -> list[bytes]:
    """The messages of a packed batch as a list of `bytes` (for backends that take Python objects): one copy of
    the data, then one slice per message, by C-level passes."""
    raw = packed.data.tobytes()
    bounds = packed.offsets.tolist()
    return list(map(raw.__getitem__, map(slice, bounds[:-1], bounds[1:])))


def check_signed_batch(public_keys: Sequence, messages: Sequence, signatures: Sequence) -> tuple[list, list, list]:
    """A signature batch's three sequences as lists of bytes (every signature scheme takes them so): TypeError
    for a non-bytes-like item, ValueError for unequal lengths."""
    keys = [k if type(k) is bytes else as_bytes(k) for k in check_messages(public_keys, "public_keys")]
    msgs = [m if type(m) is bytes else as_bytes(m) for m in check_messages(messages, "messages")]
    sigs = [s if type(s) is bytes else as_bytes(s) for s in check_messages(signatures, "signatures")]
    if not len(keys) == len(msgs) == len(sigs):
        raise ValueError(f"public_keys, messages and signatures must have the same length, got "
                         f"{len(keys)}, {len(msgs)} and {len(sigs)}")
    return keys, msgs, sigs


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
