"""notebooks/08_ecdsa.ipynb runs end to end under the smoke profile into a temp folder."""
import pandas as pd
import pytest

from kernels.report import run_notebooks


@pytest.mark.slow
def test_ecdsa_notebook_runs(tmp_path):
    assert run_notebooks("smoke", names=["08_ecdsa"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "08_ecdsa.ipynb").exists() and (tmp_path / "ecdsa_verify.csv").exists()
    rows = pd.read_csv(tmp_path / "ecdsa_verify.csv")
    assert set(rows.curve.dropna()) == {"p256", "secp256k1"} and (rows.phase == "end_to_end").any()
    for curve in ("p256", "secp256k1"):
        assert (tmp_path / "figures" / f"08_ecdsa_{curve}_throughput.png").stat().st_size > 10_000
        assert (tmp_path / "figures" / f"08_ecdsa_{curve}_speedup.png").exists()
    targets = pd.read_csv(tmp_path / "targets.csv")
    assert sorted(targets.target) == ["ecdsa_verify_p256", "ecdsa_verify_secp256k1"] and targets.checked.all()
