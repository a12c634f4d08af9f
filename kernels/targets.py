"""Performance targets from the issues, each measured in one process against the literal baseline it names.

Each hot-path package's `bench` module lists its targets in `TARGETS`; `python -m kernels target NAME` runs
one. These are benchmarks, not tests: a busy machine must not fail CI.
"""
from __future__ import annotations

import importlib

from .registry import OPERATIONS


def record_best(result: dict, ratios: dict[str, float], goal: float) -> dict:
    """Fill `best`, `best_ratio` and `met` into a target's result from {candidate: ratio over the baseline}."""
    best = max(ratios, key=ratios.get) if ratios else None
    result["best"] = best
    result["best_ratio"] = ratios[best] if best else float("nan")
    result["met"] = bool(best and ratios[best] >= goal)
    return result


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
