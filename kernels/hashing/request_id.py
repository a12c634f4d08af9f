"""Request ids: the representation-independent hash of a request's content map (IC interface spec,
"Request ids"): for each field H(name) || H(value), sorted, concatenated and hashed. Blobs as they are,
text as UTF-8, naturals as unsigned LEB128, arrays as H(concatenated element hashes), maps recursively."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from .levels import Job, run_levels


def leb128(n: int) -> bytes:
    """Unsigned LEB128 encoding of a natural number."""
    if n < 0:
        raise ValueError(f"naturals only: {n}")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _encode_scalar(value) -> bytes | None:
    if isinstance(value, bool):
        raise TypeError("booleans have no representation-independent encoding")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, int):
        return leb128(value)
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


def hash_of_value(value) -> bytes:
    """The spec's recursive definition, one hashlib call at a time: the oracle for the batched path."""
    scalar = _encode_scalar(value)
    if scalar is not None:
        return hashlib.sha256(scalar).digest()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("field names must be str")
        pairs = sorted(hashlib.sha256(k.encode()).digest() + hash_of_value(v) for k, v in value.items())
        return hashlib.sha256(b"".join(pairs)).digest()
    if isinstance(value, (list, tuple)):
        return hashlib.sha256(b"".join(hash_of_value(v) for v in value)).digest()
    raise TypeError(f"cannot hash a value of type {type(value).__name__}")


def request_id(content: dict) -> bytes:
    """Request id of one request content map (32 bytes)."""
    if not isinstance(content, dict):
        raise TypeError(f"content must be a dict, got {type(content).__name__}")
    return hash_of_value(content)


def request_ids(contents: Sequence[dict], *, backend: str = "library") -> np.ndarray:
    """Request ids of a batch (a block's ingress messages): all field hashes of all requests in one batch,
    then all map hashes in the next. Returns (n, 32) uint8."""
    from . import sha256_batch

    roots = [map_job(c) for c in contents]
    digests = run_levels(roots, lambda messages: sha256_batch(messages, backend=backend)) if roots else []
    return np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(roots), 32).copy()
