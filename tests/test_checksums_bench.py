"""The checksum hot path: its sweeps, checks and targets, the Smart-NIC / GPU-offload models, the checksum
workloads, the findings, and the notebook."""
import math

import numpy as np
import pandas as pd
import pytest

from kernels import anchors, devices, registry
from kernels.checksums import ALGORITHMS, HOT_PATH, findings, pack, prediction, workloads
from kernels.measure import run_cases
from kernels.report import run_notebooks


def test_hot_path_is_the_registry_line():
    assert registry.hot_path("crc32c") is HOT_PATH
    assert HOT_PATH.operations == registry.HOT_PATHS["kernels.checksums"]


def test_nic_offload_counts_frames_on_the_wire():
    # 1500-byte payloads at 10 Gb/s, 38 bytes of Ethernet overhead: 10e9 / (8 * 1538) = 812 744 frames per second
    out = prediction.nic_offload(1500, 100e-9, 10e9)
    assert out["packets_per_s"] == pytest.approx(812_743.8, rel=1e-6)
    assert out["cores_saved"] == pytest.approx(0.0812744, rel=1e-5)  # 100 ns each
    with pytest.raises(ValueError):
        prediction.nic_offload(0, 1e-9, 10e9)


def test_gpu_offload_never_pays_when_one_core_outruns_the_bus():
    fast = prediction.gpu_checksum_offload(1500, anchors.CRC32C_AVX512_BPS_PER_CORE)
    assert math.isinf(fast["break_even_batch"])
    slow = prediction.gpu_checksum_offload(1500, 1e9)["break_even_batch"]
    slower = prediction.gpu_checksum_offload(1500, 0.5e9)["break_even_batch"]
    assert 0 < slower < slow < math.inf  # the slower the CPU, the sooner the GPU pays
    assert prediction.gpu_checksum_offload(1500, 1e9)["pcie_limit_bytes_per_s"] < anchors.PCIE5_H2D_MEASURED_BPS
    no_anchor = prediction.fastest_cpu_checksum_bytes_per_s("adler32")
    assert math.isnan(prediction.gpu_checksum_offload(1500, no_anchor)["break_even_batch"])


def test_prediction_bounds_a_gpu_by_the_bus():
    pred = HOT_PATH.prediction(cores=4, buffer_bytes=64 << 20)
    assert pred["gpu_end_to_end_bound_bytes_per_s"] < pred["pcie_h2d_bytes_per_s"] < pred["gpu_hbm_bytes_per_s"]
    assert set(pred["ops_per_byte"]) == set(ALGORITHMS)
    assert "Expected limit" in findings.prediction_markdown(pred)


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
    assert [len(b) for b in workloads.buffers(64, 256)] == [64] * 4 and len(workloads.buffers(1000, 10)[0]) == 1000


def test_sweeps_count_what_they_yield_and_profiles_are_checked():
    backends = ["library", "numba_cpu"]
    for sweep in HOT_PATH.cases("smoke").values():
        assert set(sweep.operations) <= set(ALGORITHMS)
        assert sum(1 for _ in sweep.cases(backends)) == sweep.count(backends)
    with pytest.raises(ValueError, match="unknown profile"):
        HOT_PATH.cases("huge")
    with pytest.raises(ValueError, match="unknown algorithm"):
        list(HOT_PATH.cli_cases("sha256", backends, [1], 64))


@pytest.fixture(scope="module")
def smoke_rows():
    """A small real measurement: the buffer sizes and the IC workloads, library and numba_cpu."""
    cases = HOT_PATH.cases("smoke")
    frames = [HOT_PATH.run_sweep(cases[name], "smoke", ["library", "numba_cpu"], progress=False)
              for name in ("buffer_sizes", "ic_workloads")]
    return {name: frame.assign(device_tag="test") for name, frame in zip(("sizes", "ic"), frames)}


def test_rows_carry_workload_parameters_and_phases(smoke_rows):
    sizes, ic = smoke_rows["sizes"], smoke_rows["ic"]
    assert set(sizes.buffer_bytes) == {64, 1500, 65536}
    assert set(ic.packet.dropna()) == set(workloads.PACKET_BYTES)
    phases = sizes.groupby("backend").phase.agg(set)
    assert phases["library"] == {"end_to_end"} and phases["numba_cpu"] == {"pack", "kernel", "end_to_end"}
    # numba_cpu runs batches below numba_cpu.SERIAL_BELOW_BYTES on the calling thread: one core
    small = sizes[(sizes.backend == "numba_cpu") & (sizes.buffer_bytes == 64)]
    assert set(small.device) == {"CPU, 1 core"}


def test_smart_nic_table_from_measured_rows(smoke_rows):
    table = findings.smart_nic_table(smoke_rows["ic"])
    assert len(table) == len(ALGORITHMS) * len(workloads.PACKET_BYTES) * len(anchors.LINE_RATES_BPS)
    assert (table.cores_saved > 0).all() and (table.cores_saved <= table.cores_saved_library + 1e-12).all()
    assert table[table.algorithm == "crc32c"].gpu_break_even_published.apply(math.isinf).all()
    text = findings.smart_nic_markdown(table)
    assert "Smart-NIC answer" in text and "never" in text


def test_findings_format_from_rows(smoke_rows):
    memory = {"read_bytes_per_s": 1e10, "read_all_cores_bytes_per_s": 1e10, "read_one_thread_bytes_per_s": 6e9,
              "copy_one_core_bytes_per_s": 5e9}
    table = findings.bandwidth_table(smoke_rows["sizes"], memory)
    assert set(table.algorithm) == set(ALGORITHMS) and (table["GB/s"] > 0).all()
    assert "65,536-byte buffer" in findings.sweep_markdown(smoke_rows["sizes"], memory)
    assert "packets-mtu-1500" in findings.workloads_markdown(smoke_rows["ic"])


def test_speedups_compare_within_one_algorithm():
    """The library baseline is keyed by algorithm: crc32 against zlib.crc32, crc32c against crc32c.crc32c."""
    rows = []
    for operation, lib, kernel in (("crc32", 1e9, 2e9), ("crc32c", 10e9, 5e9)):
        for backend, phase, rate in (("library", "end_to_end", lib), ("numba_cpu", "kernel", kernel)):
            rows.append({"operation": operation, "backend": backend, "phase": phase, "workload": "buffers-1MiB",
                         "buffer_bytes": 1 << 20, "batch_size": 1, "bytes_per_item": 1 << 20,
                         "items_per_s": rate / (1 << 20), "bytes_per_s": rate})
    table = findings.bandwidth_table(pd.DataFrame(rows), {"read_bytes_per_s": 20e9})
    speedup = table[table.backend == "numba_cpu"].set_index("algorithm")["x library"]
    assert speedup.to_dict() == pytest.approx({"crc32": 2.0, "crc32c": 0.5})


def test_target_checks_candidates_and_reports_one_thread():
    result = HOT_PATH.targets()["crc32"]("smoke")
    assert result.baseline == "zlib.crc32(buf)" and result.items == 4 << 20 and result.checked
    assert {"numba_cpu", "numba_cpu (1 thread)"} <= set(result.candidates)
    assert result.candidate in result.candidates and result.ratio > 0 and result.kernel_ratio > 0
    assert "Target `crc32`" in result.markdown() and result.goal_ratio == 2.0
    assert set(HOT_PATH.targets()) == {"crc32", "crc32c"}
    assert HOT_PATH.targets()["crc32c"]("smoke").goal_ratio == 1.5


def test_target_rejects_a_wrong_candidate(monkeypatch):
    from kernels.checksums import numba_cpu

    real = numba_cpu.checksum_packed
    monkeypatch.setattr(numba_cpu, "checksum_packed", lambda a, p, **kw: real(a, p, **kw) ^ np.uint32(1))
    with pytest.raises(AssertionError, match="wrong result"):
        HOT_PATH.targets()["crc32c"]("smoke")


def test_memory_bandwidth_takes_the_better_read():
    memory = HOT_PATH.memory_bandwidth("smoke")
    both = (memory["read_all_cores_bytes_per_s"], memory["read_one_thread_bytes_per_s"])
    assert memory["read_bytes_per_s"] == max(both)
    assert memory["read_bytes_per_s"] > 1e8 and memory["copy_one_core_bytes_per_s"] > 1e8
    assert memory["read_all_cores_fork_join_bytes_per_s"] > 0 and memory["threads"] >= 1


def test_scheduling_experiment_rows_and_findings():
    from kernels.checksums import findings
    from kernels.checksums.hot_path import SCHEDULING_VARIANTS

    table = HOT_PATH.scheduling_experiment("smoke")
    assert set(table.condition) == {"as found", "one core busy"}
    assert set(table.variant) == {"crc32c package", *SCHEDULING_VARIANTS}
    package = table[table.variant == "crc32c package"]
    assert (package["x crc32c package"] == 1.0).all() and (table["GB/s"] > 0).all()
    text = findings.scheduling_markdown(table)
    assert "one core kept busy" in text and "0.81x" in text


def test_scheduling_experiment_checks_every_variant(monkeypatch):
    from kernels.checksums import numba_cpu

    monkeypatch.setattr(numba_cpu, "crc_fork_join", lambda a, p, piece=0: np.zeros(1, np.uint32))
    with pytest.raises(AssertionError, match="fork-join"):
        HOT_PATH.scheduling_experiment("smoke")


def test_busy_core_child_is_ended():
    from kernels.checksums.hot_path import BusyCore

    with BusyCore() as busy:
        assert busy.process.poll() is None
    assert busy.process.poll() is not None


def test_check_agrees_and_records_unavailable_backends():
    missing = [b for b, r in registry.backends_for("crc32").items() if r]
    table = HOT_PATH.check(["reference", "library", "numba_cpu"] + missing[:1], "smoke")
    assert (table[table.backend == "numba_cpu"].result == "agrees").all()
    assert {"published check values", "buffers of many pieces vs library"} <= set(table.check)
    assert table.check.str.startswith("principal text").any()
    if missing:
        assert table[table.backend == missing[0]].result.str.startswith("unavailable").all()


def test_check_catches_a_wrong_backend(monkeypatch):
    from kernels.checksums import numba_cpu

    real = numba_cpu.checksum_packed
    monkeypatch.setattr(numba_cpu, "checksum_packed", lambda a, p, **kw: real(a, p, **kw) ^ np.uint32(1))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.check(["numba_cpu"], "smoke")


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
def test_opencl_buffer_beyond_the_device_limit_is_unavailable_not_fatal(monkeypatch):
    """A batch larger than CL_DEVICE_MAX_MEM_ALLOC_SIZE is recorded as unavailable with the reason; the sweep
    goes on with the other backends."""
    from kernels.checksums import opencl

    class Limited:  # the real queue and device, with a 4 KiB largest allocation
        def __init__(self, real, **override):
            self.__dict__.update(_real=real, **override)

        def __getattr__(self, name):
            return getattr(self._real, name)

    real = devices.opencl_queue()
    small = Limited(real, device=Limited(real.device, max_mem_alloc_size=4096))
    monkeypatch.setattr(devices, "opencl_queue", lambda: small)
    with pytest.raises(registry.BackendUnavailable, match="CL_DEVICE_MAX_MEM_ALLOC_SIZE"):
        opencl.Staged("crc32", pack([bytes(8192)]))
    frame = run_cases(HOT_PATH.cli_cases("crc32", ["opencl", "library"], [1], 8192), progress=False)
    assert set(frame.backend) == {"library"}


@pytest.mark.slow
def test_checksum_notebook_runs(tmp_path):
    assert run_notebooks("smoke", names=["04_checksums"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "04_checksums.ipynb").exists()
    assert set(pd.read_csv(tmp_path / "crc32.csv").phase) >= {"kernel", "end_to_end"}
    assert (tmp_path / "targets.csv").exists()
    for figure in ("04_checksum_bandwidth.png", "04_smart_nic.png"):
        assert (tmp_path / "figures" / figure).stat().st_size > 10_000
