"""Performance targets from the issues, each measured in one process against the literal baseline it names.

Each hot-path package's `bench` module lists its targets in `TARGETS`; `python -m kernels target NAME` runs
one. These are benchmarks, not tests: a busy machine must not fail CI.
"""
from __future__ import annotations

import importlib

from .registry import OPERATIONS


def all_targets() -> dict:
    """{target name: function returning a dict with the measured ratio and whether the goal was met}."""
    targets = {}
    for package in sorted(set(OPERATIONS.values())):
        try:
            module = importlib.import_module(f"{package}.bench")
        except ModuleNotFoundError as e:
            if e.name in (package, f"{package}.bench"):
                continue
            raise
        targets.update(getattr(module, "TARGETS", {}))
    return targets
