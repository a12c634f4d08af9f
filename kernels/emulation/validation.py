"""Validation before use: each model's prediction against a measurement it was not built from.

- DRAM rows: this machine's DRAM profile (kernels/emulation/calibrate.py: streaming read, copy, pointer chase,
  hash rate in cache) predicts the suite's real kernels (page copies, dirty-page scan, manifest hashing) on
  DRAM from the bytes and requests each implementation moves; the kernels are timed interleaved with the
  calibration, so load from other jobs falls on both alike.
- Optane, CXL and PIM rows: published figures that set no parameter (kernels/emulation/profiles.py says which
  figures calibrate; these are others).

`emulation_validation.csv` has the columns model, workload, predicted_s, measured_s, source. A model is used
for conclusions only if every one of its rows lies within RATIO_BOUNDS (predicted / measured).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import hashing, memory
from ..memory import workloads as mwl
from . import pim
from .calibrate import DramCalibration, measure_dram
from .nvm import Access, page_runs, trace_time
from .profiles import CXL, DDR4_PUBLISHED, OPTANE_1, OPTANE_6, UPMEM

COLUMNS = ["model", "workload", "predicted_s", "measured_s", "source"]
RATIO_BOUNDS = (0.67, 1.5)
GIB = 1 << 30


@dataclass(frozen=True)
class PublishedCheck:
    """A published measurement and the model's prediction of it."""

    model: str
    workload: str
    predicted_s: float
    measured_s: float
    source: str

    def row(self) -> dict:
        return {"model": self.model, "workload": self.workload, "predicted_s": self.predicted_s,
                "measured_s": self.measured_s, "source": self.source}


YANG = "Yang et al., FAST'20 (docs/REFERENCES.md section 3)"


def published_checks() -> list[PublishedCheck]:
    """Optane, CXL and PIM predictions against published figures that set no parameter."""
    mram = UPMEM.dma_bytes
    mram_s = (UPMEM.dma_alpha_cycles + UPMEM.dma_beta_cycles_per_byte * mram) / UPMEM.clock_hz
    system = pim.bank_seconds(UPMEM, pim.BankWork(dma_bytes=1 << 20, items=pim.TASKLETS))
    return [
        PublishedCheck("optane-1", "1 GiB of 64-byte random writes, bandwidth-bound (8 threads)",
                       trace_time(OPTANE_1, [Access("write", GIB, GIB // 64, True, 8)]), GIB / 0.55e9,
                       f"{YANG}: 64 B writes on one DIMM reach 0.55 GB/s (XPLine write amplification)"),
        PublishedCheck("optane-1", "persist 4 KiB with non-temporal stores + fence, 1 thread",
                       trace_time(OPTANE_1, [Access("write", 4096, 1, False), Access("persist", 0, 1)]), 1.55e-6,
                       f"{YANG}: 4 KiB persist, ntstore, 1.55 us"),
        PublishedCheck("optane-1", "persist 4 KiB with clwb + fence, 1 thread",
                       trace_time(OPTANE_1, [Access("write", 4096, 1, False), Access("persist", 0, 1)]), 1.77e-6,
                       f"{YANG}: 4 KiB persist, clwb, 1.77 us"),
        PublishedCheck("optane-6", "1 GiB sequential read in 4 KiB requests, 24 threads",
                       trace_time(OPTANE_6, [Access("read", GIB, GIB // 4096, False, 24)]), GIB / 37.6e9,
                       f"{YANG}: six interleaved DIMMs, 37.6 GB/s read"),
        PublishedCheck("optane-6", "1 GiB sequential non-temporal writes in 4 KiB requests, 24 threads",
                       trace_time(OPTANE_6, [Access("write", GIB, GIB // 4096, False, 24)]), GIB / 13.4e9,
                       f"{YANG}: six interleaved DIMMs, 13.4 GB/s ntstore"),
        PublishedCheck("cxl", "one dependent random load (idle latency)",
                       trace_time(CXL, [Access("read", 64, 1, True)]), 2 * DDR4_PUBLISHED.read_latency_rand_s,
                       "Wang et al., arXiv 2405.14209: the fastest of three real CXL expanders is 2x local DRAM "
                       "latency (the slowest 5x, outside this model); local DRAM 101 ns random (Yang et al.)"),
        PublishedCheck("upmem", "one 2,048-byte MRAM read by DMA (one DPU)", mram_s, mram / 628.23e6,
                       "PrIM (Gomez-Luna et al. 2022) section 3.2: 628.23 MB/s sustained MRAM read with 2,048-byte "
                       "transfers; unconfirmed (recalled, primary not re-read for this suite)"),
        PublishedCheck("upmem", "every DPU streams 1 MiB from its MRAM (2,556 DPUs)", system,
                       UPMEM.banks * (1 << 20) / 1.7e12,
                       "PrIM (docs/REFERENCES.md section 3): 2,556 DPUs reach about 1.7 TB/s of MRAM bandwidth"),
    ]


def _copy_trace(pages: np.ndarray, page_size: int, backend: str) -> list[Access]:
    """What a page copy moves on DRAM: numba_cpu reads and writes each run of pages once; the numpy baseline
    gathers into a temporary (runs -> one buffer) and scatters it (one buffer -> runs)."""
    nbytes, runs = pages.size * page_size, page_runs(pages)
    direct = [Access("read", nbytes, runs), Access("write", nbytes, runs)]
    if backend == "library":
        return direct + [Access("read", nbytes, 1, False), Access("write", nbytes, 1)]
    return direct


def _scan_trace(heap: int, backend: str) -> list[Access]:
    """A dirty-page scan reads both images; numpy also writes a bool per byte and reads it back (and its
    byte-wise compare is compute-bound: `dram_checks` takes the larger of this and its compute rate)."""
    trace = [Access("read", 2 * heap, 2, False)]
    if backend == "library":
        trace += [Access("write", heap, 1), Access("read", heap, 1, False)]
    return trace


def dram_checks(heap_bytes: int, backends=("library", "numba_cpu"), min_seconds: float = 0.5,
                dirty_ratio: float = 0.1) -> tuple[list[PublishedCheck], DramCalibration]:
    """This machine's DRAM model against the suite's kernels on DRAM, calibration and kernels timed
    interleaved. Page copies: `dirty_ratio` of the heap's pages, sparse and clustered (the IC's dirty
    patterns, kernels/memory/workloads.py); scan: the whole heap; hashing: 1 MiB manifest chunks hashed in
    place with hashlib, the library backend's implementation (called directly, so that no packing copy of the
    suite's API enters a hash-rate check)."""
    ps = mwl.OS_PAGE_BYTES
    npages = heap_bytes // ps
    src, dst = mwl.heap_image(heap_bytes, 21), mwl.heap_image(heap_bytes, 22)
    before, after, _ = mwl.images(heap_bytes, "sparse", 0.02)
    page_sets = {p: mwl.dirty_page_set(p, npages, int(npages * dirty_ratio), seed=23) for p in ("sparse", "clustered")}
    kernels, traces = {}, {}
    for backend in backends:
        for pattern, pages in page_sets.items():
            name = f"copy_pages {pattern} {dirty_ratio:.0%} of {heap_bytes >> 20} MiB, {backend}"
            kernels[name] = lambda b=backend, p=pages: memory.copy_pages(src, dst, p, backend=b)
            traces[name] = (_copy_trace(pages, ps, backend), None)
        name = f"dirty_pages scan of {heap_bytes >> 20} MiB, {backend}"
        kernels[name] = lambda b=backend: memory.dirty_pages(before, after, backend=b)
        traces[name] = (_scan_trace(heap_bytes, backend), "compare" if backend == "library" else None)
    chunk = hashing.manifest.CHUNK_SIZE
    chunks = [memoryview(src[o:o + chunk]) for o in range(0, heap_bytes, chunk)]
    name = f"SHA-256 of 1 MiB manifest chunks of {heap_bytes >> 20} MiB in place, hashlib"
    kernels[name] = lambda: [hashlib.sha256(c).digest() for c in chunks]
    traces[name] = (
        [Access("read", heap_bytes, -(-heap_bytes // hashing.manifest.CHUNK_SIZE), False)], "sha256")
    calibration = measure_dram(max(heap_bytes, 32 << 20), min_seconds, alongside=kernels)
    checks = []
    for name, (trace, compute) in traces.items():
        predicted = trace_time(calibration.profile, trace)
        if compute == "sha256":
            predicted = max(predicted, heap_bytes / calibration.sha256_bps)
        elif compute == "compare":  # numpy compares byte by byte into a bool array: compute-bound
            predicted = max(predicted, heap_bytes / calibration.compare_bps)
        checks.append(PublishedCheck("dram", name, predicted, calibration.workloads[name],
                                     "measured on this machine (fastest of rounds timed interleaved with "
                                     "the DRAM calibration: streaming read, np.copyto, pointer chase, SHA-256 and "
                                     "byte compares in cache)"))
    return checks, calibration


def validation_table(checks: list[PublishedCheck]) -> pd.DataFrame:
    """The checks as rows, with the ratio and whether it lies within RATIO_BOUNDS (display columns)."""
    frame = pd.DataFrame([c.row() for c in checks], columns=COLUMNS)
    ratio = frame.predicted_s / frame.measured_s
    return frame.assign(ratio=ratio, within=ratio.between(*RATIO_BOUNDS))


def usable_models(table: pd.DataFrame) -> dict[str, bool]:
    """{model: every row within RATIO_BOUNDS}: only these are used for conclusions."""
    return {model: bool(rows.within.all()) for model, rows in table.groupby("model", sort=False)}


def write_validation(table: pd.DataFrame, out_dir: str | Path) -> Path:
    """`<out_dir>/emulation_validation.csv` (columns model, workload, predicted_s, measured_s, source), atomically."""
    from ..measure.results import _atomic_write

    path = Path(out_dir) / "emulation_validation.csv"
    _atomic_write(path, lambda f: table[COLUMNS].to_csv(f, index=False))
    return path
