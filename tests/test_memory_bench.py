"""The memory hot path: smoke sweeps cover every operation, path and peer with parameters as columns; end to end
is the public call; a case the OpenCL device cannot hold is reported unavailable and the sweep goes on; the
threads a numba_cpu call really uses label its rows; fault rows carry no energy; checks and targets catch a
wrong backend; CLI cases; the notebook."""
import numpy as np
import pandas as pd
import pytest

from kernels import devices
from kernels.hotpath import Workload
from kernels.measure import ResultsWriter
from kernels.memory import HOT_PATH, findings, hot_path, workloads
from kernels.registry import BackendUnavailable

CPU = ["reference", "library", "numba_cpu"]
needs_opencl = pytest.mark.skipif(devices.unavailable_reason("opencl") is not None,
                                  reason=str(devices.unavailable_reason("opencl")))


@pytest.fixture(scope="module")
def smoke_frame():
    frame = HOT_PATH.run_all("smoke", CPU, progress=False)
    return pd.concat([frame, pd.DataFrame(HOT_PATH.fault_rows("smoke"))], ignore_index=True)


def test_smoke_sweeps_cover_every_operation_path_and_peer(smoke_frame):
    f = smoke_frame
    assert set(f.operation) == {"dirty_pages", "copy_pages", "wasm_memory_copy"}
    assert set(CPU) | {"wasmtime", "mprotect", "numpy"} <= set(f.backend)
    assert {"round", "checkpoint", "stream-copy", "heap-size", "pattern", "dirty-ratio", "fill",
            "forward-overlap", "backward-overlap", "disjoint"} <= set(f.workload)
    patterns = f[f.workload == "pattern"]
    assert set(zip(patterns.pattern, patterns.page_size)) == {(p, s) for p in workloads.DIRTY_PATTERNS
                                                              for s in (4096, 65536)}
    assert set(f[f.workload == "dirty-ratio"].dirty_ratio) == set(hot_path.SIZES["smoke"]["ratios"])
    assert (f.time_s_median > 0).all() and f.bytes_per_s.notna().all()


def test_workload_parameters_are_columns_not_names(smoke_frame):
    f = smoke_frame
    dirty = f[(f.operation == "dirty_pages") & (f.backend != "mprotect")]
    assert dirty[["pattern", "dirty_ratio", "page_size", "heap_bytes", "pinned"]].notna().all().all()
    assert (dirty.batch_size * dirty.page_size == dirty.heap_bytes).all()
    moves = f[f.operation == "wasm_memory_copy"]
    assert (moves.layout == moves.workload).all() and moves.memory_bytes.notna().all()
    assert not f.workload.str.contains(r"\d").any()  # no sizes or ratios hidden in a name


def test_phases_per_backend_kind(smoke_frame):
    f = smoke_frame[smoke_frame.operation == "dirty_pages"]
    phases = f.groupby("backend").phase.agg(set)
    assert phases["library"] == {"end_to_end"} and phases["reference"] == {"end_to_end"}
    assert phases["numba_cpu"] == {"kernel", "end_to_end"}


@needs_opencl
def test_end_to_end_is_the_public_call_allocating_each_time(monkeypatch):
    """The staged backend's end_to_end builds a new Staged object (device buffers included) on every call and
    returns the written pages; h2d / kernel / d2h reuse the one built for the case."""
    from kernels.memory import opencl

    built = []
    init = opencl.StagedDirty.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(opencl.StagedDirty, "__init__", counting)
    sweep = HOT_PATH.cases("smoke")["dirty_heap_size"]
    workload = sweep.workloads[0]
    data = sweep.data(workload, 0)
    case = sweep.build("dirty_pages", "opencl", workload, 0, data)
    assert set(case.phases) == {"h2d", "kernel", "d2h", "end_to_end"} and len(built) == 1
    _, _, written = data()
    np.testing.assert_array_equal(case.phases["end_to_end"](), written)
    np.testing.assert_array_equal(case.phases["end_to_end"](), written)
    assert len(built) == 3


@needs_opencl
def test_case_larger_than_the_opencl_device_allows_is_unavailable_and_the_sweep_goes_on(monkeypatch, capsys):
    from kernels.measure.staged import OpenCLStaged

    monkeypatch.setattr(OpenCLStaged, "_limit", lambda self: 64 << 10)  # smaller than the smoke heap (1 MiB)
    frame = HOT_PATH.run_sweep("dirty_heap_size", "smoke", ["library", "opencl", "numba_cpu"], progress=False)
    assert set(frame.backend) == {"library", "numba_cpu"}
    assert "CL_DEVICE_MAX_MEM_ALLOC_SIZE" in capsys.readouterr().out
    frame = HOT_PATH.run_sweep("memory_copy", "smoke", ["opencl"], progress=False)
    assert set(frame.backend) == {"wasmtime"}  # the whole 1 MiB memory goes to the device; the peer still runs


def test_numba_cpu_rows_count_the_threads_the_call_uses(monkeypatch):
    """Below the parallel threshold the kernel is serial: one core in the device column (and the energy);
    above it, every thread of Numba's pool."""
    import numba

    from kernels.memory import numba_cpu

    sweep = HOT_PATH.cases("smoke")["dirty_heap_size"]
    workload = sweep.workloads[0]
    case = sweep.build("dirty_pages", "numba_cpu", workload, 0, sweep.data(workload, 0))
    assert case.cores == 1 and case.device == "CPU, 1 core"
    monkeypatch.setattr(numba_cpu, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(numba_cpu, "PARALLEL_MIN_THREADS", 1)
    case = sweep.build("dirty_pages", "numba_cpu", workload, 0, sweep.data(workload, 0))
    assert case.cores == numba.get_num_threads()
    assert numba_cpu.threads_used(1 << 30, overlapping=True) == 1  # an overlapping memory.copy stays serial


@pytest.mark.parametrize("backend", ["opencl", "numba_cuda", "cupy"])
def test_staged_phases_allocate_no_device_memory_after_construction(backend, monkeypatch):
    """Device buffers are allocated once, in the constructor: h2d, kernel and d2h (run twice) allocate nothing
    and give the right answer each time."""
    from kernels.registry import backend_module, backends_for

    if backends_for("dirty_pages")[backend]:
        pytest.skip(backends_for("dirty_pages")[backend])
    module = backend_module("dirty_pages", backend)
    before, after, written = workloads.images(16 * 64, "sparse", 0.25, 64)
    memory = workloads.heap_image(256, 1)
    want = memory.copy()
    for _ in range(2):  # run() moves the host memory in place: twice is two overlapping moves
        want[0:100] = want[10:110].copy()
    staged = [module.StagedDirty(before, after, 64), module.StagedMemoryCopy(memory, 0, 10, 100)]

    def refuse(*args, **kwargs):
        raise AssertionError("device memory allocated after construction")

    for s in staged:
        monkeypatch.setattr(s, "_alloc", refuse)
    if backend == "numba_cuda":
        from numba import cuda

        monkeypatch.setattr(cuda, "to_device", refuse)
        monkeypatch.setattr(cuda, "device_array", refuse)
    for _ in range(2):
        np.testing.assert_array_equal(staged[0].run(), written)
    staged[1].run()
    staged[1].run()
    np.testing.assert_array_equal(memory, want)


def test_pinned_staging_finds_the_same_pages_under_the_cuda_simulator():
    if devices.unavailable_reason("numba_cuda") is not None:
        pytest.skip(devices.unavailable_reason("numba_cuda"))
    from kernels.memory import numba_cuda

    before, after, written = workloads.images(8 * 64, "clustered", 0.25, 64)
    np.testing.assert_array_equal(numba_cuda.StagedDirty(before, after, 64, pinned=True).run(), written)
    dst = np.zeros_like(before)
    numba_cuda.StagedCopy(after, dst, written, 64, pinned=True).run()
    np.testing.assert_array_equal(dst.reshape(-1, 64)[written], after.reshape(-1, 64)[written])
    assert not dst.reshape(-1, 64)[np.setdiff1d(np.arange(8), written)].any()


def test_pinned_sweeps_run_only_cuda_backends_with_pinned_as_a_column():
    sweeps = HOT_PATH.cases("quick")
    for name in ("page_copies_pinned", "dirty_heap_size_pinned"):
        assert set(sweeps[name].backends) == {"numba_cuda", "cupy"}
        assert all(w.params["pinned"] is True for w in sweeps[name].workloads)
        unpinned = sweeps[name.removesuffix("_pinned")]
        assert [w.name for w in sweeps[name].workloads] == [w.name for w in unpinned.workloads]


def test_fault_rows_carry_no_energy_and_are_written(smoke_frame, tmp_path):
    rows = smoke_frame[smoke_frame.backend == "mprotect"]
    assert set(rows.workload) == {"first-touch-fault", "write-protect-fault", "mprotect-all"}
    assert rows.energy_j_per_item.isna().all() and (rows.energy_method == "").all()
    assert (rows.device == "CPU, 1 core").all()
    written = ResultsWriter(tmp_path).add(HOT_PATH.fault_rows("smoke"))
    assert len(written) == 3 and (tmp_path / "dirty_pages.csv").exists()


def test_tracking_vs_compare_and_round_cost(smoke_frame):
    table = findings.tracking_vs_compare(smoke_frame)
    assert set(table.backend) == set(CPU)
    assert table.break_even_dirty_ratio.between(0, 1).all()
    # the pure-Python compare is the slowest per page, so faults pay off up to the highest dirty ratio there
    by_backend = table[table.phase == "end_to_end"].set_index("backend")
    assert by_backend.compare_s_per_page.idxmax() == "reference"
    assert by_backend.break_even_dirty_ratio["reference"] == by_backend.break_even_dirty_ratio.max()
    cost = findings.round_cost(smoke_frame, 4 << 30)
    assert "write-protect faults (the IC)" in set(cost.path) and (cost.dirty_pages == 19200).all()


def test_findings_quote_the_measured_rows(smoke_frame):
    stream = findings.stream_bps(smoke_frame)
    assert stream > 0
    text = findings.dirty_markdown(smoke_frame, stream)
    base = smoke_frame[(smoke_frame.workload == "heap-size") & (smoke_frame.backend == "library")].iloc[0]
    assert findings.fmt_time(base.time_s_median) in text
    assert "wasmtime" in findings.move_markdown(smoke_frame[smoke_frame.operation == "wasm_memory_copy"])
    assert set(findings.label(smoke_frame[smoke_frame.workload == "pattern"])) == {
        f"pattern {p}{s}" for p in workloads.DIRTY_PATTERNS for s in ("", " 64 KiB")}


def test_check_reports_unavailable_backends_and_agreement():
    table = HOT_PATH.check(["library", "numba_cpu", "cupy"], "smoke").set_index("backend")
    assert table.loc["library", "dirty_pages"] == "agrees with the pages written"
    assert table.loc["numba_cpu", "wasm_memory_copy"] == "agrees with wasmtime"
    if devices.unavailable_reason("cupy"):
        assert table.loc["cupy", "dirty_pages"].startswith("unavailable: ")


def test_check_raises_on_a_wrong_backend(monkeypatch):
    from kernels.memory import library

    monkeypatch.setattr(library, "dirty_pages", lambda before, after, ps: np.zeros(0, np.int64))
    with pytest.raises(AssertionError, match="dirty_pages on library"):
        HOT_PATH.check(["library"], "smoke")


def test_targets_check_every_candidate():
    targets = HOT_PATH.targets()
    assert set(targets) == {"dirty_pages", "copy_pages"}
    for name, target in targets.items():
        result = target("smoke")
        assert result.checked and result.interleaved and result.candidate in ("numba_cpu", "opencl")
        assert result.ratio > 0 and result.baseline_items_per_s > 0
    assert result.peer and result.peer_items_per_s > 0  # copy_pages: the STREAM-like copy beside it


@pytest.mark.parametrize("target", ["dirty_pages", "copy_pages"])
def test_targets_reject_a_candidate_with_a_wrong_output(monkeypatch, target):
    """The second candidate is broken: the check must still see it (a copy check restores the pages after each
    candidate, so the first candidate's copy cannot hide the second's no-op)."""
    from kernels.memory import numba_cpu, opencl

    module = opencl if devices.unavailable_reason("opencl") is None else numba_cpu
    if target == "dirty_pages":
        monkeypatch.setattr(module, "dirty_pages", lambda before, after, ps: np.zeros(0, np.int64))
    else:
        monkeypatch.setattr(module, "copy_pages", lambda src, dst, pages, ps: None)
    with pytest.raises(AssertionError, match="wrong result"):
        HOT_PATH.targets()[target]("smoke")


def test_cli_cases_and_unknown_names():
    for op in ("dirty_pages", "copy_pages", "wasm_memory_copy"):
        cases = list(HOT_PATH.cli_cases(op, ["library", "numba_cpu"], [64], 4096))
        assert {c.backend for c in cases if not isinstance(c, Exception)} >= {"library", "numba_cpu"}
        assert all(c.batch_size > 0 for c in cases if not isinstance(c, Exception))
    with pytest.raises(ValueError, match="unknown memory operation"):
        list(HOT_PATH.cli_cases("sha256", ["library"], [1], 64))
    with pytest.raises(ValueError, match="unknown profile"):
        HOT_PATH.cases("huge")


def test_reference_is_skipped_with_a_reason_on_big_inputs():
    big = Workload("heap-size", {"pattern": "sparse", "dirty_ratio": 0.02, "page_size": 4096,
                                 "heap_bytes": hot_path.REFERENCE_MAX_BYTES + 4096, "pinned": False})
    with pytest.raises(BackendUnavailable, match="pure Python"):
        hot_path._dirty_build()("dirty_pages", "reference", big, 0, lambda: pytest.fail("data made for nothing"))


@pytest.mark.slow
def test_wasm_memory_notebook_runs(tmp_path):
    """notebooks/03_wasm_memory.ipynb end to end under the smoke profile, into a temp folder."""
    from kernels.report import run_notebooks

    assert run_notebooks("smoke", names=["03_wasm_memory"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "03_wasm_memory.ipynb").exists()
    for table in ("dirty_pages.csv", "copy_pages.csv", "wasm_memory_copy.csv", "targets.csv"):
        assert (tmp_path / table).stat().st_size > 200
    assert (tmp_path / "figures" / "03_faults_vs_compare.png").stat().st_size > 10_000
