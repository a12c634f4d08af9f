"""Performance targets from the issues: candidates timed interleaved with their literal baseline in one
process, each candidate's output checked, judged end to end with kernel-only figures beside it (labelled).

A hot path lists its targets in ``HotPath.targets()``; each returns a ``TargetResult`` built by
``run_target``. ``python -m kernels target NAME`` runs one; the notebooks run theirs and append the result to
``results/<device-tag>/targets.csv``. These are benchmarks, not tests: a busy machine must not fail CI.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .measure.timing import interleaved_timings

TARGET_COLUMNS = ["run_id", "device_tag", "target", "operation", "candidate", "baseline", "items", "goal_ratio",
                  "ratio", "kernel_ratio", "met", "checked", "repeats", "interleaved", "candidate_items_per_s",
                  "baseline_items_per_s", "peer", "peer_items_per_s"]


@dataclass(frozen=True)
class Candidate:
    """One contender: `end_to_end` is the public API call from Python inputs; `kernel` (optional) the same
    work on data already in place. Both must return what the target's `check` accepts."""

    end_to_end: Callable[[], object]
    kernel: Callable[[], object] | None = None


@dataclass
class TargetResult:
    """The outcome of one target: the best candidate end to end against the literal baseline."""

    target: str
    operation: str
    baseline: str  # the literal baseline, as code
    items: int
    unit: str  # "messages", "signatures", "bytes", ...
    goal_ratio: float
    candidate: str = ""
    ratio: float = float("nan")  # baseline time / candidate time, end to end
    kernel_ratio: float = float("nan")  # the same with data already in place (labelled kernel-only)
    checked: bool = False  # every candidate's output was compared with an independent oracle
    repeats: int = 0  # rounds of the interleaved timing
    interleaved: bool = True
    baseline_items_per_s: float = float("nan")
    candidate_items_per_s: float = float("nan")
    peer: str = ""  # a peer program in the same run (e.g. `openssl speed`), if any
    peer_items_per_s: float = float("nan")
    candidates: dict = field(default_factory=dict)  # every candidate: {name: {"ratio", "kernel_ratio", ...}}
    unavailable: dict = field(default_factory=dict)  # {candidate: reason it did not run}

    @property
    def met(self) -> bool:
        return bool(self.candidate) and self.ratio >= self.goal_ratio

    def row(self) -> dict:
        record = {k: v for k, v in asdict(self).items() if k not in ("candidates", "unavailable", "unit")}
        return record | {"met": self.met}

    def markdown(self) -> str:
        """One formatter for every target: verdict, end-to-end ratio, kernel-only beside it, every candidate."""
        verdict = "met" if self.met else "not met"
        lines = [f"**Target `{self.target}`: best candidate >= {self.goal_ratio:g}x `{self.baseline}` on "
                 f"{self.items:,} {self.unit}, end to end: {verdict}.**"]
        if self.candidate:
            lines.append(f"Best: `{self.candidate}` at {self.ratio:.2f}x end to end"
                         + (f" ({self.kernel_ratio:.2f}x kernel-only, data already in place)"
                            if self.kernel_ratio == self.kernel_ratio else "")
                         + f"; baseline {_rate(self.baseline_items_per_s, self.unit)}.")
        for name, c in self.candidates.items():
            kernel = f", kernel-only {c['kernel_ratio']:.2f}x" if c.get("kernel_ratio") == c.get("kernel_ratio") \
                and c.get("kernel_ratio") is not None else ""
            lines.append(f"- `{name}`: {c['ratio']:.2f}x end to end ({_rate(c['items_per_s'], self.unit)}){kernel}.")
        for name, reason in self.unavailable.items():
            lines.append(f"- `{name}`: did not run ({reason}).")
        if self.peer:
            lines.append(f"- peer `{self.peer}`: {_rate(self.peer_items_per_s, self.unit)} in the same run.")
        lines.append((f"Timed interleaved ({self.repeats} rounds, medians)" if self.interleaved else
                      f"Candidates timed interleaved ({self.repeats} rounds, medians); the baseline is a peer program "
                      "timed by itself, not interleaved")
                     + f"; every candidate's output "
                     f"{'was checked against an independent oracle' if self.checked else 'was NOT checked'}.")
        return "\n".join(lines)


def _rate(value: float, unit: str) -> str:
    from .analysis import fmt_rate

    return fmt_rate(value, f" {unit}/s")


def run_target(target: str, operation: str, baseline: tuple[str, Callable[[], object]],
               candidates: Mapping[str, Candidate | Exception], check: Callable[[object], bool], items: int,
               unit: str, goal_ratio: float, min_seconds: float = 1.0, min_rounds: int = 5,
               peer: tuple[str, float] | None = None) -> TargetResult:
    """Time the baseline and every candidate (end to end and kernel-only) interleaved, A B C A B C ...;
    check each candidate's end-to-end output with `check` (an oracle independent of the candidate) first.
    A candidate given as an exception (BackendUnavailable) is recorded as not run, with the reason.
    `peer`: (label, items per second) of a peer program measured in the same run."""
    name, baseline_fn = baseline
    result = TargetResult(target, operation, name, items, unit, goal_ratio)
    fns: dict[str, Callable[[], object]] = {"baseline": baseline_fn}
    for label, cand in candidates.items():
        if isinstance(cand, Exception):
            result.unavailable[label] = str(cand)
            continue
        if not check(cand.end_to_end()):
            raise AssertionError(f"target {target}: candidate {label} returned a wrong result")
        fns[f"{label}/end_to_end"] = cand.end_to_end
        if cand.kernel is not None:
            if not check(cand.kernel()):
                raise AssertionError(f"target {target}: candidate {label} (kernel) returned a wrong result")
            fns[f"{label}/kernel"] = cand.kernel
    result.checked = True
    timings = interleaved_timings(fns, min_seconds=min_seconds, min_rounds=min_rounds)
    base = timings.pop("baseline")
    result.repeats = base.repeats
    result.baseline_items_per_s = items / base.median
    for key, timing in timings.items():
        label, phase = key.split("/")
        entry = result.candidates.setdefault(label, {"kernel_ratio": float("nan")})
        if phase == "end_to_end":
            entry["ratio"] = base.median / timing.median
            entry["items_per_s"] = items / timing.median
        else:
            entry["kernel_ratio"] = base.median / timing.median
    if result.candidates:
        best = max(result.candidates, key=lambda k: result.candidates[k]["ratio"])
        result.candidate = best
        result.ratio = result.candidates[best]["ratio"]
        result.kernel_ratio = result.candidates[best]["kernel_ratio"]
        result.candidate_items_per_s = result.candidates[best]["items_per_s"]
    if peer:
        result.peer, result.peer_items_per_s = peer
    return result


def write_target(result: TargetResult, out_dir: str | Path, run_id: str = "", device_tag: str = "") -> Path:
    """Append (or replace, by target) one result in `<out_dir>/targets.csv`, atomically."""
    from .measure.results import _atomic_write

    path = Path(out_dir) / "targets.csv"
    row = {"run_id": run_id, "device_tag": device_tag, **result.row()}
    old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=TARGET_COLUMNS)
    old = old[old.target != result.target] if len(old) else old
    merged = pd.concat([old, pd.DataFrame([row])], ignore_index=True) if len(old) else pd.DataFrame([row])
    merged = merged.reindex(columns=TARGET_COLUMNS)
    _atomic_write(path, lambda f: merged.to_csv(f, index=False))
    return path


def all_targets() -> dict[str, Callable[..., TargetResult]]:
    """{target name: fn(profile="quick") -> TargetResult}, over every hot path of the registry."""
    from .registry import hot_paths

    targets: dict[str, Callable[..., TargetResult]] = {}
    for hot_path in hot_paths():
        targets.update(hot_path.targets())
    return targets
