"""Notebooks 05 (NVM) and 06 (near-memory) run end to end on the smoke profile and write the validation table."""
import pandas as pd
import pytest

from kernels.report import run_notebooks


@pytest.mark.slow
def test_emulation_notebooks_run(tmp_path):
    assert run_notebooks("smoke", names=["05_nvm", "06_near_memory"], out_dir=tmp_path, pdf=None) == 0
    table = pd.read_csv(tmp_path / "emulation_validation.csv")
    assert list(table.columns) == ["model", "workload", "predicted_s", "measured_s", "source"]
    assert {"dram", "optane-1", "optane-6", "cxl", "upmem"} <= set(table.model)
    rows = pd.read_csv(tmp_path / "nvm_persistence.csv")
    emulated = rows[rows.backend.str.startswith("emulated_")]
    assert len(emulated) and emulated.device.str.contains("emulated").all()
    assert (emulated.energy_method == "modeled").all()
    near = pd.read_csv(tmp_path / "near_memory.csv")
    assert set(near.backend) >= {"library", "numba_cpu", "emulated_pim"}
    for figure in ("05_validation.png", "05_persistence.png", "06_near_memory.png"):
        assert (tmp_path / "figures" / figure).stat().st_size > 10_000
