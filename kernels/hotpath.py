"""The contract every hot path follows: one ``HotPath`` object per package, listed by the registry.

A hot path owns its operations, its sweeps (``cases(profile)``: a declarative spec of workloads, batch sizes,
backends and phases), its correctness checks, its performance targets, its workloads and its prediction. The
CLI sweep, the notebooks and ``scripts/gpu_check.sh`` all run from ``cases``, so no caller rebuilds cases.

The profile ("smoke" for tests, "quick" for minutes on 2 cores, "full" for the long sweeps) is decoded once,
by ``check_profile``; a package keys its own sizes by the profile name.
"""
from __future__ import annotations

import importlib

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .registry import BACKENDS, BackendUnavailable, backend_row

PROFILES = ("smoke", "quick", "full")


def check_profile(profile: str) -> str:
    """The profile name, or a ValueError naming the choices: the one place a profile is decoded."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use {', '.join(map(repr, PROFILES))}")
    return profile


@dataclass(frozen=True)
class Workload:
    """A named input shape. `name` fills the `workload` column; `params` become columns of their own
    (message_bytes, pattern, dirty_ratio, page_size, heap_bytes, ...), never parsed back from the name."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


# build(operation, backend, workload, batch_size, data) -> Case, or BackendUnavailable with the reason
Build = Callable[[str, str, Workload, int, Any], Any]


@dataclass
class Sweep:
    """One declarative sweep: every (workload, batch size, operation, backend) point, in that order.

    `data(workload, batch_size)` makes the inputs once per (workload, batch size), shared by every operation
    and backend of that point; `build` turns a point and its data into a ``measure.Case``. `backends` are the
    candidates (registry backends and peers); those not given to ``cases`` are left out, peers always run.
    A batch size of 0 means "the workload's own" (a tree's node count, a trace's checks)."""

    name: str
    operations: Sequence[str]
    workloads: Sequence[Workload]
    batch_sizes: Sequence[int]
    backends: Sequence[str]
    phases: Sequence[str]
    build: Build
    data: Callable[[Workload, int], Any] = lambda workload, batch_size: None

    def selected(self, backends: Sequence[str] | None) -> list[str]:
        """This sweep's backends among `backends` (None: all); peers stay."""
        if backends is None:
            return list(self.backends)
        return [b for b in self.backends if b in backends or backend_row(b).api == "peer"]

    def count(self, backends: Sequence[str] | None = None) -> int:
        return len(self.workloads) * len(self.batch_sizes) * len(self.operations) * len(self.selected(backends))

    def cases(self, backends: Sequence[str] | None = None) -> Iterator:
        chosen = self.selected(backends)
        for workload in self.workloads:
            for batch_size in self.batch_sizes:
                data = self.data(workload, batch_size)
                for operation in self.operations:
                    for backend in chosen:
                        try:
                            yield self.build(operation, backend, workload, batch_size, data)
                        except BackendUnavailable as e:
                            yield e
                del data


def lazy_hot_path(package: str):
    """A package's module-level `__getattr__` that imports `<package>.hot_path` when `HOT_PATH` is first asked
    for, so importing the package stays cheap and its hot_path module may import the package freely."""
    def __getattr__(name: str):
        if name == "HOT_PATH":
            return importlib.import_module(".hot_path", package).HOT_PATH
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


class HotPath:
    """Base class of a hot path. A package sets the class attributes and overrides the methods it has."""

    name: str = ""  # "hashing"
    title: str = ""  # "SHA-256 and the IC's hash structures"
    operations: tuple[str, ...] = ()
    notebook: str = ""  # "01_hashing.ipynb"
    compile_operation: str = ""  # the operation whose backend modules' compile() builds every kernel

    def backends(self, operation: str) -> tuple[str, ...]:
        """Backends that implement `operation` (default: all of the backend table)."""
        return BACKENDS

    def sweeps(self, profile: str) -> list[Sweep]:
        """What a profile measures, sweep by sweep (override)."""
        raise NotImplementedError

    def cases(self, profile: str) -> dict[str, Sweep]:
        """{sweep name: Sweep} for a profile: the declarative spec the CLI, notebooks and GPU check run."""
        check_profile(profile)
        return {s.name: s for s in self.sweeps(profile)}

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench OPERATION`: one case per batch size and backend (override)."""
        raise ValueError(f"{self.name} has no command-line bench; run its notebook")

    def compile_rows(self, backends: Sequence[str]) -> list[dict]:
        """One `compile` row per backend whose module builds or JIT-compiles (measured once per process)."""
        from .measure.bench import compile_row, timing_unavailable_reason
        from .registry import backend_module

        rows = []
        for backend in backends:
            if backend not in BACKENDS or timing_unavailable_reason(backend) is not None:
                continue
            module = backend_module(self.compile_operation or self.operations[0], backend)
            if hasattr(module, "compile"):
                rows.append(compile_row(self.compile_operation or self.operations[0], backend, module.compile))
        return rows

    def check(self, backends: Sequence[str], profile: str) -> pd.DataFrame:
        """Correctness on this run's data against `reference`, `library` or published vectors: one row per
        backend and check; AssertionError on any disagreement (override)."""
        raise NotImplementedError

    def targets(self) -> dict[str, Callable[..., Any]]:
        """{target name: fn(profile="quick") -> targets.TargetResult}: the issues' performance targets."""
        return {}

    def prediction(self, **kwargs) -> dict:
        """Bytes moved and operations per item, hence the expected limit, before any measurement (override)."""
        return {}

    # --- running ---------------------------------------------------------------------------------------------
    def run_sweep(self, sweep: str | Sweep, profile: str, backends: Sequence[str] | None = None, writer=None,
                  settings=None, progress: bool = True) -> pd.DataFrame:
        """Measure one sweep (by name) with a progress bar; rows are written as each case finishes."""
        from .measure.bench import Settings, run_cases

        spec = sweep if isinstance(sweep, Sweep) else self.cases(profile)[sweep]
        settings = settings or Settings.for_profile(profile)
        return run_cases(spec.cases(backends), writer, settings, progress=progress, total=spec.count(backends),
                         desc=f"{self.name}: {spec.name}")

    def run_all(self, profile: str, backends: Sequence[str] | None = None, writer=None, settings=None,
                progress: bool = True) -> pd.DataFrame:
        """Every sweep of the profile (the CLI sweep and the GPU check)."""
        frames = [self.run_sweep(s, profile, backends, writer, settings, progress) for s in self.cases(profile).values()]
        frames = [f for f in frames if not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
