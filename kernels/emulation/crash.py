"""Crash trials: a child process checkpoints pages into a PageStore on an emulated persistent region and is
killed (SIGKILL) at a seeded random point; the parent reopens the region, recovers, and checks every page
against the versions it knows were written (an oracle independent of the store: its own copies of the bytes).

Each trial is reproducible from its seed: the pages, the versions, the early evictions and the kill point.
"""
from __future__ import annotations

import multiprocessing
import signal
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..random_data import random_bytes
from .checkpoint import PageStore
from .nvm import Crash, PersistentRegion
from .profiles import OPTANE_1


@dataclass(frozen=True)
class TrialPlan:
    """What one trial writes: the first version of every page, then two checkpoints (epoch 2 and 3) of seeded
    page subsets."""

    seed: int
    npages: int = 32
    page_size: int = 4096
    per_checkpoint: int = 12
    evict_rate: float = 0.02

    def versions(self) -> tuple[np.ndarray, list[tuple[int, np.ndarray, np.ndarray]]]:
        """(first version of every page, [(epoch, pages, their bytes), ...])."""
        rng = np.random.default_rng(self.seed)
        first = random_bytes(self.npages * self.page_size, self.seed).reshape(self.npages, self.page_size)
        rounds = []
        for epoch in (2, 3):
            pages = np.sort(rng.choice(self.npages, self.per_checkpoint, replace=False))
            data = random_bytes(pages.size * self.page_size, 1000 * self.seed + epoch).reshape(-1, self.page_size)
            rounds.append((epoch, pages, data))
        return first, rounds


@dataclass
class TrialResult:
    seed: int
    kill_at: int
    events: int
    killed: bool
    durable: list = field(default_factory=list)  # (page, epoch) the child reported durable before the kill
    status: dict = field(default_factory=dict)  # {status: pages}
    newer_than_durable: int = 0  # pages recovered at a version written but not yet reported durable
    rejected: int = 0
    violations: list = field(default_factory=list)


def _region(path: Path, plan: TrialPlan, **kwargs) -> PersistentRegion:
    size = PageStore.layout_bytes(plan.npages, plan.page_size)
    return PersistentRegion(path, size, OPTANE_1, **{"evict_rate": plan.evict_rate, "seed": plan.seed, **kwargs})


def _run_checkpoints(path: Path, plan: TrialPlan, crash_after: int | None, crash: str, report) -> int:
    """Open the formatted store, recover its state, write both checkpoints; returns the media events seen."""
    region = _region(path, plan, crash_after=crash_after, crash=crash)
    store = PageStore(region, plan.npages, plan.page_size)
    store.recover()
    for epoch, pages, data in plan.versions()[1]:
        store.checkpoint(pages, data, epoch, on_durable=lambda page, epoch=epoch: report((page, epoch)))
    events = region._events
    region.close()
    return events


def _child(path: str, plan: TrialPlan, kill_at: int, conn) -> None:
    _run_checkpoints(Path(path), plan, kill_at, "kill", conn.send)
    conn.close()


def crash_trial(directory: str | Path, plan: TrialPlan) -> TrialResult:
    """Format, count the media events of a full run (in-process, on a copy), kill a child at a seeded point
    among them, recover and check."""
    directory = Path(directory)
    first, rounds = plan.versions()
    path, dry = directory / f"region-{plan.seed}.bin", directory / f"dry-{plan.seed}.bin"
    for p in (path, dry):
        region = _region(p, plan)
        PageStore(region, plan.npages, plan.page_size).format(first)
        region.close()
    events = _run_checkpoints(dry, plan, None, "raise", lambda item: None)
    dry.unlink()
    kill_at = int(np.random.default_rng(plan.seed + 7).integers(1, events + 1))
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(str(path), plan, kill_at, child))
    process.start()
    child.close()
    durable = []
    while True:
        try:
            durable.append(parent.recv())
        except EOFError:
            break
    process.join(timeout=60)
    result = TrialResult(plan.seed, kill_at, events, process.exitcode == -signal.SIGKILL, durable)
    if process.exitcode not in (0, -signal.SIGKILL):
        result.violations.append(f"child ended with exit code {process.exitcode}")
    region = _region(path, plan, evict_rate=0.0)
    recovered = PageStore(region, plan.npages, plan.page_size).recover()
    region.close()
    path.unlink()
    _check(result, recovered, first, rounds)
    return result


def in_process_crash(directory: str | Path, plan: TrialPlan, crash_after: int):
    """The same trial without a child: a `Crash` is raised at the point (for quick unit tests); returns the
    recovered state and the (page, epoch) pairs reported durable before the crash."""
    directory = Path(directory)
    first, _ = plan.versions()
    path = directory / f"inproc-{plan.seed}.bin"
    region = _region(path, plan)
    PageStore(region, plan.npages, plan.page_size).format(first)
    region.close()
    durable = []
    try:
        _run_checkpoints(path, plan, crash_after, "raise", durable.append)
    except Crash:
        pass
    region = _region(path, plan, evict_rate=0.0)
    recovered = PageStore(region, plan.npages, plan.page_size).recover()
    region.close()
    path.unlink()
    return recovered, durable


def _check(result: TrialResult, recovered, first: np.ndarray, rounds) -> None:
    """Every page must hold a version that was written, at least as new as the newest one reported durable,
    with exactly that version's bytes; none may be lost."""
    versions = {p: {1: first[p]} for p in range(first.shape[0])}
    for epoch, pages, data in rounds:
        for page, row in zip(pages, data):
            versions[int(page)][epoch] = row
    durable_epoch = {p: 1 for p in versions}
    for page, epoch in result.durable:
        durable_epoch[page] = max(durable_epoch[page], epoch)
    result.rejected = recovered.rejected
    for status in set(recovered.status):
        result.status[status] = int(np.count_nonzero(recovered.status == status))
    for p, written in versions.items():
        epoch = int(recovered.epochs[p])
        if recovered.status[p] != "ok":
            result.violations.append(f"page {p}: {recovered.status[p]}")
        elif epoch not in written:
            result.violations.append(f"page {p}: epoch {epoch} was never written")
        elif epoch < durable_epoch[p]:
            result.violations.append(f"page {p}: epoch {epoch} older than the durable epoch {durable_epoch[p]}")
        elif not np.array_equal(recovered.pages[p], written[epoch]):
            result.violations.append(f"page {p}: bytes differ from epoch {epoch}'s version")
        elif epoch > durable_epoch[p]:
            result.newer_than_durable += 1


def run_trials(count: int, first_seed: int = 0, **plan) -> list[TrialResult]:
    """`count` crash trials with consecutive seeds, in a temporary folder removed afterwards."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="crash-") as tmp:
        return [crash_trial(tmp, TrialPlan(seed, **plan)) for seed in range(first_seed, first_seed + count)]
