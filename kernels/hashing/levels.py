"""Evaluate many nested SHA-256 computations level by level, one batch per level.

IC structures (hash trees, request-id maps) are hashes of hashes. A `Job` is one SHA-256 whose input is
built from literal bytes and the digests of other jobs. `run_levels` hashes all jobs whose inputs are
ready as one batch on the chosen backend, then the next level, so an accelerator sees whole levels
instead of one small hash at a time.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class Job:
    """SHA-256 of `combine([part bytes or digest of the part job, ...])` (default: concatenation)."""

    __slots__ = ("parts", "combine")

    def __init__(self, parts: Sequence, combine: Callable[[list[bytes]], bytes] | None = None):
        self.parts = tuple(parts)
        self.combine = combine


def _heights(roots: Sequence[Job]) -> dict[int, tuple[Job, int]]:
    """id(job) -> (job, height) where leaves (no Job parts) have height 0; iterative, so deep nesting is fine."""
    seen: dict[int, tuple[Job, int]] = {}
    stack = [(r, False) for r in roots]
    while stack:
        job, expanded = stack.pop()
        if id(job) in seen:
            continue
        kids = [p for p in job.parts if isinstance(p, Job)]
        if expanded or not kids:
            seen[id(job)] = (job, 1 + max(seen[id(k)][1] for k in kids) if kids else 0)
        else:
            stack.append((job, True))
            stack.extend((k, False) for k in kids if id(k) not in seen)
    return seen


def run_levels(roots: Sequence[Job], hash_batch: Callable[[list[bytes]], np.ndarray]) -> list[bytes]:
    """Digests of `roots`, computing every level of the job graph with one call of `hash_batch`."""
    by_height: dict[int, list[Job]] = {}
    for job, height in _heights(roots).values():
        by_height.setdefault(height, []).append(job)
    digest: dict[int, bytes] = {}
    for height in sorted(by_height):
        jobs = by_height[height]
        messages = []
        for job in jobs:
            pieces = [digest[id(p)] if isinstance(p, Job) else p for p in job.parts]
            messages.append(job.combine(pieces) if job.combine else b"".join(pieces))
        for job, d in zip(jobs, hash_batch(messages)):
            digest[id(job)] = d.tobytes()
    return [digest[id(r)] for r in roots]
