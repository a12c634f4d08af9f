"""The findings chapter's computations on small synthetic result tables (no machine figure involved)."""
import pandas as pd
import pytest

from kernels import summary


def _rows(numba_speed: float, sizes=(1, 16, 256)):
    rows = []
    for backend, speed in (("library", 1.0), ("numba_cpu", numba_speed)):
        for n in sizes:
            t = n / (1e6 * speed) + (2e-5 if backend == "numba_cpu" else 0.0)  # a launch cost: loses at batch 1
            rows.append({"device_tag": "cpu-x", "operation": "sha256", "workload": "random-64B",
                         "backend": backend, "device": "CPU, 2 cores" if backend == "numba_cpu" else "CPU, 1 core",
                         "phase": "end_to_end", "batch_size": n, "bytes_per_item": 64.0, "items_per_s": n / t,
                         "time_s_median": t})
    return pd.DataFrame(rows)


def test_verdict_helps_above_the_measured_crossover():
    v = summary.speedup_verdict(_rows(4.0), "sha256", "random-64B", ["numba_cpu"])
    assert v.verdict == "helps above batch 256" and v.basis == "measured" and "numba_cpu" in v.figure


@pytest.mark.parametrize("speed, verdict", [(0.5, "does not help"), (1.0, "on par")])
def test_verdict_does_not_help_or_ties(speed, verdict):
    rows = _rows(speed)
    rows.loc[rows.backend == "numba_cpu", "items_per_s"] = rows.loc[rows.backend == "library", "items_per_s"].to_numpy() * speed
    assert summary.speedup_verdict(rows, "sha256", "random-64B", ["numba_cpu"]).verdict == verdict


def test_nothing_measured_is_not_evaluated():
    assert summary.speedup_verdict(_rows(2.0), "sha256", "random-64B", ["opencl"]) is summary.NOT_EVALUATED


def test_per_core_ratio_divides_by_the_cores_used():
    rows = _rows(4.0)
    ratio = summary._per_core_ratio(rows, "sha256", "random-64B")
    full = rows[(rows.batch_size == 256)].set_index("backend").items_per_s
    assert ratio == pytest.approx(full["numba_cpu"] / full["library"] / 2)


def test_inventory_names_missing_hot_paths(tmp_path):
    folder = tmp_path / "cpu-x"
    folder.mkdir()
    rows = _rows(2.0)
    rows.to_csv(folder / "sha256.csv", index=False)
    table = summary.inventory(summary.load_rows(tmp_path), tmp_path)
    assert table.iloc[0]["device folder"] == "cpu-x"
    assert "signatures" in table.iloc[0]["missing hot paths"] and "hashing" not in table.iloc[0]["missing hot paths"]


def test_emulated_verdict_is_withheld_outside_the_validation_bounds():
    validation = pd.DataFrame({"model": ["optane-6", "optane-6", "upmem"], "predicted_s": [1.0, 1.0, 1.0],
                               "measured_s": [1.1, 2.0, 1.0]})
    assert summary.validated_models(validation) == {"optane-6": False, "upmem": True}
    rows = pd.DataFrame({"operation": "nvm_persistence", "workload": "persist-round", "phase": "end_to_end",
                         "profile": ["optane-6", "nvme"], "items_per_s": [10.0, 1.0], "backend": "x"})
    verdict = summary.nvm_verdict(rows, validation)
    assert verdict.verdict == "not concluded" and verdict.basis == "emulated"
    assert summary.nvm_verdict(rows, validation.iloc[[0, 2]]).verdict == "helps"


def test_hot_path_table_names_the_best_backend_and_both_crossovers():
    rows = _rows(4.0).assign(bytes_per_s=lambda f: f.items_per_s * 64, energy_j_per_item=1e-6,
                             energy_method="modeled")
    table = summary.hot_path_table(rows)
    row = table[table["hot path"] == "hashing"].iloc[0]
    assert row["best backend"].startswith("numba_cpu") and row["crossover measured"] == "256"
    assert row["crossover by the formula"] not in ("n/a", "never") and "modeled" in row["energy per item"]
    assert row["speedup end to end"].endswith("x") and "SHA-NI" in row["share of the limit"]


def test_folders_set_aside_by_a_run_are_not_read(tmp_path):
    for name in ("cpu-x", "cpu-x.previous", "cpu-x.failed"):
        (tmp_path / name).mkdir()
        _rows(2.0).to_csv(tmp_path / name / "sha256.csv", index=False)
    assert [p.name for p in summary.result_folders(tmp_path)] == ["cpu-x"]
