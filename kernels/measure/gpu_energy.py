"""The GPU energy check (scripts/gpu_check.sh): NVML energy of the SHA-256, Ed25519, CRC-32C and page-copy kernels
on a GPU, beside the model's figure for the same rows.

    python -m kernels.measure.gpu_energy OUT_DIR [--backends cupy,numba_cuda] [--seconds 1.0]

Takes the largest two workloads and batch sizes of each operation's quick sweep, measures every phase with
windows of at least `--seconds` (NVML's counter updates every 20-100 ms, so about a second or more), writes the
rows to the usual tables in OUT_DIR and `energy_model_check.csv` (measured beside modeled) for notebook 07.
Exits 1, saying why, where NVML cannot be read.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

# operation -> the quick sweep that holds it
SWEEPS = {"sha256": "sha256", "ed25519_verify": "batch", "crc32c": "buffer_sizes", "copy_pages": "page_copies"}


def run(out_dir: str | Path, backends=("cupy",), seconds: float = 1.0, progress: bool = False,
        profile: str = "quick") -> pd.DataFrame:
    """Measure the four kernels on the GPU and write energy_model_check.csv; the comparison table."""
    from ..energy_analysis import GPU_CHECK_CSV, measured_vs_modeled, run_model
    from ..registry import hot_path
    from .bench import Settings, run_cases
    from .meters import MeterUnavailable, gpu_meter
    from .results import ResultsWriter, _atomic_write

    meter = gpu_meter()
    if isinstance(meter, MeterUnavailable):
        raise meter
    writer = ResultsWriter(out_dir)
    settings = Settings(energy_seconds=seconds)
    frames = []
    for operation, sweep_name in SWEEPS.items():
        spec = hot_path(operation).cases(profile)[sweep_name]
        spec = dataclasses.replace(spec, operations=[operation], workloads=list(spec.workloads)[-2:],
                                   batch_sizes=list(spec.batch_sizes)[-2:])
        frames.append(run_cases(spec.cases(list(backends)), writer, settings, progress=progress,
                                total=spec.count(list(backends)), desc=f"energy: {operation}"))
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) \
        else pd.DataFrame()
    model, cores = run_model(writer.out_dir)
    table = measured_vs_modeled(frame, model, cores) if not frame.empty else measured_vs_modeled(
        pd.DataFrame(columns=["energy_method"]), model, cores)
    table.insert(0, "gpu", meter.gpu_name)
    _atomic_write(writer.out_dir / GPU_CHECK_CSV, lambda f: table.to_csv(f, index=False))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--backends", default="cupy")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    from .meters import MeterUnavailable

    try:
        table = run(args.out_dir, tuple(args.backends.split(",")), args.seconds, progress=True)
    except MeterUnavailable as e:
        print(f"gpu_energy: {e}", file=sys.stderr)
        return 1
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
