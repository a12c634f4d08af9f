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
    assert (tmp_path / "figures" / "02_ed25519_zip215.png").exists()
    targets = pd.read_csv(tmp_path / "targets.csv")
    assert targets.target.tolist() == ["ed25519_verify", "ed25519_verify_zip215_batch"] and targets.checked.all()
    assert targets.peer.str.startswith("openssl speed -multi").all()
    rows = pd.read_csv(tmp_path / "ed25519_verify.csv")
    zip215 = rows[rows.rules.eq("zip215") & rows.phase.eq("end_to_end")]
    assert set(zip215.method) == {"single", "batch"}
