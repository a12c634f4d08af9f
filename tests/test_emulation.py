"""NVM and near-memory emulators: the model's arithmetic on worked examples, the functional modes against the
library, crash consistency (a child killed at random points, and every kill point in-process), validation."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kernels import checksums, hashing, memory
from kernels.emulation import crash, pim, persistence, validation
from kernels.emulation.checkpoint import ENTRY_BYTES, PageStore
from kernels.emulation.nvm import Access, PersistentRegion, media_bytes, trace_energy, trace_time
from kernels.emulation.profiles import CXL, DDR4_PUBLISHED, HBM_PIM, NVME, OPTANE_1, OPTANE_6, UPMEM
from kernels.memory import workloads as mwl
from kernels.random_data import random_bytes


# --- the analytical model ---------------------------------------------------------------------------------------

def test_worked_example_small_random_writes_pay_whole_xplines():
    a = Access("write", 64_000, 1000, True, 1)
    assert media_bytes(OPTANE_1, a) == 1000 * 256
    assert trace_time(OPTANE_1, [a]) == pytest.approx(1000 * (90e-9 + 256 / 2.2e9))  # one thread: latency-bound
    assert trace_time(OPTANE_1, [replace(a, threads=8)]) == pytest.approx(256_000 / 2.2e9)  # bandwidth-bound
    assert media_bytes(CXL, a) == 64_000  # 64-byte granularity: no amplification
    assert trace_energy(OPTANE_1, [a]) == pytest.approx(256_000 * 18.0 / 2.2e9)


def test_worked_example_random_reads_wait_latency_per_request():
    a = Access("read", 10 * 4096, 10, True, 1)
    assert trace_time(OPTANE_1, [a]) == pytest.approx(10 * (305e-9 + 4096 / 6.5e9))
    assert trace_time(OPTANE_1, [replace(a, random=False)]) == pytest.approx(10 * (169e-9 + 4096 / 6.5e9))
    # six interleaved DIMMs: one 4 KiB request is served by one DIMM, many threads reach six times the bandwidth
    assert trace_time(OPTANE_6, [Access("read", 4096, 1)]) == pytest.approx(305e-9 + 4096 / 6.5e9)
    many = Access("read", 6 * 4096 * 1000, 6000, False, 600)
    assert trace_time(OPTANE_6, [many]) == pytest.approx(6 * 4096 * 1000 / 39e9)


def test_worked_example_persists():
    assert trace_time(OPTANE_1, [Access("persist", 0, 3)]) == pytest.approx(3 * 62e-9)
    assert trace_time(NVME, [Access("persist", 0, 2)]) == pytest.approx(2 * 50e-6)
    assert trace_time(OPTANE_1, [Access("write", 0, 0)]) == 0.0


def test_access_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown access kind"):
        Access("erase", 1)
    with pytest.raises(ValueError):
        Access("read", -1)
    with pytest.raises(ValueError):
        Access("read", 10, 0)
    with pytest.raises(ValueError):
        Access("write", 10, 1, True, 0)


@given(st.integers(1, 1 << 20), st.integers(1, 512), st.integers(1, 64))
@settings(max_examples=60, deadline=None)
def test_model_is_monotone_and_bandwidth_bounded(nbytes, requests, threads):
    requests = min(requests, nbytes)
    for profile in (OPTANE_1, OPTANE_6, CXL, NVME, DDR4_PUBLISHED):
        for kind in ("read", "write"):
            a = Access(kind, nbytes, requests, True, threads)
            t = trace_time(profile, [a])
            bw = profile.read_bps if kind == "read" else profile.write_bps
            assert media_bytes(profile, a) >= nbytes
            assert t >= media_bytes(profile, a) / bw * (1 - 1e-12)
            assert trace_time(profile, [replace(a, threads=threads + 1)]) <= t * (1 + 1e-12)


# --- the functional region --------------------------------------------------------------------------------------

def test_region_persists_only_what_was_persisted(tmp_path):
    path = tmp_path / "r.bin"
    region = PersistentRegion(path, 8192, OPTANE_1)
    region.store(0, b"\x01" * 100)
    region.store(4096, b"\x02" * 64)
    region.persist(0, 100)
    region.close()
    media = np.fromfile(path, np.uint8)
    assert (media[:100] == 1).all() and (media[4096:4160] == 0).all()  # the unpersisted store was lost
    c = region.counters
    assert c.store_bytes == 164 and c.writeback_bytes == 128 and c.persists == 1  # two 64-byte lines


def test_region_charges_what_the_model_charges(tmp_path):
    region = PersistentRegion(tmp_path / "r.bin", 1 << 16, OPTANE_1)
    pages = np.array([1, 2, 3, 9], np.int64)
    region.view.reshape(-1, 4096)[pages] = 7
    region.stored_pages(pages, 4096)
    region.persist_pages(pages, 4096)
    expected = [Access("read", 0, 0), Access("write", 4 * 4096, 2), Access("persist", 0, 1)]
    assert region.charged_time() == pytest.approx(trace_time(OPTANE_1, expected))
    assert np.array_equal(region.media, region.view)


def test_region_eviction_is_seeded_and_early(tmp_path):
    runs = []
    for name in ("a", "b"):
        region = PersistentRegion(tmp_path / name, 1 << 16, OPTANE_1, evict_rate=0.3, seed=5)
        for i in range(10):
            region.store(i * 4096, np.full(4096, i + 1, np.uint8))
        runs.append(region.media.copy())
        assert region.counters.evictions > 0
    assert np.array_equal(*runs)


def test_region_bad_input(tmp_path):
    with pytest.raises(ValueError, match="multiple of 4096"):
        PersistentRegion(tmp_path / "x", 1000, OPTANE_1)
    region = PersistentRegion(tmp_path / "y", 4096, OPTANE_1)
    with pytest.raises(ValueError, match="outside the region"):
        region.store(4000, b"\x00" * 100)
    with pytest.raises(ValueError, match="DRAM profile"):
        PersistentRegion(tmp_path / "z", 4096, OPTANE_1, inject=OPTANE_1)


def test_quartz_injection_spins_the_models_extra_time(tmp_path):
    region = PersistentRegion(tmp_path / "q", 1 << 16, OPTANE_1, inject=OPTANE_1, dram=DDR4_PUBLISHED)
    region.store(0, np.ones(8192, np.uint8))
    region.persist()
    trace = [Access("write", 8192, 1), Access("persist", 0, 1)]
    assert region.counters.injected_s == pytest.approx(trace_time(OPTANE_1, trace) - trace_time(DDR4_PUBLISHED, trace))


def test_suite_kernels_run_on_the_region():
    from kernels.emulation.hot_path import RegionFixture

    fx = RegionFixture(1 << 20, "clustered")
    assert np.array_equal(fx.scan("library"), fx.pages)  # the persisted image is the previous state
    fx.persist_round("numba_cpu")
    assert np.array_equal(fx.region.media, fx.current)
    assert fx.scan("numba_cpu").size == 0
    assert np.array_equal(fx.manifest("numba_cpu"), hashing.manifest_chunk_hashes(fx.current, backend="library"))


# --- crash consistency ------------------------------------------------------------------------------------------

def _store(tmp_path, npages=4):
    region = PersistentRegion(tmp_path / "s.bin", PageStore.layout_bytes(npages), OPTANE_1)
    store = PageStore(region, npages)
    pages = random_bytes(npages * 4096, 3).reshape(npages, 4096)
    store.format(pages)
    return region, store, pages


def test_store_roundtrip_and_versions(tmp_path):
    region, store, pages = _store(tmp_path)
    new = random_bytes(4096, 4)
    store.write_page(2, new, 2)
    got = store.recover()
    assert list(got.status) == ["ok"] * 4 and got.rejected == 0
    assert np.array_equal(got.pages[2], new) and got.epochs[2] == 2 and np.array_equal(got.pages[0], pages[0])
    with pytest.raises(ValueError, match="must exceed"):
        store.write_page(2, new, 2)
    with pytest.raises(ValueError, match="shape"):
        store.write_page(1, new[:100], 3)
    with pytest.raises(ValueError, match="outside"):
        store.write_page(9, new, 3)


def test_corrupt_newest_slot_is_rejected_never_accepted(tmp_path):
    region, store, pages = _store(tmp_path)
    new = random_bytes(4096, 5)
    store.write_page(1, new, 2)
    region.media[store.slot_offset(1, 1) + 17] ^= 0xFF  # corrupt the newest version on the media
    got = store.recover()
    assert got.status[1] == "rolled-back" and got.epochs[1] == 1 and np.array_equal(got.pages[1], pages[1])
    region.media[store.slot_offset(1, 0) + 5] ^= 0x01  # and the older one: nothing valid is left
    got = store.recover()
    assert got.status[1] == "lost" and not got.pages[1].any() and got.rejected == 2
    region.media[store.entry_offset(3, 0) + 3] ^= 0x10  # a corrupt manifest entry
    assert store.recover().status[3] == "lost"


def _events(tmp_path, plan):
    first, _ = plan.versions()
    region = crash._region(tmp_path / "count.bin", plan)
    PageStore(region, plan.npages, plan.page_size).format(first)
    region.close()
    return crash._run_checkpoints(tmp_path / "count.bin", plan, None, "raise", lambda item: None)


def _violations(tmp_path, plan, kill_at):
    recovered, durable = crash.in_process_crash(tmp_path, plan, kill_at)
    result = crash.TrialResult(plan.seed, kill_at, 0, True, durable)
    crash._check(result, recovered, *plan.versions())
    return result


def test_every_kill_point_recovers_consistently(tmp_path):
    """Exhaustive: a crash at every media event of two small checkpoints, with early evictions."""
    plan = crash.TrialPlan(seed=3, npages=4, per_checkpoint=2, evict_rate=0.2)
    events = _events(tmp_path, plan)
    assert events > 20
    results = [_violations(tmp_path, plan, k) for k in range(1, events + 1)]
    assert all(not r.violations for r in results)
    assert any(r.rejected for r in results)  # some crash left a torn slot, and recovery rejected it


def test_the_crash_check_can_fail(tmp_path, monkeypatch):
    """Negative control: a store that overwrites the newest slot in place is caught at some kill point."""
    def in_place(self, page, data, epoch):
        slot = int(self.active[page])
        digest = hashing.sha256_batch([np.asarray(data, np.uint8)], backend=self.backend)[0]
        self.region.store(self.slot_offset(page, slot), np.asarray(data, np.uint8))
        self.region.persist(self.slot_offset(page, slot), self.page_size)
        self.region.store(self.entry_offset(page, slot), self._entry(epoch, page, slot, digest))
        self.region.persist(self.entry_offset(page, slot), ENTRY_BYTES)
        self.epochs[page] = epoch

    monkeypatch.setattr(PageStore, "write_page", in_place)
    plan = crash.TrialPlan(seed=4, npages=4, per_checkpoint=2, evict_rate=0.0)
    events = _events(tmp_path, plan)
    assert any(_violations(tmp_path, plan, k).violations for k in range(1, events + 1))


def test_child_killed_at_random_points(tmp_path):
    trials = [crash.crash_trial(tmp_path, crash.TrialPlan(seed)) for seed in range(3)]
    assert all(t.killed for t in trials)
    assert all(not t.violations for t in trials), [t.violations for t in trials]
    assert [t.kill_at for t in trials] == [crash.crash_trial(tmp_path, crash.TrialPlan(s)).kill_at for s in range(3)]


# --- near-memory processing ----------------------------------------------------------------------------------------

def _small(banks):
    return replace(UPMEM, banks=banks, banks_per_rank=4)


@given(st.integers(0, 40_000), st.sampled_from([1, 100, 4096, 1 << 14]), st.integers(1, 9))
@settings(max_examples=25, deadline=None)
def test_pim_sha256_chunks_match_library(nbytes, chunk, banks):
    data = random_bytes(nbytes, nbytes)
    run = pim.sha256_chunks(_small(banks), data, chunk_size=chunk, backend="numba_cpu")
    assert np.array_equal(run.output, hashing.manifest_chunk_hashes(data, chunk_size=chunk, backend="library"))


@given(st.lists(st.binary(max_size=300), max_size=30), st.integers(1, 9))
@settings(max_examples=25, deadline=None)
def test_pim_crc32c_matches_library(buffers, banks):
    run = pim.crc32c(_small(banks), buffers, backend="numba_cpu")
    assert np.array_equal(run.output, checksums.checksum_batch("crc32c", buffers, backend="library"))
    assert run.output.size == len(buffers)


@given(st.integers(1, 24), st.floats(0, 1), st.integers(1, 9), st.sampled_from(mwl.DIRTY_PATTERNS))
@settings(max_examples=20, deadline=None)
def test_pim_pages_match_library(npages, ratio, banks, pattern):
    before, after, dirty = mwl.images(npages * 4096, pattern, ratio)
    assert np.array_equal(pim.dirty_pages(_small(banks), before, after, backend="numba_cpu").output, dirty)
    dst, want = before.copy(), before.copy()
    memory.copy_pages(after, want, dirty, backend="library")
    pim.copy_pages(_small(banks), after, dst, dirty, backend="numba_cpu")
    assert np.array_equal(dst, want)


def test_pim_charge_worked_example():
    work = pim.BankWork(instructions=1000, items=16, dma_bytes=1 << 20)
    dma = (1 << 20) / 2048 * (77 + 0.5 * 2048) / 350e6
    assert pim.bank_seconds(UPMEM, work) == pytest.approx(dma)
    serial = pim.BankWork(instructions=35e6, items=1, dma_bytes=0)  # one item: 1/11 of the pipeline
    assert pim.bank_seconds(UPMEM, serial) == pytest.approx(35e6 / (350e6 / 11))
    run = pim.charge(UPMEM, "x", None, [pim.BankWork(10, 1, 2048, host_in=6.7e9, host_out=0)] * 2)
    assert run.transfer_s == pytest.approx(2.0)  # both banks in rank 0: 13.4 GB at 6.7 GB/s
    energy = 20 * UPMEM.instr_j + 4096 * UPMEM.dma_j_per_byte + 2 * 6.7e9 * UPMEM.host_j_per_byte
    assert run.energy_j == pytest.approx(energy)


def test_ed25519_numbers_and_hbm_pim_fit():
    fit = pim.ed25519_fit(UPMEM)
    assert fit["instructions_per_verify"] == pim.ED25519_FIELD_MULS * (100 * 48 + 140)
    assert fit["verifies_per_s_system"] == pytest.approx(350e6 / fit["instructions_per_verify"] * 2556)
    assert pim.ed25519_fit(UPMEM, 1)["verifies_per_s_system"] > 10 * fit["verifies_per_s_system"]
    with pytest.raises(pim.DoesNotFit, match="floating-point"):
        pim.crc32c(HBM_PIM, [b"abc"])
    assert all(pim.fit_reason(UPMEM, k) is None for k in pim.KERNELS)
    with pytest.raises(ValueError, match="unknown kernel"):
        pim.fit_reason(UPMEM, "md5")


# --- validation and the node-level models -------------------------------------------------------------------------

def test_published_checks_lie_within_bounds_and_write(tmp_path):
    table = validation.validation_table(validation.published_checks())
    assert {"optane-1", "optane-6", "cxl", "upmem"} <= set(table.model)
    assert table.within.all(), table[~table.within]
    assert all(table.source.str.len() > 20)
    path = validation.write_validation(table, tmp_path)
    assert list(pd.read_csv(path).columns) == validation.COLUMNS


def test_persistence_strategies_worked():
    rates = persistence.MeasuredRates(copy_bps=10e9, scan_bps=20e9, hash_bps=2e9, cpu_watts=4.0)
    costs = persistence.strategy_costs(rates, 64 << 20, "sparse", rounds=20)
    by = costs.set_index("strategy")
    heap = 64 << 20
    round_bytes = by.loc["dram+nvme", "round_dirty_bytes"]
    assert by.loc["dram+nvme", "per_round_s"] == pytest.approx(heap / 20e9 + round_bytes / 10e9)
    assert by.loc["pmem", "per_round_s"] >= by.loc["dram+nvme", "per_round_s"] * (1 - 1e-9)  # a device only adds
    assert not by.loc["pmem", "replays_rounds"] and by.loc["cxl", "replays_rounds"]
    assert by.loc["pmem", "bytes_written_per_interval"] == 20 * round_bytes
    assert by.loc["dram+nvme", "bytes_written_per_interval"] == by.loc["dram+nvme", "checkpoint_bytes"]


def test_emulated_rows_are_labelled():
    from kernels.emulation.hot_path import HOT_PATH

    steps = ("persist-round", "scan", "manifest")
    measured = pd.DataFrame([{"operation": "nvm_persistence", "phase": "end_to_end", "step": s, "pattern": "sparse",
                              "heap_bytes": 1 << 20, "time_s_median": 1e-3} for s in steps])
    rows = pd.DataFrame(HOT_PATH.nvm_rows(measured))
    assert rows.device.str.contains("emulated").all() and rows.backend.str.startswith("emulated_").all()
    assert (rows.energy_method == "modeled").all() and (rows.time_s_median > 0).all()
