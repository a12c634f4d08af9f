"""Tidy results: one row per (operation, backend, workload, batch size, phase), written atomically.

Rows go to `<out_dir>/<operation>.csv`, with `run-<run_id>.json` (the fingerprint of the run) beside them.
Workload parameters (pattern, dirty ratio, page size, ...) are columns of their own after the fixed ones.
Each `add` rewrites the table through a temporary file and a rename, so a crashed sweep keeps every row it
finished. A new measurement of the same (operation, backend, device, workload, parameters, batch size, phase)
replaces the old one.
"""
from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .fingerprint import cpu_info, device_tag, fingerprint, git_commit, git_dirty, gpu_info

COLUMNS = ["run_id", "timestamp_utc", "git_commit", "device_tag", "host_cpu", "gpu", "operation", "backend", "device",
           "workload", "batch_size", "bytes_per_item", "repeats", "time_s_median", "time_s_p25", "time_s_p75",
           "items_per_s", "bytes_per_s", "energy_j_per_item", "energy_method", "phase"]
KEY = ["operation", "backend", "device", "workload", "batch_size", "phase"]
NO_ENERGY = ""  # energy_method of rows that carry no per-item energy (compile, fault costs)
ENERGY_METHODS = ("measured-nvml", "measured-rapl", "modeled")


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultsWriter:
    """Appends measured rows for one run to `out_dir` (default results/<device-tag>/)."""

    def __init__(self, out_dir: str | Path | None = None):
        self.tag = device_tag()
        self.out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parents[2] / "results" / self.tag
        self.run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        self.commit = git_commit()
        gpu = gpu_info()
        self.host = {"device_tag": self.tag, "host_cpu": cpu_info()["model_name"], "gpu": gpu["name"] if gpu else ""}
        self._fingerprint_written = False

    @property
    def run_json(self) -> Path:
        return self.out_dir / f"run-{self.run_id}.json"

    def _write_fingerprint(self) -> None:
        from .energy import model_assumptions

        record = {"run_id": self.run_id, **fingerprint(), "git_dirty": git_dirty(), "energy_model": model_assumptions()}
        _atomic_write(self.run_json, lambda f: json.dump(record, f, indent=2))
        self._fingerprint_written = True

    def complete(self, row: dict) -> dict:
        """Fill the run's columns into a measured row, and check it."""
        full = {"run_id": self.run_id, "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "git_commit": self.commit, **self.host, **row}
        missing = [c for c in COLUMNS if c not in full]
        if missing:
            raise ValueError(f"result row lacks {missing}")
        method, energy = full["energy_method"], full["energy_j_per_item"]
        if method not in ENERGY_METHODS and not (method == NO_ENERGY and energy != energy):
            raise ValueError(f"energy_method must be one of {ENERGY_METHODS} (or empty with no energy), got {method!r}")
        if full["phase"] == "compile" and (energy == energy or method):
            raise ValueError("compile rows carry no per-item energy (a build is not per item)")
        params = {k: v for k, v in full.items() if k not in COLUMNS}
        return {**{c: full[c] for c in COLUMNS}, **params}

    def add(self, rows: list[dict]) -> pd.DataFrame:
        """Write rows (grouped by operation) and return them as a frame."""
        if not rows:
            return pd.DataFrame(columns=COLUMNS)
        if not self._fingerprint_written:
            self._write_fingerprint()
        frame = pd.DataFrame([self.complete(r) for r in rows])
        for operation, new in frame.groupby("operation", sort=False):
            new = new.dropna(axis=1, how="all").reindex(columns=list(dict.fromkeys(COLUMNS + list(new.columns))))
            path = self.out_dir / f"{operation}.csv"
            old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=COLUMNS)
            merged = pd.concat([old, new], ignore_index=True) if len(old) else new
            params = [c for c in merged.columns if c not in COLUMNS]
            key = KEY + params
            cells = merged[key].astype(object).where(merged[key].notna(), "").astype(str)
            merged = merged.assign(_key=cells.agg("|".join, axis=1))
            merged = merged.drop_duplicates(subset="_key", keep="last").drop(columns="_key")
            _atomic_write(path, lambda f, m=merged: m.to_csv(f, index=False))
        return frame


def read_results(out_dir: str | Path, operation: str | None = None) -> pd.DataFrame:
    """All rows in a results folder (or one operation's)."""
    out_dir = Path(out_dir)
    paths = [out_dir / f"{operation}.csv"] if operation else sorted(out_dir.glob("*.csv"))
    frames = [pd.read_csv(p) for p in paths if p.exists()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def latest_rows(frame: pd.DataFrame, run_id: str | None = None) -> pd.DataFrame:
    """Rows of one run (default: the newest run in the frame)."""
    if frame.empty:
        return frame
    run_id = run_id or frame.sort_values("timestamp_utc")["run_id"].iloc[-1]
    return frame[frame["run_id"] == run_id]
