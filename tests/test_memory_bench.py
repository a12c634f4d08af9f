"""The memory bench: smoke cases run and cover every operation and path; derived tables; targets; CLI cases."""
import numpy as np
import pandas as pd
import pytest

from kernels.measure import Settings, run_cases
from kernels.memory import bench


@pytest.fixture(scope="module")
def smoke_frame():
    frame = run_cases(bench.profile_cases(["reference", "library", "numba_cpu"], "smoke"),
                      settings=Settings.for_profile("smoke"), progress=False)
    return pd.concat([frame, pd.DataFrame(bench.fault_rows("smoke"))], ignore_index=True)


def test_smoke_cases_cover_every_path(smoke_frame):
    f = smoke_frame
    assert set(f.operation) == {"dirty_pages", "copy_pages", "wasm_memory_copy"}
    assert {"reference", "library", "numba_cpu", bench.WASMTIME, bench.FAULTS} <= set(f.backend)
    assert f.workload.str.startswith("stream-copy").any() and f.workload.str.startswith("checkpoint-").any()
    assert f.workload.str.startswith("fill-").any() and f.workload.str.contains("backward-overlap").any()
    for pattern in ("sparse", "clustered", "stack"):
        assert f.workload.str.contains(f"pattern-{pattern}-2%-64KiB").any()
    assert (f.time_s_median > 0).all() and f.bytes_per_s.notna().all()


def test_tracking_vs_compare_and_round_cost(smoke_frame):
    table = bench.tracking_vs_compare(smoke_frame)
    assert set(table.backend) == {"reference", "library", "numba_cpu"}
    assert table.break_even_dirty_ratio.between(0, 1).all()
    # the pure-Python compare is the slowest per page, so faults pay off up to the highest dirty ratio there
    by_backend = table.set_index("backend")
    assert by_backend.compare_s_per_page.idxmax() == "reference"
    assert by_backend.break_even_dirty_ratio["reference"] == by_backend.break_even_dirty_ratio.max()
    cost = bench.round_cost(smoke_frame, 4 << 30)
    assert "write-protect faults (the IC)" in set(cost.path)
    assert (cost.round_s == cost.detect_s + cost.copy_s).all() and (cost.dirty_pages == 19200).all()


def test_targets_run_small():
    r = bench.dirty_pages_target(heap=1 << 20, min_seconds=0.0)
    assert r["baseline_s"] > 0 and r["best"] in ("numba_cpu", "opencl") and isinstance(r["met"], bool)
    c = bench.copy_pages_target(heap=4 << 20, copy_bytes=1 << 20, min_seconds=0.0)
    assert c["pages"] == 256 and c["stream_copy_bytes_per_s"] > 0 and c["numba_cpu_ratio"] > 0
    assert set(bench.TARGETS) == {"dirty_pages", "copy_pages"}


def test_cli_cases():
    for op in ("dirty_pages", "copy_pages", "wasm_memory_copy"):
        cases = list(bench.cli_cases(op, ["library", "numba_cpu"], [64], 4096))
        assert cases and all(c.batch_size > 0 for c in cases if not isinstance(c, Exception))
    with pytest.raises(ValueError, match="unknown memory operation"):
        list(bench.cli_cases("sha256", ["library"], [1], 64))
    with pytest.raises(ValueError, match="unknown profile"):
        list(bench.dirty_cases(["library"], "huge"))


def test_reference_is_skipped_with_a_reason_on_big_inputs():
    big = np.zeros(bench.REFERENCE_MAX_BYTES + 4096, np.uint8)
    skipped = bench.dirty_case("reference", big, big, 4096, "x")
    assert "skipped above" in str(skipped)


@pytest.mark.slow
def test_wasm_memory_notebook_runs(tmp_path):
    """notebooks/03_wasm_memory.ipynb end to end under the smoke profile, into a temp folder."""
    from kernels.report import run_notebooks

    assert run_notebooks("smoke", names=["03_wasm_memory"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "03_wasm_memory.ipynb").exists()
    for table in ("dirty_pages.csv", "copy_pages.csv", "wasm_memory_copy.csv"):
        assert (tmp_path / table).stat().st_size > 1000
    assert (tmp_path / "figures" / "03_faults_vs_compare.png").stat().st_size > 10_000
