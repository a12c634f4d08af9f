"""Timing one stage of a request on its paths: the candidates (today's library, the suite's best) are run
interleaved in one process, and each gives core-seconds and latency per request. A per-item Python loop has its
harness cost (the same loop calling a no-op) measured beside it and subtracted (`timing="harness-subtracted"`);
a batch call into compiled code is timed whole (`timing="batch-call"`: packing included, cores x wall time);
a stage that runs outside Python entirely reports `timing="compiled"`. Rows are `StageRow`s, one per path.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

PATHS = ("library", "best")
TIMINGS = ("harness-subtracted", "batch-call", "compiled", "derived", "published")
EVIDENCE = ("measured", "modeled", "published")


@dataclass(frozen=True)
class Candidate:
    """One way to run a stage over `items` requests: `run()` does all of them; `harness()`, when given, is the
    same loop with the work replaced by a no-op; `cores` is how many cores `run` keeps busy."""

    path: str
    backend: str
    run: Callable[[], object]
    items: int
    harness: Callable[[], object] | None = None
    cores: float = 1.0
    per_item_latency: bool = True  # False: a request waits for the whole batch (latency = the batch's time)


@dataclass(frozen=True)
class StageRow:
    """One (workload, kind, stage, path) figure: core-seconds and latency per request, with how it was got."""

    workload: str
    kind: str
    stage: str
    group: str  # ingress | gossip | block | execution | persistence | certification | response
    path: str
    backend: str
    core_s_per_request: float
    latency_s_per_request: float
    items_timed: int
    repeats: int
    timing: str
    evidence: str = "measured"
    core_s_p25: float = float("nan")
    core_s_p75: float = float("nan")
    scale: float = 1.0  # how many times a node runs this stage per request (already applied to core_s)
    note: str = ""
    instructions: float = float("nan")  # Wasm instructions per request (execution rows: wasmtime fuel)

    def as_dict(self) -> dict:
        return asdict(self)


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_interleaved(candidates: Sequence[Candidate], repeats: int = 5, min_seconds: float = 0.0
                     ) -> dict[str, np.ndarray]:
    """Seconds per run of each candidate (and of its harness), interleaved round by round after one warm-up
    run each; at least `repeats` rounds and at least `min_seconds` of candidate time."""
    for c in candidates:
        c.run()
        if c.harness:
            c.harness()
    times: dict[str, list[float]] = {}
    spent, rounds = 0.0, 0
    while rounds < repeats or spent < min_seconds:
        for c in candidates:
            t = _once(c.run)
            spent += t
            times.setdefault(c.path, []).append(t)
            if c.harness:
                times.setdefault(c.path + ":harness", []).append(_once(c.harness))
        rounds += 1
    return {k: np.array(v) for k, v in times.items()}


def rows_for(stage: str, group: str, workload: str, kind: str, candidates: Sequence[Candidate],
             repeats: int = 5, scale: float = 1.0, note: str = "", min_seconds: float = 0.0) -> list[StageRow]:
    """Time the candidates interleaved and turn them into StageRows (core-seconds x `scale` per request)."""
    times = time_interleaved(candidates, repeats, min_seconds)
    rows = []
    for c in candidates:
        raw = times[c.path]
        harness = np.median(times[c.path + ":harness"]) if c.harness else 0.0
        net = np.maximum(raw - harness, 0.0)
        per_item = net / max(c.items, 1)
        latency = float(np.median(net if not c.per_item_latency else per_item))
        rows.append(StageRow(workload, kind, stage, group, c.path, c.backend,
                             float(np.median(per_item)) * c.cores * scale, latency, c.items, len(raw),
                             "harness-subtracted" if c.harness else "batch-call",
                             core_s_p25=float(np.percentile(per_item, 25)) * c.cores * scale,
                             core_s_p75=float(np.percentile(per_item, 75)) * c.cores * scale, scale=scale, note=note))
    return rows


def per_item(fn: Callable, items: Sequence) -> Callable[[], None]:
    """A loop calling `fn` on each item (the library path's shape)."""
    def run():
        for item in items:
            fn(item)
    return run


def noop(*_args, **_kwargs) -> None:
    """The harness's stand-in for the work."""


def derived_row(stage: str, group: str, workload: str, kind: str, path: str, backend: str, core_s: float,
                note: str, evidence: str = "measured", timing: str = "derived", latency_s: float | None = None,
                items: int = 0, scale: float = 1.0) -> StageRow:
    """A row computed from measured figures (or published ones) rather than timed as a whole; `note` says how."""
    return StageRow(workload, kind, stage, group, path, backend, core_s * scale,
                    core_s if latency_s is None else latency_s, items, 0, timing, evidence, scale=scale, note=note)
