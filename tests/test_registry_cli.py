"""Registry answers and the command line."""
import json
import subprocess
import sys

import pytest

from kernels import BACKENDS, OPERATIONS, BackendUnavailable, backend_module, backends_for


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
    result = run_cli("bench", "sha256", "--backends", "library,fpga", "--no-write")
    assert result.returncode != 0 and "unknown backend" in result.stderr


def test_cli_target_sha256_reports_ratio():
    from kernels.hashing.bench import sha256_target

    result = sha256_target(count=2048, min_seconds=0.0)
    assert result["baseline_msgs_per_s"] > 0 and result["best"] in ("numba_cpu", "opencl")
    assert result["met"] == (result["best_ratio"] >= 2.0)
    json.dumps(result)
