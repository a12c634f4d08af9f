"""The checksum bench, the Smart-NIC / GPU-offload models, the checksum workloads, and the notebook."""
import math

import numpy as np
import pandas as pd
import pytest

from kernels import anchors, models, workloads
from kernels.checksums import ALGORITHMS, bench, findings
from kernels.measure import Settings, run_cases
from kernels.report import run_notebooks


def test_nic_offload_counts_packets_on_the_wire():
    # 1500-byte payloads at 10 Gb/s: 10e9 / (8 * (1500 + 38)) = 812 744 frames per second
    out = models.nic_offload(1500, 100e-9, 10e9)
    assert out["packets_per_s"] == pytest.approx(10e9 / (8 * 1538))
    assert out["cores_saved"] == pytest.approx(out["packets_per_s"] * 100e-9)
    assert out["cpu_ns_per_packet"] == pytest.approx(100)
    with pytest.raises(ValueError):
        models.nic_offload(0, 1e-9, 10e9)


def test_gpu_offload_never_pays_when_one_core_outruns_the_bus():
    fast = models.gpu_checksum_offload(1500, anchors.CRC32C_AVX512_BPS_PER_CORE)
    assert math.isinf(fast["break_even_batch"])
    # a 1 GB/s CPU loop: saving per packet = 1.5 us - 1500/2.6e12 - 1512/35e9 > 0, so a finite batch
    slow = models.gpu_checksum_offload(1500, 1e9)
    saving = 1500 / 1e9 - 1500 / anchors.H100_HBM3_COPY_BPS - 1512 / anchors.PCIE5_H2D_MEASURED_BPS
    assert slow["break_even_batch"] == pytest.approx(anchors.CUDA_LAUNCH_SYNC_S / saving)
    assert slow["pcie_limit_bytes_per_s"] < anchors.PCIE5_H2D_MEASURED_BPS
    assert math.isnan(models.gpu_checksum_offload(1500, models.fastest_cpu_checksum_bytes_per_s("adler32"))["break_even_batch"])


def test_checksum_workloads_have_their_shapes():
    sizes = workloads.ingress_message_sizes(2000, seed=1)
    assert sizes.min() >= workloads.INGRESS_MIN_BYTES and sizes.max() <= workloads.INGRESS_MAX_BYTES
    assert np.median(sizes) < 100_000 < sizes.max()  # mostly small, a few large
    msgs = workloads.ingress_messages(10, seed=2)
    assert [len(m) for m in msgs] == workloads.ingress_message_sizes(10, seed=2).tolist()
    assert workloads.ingress_messages(10, seed=2) == msgs
    principals = workloads.principals(5)
    assert all(len(p) == 29 and p[-1] == 2 for p in principals)
    assert [len(p) for p in workloads.packets(3, 1500)] == [1500] * 3


def test_profile_cases_count_matches_and_unknown_profile():
    backends = ["library", "numba_cpu"]
    assert sum(1 for _ in bench.profile_cases(backends, "smoke")) == bench.case_count(backends, "smoke")
    with pytest.raises(ValueError, match="unknown profile"):
        bench.profile_settings("huge")
    with pytest.raises(ValueError, match="unknown checksum"):
        list(bench.cli_cases("sha256", backends, [1], 64))


@pytest.fixture(scope="module")
def smoke_rows():
    """A small real measurement: packets and one size, library and numba_cpu."""
    cases = list(bench.ic_cases(list(ALGORITHMS), ["library", "numba_cpu"], "smoke"))
    cases += list(bench.size_sweep_cases(list(ALGORITHMS), ["library", "numba_cpu"], [1500, 65536], 1 << 17))
    frame = run_cases(cases, settings=Settings.for_profile("smoke"), progress=False)
    return frame.assign(device_tag="test")


def test_smart_nic_table_from_measured_rows(smoke_rows):
    table = bench.smart_nic_table(smoke_rows)
    assert len(table) == len(ALGORITHMS) * len(workloads.PACKET_BYTES) * len(anchors.LINE_RATES_BPS)
    assert (table.cores_saved > 0).all() and (table.cores_saved <= table.cores_saved_library + 1e-12).all()
    assert table[table.algorithm == "crc32c"].gpu_break_even_published.apply(math.isinf).all()
    text = findings.smart_nic_markdown(table)
    assert "Smart-NIC answer" in text and "never" in text


def test_findings_format_from_rows(smoke_rows):
    memory = {"read_bytes_per_s": 1e10, "read_all_cores_bytes_per_s": 1e10, "read_one_thread_bytes_per_s": 6e9,
              "copy_one_core_bytes_per_s": 5e9}
    table = findings.bandwidth_table(smoke_rows, memory)
    assert set(table.algorithm) == set(ALGORITHMS) and (table["GB/s"] > 0).all()
    assert "65,536-byte buffer" in findings.sweep_markdown(smoke_rows, memory)
    assert "packets-mtu-1500" in findings.workloads_markdown(smoke_rows)


def test_targets_run_and_report_ratios():
    result = bench.crc32_target(nbytes=1 << 20, min_seconds=0.0)
    assert result["baseline"] == "zlib.crc32(buf)"
    assert result["best_ratio"] > 0 and result["met"] == (result["best_ratio"] >= 1.0)
    assert "numba_cpu_one_thread_kernel_ratio" in result
    assert result["best"] in ("numba_cpu", "numba_cpu_one_thread", "opencl")
    assert "Target crc32" in findings.target_markdown(result)
    assert set(bench.TARGETS) == {"crc32", "crc32c"}


def test_memory_bandwidth_and_principal_checks():
    memory = bench.memory_bandwidth(1 << 20, min_seconds=0.0)
    both = (memory["read_all_cores_bytes_per_s"], memory["read_one_thread_bytes_per_s"])
    assert memory["read_bytes_per_s"] == max(both)
    assert memory["read_bytes_per_s"] > 1e8 and memory["copy_one_core_bytes_per_s"] > 1e8
    table = bench.check_principals()
    assert table["round trip"].iloc[-1].startswith("rejected")


def test_check_agreement_catches_a_wrong_backend(monkeypatch):
    buffers = [b"abc", b"123456789"]
    assert bench.check_agreement(["library", "numba_cpu"], buffers)["numba_cpu"].startswith("agrees")
    from kernels.checksums import numba_cpu

    real = numba_cpu.checksum_packed
    monkeypatch.setattr(numba_cpu, "checksum_packed", lambda a, p, **kw: real(a, p, **kw) ^ np.uint32(1))
    with pytest.raises(AssertionError, match="disagrees"):
        bench.check_agreement(["numba_cpu"], buffers)


@pytest.mark.slow
def test_checksum_notebook_runs(tmp_path):
    assert run_notebooks("smoke", names=["04_checksums"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "04_checksums.ipynb").exists()
    assert set(pd.read_csv(tmp_path / "crc32.csv").phase) >= {"kernel", "end_to_end"}
    for figure in ("04_checksum_bandwidth.png", "04_smart_nic.png"):
        assert (tmp_path / "figures" / figure).stat().st_size > 10_000
