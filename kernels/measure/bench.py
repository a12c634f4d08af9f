"""Measuring cases: each phase of one (operation, backend, workload, batch size) timed and turned into rows.

A hot path describes what to time as a `Case` (a callable per phase); this module times it the same way for
every hot path, reads the device and the cores used from the backend table and the device itself, adds the
energy per item, and writes rows as it goes. Phases mean one thing everywhere (docs/DESIGN.md, "Measuring"):
`pack` Python objects to contiguous buffers; `h2d`, `kernel` (data already in place), `d2h`; `end_to_end` the
public API call from Python inputs to the returned result, everything included.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import devices
from ..hotpath import Workload, check_profile
from ..registry import BACKEND_TABLE, BackendUnavailable, backend_row
from .energy import case_kind, default_model, meter_for
from .meters import measure_per_call
from .results import ResultsWriter
from .timing import time_phase, wall_timer

PHASES = ("compile", "pack", "h2d", "kernel", "d2h", "end_to_end")


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
        return {"smoke": cls(warmup=1, min_repeats=2, min_seconds=0.0, energy_seconds=0.05),  # tests only
                "quick": cls(min_seconds=0.1, energy_seconds=0.5),
                "full": cls(min_repeats=10, min_seconds=0.5, energy_seconds=2.0)}[check_profile(profile)]


@dataclass
class Case:
    """What to time for one point. `phases`: phase name -> one call of that phase, in order. `params`:
    workload parameters, written as their own columns. `threads`: CPU threads the kernel really uses, when
    not the backend's default (a Numba kernel that runs serially on small inputs is one core)."""

    operation: str
    backend: str
    workload: str
    batch_size: int
    bytes_per_item: float
    phases: dict[str, Callable[[], object]]
    params: Mapping[str, Any] = field(default_factory=dict)
    sync: Callable[[], None] | None = None
    timers: dict[str, Callable] = field(default_factory=dict)  # phase -> timer(fn) -> seconds
    threads: int | None = None
    device: str = ""
    cores: int = 0

    def __post_init__(self):
        unknown = set(self.phases) - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {unknown}; phases are {PHASES}")
        info = devices.describe(self.backend, self.threads)
        self.device = self.device or info.label
        self.cores = self.cores or info.cores
        if backend_row(self.backend).timer == "cuda-events" and "kernel" in self.phases:
            self.timers.setdefault("kernel", devices.cuda_event_timer(self.backend))

    @classmethod
    def of(cls, operation: str, backend: str, workload: Workload, batch_size: int, bytes_per_item: float,
           **kwargs) -> "Case":
        """A case for a workload of a sweep (its name and parameters filled in)."""
        return cls(operation, backend, workload.name, batch_size, bytes_per_item, kwargs.pop("phases", {}),
                   params=dict(workload.params), **kwargs)

    def add_staged(self, staged) -> "Case":
        """The h2d / kernel / d2h phases of a staged device object (measure.staged), data moved once first."""
        staged.h2d()
        staged.sync()
        self.phases.update(staged.phases())
        self.sync = staged.sync
        if backend_row(self.backend).timer == "cuda-events":
            self.timers["kernel"] = devices.cuda_event_timer(self.backend)
        return self


def timing_unavailable_reason(backend: str) -> str | None:
    """Why timing `backend` here would be meaningless or impossible, or None (peers always run)."""
    if backend not in BACKEND_TABLE:
        backend_row(backend)
        return None
    reason = devices.unavailable_reason(backend)
    if reason is None and backend == "numba_cuda" and devices.cuda_simulated():
        return "CUDA simulator: correctness only, its timings would mean nothing"
    return reason


def unavailable(operation: str, backend: str) -> BackendUnavailable | None:
    """BackendUnavailable("OP on BACKEND: reason") when timing it here is impossible or meaningless."""
    reason = timing_unavailable_reason(backend)
    return BackendUnavailable(f"{operation} on {backend}: {reason}") if reason else None


def require_timeable(operation: str, backend: str) -> None:
    """Raise `unavailable(operation, backend)` when there is a reason (Sweep.cases records it and goes on)."""
    missing = unavailable(operation, backend)
    if missing:
        raise missing


def _energy(case: Case, phase: str, fn: Callable, seconds: float, settings: Settings) -> tuple[float, str]:
    """(joules per item, method): a meter's window (kernel and end_to_end, where RAPL or NVML can be read here),
    else the model (measure/energy.py) from the case's time, bytes, device and the cores it really used."""
    items = max(case.batch_size, 1)
    kind = "CPU" if phase == "pack" else case_kind(case.cores)  # packing is host work on every backend
    meter = meter_for(kind, phase)
    if meter is not None:
        return measure_per_call(meter, fn, case.sync, settings.energy_seconds) / items, meter.method
    return default_model().j_per_item(kind, phase, seconds, case.batch_size, case.bytes_per_item, case.cores), "modeled"


def measure_case(case: Case, settings: Settings = Settings()) -> list[dict]:
    """Time every phase of a case; one row per phase."""
    rows = []
    for phase, fn in case.phases.items():
        timing = time_phase(fn, sync=case.sync, timer=case.timers.get(phase), warmup=settings.warmup,
                            min_repeats=settings.min_repeats, min_seconds=settings.min_seconds)
        energy, method = _energy(case, phase, fn, timing.median, settings)
        rate = case.batch_size / timing.median if timing.median > 0 and case.batch_size else float("nan")
        rows.append({**case.params, "operation": case.operation, "backend": case.backend, "device": case.device,
                     "workload": case.workload, "batch_size": case.batch_size, "bytes_per_item": case.bytes_per_item,
                     "repeats": timing.repeats, "time_s_median": timing.median, "time_s_p25": timing.p25,
                     "time_s_p75": timing.p75, "items_per_s": rate, "bytes_per_s": rate * case.bytes_per_item,
                     "energy_j_per_item": energy, "energy_method": method, "phase": phase})
    return rows


def compile_row(operation: str, backend: str, compile_fn: Callable[[], None]) -> dict:
    """JIT or program-build time, measured once (a cache hit is reported as what it is: a short compile).
    No per-item energy: a build is not per item."""
    seconds = wall_timer(compile_fn)
    return {"operation": operation, "backend": backend, "device": devices.describe(backend).label,
            "workload": "compile", "batch_size": 0, "bytes_per_item": 0.0, "repeats": 1, "time_s_median": seconds,
            "time_s_p25": seconds, "time_s_p75": seconds, "items_per_s": float("nan"), "bytes_per_s": float("nan"),
            "energy_j_per_item": float("nan"), "energy_method": "", "phase": "compile"}


def run_cases(cases: Iterable[Case | BackendUnavailable], writer: ResultsWriter | None = None,
              settings: Settings = Settings(), progress: bool = True, total: int | None = None,
              desc: str = "measuring") -> pd.DataFrame:
    """Measure cases one by one, writing each case's rows as soon as they exist. A case that is, or raises,
    BackendUnavailable (no device, a buffer larger than the device allows, ...) is reported once per reason
    and skipped: it never ends the sweep."""
    import warnings

    with warnings.catch_warnings():  # tqdm.auto warns (with its install path) when ipywidgets is absent
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm

    frames, skipped = [], set()

    def skip(reason: BackendUnavailable) -> None:
        if str(reason) not in skipped:
            skipped.add(str(reason))
            print(f"skipped: {reason}")

    for item in tqdm(cases, total=total, disable=not progress, desc=desc):
        if isinstance(item, BackendUnavailable):
            skip(item)
            continue
        try:
            rows = measure_case(item, settings)
        except BackendUnavailable as e:
            skip(e)
            continue
        frames.append(writer.add(rows) if writer else pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def timeable_backends(operation: str) -> list[str]:
    """Backends whose timings mean something here for `operation` (available, and not a simulator)."""
    from ..registry import backends_for

    return [b for b, reason in backends_for(operation).items() if reason is None and timing_unavailable_reason(b) is None]
