"""notebooks/09_bls.ipynb runs end to end under the smoke profile into a temp folder: checks, sweeps, steps,
the cost table for the node-level estimate and both targets."""
import pandas as pd
import pytest

from kernels.report import run_notebooks


@pytest.mark.slow
def test_bls_notebook_runs(tmp_path):
    assert run_notebooks("smoke", names=["09_bls"], out_dir=tmp_path, pdf=None) == 0
    assert (tmp_path / "09_bls.ipynb").exists()
    rows = pd.read_csv(tmp_path / "bls12381_verify.csv")
    assert {"per_item", "batch"} <= set(rows.method.dropna()) and (rows.phase == "end_to_end").any()
    assert {"decode", "hash_to_curve", "msm", "pairing"} <= set(rows.step.dropna())
    costs = pd.read_csv(tmp_path / "bls_costs.csv")
    assert {"backend", "method", "seconds_per_signature", "seconds_per_batch"} <= set(costs.columns) and len(costs)
    assert (tmp_path / "figures" / "09_bls_one_message.png").stat().st_size > 10_000
    targets = pd.read_csv(tmp_path / "targets.csv")
    assert sorted(targets.target) == ["bls12381_verify_distinct", "bls12381_verify_shares_34"]
    assert targets.checked.all()
