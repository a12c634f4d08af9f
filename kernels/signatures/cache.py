"""A verified-signature cache, the example the IC performance proposal gives for caching: an LRU keyed by
SHA-256(pk || sig || msg), bounded in entries and in bytes, that stores successful verifications only.

The replica keeps such a cache for BLS (a global LRU of 100 000 entries, docs/REFERENCES.md section 1). A hit
returns True without verifying; anything else is verified by the chosen backend. Two rules keep a cache
from ever turning an invalid signature into a valid verdict: only True verdicts are inserted, and the key
is only looked up for well-formed triples (32-byte key, 64-byte signature), because SHA-256 of a plain
concatenation cannot tell apart (pk, sig, msg) from a malformed triple whose bytes run together the same.
"""
from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from . import check_batch, check_method, check_rules, ed25519_verify_batch
from .reference import PUBLIC_KEY_BYTES, SIGNATURE_BYTES

BLS_CACHE_ENTRIES = 100_000  # dfinity/ic crypto bls12_381 cache.rs: global LRU of 100 000 entries
KEY_BYTES = 32  # SHA-256 digest
# Bytes charged per entry: the 32-byte key object (sys.getsizeof(bytes of 32) = 65 on CPython 3.11) plus an
# OrderedDict slot and link (about 100 bytes, CPython 3.11 on 64-bit). An estimate: stated where it is used.
ENTRY_BYTES = 65 + 100


def cache_key(public_key: bytes, message: bytes, signature: bytes) -> bytes:
    """SHA-256(pk || sig || msg); only meaningful for a 32-byte pk and a 64-byte signature."""
    return hashlib.sha256(public_key + signature + message).digest()


class VerificationCache:
    """LRU of successful verifications, at most `max_entries` keys and `max_bytes` bytes (ENTRY_BYTES each)."""

    def __init__(self, max_entries: int = BLS_CACHE_ENTRIES, max_bytes: int | None = None, rules: str = "libsodium",
                 method: str = "single"):
        check_method(method, check_rules(rules))
        self.rules = rules  # one cache holds the verdicts of one rule set (a replica uses one)
        self.method = method  # how the misses are verified: one by one, or by batch verification (zip215)
        if not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError(f"max_entries must be a non-negative int, got {max_entries!r}")
        if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes < 0):
            raise ValueError(f"max_bytes must be a non-negative int or None, got {max_bytes!r}")
        self.capacity = min(max_entries, max_bytes // ENTRY_BYTES) if max_bytes is not None else max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return len(self._entries) * ENTRY_BYTES

    @property
    def hit_rate(self) -> float:
        looked = self.hits + self.misses
        return self.hits / looked if looked else float("nan")

    def lookup(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when this verification succeeded before (and is still held); counts a hit or a miss."""
        found = self._lookup(cache_key(public_key, message, signature))
        self.hits += found
        self.misses += not found
        return found

    def insert(self, public_key: bytes, message: bytes, signature: bytes) -> None:
        """Remember a successful verification (the least recently used entry goes when full)."""
        self._insert(cache_key(public_key, message, signature))

    def _lookup(self, key: bytes) -> bool:
        if key in self._entries:
            self._entries.move_to_end(key)
            return True
        return False

    def _insert(self, key: bytes) -> None:
        if self.capacity == 0:
            return
        self._entries[key] = None
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def verify_batch(self, public_keys: Sequence, messages: Sequence, signatures: Sequence, *,
                     backend: str) -> np.ndarray:
        """Verdicts for a batch: cache hits are True, the misses are verified together on `backend` under the
        cache's rules and the valid ones inserted. Same contract as ed25519_verify_batch."""
        keys, msgs, sigs = check_batch(public_keys, messages, signatures)
        n = len(keys)
        verdicts = np.zeros(n, dtype=bool)
        missed, missed_keys = [], []
        for i in range(n):
            if len(keys[i]) != PUBLIC_KEY_BYTES or len(sigs[i]) != SIGNATURE_BYTES:
                continue  # malformed: False, never looked up (see the module docstring)
            key = cache_key(keys[i], msgs[i], sigs[i])
            if self._lookup(key):
                verdicts[i] = True
                self.hits += 1
            else:
                self.misses += 1
                missed.append(i)
                missed_keys.append(key)
        if missed:
            got = ed25519_verify_batch([keys[i] for i in missed], [msgs[i] for i in missed],
                                       [sigs[i] for i in missed], backend=backend, rules=self.rules,
                                       method=self.method)
            for i, key, ok in zip(missed, missed_keys, got):
                if ok:
                    verdicts[i] = True
                    self._insert(key)
        return verdicts


def warm_up(trace: Sequence[dict], backend: str) -> None:
    """First-call costs (JIT, OpenCL build, device set-up) paid on a few checks of the trace's first batch."""
    if trace:
        first = trace[0]
        ed25519_verify_batch(first["public_keys"][:4], first["messages"][:4], first["signatures"][:4], backend=backend)


def replay_pass(trace: Sequence[dict], backend: str, cache: VerificationCache | None = None,
                rules: str = "libsodium", method: str = "single") -> bool:
    """One pass of the trace through `backend` (through `cache` when given, which has its own rules and method):
    the timed region of the cache study, nothing else in it. True when every verdict matched the trace's."""
    correct = True
    for batch in trace:
        args = (batch["public_keys"], batch["messages"], batch["signatures"])
        got = (cache.verify_batch(*args, backend=backend) if cache is not None
               else ed25519_verify_batch(*args, backend=backend, rules=rules, method=method))
        correct &= bool(np.array_equal(got, np.asarray(batch["valid"], dtype=bool)))
    return correct


def replay(trace: Sequence[dict], backend: str, cache: VerificationCache | None = None) -> dict:
    """Run a signature trace (workloads.ingress_signature_trace) through `backend`, with or without a cache:
    warm-up first, then one timed `replay_pass` (the warm-up is outside the timed region).

    Returns checks, seconds, checks per second, hit rate, and whether every verdict matched the trace's."""
    warm_up(trace, backend)
    checks = sum(len(batch["valid"]) for batch in trace)
    start = time.perf_counter()
    correct = replay_pass(trace, backend, cache)
    seconds = time.perf_counter() - start
    cached = cache is not None
    return {"backend": backend, "cache": cached, "checks": checks, "seconds": seconds,
            "checks_per_s": checks / seconds if seconds > 0 else float("nan"),
            "hit_rate": cache.hit_rate if cached else 0.0, "cache_entries": len(cache) if cached else 0,
            "verdicts_match_trace": correct}


def cache_study(trace: Sequence[dict], accelerator: str, cpu_baseline: str = "library",
                max_entries: int = BLS_CACHE_ENTRIES) -> list[dict]:
    """The four configurations of the issue on one trace: no cache, cache alone, accelerator alone, both."""
    rows = []
    for backend, cached in ((cpu_baseline, False), (cpu_baseline, True), (accelerator, False), (accelerator, True)):
        rows.append(replay(trace, backend, VerificationCache(max_entries) if cached else None))
    return rows
