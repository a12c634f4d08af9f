"""Orthogonal persistence three ways, per round and per checkpoint (every 500 rounds), on the IC's dirty patterns:

- `dram+nvme`: today's replica: each round's dirty pages are copied into page deltas in DRAM; a checkpoint
  writes the pages changed since the last one to checkpoint files on NVMe (one fsync per file) and hashes
  them for the manifest. A crash loses the deltas: recovery reads the checkpoint back, checks its manifest,
  and re-executes the rounds since it (up to 499; their execution is not modeled here).
- `pmem`: each round's dirty pages are copied straight into Optane PMem and persisted (flush + fence); a
  checkpoint only hashes the changed pages (read from PMem). Recovery checks the manifest; no round is lost.
- `cxl`: each round's dirty pages go to a CXL Type-3 expander (DRAM behind CXL: volatile), checkpoints to
  NVMe as today; recovery as `dram+nvme`. What CXL buys is capacity, not durability.

DRAM work (finding and copying pages, hashing) is charged at the rates this run measured with the suite's
kernels; device work at the NVM model's figures (kernels/emulation/nvm.py). A copy into a device can be no
faster than the copy the CPU measured here: the pages are still read and copied by the CPU. Bytes written per
checkpoint interval is the wear on the device that persists.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..hashing.manifest import CHUNK_SIZE
from ..memory import workloads as mwl
from .nvm import Access, page_copy_trace, page_runs, trace_energy, trace_time
from .profiles import CXL, DDR4_PUBLISHED, NVME, OPTANE_6, MemoryProfile

COPY_THREADS = 8  # the replica copies dirty pages on 8 threads (docs/REFERENCES.md section 1)
STRATEGIES = ("dram+nvme", "pmem", "cxl")


@dataclass(frozen=True)
class MeasuredRates:
    """This run's DRAM rates from the suite's kernels (bytes per second): page copy (bytes copied), dirty-page
    scan (heap bytes scanned), SHA-256 manifest hashing (bytes hashed); and the modeled CPU watts while they run."""

    copy_bps: float
    scan_bps: float
    hash_bps: float
    cpu_watts: float


def chunks_touched(pages: np.ndarray, page_size: int) -> int:
    """1 MiB manifest chunks that contain at least one of the pages (a checkpoint re-hashes these)."""
    return int(np.unique(np.asarray(pages, np.int64) * page_size // CHUNK_SIZE).size)


def strategy_costs(rates: MeasuredRates, heap_bytes: int, pattern: str, rounds: int = mwl.CHECKPOINT_ROUNDS,
                   page_size: int = mwl.OS_PAGE_BYTES, pmem: MemoryProfile = OPTANE_6, cxl: MemoryProfile = CXL,
                   nvme: MemoryProfile = NVME, seed: int = 0) -> pd.DataFrame:
    """One row per strategy: seconds per round and per checkpoint, recovery seconds (and whether rounds must
    be re-executed), bytes written per checkpoint interval and on which device, energy per round (modeled:
    CPU watts x CPU time, plus the
    device's joules per byte)."""
    npages = heap_bytes // page_size
    per_round = mwl.round_dirty_pages(heap_bytes, page_size)
    sets = mwl.round_page_sets(pattern, npages, per_round, rounds, seed)
    union, _ = mwl.checkpoint_accumulation(pattern, npages, per_round, rounds, seed)
    round_pages = int(np.mean([s.size for s in sets]))
    round_bytes = round_pages * page_size
    union_bytes = union.size * page_size
    hashed = min(chunks_touched(union, page_size) * CHUNK_SIZE, heap_bytes)
    scan = heap_bytes / rates.scan_bps
    dram_copy = round_bytes / rates.copy_bps
    hashing_s = hashed / rates.hash_bps
    mean_runs = int(np.mean([page_runs(s) for s in sets]))
    round_trace = [Access("write", round_bytes, mean_runs, True, COPY_THREADS), Access("persist", 0, 1)]
    checkpoint_nvme = [Access("write", union_bytes, page_runs(union), False), Access("persist", 0, 1)]
    recover_nvme = [Access("read", heap_bytes, -(-heap_bytes // CHUNK_SIZE), False, COPY_THREADS)]
    rows = []

    def row(strategy, device, per_round_s, round_energy, checkpoint_s, recovery_s, replays, written, media):
        rows.append({"strategy": strategy, "device": device, "pattern": pattern, "heap_bytes": heap_bytes,
                     "round_dirty_bytes": round_bytes, "checkpoint_bytes": union_bytes,
                     "per_round_s": per_round_s, "per_checkpoint_s": checkpoint_s,
                     "per_round_amortised_s": per_round_s + checkpoint_s / rounds, "recovery_s": recovery_s,
                     "replays_rounds": replays, "bytes_written_per_interval": written, "wear_device": media,
                     "energy_j_per_round": round_energy})

    cpu = rates.cpu_watts
    nvme_checkpoint = trace_time(nvme, checkpoint_nvme) + hashing_s
    nvme_recovery = trace_time(nvme, recover_nvme) + heap_bytes / rates.hash_bps
    dram_energy = 2 * round_bytes * DDR4_PUBLISHED.write_j_per_byte  # read + write of each page (unconfirmed J/B)
    row("dram+nvme", f"DRAM (measured) + {nvme.label}", scan + dram_copy, cpu * (scan + dram_copy) + dram_energy,
        nvme_checkpoint, nvme_recovery, True, union_bytes, nvme.name)
    pmem_round = max(trace_time(pmem, round_trace), dram_copy)  # the CPU still reads and copies every page
    pmem_read = [Access("read", hashed, max(1, hashed // CHUNK_SIZE), False, COPY_THREADS)]
    row("pmem", pmem.label, scan + pmem_round, cpu * (scan + pmem_round) + trace_energy(pmem, round_trace),
        max(trace_time(pmem, pmem_read), hashing_s),
        max(trace_time(pmem, [Access("read", heap_bytes, -(-heap_bytes // CHUNK_SIZE), False, COPY_THREADS)]),
            heap_bytes / rates.hash_bps), False, rounds * round_bytes, pmem.name)
    cxl_round = max(trace_time(cxl, page_copy_trace(np.arange(round_pages), page_size, COPY_THREADS)[:1]), dram_copy)
    cxl_read = [Access("read", union_bytes, page_runs(union), True, COPY_THREADS)]
    row("cxl", f"{cxl.label} + {nvme.label}", scan + cxl_round,
        cpu * (scan + cxl_round) + trace_energy(cxl, round_trace[:1]),
        trace_time(cxl, cxl_read) + trace_time(nvme, checkpoint_nvme) + hashing_s, nvme_recovery, True,
        union_bytes, nvme.name)
    return pd.DataFrame(rows)


def rates_from_rows(frame: pd.DataFrame) -> MeasuredRates:
    """This run's DRAM rates from the `nvm_functional` sweep (best backend per step, all dirty patterns):
    page copy into a DRAM delta (bytes copied per second), scan (heap bytes per second), manifest hashing
    (bytes per second);
    CPU watts from the rows' modeled energy (energy per item x items / seconds) of the copy step."""
    rows = frame[(frame.operation == "nvm_persistence") & (frame.phase == "end_to_end")]

    def best(step: str) -> pd.Series:
        sel = rows[rows.step == step]
        return sel.loc[sel.time_s_median.idxmin()]

    copy, scan, manifest = best("delta-copy"), best("scan"), best("manifest")
    page_size = float(copy.page_size)
    watts = copy.energy_j_per_item * copy.batch_size / copy.time_s_median
    return MeasuredRates(copy_bps=copy.batch_size * page_size / copy.time_s_median,
                         scan_bps=scan.heap_bytes / scan.time_s_median,
                         hash_bps=manifest.heap_bytes / manifest.time_s_median, cpu_watts=float(watts))


def costs_all_patterns(rates: MeasuredRates, heap_bytes: int, rounds: int = mwl.CHECKPOINT_ROUNDS) -> pd.DataFrame:
    """`strategy_costs` for every IC dirty pattern (sparse, clustered, stack)."""
    return pd.concat([strategy_costs(rates, heap_bytes, pattern, rounds) for pattern in mwl.DIRTY_PATTERNS],
                     ignore_index=True)
