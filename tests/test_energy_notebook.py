"""Notebook 07_energy runs (smoke profile) on a folder with a few measured rows in it, and on an empty folder."""
import numpy as np
import pandas as pd
import pytest

from kernels import energy_analysis as ea
from kernels.measure import Case, ResultsWriter, Settings, measure_case
from kernels.report import REPO, run_notebooks


def _tiny_sweep(out_dir):
    """A few real measurements (numpy sums standing in for a kernel) over four batch sizes and two backends."""
    writer = ResultsWriter(out_dir)
    settings = Settings(warmup=0, min_repeats=2, min_seconds=0.0, energy_seconds=0.0)
    for batch in (16, 64, 256, 1024):
        data = np.zeros(batch * 1024, np.uint8)
        for backend, threads in (("library", None), ("numba_cpu", 2)):
            case = Case("sha256", backend, "unit", batch, 1024.0, {"end_to_end": lambda d=data: d.sum()},
                        params={"message_bytes": 1024}, threads=threads)
            writer.add(measure_case(case, settings))


@pytest.mark.slow
def test_energy_notebook_runs_on_rows_and_on_nothing(tmp_path):
    swept = tmp_path / "swept"
    _tiny_sweep(swept)
    assert run_notebooks("smoke", names=["07_energy"], out_dir=swept, pdf=None) == 0
    sensitivity = pd.read_csv(swept / ea.SENSITIVITY_CSV)
    assert list(sensitivity.columns) == ["assumption", "factor", "conclusion", "changed"]
    assert "sha256" in sensitivity.conclusion.iloc[0]
    assert (swept / "figures" / "07_energy_per_item.png").stat().st_size > 10_000
    text = (swept / "07_energy.ipynb").read_text()
    assert "measured-nvml" in text and "modeled" in text and str(REPO) not in text  # no local path leaks

    empty = tmp_path / "empty"
    assert run_notebooks("smoke", names=["07_energy"], out_dir=empty, pdf=None) == 0
    assert "run the hot-path notebooks" in (empty / "07_energy.ipynb").read_text()
