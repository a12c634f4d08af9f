"""Energy: meters on fake sysfs trees and a fake NVML, the model's arithmetic on a worked example, the rows'
energy methods, and the sensitivity table."""
import json
import sys
import time
import types

import numpy as np
import pandas as pd
import pytest

from kernels import energy_analysis as ea
from kernels.measure import Case, ResultsWriter, Settings, measure_case
from kernels.measure import meters
from kernels.measure.bench import compile_row
from kernels.measure.energy import (METHODS, Assumption, EnergyModel, alu_floor_j, charged_cores, default_model,
                                    row_device)
from kernels.measure.meters import MeterUnavailable, NvmlMeter, RaplMeter, measure_per_call, wrapped_delta_uj


# --- RAPL on fake powercap trees --------------------------------------------------------------------------------
def _domain(root, name, label, uj, max_uj=2**32):
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return d


def _set(d, uj):
    (d / "energy_uj").write_text(f"{uj}\n")


def test_rapl_sums_package_and_dram_not_core_or_psys(tmp_path):
    pkg = _domain(tmp_path, "intel-rapl:0", "package-0", 1_000_000)
    core = _domain(tmp_path, "intel-rapl:0:0", "core", 5)
    dram = _domain(tmp_path, "intel-rapl:0:1", "dram", 2_000_000)
    psys = _domain(tmp_path, "intel-rapl:1", "psys", 0)
    _domain(tmp_path, "intel-rapl-mmio:0", "package-0", 0)  # the MMIO duplicate of package 0: never added
    meter = RaplMeter(tmp_path)
    assert sorted(meter.domain_names) == ["dram", "package-0"] and meter.method == "measured-rapl"
    with meter.window() as w:
        _set(pkg, 4_000_000)  # +3 J
        _set(dram, 2_500_000)  # +0.5 J
        _set(core, 999_999_999)
        _set(psys, 999_999_999)
    assert w.joules == pytest.approx(3.5) and w.seconds >= 0


def test_rapl_amd_layout_package_and_core_only(tmp_path):
    pkg = _domain(tmp_path, "intel-rapl:0", "package-0", 10)
    _domain(tmp_path, "intel-rapl:0:0", "core", 10)
    meter = RaplMeter(tmp_path)
    assert meter.domain_names == ["package-0"]
    with meter.window() as w:
        _set(pkg, 10 + 250_000)
    assert w.joules == pytest.approx(0.25)


def test_rapl_counter_wrap(tmp_path):
    max_uj = 262_143_328_850
    pkg = _domain(tmp_path, "intel-rapl:0", "package-0", max_uj - 1_000_000, max_uj)
    meter = RaplMeter(tmp_path)
    with meter.window() as w:
        _set(pkg, 2_000_000)  # wrapped: 1 J to the top, then 2 J from 0
    assert w.joules == pytest.approx(3.0)
    assert wrapped_delta_uj(5, 9, 10) == 4 and wrapped_delta_uj(9, 2, 10) == 3


def test_rapl_missing_tree_is_unavailable_with_reason(tmp_path):
    with pytest.raises(MeterUnavailable, match="no RAPL"):
        RaplMeter(tmp_path / "absent")
    with pytest.raises(MeterUnavailable, match="no RAPL"):
        RaplMeter(tmp_path)  # exists, no domains


def test_rapl_unreadable_counter_is_unavailable_with_reason(tmp_path, monkeypatch):
    _domain(tmp_path, "intel-rapl:0", "package-0", 1)
    real = type(tmp_path).read_text

    def deny(self, *a, **k):
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied")
        return real(self, *a, **k)

    monkeypatch.setattr(type(tmp_path), "read_text", deny)
    with pytest.raises(MeterUnavailable, match="not readable.*root-only"):
        RaplMeter(tmp_path)


def test_rapl_garbage_counter_is_unavailable(tmp_path):
    d = _domain(tmp_path, "intel-rapl:0", "package-0", 1)
    _set(d, "n/a")
    with pytest.raises(MeterUnavailable, match="unreadable"):
        RaplMeter(tmp_path)


# --- NVML, absent and faked ---------------------------------------------------------------------------------------
class _FakeNvml(types.SimpleNamespace):
    class NVMLError(Exception):
        pass

    def __init__(self, init_error=None, counter=True):
        super().__init__(mj=5_000, init_error=init_error, counter=counter)

    def nvmlInit(self):
        if self.init_error:
            raise self.NVMLError(self.init_error)

    def nvmlDeviceGetHandleByIndex(self, i):
        return object()

    def nvmlDeviceGetName(self, h):
        return b"Fake GPU"

    def nvmlDeviceGetTotalEnergyConsumption(self, h):
        if not self.counter:
            raise self.NVMLError("Not Supported")
        return self.mj

    def nvmlDeviceGetEnforcedPowerLimit(self, h):
        return 700_000


def test_nvml_absent_library():
    with pytest.raises(MeterUnavailable, match="no NVML.*Library Not Found"):
        NvmlMeter(nvml=_FakeNvml(init_error="NVML Shared Library Not Found"))


def test_nvml_package_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(MeterUnavailable, match="nvidia-ml-py"):
        NvmlMeter()


def test_nvml_absent_here_degrades_to_the_model():
    """This machine has no NVIDIA driver: the meter says why, run.json records it, GPU figures are modeled."""
    status = meters.meter_status()
    assert set(status) == {"rapl", "nvml"}
    if status["nvml"]["available"]:
        pytest.skip("an NVIDIA driver is present")
    assert status["nvml"]["reason"]
    assert "NVML unreadable here" in default_model().gpu_idle_w.source


def test_nvml_window_and_missing_counter():
    fake = _FakeNvml()
    meter = NvmlMeter(nvml=fake)
    with meter.window() as w:
        fake.mj += 2_500
    assert w.joules == pytest.approx(2.5) and meter.power_limit_w() == 700 and meter.method == "measured-nvml"
    with pytest.raises(MeterUnavailable, match="no total-energy counter"):
        NvmlMeter(nvml=_FakeNvml(counter=False))


class _CountingMeter(meters.Meter):
    method = "measured-rapl"

    def __init__(self, idle):
        self.joules = 0.0
        self.__dict__["idle_watts"] = idle

    def read(self):
        return self.joules


def test_measure_per_call_subtracts_idle_and_repeats_over_the_window():
    meter = _CountingMeter(idle=0.0)
    calls = []
    per_call = measure_per_call(meter, lambda: (calls.append(1), setattr(meter, "joules", meter.joules + 2.0)),
                                min_seconds=0.02)
    assert per_call == pytest.approx(2.0) and len(calls) >= 1
    assert measure_per_call(_CountingMeter(idle=1e9), lambda: None, min_seconds=0.0) == 0.0  # never negative


def test_a_readable_meter_measures_kernel_and_end_to_end_only(monkeypatch):
    meter = _CountingMeter(idle=0.0)
    monkeypatch.setattr(meters, "cpu_meter", lambda: meter)

    def work():
        meter.joules += 1.0

    case = Case("sha256", "library", "unit", 4, 64.0, {"pack": work, "end_to_end": work})
    rows = {r["phase"]: r for r in measure_case(case, Settings(warmup=0, min_repeats=1, min_seconds=0.0,
                                                                energy_seconds=0.0))}
    assert rows["end_to_end"]["energy_method"] == "measured-rapl"
    assert rows["end_to_end"]["energy_j_per_item"] == pytest.approx(0.25)
    assert rows["pack"]["energy_method"] == "modeled"


# --- the model ----------------------------------------------------------------------------------------------------
def _model(core=4.0, dram=1e-10, pcie=5e-11, hbm=3e-11, gpu=300.0, idle=50.0) -> EnergyModel:
    return EnergyModel(Assumption(core, "W", "test"), Assumption(dram, "J/B", "test"), Assumption(pcie, "J/B", "test"),
                       Assumption(hbm, "J/B", "test"), Assumption(gpu, "W", "test"), Assumption(idle, "W", "test"))


def test_model_worked_example():
    m = _model()
    # a CPU kernel on 2 cores, 0.5 s, 1000 items of 1000 B: 4 W x 2 x 0.5 s + 1e6 B x 0.1 nJ/B
    cpu = m.breakdown("CPU", "kernel", 0.5, 1000, 1000.0, 2)
    assert (cpu.core_j, cpu.dram_j, cpu.pcie_j, cpu.gpu_j) == pytest.approx((4.0, 1e-4, 0.0, 0.0))
    assert m.j_per_item("CPU", "kernel", 0.5, 1000, 1000.0, 2) == pytest.approx(4.0001 / 1000)
    # packing is one thread whatever the backend
    assert m.breakdown("CPU", "pack", 0.5, 1000, 1000.0, 2).core_j == pytest.approx(2.0)
    # h2d of a GPU backend, 10 ms: host thread + host DRAM + PCIe + board above idle
    h2d = m.breakdown("GPU", "h2d", 0.01, 1000, 1000.0, 0)
    assert (h2d.core_j, h2d.dram_j, h2d.pcie_j, h2d.gpu_j) == pytest.approx((0.04, 1e-4, 5e-5, 3.0))
    assert h2d.total_j == pytest.approx(3.04015)
    # GPU kernel: HBM traffic is inside the board's power, reported but not added
    k = m.breakdown("GPU", "kernel", 0.01, 1000, 1000.0, 0)
    assert k.hbm_j == pytest.approx(3e-5) and k.total_j == pytest.approx(0.04 + 3.0)
    e2e = m.breakdown("GPU", "end_to_end", 0.01, 1000, 1000.0, 0)
    assert e2e.total_j == pytest.approx(0.04 + 1e-4 + 5e-5 + 3.0) and e2e.movement_j == pytest.approx(1.8e-4)


def test_energy_is_not_a_constant_multiple_of_time():
    m = default_model()
    light = m.j_per_item("CPU", "end_to_end", 1e-3, 100, 32.0, 1)
    heavy = m.j_per_item("CPU", "end_to_end", 1e-3, 100, 1 << 20, 1)
    assert heavy > light * 1.5


def test_cores_charged():
    assert charged_cores("CPU", "kernel", 8) == 8 and charged_cores("CPU", "pack", 8) == 1
    assert charged_cores("CPU", "h2d", 8) == 1 and charged_cores("GPU", "kernel", 0) == 1
    assert charged_cores("CPU", "end_to_end", 0) == 1


def test_model_scaling_and_record_round_trip():
    m = default_model()
    doubled = m.scaled("dram_j_per_byte", 2.0)
    assert doubled.dram_j_per_byte.value == pytest.approx(2 * m.dram_j_per_byte.value)
    assert "x 2" in doubled.dram_j_per_byte.source and doubled.core_w == m.core_w
    assert EnergyModel.from_dict(json.loads(json.dumps(m.as_dict()))) == m
    assert all(a["source"] for a in m.as_dict().values())


def test_alu_floor_is_horowitz():
    assert alu_floor_j(1e12) == pytest.approx(0.1)


def test_row_device_reads_the_device_column():
    assert row_device("library", "CPU, 1 core", 16) == ("CPU", 1)
    assert row_device("numba_cpu", "CPU, 12 cores", 16) == ("CPU", 12)
    assert row_device("opencl", "Portable Computing Language: pthread-skylake-avx512-AMD EPYC", 16) == ("CPU", 16)
    assert row_device("opencl", "NVIDIA CUDA: NVIDIA H200", 16) == ("GPU", 0)
    assert row_device("cupy", "NVIDIA H200", 16) == ("GPU", 0)


def test_per_byte_figures_agree_with_the_emulator_profiles():
    profiles = pytest.importorskip("kernels.emulation.profiles")
    m = default_model()
    assert m.dram_j_per_byte.value == pytest.approx(profiles.DDR4_PUBLISHED.read_j_per_byte)
    assert m.pcie_j_per_byte.value == pytest.approx(profiles.CXL_LINK_J_PER_BYTE)
    assert m.hbm_j_per_byte.value == pytest.approx(profiles.HBM_PIM.host_j_per_byte)


# --- rows, run.json, tables ------------------------------------------------------------------------------------
SMOKE = Settings(warmup=0, min_repeats=2, min_seconds=0.0, energy_seconds=0.0)


def _write_some_rows(tmp_path):
    writer = ResultsWriter(tmp_path)
    payload = np.zeros(1 << 16, np.uint8)
    for backend, threads in (("library", None), ("numba_cpu", 2)):
        for batch in (4, 64):
            case = Case("sha256", backend, "unit", batch, 1024.0, {"pack": lambda: payload.copy(),
                                                                  "end_to_end": lambda: payload.sum()},
                        params={"message_bytes": 1024}, threads=threads)
            writer.add(measure_case(case, SMOKE))
    writer.add([compile_row("sha256", "numba_cpu", lambda: None)])
    return writer


def test_every_row_has_a_method_and_compile_rows_no_energy(tmp_path):
    writer = _write_some_rows(tmp_path)
    frame = ea.load_tables(tmp_path)
    compile_rows = frame[frame.phase == "compile"]
    other = frame[frame.phase != "compile"]
    assert len(compile_rows) == 1 and compile_rows.energy_j_per_item.isna().all()
    assert compile_rows.energy_method.isna().all() or (compile_rows.energy_method.fillna("") == "").all()
    assert other.energy_method.isin(METHODS).all() and (other.energy_j_per_item > 0).all()
    run = json.loads(writer.run_json.read_text())["energy_model"]
    assert set(run["assumptions"]) == set(EnergyModel.names())
    assert all(a["source"] and a["unit"] for a in run["assumptions"].values())
    assert {"rapl", "nvml"} <= set(run["meters"]) and "compile" in run["no_energy"]


def test_recomputed_model_matches_the_written_rows(tmp_path):
    _write_some_rows(tmp_path)
    frame = ea.load_tables(tmp_path)
    model, cores = ea.run_model(tmp_path)
    modeled = frame[frame.energy_method == "modeled"]
    assert np.allclose(ea.modeled_j_per_item(modeled, model, cores), modeled.energy_j_per_item, rtol=1e-9)
    assert ea.energy_table(frame).shape[0] == 2 and not ea.example_breakdown(frame, model, cores).empty


def _point_rows(dram_bytes: float) -> pd.DataFrame:
    base = {"operation": "sha256", "workload": "unit", "batch_size": 1, "phase": "end_to_end",
            "energy_method": "modeled", "energy_j_per_item": 0.0, "time_s_p25": 0.0, "time_s_p75": 0.0}
    return pd.DataFrame([
        base | {"backend": "library", "device": "CPU, 1 core", "time_s_median": 1.0, "bytes_per_item": 0.0},
        base | {"backend": "numba_cpu", "device": "CPU, 2 cores", "time_s_median": 0.4, "bytes_per_item": dram_bytes},
        base | {"backend": "numba_cpu", "device": "CPU, 2 cores", "time_s_median": 0.0, "bytes_per_item": 0.0,
                "phase": "compile", "energy_method": "", "energy_j_per_item": float("nan")},
    ])


def test_sensitivity_flags_a_flip_and_only_a_flip():
    # library: 4 W x 1 core x 1 s = 4 J; numba_cpu: 4 W x 2 x 0.4 s + 0.5 J of DRAM = 3.7 J: numba_cpu wins.
    # DRAM x2 -> 4.2 J and core x0.5 -> 2 vs 2.1 J: library wins; PCIe, HBM and the GPU change nothing.
    frame = _point_rows(dram_bytes=0.5 / 1e-10)
    table = ea.energy_sensitivity(frame, _model(), logical_cores=2)
    assert list(table.columns) == ["assumption", "factor", "conclusion", "changed"]
    assert "sha256: numba_cpu" in table.conclusion.iloc[0]
    changed = {(r.assumption, r.factor) for r in table.itertuples() if r.changed}
    assert changed == {("dram_j_per_byte", 2.0), ("core_w", 0.5)}
    flip = table[(table.assumption == "dram_j_per_byte") & (table.factor == 2.0)].conclusion.iloc[0]
    assert "numba_cpu -> library" in flip and "loses on energy" in flip


def test_break_even_and_write_sensitivity(tmp_path):
    frame = ea.remodeled(_point_rows(dram_bytes=0.5 / 1e-10), _model(), 2)
    be = ea.break_even(frame, _model(), 2)
    assert be.iloc[0]["wins on time from"] == "1" and be.iloc[0]["wins on energy from"] == "1"
    _write_some_rows(tmp_path)
    table = ea.write_energy_sensitivity(tmp_path)
    written = pd.read_csv(tmp_path / ea.SENSITIVITY_CSV)
    assert len(written) == len(table) == 1 + 2 * len(EnergyModel.names())
    assert ea.load_tables(tmp_path).shape[0] > 0  # the sensitivity table is not read back as results


def test_empty_folder_is_handled(tmp_path):
    frame = ea.load_tables(tmp_path)
    model, cores = ea.run_model(tmp_path)
    table = ea.energy_sensitivity(frame, model, cores)
    assert not table.changed.any()
    assert ea.energy_table(frame).empty and ea.break_even(frame, model, cores).empty
    assert ea.plot_energy(frame) is None and "run the hot-path notebooks" in ea.findings(
        frame, table, ea.break_even(frame, model, cores), ea.measured_vs_modeled(frame, model, cores))


def test_measured_rows_are_set_beside_the_model():
    frame = _point_rows(dram_bytes=0.0)
    frame.loc[0, ["energy_method", "energy_j_per_item"]] = ["measured-rapl", 2.0]
    cmp = ea.measured_vs_modeled(frame, _model(), 2)
    assert len(cmp) == 1 and cmp.model_over_measured.iloc[0] == pytest.approx(2.0)  # model 4 J, meter 2 J


def test_gpu_energy_check_without_nvml_says_why(capsys):
    from kernels.measure import gpu_energy

    if not isinstance(meters.gpu_meter(), MeterUnavailable):
        pytest.skip("NVML is readable here")
    assert gpu_energy.main(["unused-folder"]) == 1
    assert "gpu_energy:" in capsys.readouterr().err


def test_gpu_energy_check_plumbing_with_a_fake_meter(tmp_path, monkeypatch):
    """The four operations' sweeps trimmed to their largest points, rows written, the comparison table written
    (the library backend stands in for the GPU; its rows are modeled, so the comparison has no rows)."""
    from kernels.measure import gpu_energy

    fake = _CountingMeter(idle=0.0)
    fake.gpu_name = "Fake GPU"
    monkeypatch.setattr(meters, "gpu_meter", lambda: fake)
    table = gpu_energy.run(tmp_path, backends=("library",), seconds=0.0, profile="smoke")
    assert (tmp_path / ea.GPU_CHECK_CSV).exists() and "model_over_measured" in table.columns
    written = set(ea.load_tables(tmp_path).operation)
    assert written == set(gpu_energy.SWEEPS)


def test_power_readings_integrate_by_the_trapezoid_rule():
    # samples at 0, 1 and 2 s: trapezoids 1 s x (100 + 100) / 2 + 1 s x (100 + 300) / 2 = 300 J
    assert meters.integrate_power([(0.0, 100.0), (1.0, 100.0), (2.0, 300.0)]) == pytest.approx(300.0)
    assert meters.integrate_power([(0.0, 100.0)]) == 0.0


def test_nvml_power_meter_where_the_counter_is_missing():
    class _PowerOnly(_FakeNvml):
        def nvmlDeviceGetPowerUsage(self, h):
            return 250_000  # mW

    meter = meters.NvmlPowerMeter(nvml=_PowerOnly(counter=False))
    with meter.window() as w:
        time.sleep(0.1)
    assert w.joules == pytest.approx(250.0 * w.seconds, rel=0.3) and meter.method == "measured-nvml"
    class _Nothing(_FakeNvml):
        def nvmlDeviceGetPowerUsage(self, h):
            raise self.NVMLError("Not Supported")

    with pytest.raises(MeterUnavailable, match="power readings"):
        meters.NvmlPowerMeter(nvml=_Nothing(counter=False))
