"""What near-memory processing would do for each hot path: the PIM emulator's time and energy per operation,
resident in the banks and with host transfers, against the best CPU kernel this run measured and a GPU model
(H100 anchors and measured PCIe figures, kernels/anchors.py), side by side with the fit verdicts.

An operation is one item: one 1 MiB state chunk hashed, one buffer checksummed, one page scanned, one page
copied. CPU figures are measured (energy modeled from the cores used); PIM and GPU figures are modeled and
labelled so.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import anchors
from ..hashing.prediction import sha256_blocks
from . import pim
from .profiles import PIM_PROFILES, PimProfile

H100_THREADS_PER_SM = 2048  # resident threads per SM, compute capability 9.0 (CUDA programming guide)


def gpu_model(kernel: str, items: int, item_bytes: int, out_bytes: int) -> dict:
    """An H100 (SXM) doing `items` operations: kernel seconds from the anchors, end to end with the inputs
    and outputs crossing PCIe at the measured rates (serialised); energy at the 700 W board limit (an upper
    bound). SHA-256 chunks are serial chains: one thread
    per chunk, each at the anchor's rate divided by every resident thread (derived)."""
    if kernel == "sha256_chunks":
        per_thread = anchors.SHA256_H100_HASHCAT_HPS / (anchors.H100_SXM_SMS * H100_THREADS_PER_SM)
        waves = math.ceil(items / (anchors.H100_SXM_SMS * H100_THREADS_PER_SM))
        kernel_s = waves * sha256_blocks(item_bytes) / per_thread
        moved_in = items * item_bytes
    elif kernel == "crc32c":
        kernel_s, moved_in = items * item_bytes / anchors.H100_HBM3_COPY_BPS, items * item_bytes
    elif kernel == "dirty_pages":
        kernel_s, moved_in = 2 * items * item_bytes / anchors.H100_HBM3_COPY_BPS, 2 * items * item_bytes
    elif kernel == "copy_pages":
        kernel_s, moved_in = 2 * items * item_bytes / anchors.H100_HBM3_COPY_BPS, 2 * items * item_bytes
    else:
        raise ValueError(f"unknown kernel {kernel!r}")
    transfer = moved_in / anchors.PCIE5_H2D_MEASURED_BPS + items * out_bytes / anchors.PCIE5_D2H_MEASURED_BPS
    watts = anchors.H100_SXM_POWER_W  # an upper bound: the board power limit for the whole time
    return {"gpu_kernel_s": kernel_s, "gpu_end_to_end_s": kernel_s + transfer,
            "gpu_j_kernel": watts * kernel_s, "gpu_j_end_to_end": watts * (kernel_s + transfer)}


# The item each kernel counts, its bytes in, and the bytes of its result.
ITEMS = {"sha256_chunks": ("1 MiB state chunk", 1 << 20, 32), "crc32c": ("4 KiB buffer", 4096, 4),
         "dirty_pages": ("4 KiB page", 4096, 8), "copy_pages": ("4 KiB page", 4096, 0)}


def fit_table(profiles=tuple(PIM_PROFILES.values())) -> pd.DataFrame:
    """Per PIM profile and hot path: does it fit (integer code, no cross-bank traffic, working set in WRAM)?"""
    return pd.DataFrame([{"profile": p.label, "hot path": k, "fits": pim.fit_reason(p, k) is None,
                          "why not": pim.fit_reason(p, k) or ""} for p in profiles for k in pim.KERNELS])


def comparison(cpu: pd.DataFrame, runs: dict[str, dict[str, pim.PimRun]], items: dict[str, int],
               profile: PimProfile) -> pd.DataFrame:
    """One row per hot path: the best measured CPU kernel (end to end, from `cpu`: rows of the `pim_cpu`
    sweep), the PIM system resident and with transfers ({kernel: {"resident": run, "transfers": run}}), and
    the GPU model; seconds and joules per operation, and the PIM's speedup over the CPU."""
    records = []
    for kernel, placements in runs.items():
        n = items[kernel]
        rows = cpu[(cpu.workload == kernel) & (cpu.phase == "end_to_end")]
        best = rows.loc[rows.time_s_median.idxmin()] if len(rows) else None
        cpu_s = best.time_s_median / n if best is not None else float("nan")
        resident, moved = placements["resident"], placements["transfers"]
        label, item_bytes, out_bytes = ITEMS[kernel]
        gpu = gpu_model(kernel, n, item_bytes, out_bytes)
        records.append({
            "hot path": kernel, "operation": label, "operations": n,
            "cpu backend (measured)": "" if best is None else f"{best.backend} ({best.device})",
            "cpu cores": _cores(best.device) if best is not None else 0,
            "cpu s/op (measured)": cpu_s,
            "cpu J/op (modeled)": best.energy_j_per_item if best is not None else float("nan"),
            "pim s/op resident (emulated)": resident.total_s / n,
            "pim J/op resident (modeled)": resident.energy_j / n,
            "pim s/op with transfers (emulated)": moved.total_s / n,
            "pim J/op with transfers (modeled)": moved.energy_j / n,
            "pim speedup resident": cpu_s / (resident.total_s / n),
            "pim speedup with transfers": cpu_s / (moved.total_s / n),
            "gpu s/op kernel (modeled)": gpu["gpu_kernel_s"] / n,
            "gpu s/op end to end (modeled)": gpu["gpu_end_to_end_s"] / n,
            "gpu J/op end to end (modeled)": gpu["gpu_j_end_to_end"] / n,
            "pim banks used": resident.banks_used, "pim profile": profile.label})
    return pd.DataFrame(records)


def _cores(device: str) -> int:
    """Cores from a CPU device label ("CPU, 2 cores")."""
    import re

    match = re.search(r"(\d+) core", str(device))
    return int(match.group(1)) if match else 1


def pim_runs_for(data: dict, profile: PimProfile, backend: str = "library") -> dict[str, dict[str, pim.PimRun]]:
    """Functional runs of every kernel on `data` (from `near_memory_data`), resident and with transfers."""
    runs = {}
    for kernel in pim.KERNELS:
        if pim.fit_reason(profile, kernel):
            continue
        runs[kernel] = {placement: _run(kernel, data, profile, backend, placement == "resident")
                        for placement in ("resident", "transfers")}
    return runs


def _run(kernel: str, data: dict, profile: PimProfile, backend: str, resident: bool) -> pim.PimRun:
    if kernel == "sha256_chunks":
        return pim.sha256_chunks(profile, data["state"], backend=backend, resident=resident)
    if kernel == "crc32c":
        return pim.crc32c(profile, data["buffers"], backend=backend, resident=resident)
    if kernel == "dirty_pages":
        return pim.dirty_pages(profile, data["before"], data["after"], backend=backend, resident=resident)
    dst = data["dst"].copy()
    return pim.copy_pages(profile, data["src"], dst, data["pages"], backend=backend, resident=resident)


def near_memory_data(state_bytes: int, seed: int = 31) -> dict:
    """The inputs of the near-memory comparison, all IC-shaped (kernels/memory/workloads.py): a state of
    `state_bytes` hashed in 1 MiB manifest chunks, the same state as 4 KiB buffers for CRC-32C, two images of
    it with 2 % of the pages dirty (sparse), and a round's dirty pages to copy."""
    from ..memory import workloads as mwl

    before, after, dirty = mwl.images(state_bytes, "sparse", mwl.TARGET_DIRTY_RATIO, seed=seed)
    data = after.reshape(-1, 4096)
    pages = mwl.dirty_page_set("sparse", state_bytes // 4096, mwl.round_dirty_pages(state_bytes), seed=seed + 3)
    return {"state": after, "buffers": [row for row in data], "before": before, "after": after, "dirty": dirty,
            "src": after, "dst": before, "pages": pages,
            "items": {"sha256_chunks": -(-state_bytes // (1 << 20)), "crc32c": data.shape[0],
                      "dirty_pages": data.shape[0], "copy_pages": int(pages.size)}}


def check_runs(runs: dict[str, dict[str, pim.PimRun]], data: dict) -> pd.DataFrame:
    """Every functional PIM result against the library on the whole data (not partitioned): AssertionError
    on a mismatch; one row per kernel and placement."""
    from .. import checksums, hashing, memory

    expected = {"sha256_chunks": hashing.manifest_chunk_hashes(data["state"], backend="library"),
                "crc32c": checksums.checksum_batch("crc32c", data["buffers"], backend="library"),
                "dirty_pages": data["dirty"]}
    copied = data["dst"].copy()
    memory.copy_pages(data["src"], copied, data["pages"], backend="library")
    expected["copy_pages"] = copied
    records = []
    for kernel, placements in runs.items():
        for placement, run in placements.items():
            if not np.array_equal(np.asarray(run.output), expected[kernel]):
                raise AssertionError(f"PIM {kernel} ({placement}) differs from the library on the whole data")
            records.append({"hot path": kernel, "placement": placement, "banks": run.banks_used,
                            "result": "agrees with the library on the whole data"})
    return pd.DataFrame(records)
