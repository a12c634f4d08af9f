"""Timing one phase: warm up, then repeat until both a minimum count and a minimum time are reached."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    times: np.ndarray  # seconds, one per repeat

    @property
    def repeats(self) -> int:
        return int(self.times.size)

    @property
    def median(self) -> float:
        return float(np.median(self.times))

    @property
    def p25(self) -> float:
        return float(np.percentile(self.times, 25))

    @property
    def p75(self) -> float:
        return float(np.percentile(self.times, 75))


def wall_timer(fn: Callable[[], object], sync: Callable[[], None] | None = None) -> float:
    """Seconds for one call of `fn`, ending with `sync` so asynchronous work is counted."""
    start = time.perf_counter()
    fn()
    if sync is not None:
        sync()
    return time.perf_counter() - start


def time_phase(fn: Callable[[], object], *, sync: Callable[[], None] | None = None,
               timer: Callable[[Callable[[], object]], float] | None = None, warmup: int = 1,
               min_repeats: int = 5, min_seconds: float = 0.2, max_repeats: int = 100_000) -> Timing:
    """Time `fn` after `warmup` calls: at least `min_repeats` runs and `min_seconds` in all.
    `timer(fn)` overrides the wall clock (CUDA events for GPU kernels)."""
    measure = timer if timer is not None else (lambda f: wall_timer(f, sync))
    for _ in range(warmup):
        measure(fn)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - started < min_seconds):
        times.append(measure(fn))
    return Timing(np.array(times))


def interleaved_timings(fns: dict[str, Callable[[], object]], min_seconds: float = 1.0,
                        min_rounds: int = 5) -> dict[str, Timing]:
    """Each callable timed in alternation (A, B, C, A, B, C, ...) after one warm-up call each, so that load
    from other jobs on a shared machine falls on all candidates alike: how targets compare candidates."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    started = time.perf_counter()
    while min(map(len, times.values())) < min_rounds or time.perf_counter() - started < min_seconds:
        for name, fn in fns.items():
            times[name].append(wall_timer(fn))
    return {name: Timing(np.array(t)) for name, t in times.items()}
