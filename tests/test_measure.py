"""The harness: timing, energy labels, results schema, atomic writes, crash safety, fingerprint."""
import json
import time

import numpy as np
import pandas as pd
import pytest

from kernels import BackendUnavailable
from kernels.measure import COLUMNS, Case, ResultsWriter, Settings, fingerprint, measure_case, read_results, run_cases
from kernels.measure import time_phase
from kernels.measure.timing import interleaved_timings
from kernels.measure.bench import compile_row, timing_unavailable_reason
from kernels.measure.energy import default_model


def _modeled(row, cores: int) -> float:
    """The model's figure for a CPU row: cores x W x time + bytes x DRAM J/B, per item."""
    m = default_model()
    return (m.core_w.value * cores * row["time_s_median"]
            + row["bytes_per_item"] * row["batch_size"] * m.dram_j_per_byte.value) / row["batch_size"]


def test_time_phase_respects_minimums():
    calls = []
    timing = time_phase(lambda: calls.append(1), warmup=2, min_repeats=7, min_seconds=0.0)
    assert timing.repeats == 7 and len(calls) == 9
    timing = time_phase(lambda: time.sleep(0.01), min_repeats=1, min_seconds=0.05)
    assert timing.repeats >= 4
    assert 0.009 < timing.median < 0.2
    assert timing.p25 <= timing.median <= timing.p75


def test_sync_is_inside_the_timed_region():
    timing = time_phase(lambda: None, sync=lambda: time.sleep(0.005), min_repeats=3, min_seconds=0.0)
    assert timing.median >= 0.004


def test_custom_timer_is_used():
    timing = time_phase(lambda: None, timer=lambda fn: 0.25, min_repeats=3, min_seconds=0.0)
    assert timing.median == 0.25


def _case(batch=10, backend="library"):
    return Case("sha256", backend, "unit", batch, 64.0, {"end_to_end": lambda: sum(range(1000))})


def test_measure_case_row_schema():
    rows = measure_case(_case(), Settings.for_profile("smoke"))
    assert len(rows) == 1
    row = rows[0]
    assert row["phase"] == "end_to_end" and row["energy_method"] == "modeled"
    assert row["items_per_s"] == pytest.approx(10 / row["time_s_median"])
    assert row["bytes_per_s"] == pytest.approx(row["items_per_s"] * 64)
    assert row["energy_j_per_item"] == pytest.approx(_modeled(row, 1))


def test_parallel_backend_is_charged_the_threads_it_uses():
    import numba

    rows = measure_case(_case(backend="numba_cpu"), Settings.for_profile("smoke"))
    threads = numba.get_num_threads()
    assert rows[0]["device"] == f"CPU, {threads} core{'s' if threads > 1 else ''}"
    assert rows[0]["energy_j_per_item"] == pytest.approx(_modeled(rows[0], threads))


def test_single_threaded_kernel_is_labelled_and_charged_one_core():
    case = Case("sha256", "numba_cpu", "unit", 10, 64.0, {"kernel": lambda: None}, threads=1)
    row = measure_case(case, Settings.for_profile("smoke"))[0]
    assert row["device"] == "CPU, 1 core"
    assert row["energy_j_per_item"] == pytest.approx(_modeled(row, 1))


def test_power_model_says_it_is_an_assumption():
    core = default_model().core_w
    assert core.value > 0 and "assumed" in core.source and "detected" in core.source


def test_unknown_phase_rejected():
    with pytest.raises(ValueError, match="unknown phases"):
        Case("sha256", "library", "w", 1, 1.0, {"warp": lambda: None})


def test_writer_writes_schema_and_fingerprint(tmp_path):
    writer = ResultsWriter(tmp_path)
    writer.add(measure_case(_case(), Settings.for_profile("smoke")))
    frame = pd.read_csv(tmp_path / "sha256.csv")
    assert list(frame.columns) == COLUMNS
    assert frame.run_id.iloc[0] == writer.run_id
    run = json.loads((tmp_path / f"run-{writer.run_id}.json").read_text())
    assert run["run_id"] == writer.run_id and run["cpu"]["logical_cores"] >= 1 and "numpy" in run["versions"]
    assert run["git_dirty"] in (True, False, None) and "assumed" in run["energy_model"]["assumptions"]["core_w"]["source"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_each_run_keeps_its_own_run_json(tmp_path):
    first, second = ResultsWriter(tmp_path), ResultsWriter(tmp_path)
    first.add(measure_case(_case(1), Settings.for_profile("smoke")))
    second.add(measure_case(_case(2), Settings.for_profile("smoke")))
    assert sorted(p.name for p in tmp_path.glob("run-*.json")) == sorted(
        [f"run-{first.run_id}.json", f"run-{second.run_id}.json"])


def test_workload_parameters_are_columns_and_part_of_the_key(tmp_path):
    writer = ResultsWriter(tmp_path)
    settings = Settings.for_profile("smoke")
    for ratio in (0.02, 0.5):
        case = Case("sha256", "library", "unit", 10, 64.0, {"end_to_end": lambda: None},
                    params={"dirty_ratio": ratio, "pattern": "sparse"})
        writer.add(measure_case(case, settings))
    writer.add([compile_row("sha256", "library", lambda: None)])  # no parameters: empty cells in those columns
    frame = read_results(tmp_path, "sha256")
    assert list(frame.columns[:len(COLUMNS)]) == COLUMNS
    assert sorted(frame.dirty_ratio.dropna()) == [0.02, 0.5] and set(frame.pattern.dropna()) == {"sparse"}


def test_new_measurement_replaces_same_key_keeps_others(tmp_path):
    writer = ResultsWriter(tmp_path)
    settings = Settings.for_profile("smoke")
    writer.add(measure_case(_case(10), settings) + measure_case(_case(20), settings))
    second = ResultsWriter(tmp_path)
    second.add(measure_case(_case(10), settings))
    frame = read_results(tmp_path, "sha256")
    assert sorted(frame.batch_size) == [10, 20]
    assert frame.set_index("batch_size").loc[10, "run_id"] == second.run_id


def test_row_with_bad_energy_method_rejected(tmp_path):
    row = measure_case(_case(), Settings.for_profile("smoke"))[0] | {"energy_method": "guessed"}
    with pytest.raises(ValueError, match="energy_method"):
        ResultsWriter(tmp_path).add([row])


def test_crashed_sweep_keeps_finished_rows(tmp_path):
    writer = ResultsWriter(tmp_path)

    def cases():
        yield _case(1)
        yield BackendUnavailable("sha256 on cupy: no GPU")
        yield _case(2)
        raise RuntimeError("the machine fell over")

    with pytest.raises(RuntimeError):
        run_cases(cases(), writer, Settings.for_profile("smoke"), progress=False)
    assert sorted(read_results(tmp_path, "sha256").batch_size) == [1, 2]


def test_compile_row_carries_no_per_item_energy(tmp_path):
    row = compile_row("sha256", "library", lambda: time.sleep(0.01))
    assert row["phase"] == "compile" and row["time_s_median"] >= 0.009
    frame = ResultsWriter(tmp_path).add([row])
    assert frame.energy_j_per_item.isna().all() and (frame.energy_method == "").all()


def test_cases_raising_unavailable_while_measured_are_skipped_not_fatal(tmp_path):
    def too_big():
        raise BackendUnavailable("opencl: a buffer exceeds the device's largest allocation")

    cases = [Case("sha256", "library", "unit", 1, 1.0, {"end_to_end": too_big}), _case(3)]
    frame = run_cases(cases, ResultsWriter(tmp_path), Settings.for_profile("smoke"), progress=False)
    assert list(frame.batch_size) == [3]


def test_simulator_is_never_timed():
    from kernels import devices

    if not devices.cuda_simulated():
        pytest.skip("numba.cuda is not on the simulator in this run")
    assert devices.unavailable_reason("numba_cuda") is None
    assert "simulator" in timing_unavailable_reason("numba_cuda")


def test_profiles():
    assert Settings.for_profile("full").min_seconds > Settings.for_profile("quick").min_seconds
    with pytest.raises(ValueError, match="profile"):
        Settings.for_profile("fast")


def test_device_tag_tells_cpu_families_and_models_apart(monkeypatch):
    import importlib

    fpmod = importlib.import_module("kernels.measure.fingerprint")  # the module (the package exports a function)

    base = {"vendor": "AuthenticAMD", "model_name": "AMD EPYC", "logical_cores": 2, "key_flags": [], "flags": []}
    tags = set()
    for family, model in ((25, 17), (26, 2)):
        monkeypatch.setattr(fpmod, "cpu_info", lambda f=family, m=model: base | {"family": f, "model": m})
        monkeypatch.setattr(fpmod, "gpu_info", lambda: None)
        tags.add(fpmod.device_tag())
    assert tags == {"cpu-amd-epyc-f25m17-2c", "cpu-amd-epyc-f26m2-2c"}


def test_fingerprint_fields():
    fp = fingerprint()
    assert fp["device_tag"] and fp["cpu"]["model_name"]
    assert set(fp["cpu"]["key_flags"]) <= set(fp["cpu_flags"])
    assert isinstance(np.float64(fp["memory_gib"]), np.floating)


def test_interleaved_timings_time_each_callable_in_turns():
    calls = []
    timings = interleaved_timings({"fast": lambda: calls.append("f"),
                                   "slow": lambda: (calls.append("s"), time.sleep(0.002))}, min_seconds=0.0,
                                  min_rounds=3)
    assert calls == ["f", "s"] * 4  # one warm-up round, then three timed rounds in turns
    assert timings["slow"].median > 0.0015 > timings["fast"].median and timings["fast"].repeats == 3
