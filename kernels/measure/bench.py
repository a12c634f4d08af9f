"""Measuring cases: each phase of one (operation, backend, workload, batch size) timed and turned into rows.

A hot-path package describes what to time as a `Case` (a callable per phase); this module times it the
same way for every hot path, adds the energy per item, and writes rows as it goes.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from .. import devices
from ..registry import BackendUnavailable
from .fingerprint import gpu_info
from .energy import GPU_BOARD_WATTS, cpu_power_model, measure_gpu_energy, nvml
from .results import ResultsWriter
from .timing import time_phase, wall_timer

PHASES = ("compile", "pack", "h2d", "kernel", "d2h", "end_to_end")
GPU_BACKENDS = ("numba_cuda", "cupy")
MULTICORE_BACKENDS = ("numba_cpu", "opencl")


@dataclass(frozen=True)
class Settings:
    """How long to measure: at least `min_repeats` runs and `min_seconds` per phase, after `warmup` runs;
    GPU energy windows last at least `energy_seconds` (NVML updates every 20-100 ms)."""

    warmup: int = 1
    min_repeats: int = 5
    min_seconds: float = 0.2
    energy_seconds: float = 1.0

    @classmethod
    def for_profile(cls, profile: str) -> "Settings":
        if profile == "smoke":  # tests: proves the pipeline runs, measures nothing worth keeping
            return cls(warmup=1, min_repeats=2, min_seconds=0.0, energy_seconds=0.05)
        if profile == "quick":
            return cls(min_seconds=0.1, energy_seconds=0.5)
        if profile == "full":
            return cls(min_repeats=10, min_seconds=0.5, energy_seconds=2.0)
        raise ValueError(f"unknown profile {profile!r}; use 'smoke', 'quick' or 'full'")


@dataclass
class Case:
    operation: str
    backend: str
    workload: str
    batch_size: int
    bytes_per_item: float
    phases: dict[str, Callable[[], object]]  # phase name -> one call of that phase, in order
    sync: Callable[[], None] | None = None
    timers: dict[str, Callable] = field(default_factory=dict)  # phase -> timer(fn) -> seconds (CUDA events)
    device: str = ""

    def __post_init__(self):
        unknown = set(self.phases) - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {unknown}; phases are {PHASES}")
        self.device = self.device or device_name(self.backend)


def device_name(backend: str) -> str:
    if backend in GPU_BACKENDS:
        gpu = gpu_info()
        return gpu["name"] if gpu else "CUDA simulator"
    if backend == "opencl":
        return devices.opencl_device_name()
    cores = os.cpu_count() or 1
    return f"CPU, {cores} cores" if backend in MULTICORE_BACKENDS else "CPU, 1 core"


def timing_unavailable_reason(backend: str) -> str | None:
    """Why timing `backend` here would be meaningless or impossible, or None."""
    reason = devices.unavailable_reason(backend)
    if reason is None and backend == "numba_cuda" and devices.cuda_simulated():
        return "CUDA simulator: correctness only, its timings would mean nothing"
    return reason


def _energy(case: Case, phase: str, fn: Callable, seconds: float, settings: Settings) -> tuple[float, str]:
    items = max(case.batch_size, 1)
    if case.backend in GPU_BACKENDS:
        if phase in ("kernel", "end_to_end") and nvml() is not None:
            joules = measure_gpu_energy(fn, case.sync or (lambda: None), items, settings.energy_seconds)
            if joules is not None:
                return joules, "measured-nvml"
        return GPU_BOARD_WATTS[0] * seconds / items, "modeled"
    cores = (os.cpu_count() or 1) if case.backend in MULTICORE_BACKENDS and phase != "pack" else 1
    return cpu_power_model(cores).watts * seconds / items, "modeled"


def measure_case(case: Case, settings: Settings = Settings()) -> list[dict]:
    """Time every phase of a case; one row per phase."""
    rows = []
    for phase, fn in case.phases.items():
        timing = time_phase(fn, sync=case.sync, timer=case.timers.get(phase), warmup=settings.warmup,
                            min_repeats=settings.min_repeats, min_seconds=settings.min_seconds)
        energy, method = _energy(case, phase, fn, timing.median, settings)
        rate = case.batch_size / timing.median if timing.median > 0 and case.batch_size else float("nan")
        rows.append({"operation": case.operation, "backend": case.backend, "device": case.device,
                     "workload": case.workload, "batch_size": case.batch_size, "bytes_per_item": case.bytes_per_item,
                     "repeats": timing.repeats, "time_s_median": timing.median, "time_s_p25": timing.p25,
                     "time_s_p75": timing.p75, "items_per_s": rate, "bytes_per_s": rate * case.bytes_per_item,
                     "energy_j_per_item": energy, "energy_method": method, "phase": phase})
    return rows


def compile_row(operation: str, backend: str, compile_fn: Callable[[], None]) -> dict:
    """JIT or program-build time, measured once (a cache hit is reported as what it is: a short compile)."""
    seconds = wall_timer(compile_fn)
    watts = cpu_power_model(1).watts
    return {"operation": operation, "backend": backend, "device": device_name(backend), "workload": "compile",
            "batch_size": 0, "bytes_per_item": 0.0, "repeats": 1, "time_s_median": seconds, "time_s_p25": seconds,
            "time_s_p75": seconds, "items_per_s": float("nan"), "bytes_per_s": float("nan"),
            "energy_j_per_item": watts * seconds, "energy_method": "modeled", "phase": "compile"}


def run_cases(cases: Iterable[Case | BackendUnavailable], writer: ResultsWriter | None = None,
              settings: Settings = Settings(), progress: bool = True, total: int | None = None) -> pd.DataFrame:
    """Measure cases one by one, writing each case's rows as soon as they exist. Items that are
    BackendUnavailable are reported (printed once per reason) and skipped."""
    from tqdm.auto import tqdm

    frames, skipped = [], set()
    for item in tqdm(cases, total=total, disable=not progress, desc="measuring"):
        if isinstance(item, BackendUnavailable):
            if str(item) not in skipped:
                skipped.add(str(item))
                print(f"skipped: {item}")
            continue
        rows = measure_case(item, settings)
        frames.append(writer.add(rows) if writer else pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def timeable_backends(operation: str) -> list[str]:
    """Backends whose timings mean something here for `operation` (available, and not a simulator)."""
    from ..registry import backends_for

    return [b for b, reason in backends_for(operation).items() if reason is None and timing_unavailable_reason(b) is None]
