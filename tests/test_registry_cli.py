"""Registry answers, the backend table, the hot-path contract and the command line."""
import subprocess
import sys

import pytest

from kernels import BACKENDS, OPERATIONS, BackendUnavailable, backend_module, backends_for
from kernels import registry
from kernels.hotpath import HotPath, Sweep, check_profile


def test_every_operation_lists_every_backend():
    for operation in OPERATIONS:
        result = backends_for(operation)
        assert list(result) == list(BACKENDS)
        assert all(reason is None or (isinstance(reason, str) and reason) for reason in result.values())


def test_hashing_runs_on_cpu_backends_here():
    result = backends_for("sha256")
    assert result["reference"] is None and result["library"] is None and result["numba_cpu"] is None


def test_unknown_operation_and_backend():
    with pytest.raises(ValueError, match="unknown operation"):
        backends_for("md5")
    with pytest.raises(ValueError, match="unknown backend"):
        backend_module("sha256", "tpu")


def test_unavailable_backend_module_raises_reason():
    reasons = {b: r for b, r in backends_for("sha256").items() if r}
    for backend, reason in reasons.items():
        with pytest.raises(BackendUnavailable) as err:
            backend_module("sha256", backend)
        assert reason in str(err.value)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "kernels", *args], capture_output=True, text=True, timeout=600)


def test_cli_info():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert "sha256" in result.stdout and "device tag" in result.stdout


def test_cli_bench_writes_rows(tmp_path):
    result = run_cli("bench", "sha256", "--backends", "library,numba_cpu", "--batch", "1,64", "--profile", "smoke",
                     "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "speedup_vs_library" in result.stdout
    import pandas as pd

    frame = pd.read_csv(tmp_path / "sha256.csv")
    assert {"compile", "pack", "kernel", "end_to_end"} <= set(frame.phase)
    assert set(frame.backend) == {"library", "numba_cpu"}


def test_cli_bench_rejects_unknown_backend():
    result = run_cli("bench", "sha256", "--backends", "library,fpga")
    assert result.returncode != 0 and "unknown backend" in result.stderr


def test_cli_bench_without_out_writes_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kernels", "bench", "sha256", "--backends", "library",
                             "--batch", "4", "--profile", "smoke"], capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rows written" not in result.stdout and not list(tmp_path.rglob("*.csv"))


def test_every_hot_path_owns_the_operations_of_its_registry_line():
    for package, operations in registry.HOT_PATHS.items():
        hot_path = registry.hot_path(package)
        assert isinstance(hot_path, HotPath)
        assert tuple(hot_path.operations) == operations
        assert hot_path.notebook and (registry.hot_path(operations[0]) is hot_path)


@pytest.mark.parametrize("package", list(registry.HOT_PATHS))
def test_smoke_sweeps_are_declarative_and_build_cases(package):
    """Every sweep lists its workloads, batch sizes, backends and phases; each point builds a case or says why
    it cannot; the count matches what the sweep yields."""
    from kernels.measure import Case

    hot_path = registry.hot_path(package)
    sweeps = hot_path.cases("smoke")
    assert sweeps and all(isinstance(s, Sweep) for s in sweeps.values())
    for sweep in sweeps.values():
        assert set(sweep.operations) <= set(hot_path.operations)
        assert sweep.workloads and sweep.batch_sizes and sweep.phases
        assert set(sweep.phases) <= {"pack", "h2d", "kernel", "d2h", "end_to_end"}
        backends = ["library", "numba_cpu"]
        items = list(sweep.cases(backends))
        assert len(items) == sweep.count(backends)
        assert all(isinstance(i, (Case, BackendUnavailable)) for i in items)
        if sweep.selected(backends):  # a sweep of device backends only (pinned transfers) has none of these
            assert any(isinstance(i, Case) for i in items)


def test_profile_is_decoded_in_one_place():
    assert check_profile("quick") == "quick"
    with pytest.raises(ValueError, match="unknown profile"):
        check_profile("fast")
    with pytest.raises(ValueError, match="unknown profile"):
        registry.hot_path("sha256").cases("fast")


def test_backend_table_rows_are_complete_and_colours_distinct():
    rows = list(registry.BACKEND_TABLE.values()) + list(registry.PEER_TABLE.values())
    assert len({r.colour for r in rows}) == len(rows)
    for row in registry.BACKEND_TABLE.values():
        assert row.module and row.api in ("python", "numba", "opencl", "cuda")
        assert row.input_form in ("python", "packed") and row.timer in ("wall", "cuda-events")
    assert registry.staged("opencl") and not registry.staged("numba_cpu")
    assert registry.packed_input("numba_cpu") and not registry.packed_input("library")


def test_device_kind_is_read_from_the_device():
    from kernels import devices

    if backends_for("sha256")["opencl"] is None:
        kind = devices.opencl_device_kind()
        assert devices.describe("opencl").kind == kind
        assert (devices.describe("opencl").cores > 0) == (kind == "CPU")
    assert devices.describe("library").label == "CPU, 1 core"
    assert devices.describe("numba_cpu", threads=1).cores == 1


def test_cli_target_sha256_smoke_writes_targets_csv(tmp_path):
    import pandas as pd

    result = run_cli("target", "sha256", "--profile", "smoke", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Target `sha256`" in result.stdout
    row = pd.read_csv(tmp_path / "targets.csv").iloc[0]
    assert row.target == "sha256" and row.checked and row.interleaved and row.repeats >= 5
    assert row.candidate in ("numba_cpu", "opencl") and row.ratio > 0
