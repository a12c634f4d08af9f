"""Request ids and the representation-independent hash of structured data (IC interface spec,
"Representation-independent hashing of structured data" and "Request ids").

    hash(blob)   = H(blob)                      bytes, bytearray, memoryview as they are
    hash(text)   = H(UTF-8 of the text)
    hash(nat)    = H(unsigned LEB128)           Nat(n), or a plain Python int >= 0
    hash(int)    = H(signed LEB128, SLEB128)    Int(n), or a plain Python int < 0
    hash(array)  = H(hash(e1) || hash(e2) || ...)
    hash(map)    = H(concatenation, in sorted order, of H(key) || hash(value) for each field)

Which integer encoding applies is the field's type, not its value: a request's `ingress_expiry` is a nat, a
field typed int is SLEB128 whatever its sign. A plain Python int means nat when it is non-negative (the
fields of a call request are all nats) and int when it is negative (no nat is negative). The two encodings
agree for 0..63 and differ from 64 up (64 is 0x40 as a nat, 0xc0 0x00 as an int), so a caller hashing a
field typed int wraps its value: ``Int(64)``. ``Nat(n)`` says "nat" explicitly and rejects n < 0.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress
from operator import is_

import numpy as np

from ..packing import Packed
from .levels import Job, run_levels


@dataclass(frozen=True)
class Int:
    """A value of the spec's type int: hashed as signed LEB128 (SLEB128), also when it is non-negative."""

    value: int

    def __post_init__(self):
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError(f"{type(self).__name__} takes an int, got {type(self.value).__name__}")


@dataclass(frozen=True)
class Nat(Int):
    """A value of the spec's type nat: hashed as unsigned LEB128."""

    def __post_init__(self):
        super().__post_init__()
        if self.value < 0:
            raise ValueError(f"Nat must be >= 0, got {self.value}; wrap a signed value as Int({self.value})")


def leb128(n: int) -> bytes:
    """Unsigned LEB128 encoding of a natural number."""
    if n < 0:
        raise ValueError(f"unsigned LEB128 encodes naturals only, got {n}; use sleb128 (Int) for signed values")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb128(n: int) -> bytes:
    """Signed LEB128 encoding of an integer: 7 bits per byte, low first, until the rest is the sign extension
    of the last byte's bit 6 (so -1 is 0x7f and 64 is 0xc0 0x00)."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7  # Python's >> on a negative int is arithmetic
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _encode_scalar(value) -> bytes | None:
    if isinstance(value, bool):
        raise TypeError("booleans have no representation-independent encoding")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, Nat):
        return leb128(value.value)
    if isinstance(value, Int):
        return sleb128(value.value)
    if isinstance(value, int):
        return leb128(value) if value >= 0 else sleb128(value)
    return None


def _sorted_pairs(pieces: list[bytes]) -> bytes:
    return b"".join(sorted(pieces[i] + pieces[i + 1] for i in range(0, len(pieces), 2)))


def _value_job(value) -> Job:
    scalar = _encode_scalar(value)
    if scalar is not None:
        return Job([scalar])
    if isinstance(value, dict):
        return map_job(value)
    if isinstance(value, (list, tuple)):
        return Job([_value_job(v) for v in value])
    raise TypeError(f"cannot hash a value of type {type(value).__name__}")


def map_job(content: dict) -> Job:
    """The hash job of a map: parts are H(name), H(value) pairs, joined in sorted order."""
    if not isinstance(content, dict):
        raise TypeError(f"content must be a dict, got {type(content).__name__}")
    parts: list[Job] = []
    for name, value in content.items():
        if not isinstance(name, str):
            raise TypeError(f"field names must be str, got {type(name).__name__}")
        parts += [Job([name.encode("utf-8")]), _value_job(value)]
    return Job(parts, combine=_sorted_pairs)


def hash_value(value) -> bytes:
    """The representation-independent hash (32 bytes) of any value: blob, text, nat, int, array or map.
    The spec's recursive definition, one hashlib call at a time (also the oracle of the batched path)."""
    scalar = _encode_scalar(value)
    if scalar is not None:
        return hashlib.sha256(scalar).digest()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("field names must be str")
        pairs = sorted(hashlib.sha256(k.encode()).digest() + hash_value(v) for k, v in value.items())
        return hashlib.sha256(b"".join(pairs)).digest()
    if isinstance(value, (list, tuple)):
        return hashlib.sha256(b"".join(hash_value(v) for v in value)).digest()
    raise TypeError(f"cannot hash a value of type {type(value).__name__}")


def request_id(content: dict) -> bytes:
    """Request id of one request content map (32 bytes)."""
    if not isinstance(content, dict):
        raise TypeError(f"content must be a dict, got {type(content).__name__}")
    return hash_value(content)


def _field_rows(contents: Sequence[dict], backend: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows, counts): one 64-byte row H(name) || hash(value) per field of every request, in request order, and the
    number of fields per request. Each distinct field name is hashed once; names and scalar values are hashed in
    one batch; nested values (arrays, maps) through their own level-by-level batches (run_levels)."""
    from . import sha256_batch

    counts = np.fromiter(map(len, contents), np.int64, count=len(contents))
    names = list(chain.from_iterable(contents))
    values = list(chain.from_iterable(map(dict.values, contents)))
    unique = dict.fromkeys(names)
    if not all(isinstance(name, str) for name in unique):
        bad = next(name for name in unique if not isinstance(name, str))
        raise TypeError(f"field names must be str, got {type(bad).__name__}")
    encoded = list(map(_encode_scalar, values))
    nested = list(compress(range(len(encoded)), map(partial(is_, None), encoded)))
    for i in nested:  # a TypeError for anything that is neither a scalar nor an array or a map
        encoded[i] = b""
    nested_jobs = [_value_job(values[i]) for i in nested]
    digests = sha256_batch([name.encode("utf-8") for name in unique] + encoded, backend=backend)
    position = dict(zip(unique, range(len(unique))))
    rows = np.empty((len(names), 64), np.uint8)
    rows[:, :32] = digests[np.fromiter(map(position.__getitem__, names), np.int64, count=len(names))]
    rows[:, 32:] = digests[len(unique):]
    if nested_jobs:
        inner = run_levels(nested_jobs, lambda messages: sha256_batch(messages, backend=backend))
        rows[nested, 32:] = np.frombuffer(b"".join(inner), np.uint8).reshape(-1, 32)
    return rows, counts


def request_ids(contents: Sequence[dict], *, backend: str = "library") -> np.ndarray:
    """Request ids of a batch (a block's ingress messages), in two batches on `backend`: every field name and
    value of every request (_field_rows), then every request's map message, assembled with numpy straight into
    one packed buffer: each request's 64-byte field rows sorted bytewise (one lexsort over all requests, keyed
    by request, then the rows' eight big-endian words) and laid back to back. Returns (n, 32) uint8."""
    from . import sha256_packed

    for content in contents:
        if not isinstance(content, dict):
            raise TypeError(f"content must be a dict, got {type(content).__name__}")
    if not contents:
        return np.zeros((0, 32), np.uint8)
    rows, counts = _field_rows(contents, backend)
    words = rows.view(">u8")  # (fields, 8): bytewise order of a row is the order of its big-endian words
    request = np.repeat(np.arange(len(contents), dtype=np.int64), counts)
    rows = rows[np.lexsort([words[:, j] for j in range(7, -1, -1)] + [request])]
    offsets = np.zeros(len(contents) + 1, np.int64)
    np.cumsum(64 * counts, out=offsets[1:])
    return sha256_packed(Packed(rows.reshape(-1), offsets), backend=backend)
