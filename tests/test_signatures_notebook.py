"""notebooks/02_signatures.ipynb runs end to end under the smoke profile into a temp folder."""
import pandas as pd
import pytest

from kernels.report import run_notebooks


@pytest.mark.slow
def test_signatures_notebook_runs(tmp_path):
    assert run_notebooks("smoke", names=["02_signatures"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "02_signatures.ipynb").exists() and (tmp_path / "ed25519_verify.csv").exists()
    assert (tmp_path / "figures" / "02_ed25519_throughput.png").stat().st_size > 10_000
    assert (tmp_path / "figures" / "02_ed25519_cache.png").exists()
    targets = pd.read_csv(tmp_path / "targets.csv")
    assert targets.target.tolist() == ["ed25519_verify"] and targets.checked.all()
