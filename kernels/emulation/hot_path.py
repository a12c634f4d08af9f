"""The emulators as a hot path: the suite's real kernels measured on this machine through the emulators'
functional modes (operation `nvm_persistence`: page copies into a persistent region and their persist, the
dirty-page scan and manifest hashing of the region; operation `near_memory`: the CPU kernels the PIM system
competes with), and the emulated device figures as rows of their own, labelled `emulated` in the backend and
device columns, with energy method `modeled`.

Backends: the kernels inside the emulators run on `library` and `numba_cpu`; the emulated devices are peers
(`emulated_optane`, `emulated_cxl`, `emulated_nvme`, `emulated_pim`), whose rows come from the models, never
from a timer.
"""
from __future__ import annotations

import functools
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import checksums, hashing, memory
from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, require_timeable
from ..memory import workloads as mwl
from . import pim
from .crash import TrialPlan, crash_trial
from .near_memory import ITEMS, check_runs, near_memory_data, pim_runs_for
from .nvm import Access, PersistentRegion, media_bytes, page_copy_trace, trace_energy, trace_time
from .profiles import CXL, NVME, OPTANE_1, OPTANE_6, UPMEM, MemoryProfile

BACKENDS = ("library", "numba_cpu")
PS = mwl.OS_PAGE_BYTES
PEERS = {"optane-1": "emulated_optane", "optane-6": "emulated_optane", "cxl": "emulated_cxl",
         "nvme": "emulated_nvme", "upmem": "emulated_pim"}
SIZES = {
    "smoke": {"heap": 2 << 20, "state": 2 << 20, "validation_heap": 8 << 20, "min_seconds": 0.05,
              "rounds": 20, "crash_trials": 2, "check_heap": 1 << 20, "persistence_heap": 64 << 20},
    "quick": {"heap": 64 << 20, "state": 64 << 20, "validation_heap": 128 << 20, "min_seconds": 2.0,
              "rounds": mwl.CHECKPOINT_ROUNDS, "crash_trials": 8, "check_heap": 8 << 20,
              "persistence_heap": mwl.HEAP_MAX_BYTES},
    "full": {"heap": 256 << 20, "state": 256 << 20, "validation_heap": 256 << 20, "min_seconds": 4.0,
             "rounds": mwl.CHECKPOINT_ROUNDS, "crash_trials": 32, "check_heap": 16 << 20,
             "persistence_heap": mwl.HEAP_MAX_BYTES},
}


def sizes(profile: str) -> dict:
    return SIZES[check_profile(profile)]


class RegionFixture:
    """A DRAM-backed persistent region in a temporary folder (removed with the object), the heap it persists,
    and a round's dirty pages."""

    def __init__(self, heap_bytes: int, pattern: str, seed: int = 41):
        self._tmp = tempfile.TemporaryDirectory(prefix="nvm-region-")
        self.region = PersistentRegion(Path(self._tmp.name) / "region.bin", heap_bytes, OPTANE_1)
        self.heap = mwl.heap_image(heap_bytes, seed)
        self.pages = mwl.dirty_page_set(pattern, heap_bytes // PS, mwl.round_dirty_pages(heap_bytes), seed + 1)
        self.region.store(0, self.heap)  # the region starts as a persisted copy of the heap's previous state
        self.region.persist()
        self.region.counters = type(self.region.counters)()  # count the steps only, not the set-up
        self.current = mwl.written_image(self.heap, self.pages, PS, seed + 2)
        self.delta = np.zeros_like(self.heap)
        weakref.finalize(self, self._tmp.cleanup)

    def persist_round(self, backend: str) -> None:
        """Copy the round's dirty pages into the region with the suite's kernel, then persist them."""
        memory.copy_pages(self.current, self.region.view, self.pages, backend=backend)
        self.region.stored_pages(self.pages, PS)
        self.region.persist_pages(self.pages, PS)

    def delta_copy(self, backend: str) -> None:
        """Today's replica: copy the round's dirty pages into a page delta in DRAM (no region involved)."""
        memory.copy_pages(self.current, self.delta, self.pages, backend=backend)

    def scan(self, backend: str) -> np.ndarray:
        """Find the pages that differ between the persisted image and the current heap."""
        self.region.loaded(self.region.size)
        return memory.dirty_pages(self.region.view, self.current, backend=backend)

    def manifest(self, backend: str) -> np.ndarray:
        """Hash the persisted image in 1 MiB manifest chunks."""
        self.region.loaded(self.region.size, -(-self.region.size // hashing.manifest.CHUNK_SIZE))
        return hashing.manifest_chunk_hashes(self.region.view, backend=backend)


def _nvm_build(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
    require_timeable(operation, backend)
    fixture = data()
    kind = workload.params["step"]
    if kind == "persist-round":
        case = Case.of(operation, backend, workload, int(fixture.pages.size), 2.0 * PS)
        case.phases["end_to_end"] = lambda: fixture.persist_round(backend)
    elif kind == "delta-copy":
        case = Case.of(operation, backend, workload, int(fixture.pages.size), 2.0 * PS)
        case.phases["end_to_end"] = lambda: fixture.delta_copy(backend)
    elif kind == "scan":
        case = Case.of(operation, backend, workload, fixture.region.size // PS, 2.0 * PS)
        case.phases["end_to_end"] = lambda: fixture.scan(backend)
    else:
        chunks = -(-fixture.region.size // hashing.manifest.CHUNK_SIZE)
        case = Case.of(operation, backend, workload, chunks, float(hashing.manifest.CHUNK_SIZE))
        case.phases["end_to_end"] = lambda: fixture.manifest(backend)
    return case


def _cpu_build(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
    """The CPU kernel the PIM system competes with, on the whole data (one item = one operation, ITEMS)."""
    require_timeable(operation, backend)
    d = data()
    kernel = workload.name
    n = d["items"][kernel]
    case = Case.of(operation, backend, workload, n, float(ITEMS[kernel][1]))
    if kernel == "sha256_chunks":
        case.phases["end_to_end"] = lambda: hashing.manifest_chunk_hashes(d["state"], backend=backend)
    elif kernel == "crc32c":
        case.phases["end_to_end"] = lambda: checksums.checksum_batch("crc32c", d["buffers"], backend=backend)
    elif kernel == "dirty_pages":
        case.phases["end_to_end"] = lambda: memory.dirty_pages(d["before"], d["after"], backend=backend)
    else:
        dst = d["dst"].copy()
        case.phases["end_to_end"] = lambda: memory.copy_pages(d["src"], dst, d["pages"], backend=backend)
    return case


def _row(operation: str, profile_name: str, label: str, workload: str, batch: int, bytes_per_item: float,
         seconds: float, joules: float, **params) -> dict:
    """One emulated result row: the model's seconds (no timer: repeats 1, p25 = p75 = median), energy modeled."""
    rate = batch / seconds if seconds > 0 else float("nan")
    return {**params, "profile": profile_name, "operation": operation, "backend": PEERS[profile_name],
            "device": label, "workload": workload, "batch_size": batch, "bytes_per_item": bytes_per_item,
            "repeats": 1, "time_s_median": seconds, "time_s_p25": seconds, "time_s_p75": seconds,
            "items_per_s": rate, "bytes_per_s": rate * bytes_per_item,
            "energy_j_per_item": joules / max(batch, 1), "energy_method": "modeled", "phase": "end_to_end"}


class EmulationHotPath(HotPath):
    name = "emulation"
    title = "NVM and near-memory processing, emulated and validated against published hardware"
    operations = ("nvm_persistence", "near_memory")
    notebook = "05_nvm.ipynb"  # and 06_near_memory.ipynb

    def backends(self, operation: str) -> tuple[str, ...]:
        """The suite's kernels inside the emulators run on the CPU backends; devices are emulated peers."""
        return BACKENDS

    def compile_rows(self, backends: Sequence[str]) -> list[dict]:
        """None: the kernels inside the emulators are the other hot paths' (their notebooks time the builds)."""
        return []

    def sweeps(self, profile: str) -> list[Sweep]:
        """The suite's kernels through the NVM region (per dirty pattern: a round's page delta copied in DRAM as today,
        the round persisted into the region, the scan, the manifest) and
        the CPU kernels the PIM system competes with (whole data, one item per operation)."""
        s = sizes(profile)
        fixtures = functools.lru_cache(maxsize=1)(RegionFixture)
        nm_data = functools.lru_cache(maxsize=1)(near_memory_data)
        nvm = [Workload(step, {"step": step, "pattern": pattern, "heap_bytes": s["heap"], "page_size": PS})
               for pattern in mwl.DIRTY_PATTERNS for step in ("delta-copy", "persist-round", "scan", "manifest")]
        return [
            Sweep("nvm_functional", ["nvm_persistence"], nvm, [0], list(BACKENDS), ["end_to_end"], _nvm_build,
                  lambda w, b: functools.partial(fixtures, w.params["heap_bytes"], w.params["pattern"])),
            Sweep("near_memory_cpu", ["near_memory"],
                  [Workload(k, {"state_bytes": s["state"], "item": ITEMS[k][0]}) for k in pim.KERNELS], [0],
                  list(BACKENDS), ["end_to_end"], _cpu_build,
                  lambda w, b: functools.partial(nm_data, w.params["state_bytes"])),
        ]

    # --- emulated rows -------------------------------------------------------------------------------------------
    def nvm_rows(self, measured: pd.DataFrame, devices: Sequence[MemoryProfile] = (OPTANE_1, OPTANE_6, CXL, NVME),
                 threads: int = 8) -> list[dict]:
        """The same steps on each emulated device: a round's pages persisted (the IC's 8 copy threads), the
        persisted image read back for the scan and for the manifest (the compute part at the CPU time this
        run measured for the step, the device read overlapping it)."""
        rows = []
        sel = measured[(measured.operation == "nvm_persistence") & (measured.phase == "end_to_end")]
        sel = sel[sel.step != "delta-copy"]  # a DRAM-only step: nothing to emulate
        for (pattern, heap), group in sel.groupby(["pattern", "heap_bytes"]):
            fixture = RegionFixture(int(heap), pattern)
            pages = fixture.pages
            cpu = {step: rows_.time_s_median.min() for step, rows_ in group.groupby("step")}
            for dev in devices:
                persist = page_copy_trace(pages, PS, threads, persist=True)
                if dev.persist == "fsync":
                    persist = [Access("write", pages.size * PS, pages.size, True, threads), Access("persist", 0, 1)]
                rows.append(_row("nvm_persistence", dev.name, dev.label, "persist-round", int(pages.size), 2.0 * PS,
                                 trace_time(dev, persist), trace_energy(dev, persist), step="persist-round",
                                 pattern=pattern, heap_bytes=int(heap), page_size=PS))
                image = [Access("read", int(heap), -(-int(heap) // hashing.manifest.CHUNK_SIZE), False, threads)]
                read_s = trace_time(dev, image)
                for step, batch, per_item in (("scan", int(heap) // PS, 2.0 * PS),
                                              ("manifest", len(image) and image[0].requests,
                                               float(hashing.manifest.CHUNK_SIZE))):
                    seconds = max(read_s, cpu.get(step, 0.0))
                    rows.append(_row("nvm_persistence", dev.name, dev.label, step, batch, per_item, seconds,
                                     trace_energy(dev, image), step=step, pattern=pattern, heap_bytes=int(heap),
                                     page_size=PS))
        return rows

    def pim_rows(self, runs: dict, items: dict, state_bytes: int) -> list[dict]:
        """The PIM system's figures per hot path, resident and with host transfers (modeled)."""
        rows = []
        for kernel, placements in runs.items():
            for placement, run in placements.items():
                rows.append(_row("near_memory", UPMEM.name, UPMEM.label, kernel, items[kernel],
                                 float(ITEMS[kernel][1]), run.total_s, run.energy_j, placement=placement,
                                 state_bytes=state_bytes, item=ITEMS[kernel][0]))
        return rows

    # --- checks ------------------------------------------------------------------------------------------------
    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Functional modes against oracles independent of the emulators: pages persisted into a region
        against a numpy page-mask select of the media, the region scan against the pages written, the region's
        manifest against hashlib per chunk; every PIM kernel per bank against the library on the whole data;
        crash trials (a child killed at seeded random points) with no violation. AssertionError otherwise."""
        import hashlib

        s = sizes(profile)
        records = []
        for backend in [b for b in (backends or BACKENDS) if b in BACKENDS]:
            for pattern in mwl.DIRTY_PATTERNS:
                fx = RegionFixture(s["check_heap"], pattern)
                expected = fx.heap.copy()
                mask = np.zeros(expected.size // PS, bool)
                mask[fx.pages] = True
                expected.reshape(-1, PS)[mask] = fx.current.reshape(-1, PS)[mask]
                fx.persist_round(backend)
                if not np.array_equal(fx.region.media, expected):
                    raise AssertionError(f"persist-round on {backend}, {pattern}: the media differs")
                if not np.array_equal(fx.scan(backend), np.zeros(0, np.int64)):
                    raise AssertionError(f"scan on {backend}, {pattern}: pages left dirty after persisting")
                chunk = hashing.manifest.CHUNK_SIZE
                want = np.array([np.frombuffer(hashlib.sha256(expected[o:o + chunk]).digest(), np.uint8)
                                 for o in range(0, expected.size, chunk)])
                if not np.array_equal(fx.manifest(backend), want):
                    raise AssertionError(f"manifest on {backend}, {pattern}: differs from hashlib per chunk")
            data = near_memory_data(s["check_heap"])
            table = check_runs(pim_runs_for(data, UPMEM, backend), data)
            records.append({"backend": backend, "nvm region": "persist, scan and manifest agree with numpy/hashlib",
                            "pim banks": f"{len(table)} kernel runs agree with the library on the whole data"})
        with tempfile.TemporaryDirectory(prefix="crash-") as tmp:
            trials = [crash_trial(tmp, TrialPlan(seed)) for seed in range(100, 100 + s["crash_trials"])]
        bad = [v for t in trials for v in t.violations]
        if bad:
            raise AssertionError(f"crash trials: {bad[:5]}")
        records.append({"backend": "crash trials", "nvm region": f"{len(trials)} children killed at random points",
                        "pim banks": "every page recovered intact, at least as new as reported durable"})
        return pd.DataFrame(records)

    def quartz_table(self, profile: str, dram: MemoryProfile, targets: Sequence[MemoryProfile] = (OPTANE_1, CXL),
                     backend: str = "library", repeats: int = 5) -> pd.DataFrame:
        """The functional mode with Quartz-style delays: a round persisted into the region with and without
        injection (wall seconds, medians), the delay injected per round, and the model's extra time of the
        target over this machine's DRAM for the same counted trace: injection adds what the model says."""
        import time

        s = sizes(profile)
        records = []
        for target in targets:
            fx = RegionFixture(s["heap"], "sparse")

            def wall(inject):
                fx.region.inject, fx.region.dram = inject, dram
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    fx.persist_round(backend)
                    times.append(time.perf_counter() - t0)
                return float(np.median(times))

            plain = wall(None)
            before = fx.region.counters.injected_s
            injected = wall(target)
            per_round = (fx.region.counters.injected_s - before) / repeats
            trace = page_copy_trace(fx.pages, PS, 1, persist=True)
            records.append({"target": target.label, "round pages": int(fx.pages.size),
                            "wall, no injection (s)": plain, "wall, injected (s)": injected,
                            "injected per round (s)": per_round,
                            "model: target - DRAM (s)": trace_time(target, trace) - trace_time(dram, trace)})
        return pd.DataFrame(records)

    def prediction(self) -> dict:
        """Per device, what persisting one 4 KiB page and one scattered 64-byte write cost (media bytes, seconds);
        per PIM kernel, instructions and MRAM bytes per operation."""
        one_page = [Access("write", PS, 1, True), Access("persist", 0, 1)]
        small = [Access("write", 64, 1, True), Access("persist", 0, 1)]
        devices = {d.label: {"page_persist_s": trace_time(d, one_page), "small_write_persist_s": trace_time(d, small),
                             "small_write_media_bytes": media_bytes(d, small[0])}
                   for d in (OPTANE_1, OPTANE_6, CXL, NVME)}
        kernels = {"sha256_chunks": {"instructions": pim.SHA256_INSTRUCTIONS_PER_BLOCK * (1 << 20) // 64,
                                     "mram_bytes": 1 << 20},
                   "crc32c": {"instructions": pim.CRC32C_INSTRUCTIONS_PER_BYTE * 4096, "mram_bytes": 4096},
                   "dirty_pages": {"instructions": 4096 // 8 * pim.COMPARE_INSTRUCTIONS_PER_WORD, "mram_bytes": 8192},
                   "copy_pages": {"instructions": 2 * 4096 // UPMEM.dma_bytes * pim.DMA_INSTRUCTIONS,
                                  "mram_bytes": 8192}}
        for k in kernels.values():
            k["bank_s"] = pim.bank_seconds(UPMEM, pim.BankWork(k["instructions"], pim.TASKLETS, k["mram_bytes"]))
        return {"devices": devices, "pim_kernels": kernels}


HOT_PATH = EmulationHotPath()
