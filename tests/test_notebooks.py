"""Notebooks: committed clean, parameterised, and they run end to end (smoke profile) into a temp folder."""
import json

import pytest

from kernels.report import NOTEBOOKS, export_pdf, notebook_paths, run_notebooks

PATHS = notebook_paths()


def test_notebooks_exist_in_order():
    names = [p.name for p in PATHS]
    assert names[:2] == ["00_environment.ipynb", "01_hashing.ipynb"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_committed_without_outputs_and_parameterised(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "profile" in "".join(params[0]["source"])


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebooks_hold_no_logic(path):
    """No function or class definitions and no loops in notebooks: logic lives in kernels/."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            for word in ("def ", "class ", "for ", "while "):
                assert f"\n{word}" not in f"\n{source}", f"{path.name}: '{word.strip()}' in a cell"


def test_unknown_notebook_name():
    with pytest.raises(ValueError, match="unknown notebooks"):
        notebook_paths(["99_nothing"])


@pytest.mark.slow
def test_hashing_and_findings_notebooks_run_and_export(tmp_path):
    out = tmp_path / "results" / "cpu-test"  # the findings notebook reads every folder beside its own
    code = run_notebooks("smoke", names=["00_environment", "01_hashing", "99_findings"], out_dir=out, pdf=None)
    assert code == 0
    assert (out / "01_hashing.ipynb").exists() and (out / "sha256.csv").exists()
    assert (out / "figures" / "01_sha256_throughput.png").stat().st_size > 10_000
    assert (out / "figures" / "99_node_estimate.png").stat().st_size > 10_000
    findings = json.loads((out / "99_findings.ipynb").read_text())
    text = json.dumps(findings["cells"])
    assert "helps" in text and "SIMD CPU kernels" in text and "relative requests per second" in text
    pdf = export_pdf(out, tmp_path / "findings.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
    assert NOTEBOOKS.exists()


def test_findings_come_first_in_the_report(tmp_path):
    import nbformat

    from kernels.report import merged_notebook

    for name in ("01_hashing", "99_findings"):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")]),
                       tmp_path / f"{name}.ipynb")
    cells = [c.source for c in merged_notebook(tmp_path).cells]
    assert cells.index("# 99_findings") < cells.index("# 01_hashing")


def test_executed_notebook_keeps_no_local_path(tmp_path):
    import sys

    from kernels.report import REPO, scrub_local_paths

    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"metadata": {"papermill": {"input_path": f"{REPO}/notebooks/x.ipynb"}},
                                "cells": [{"outputs": [{"text": f"{sys.prefix}/lib/site-packages/tqdm/auto.py:21"}]}]}))
    scrub_local_paths(path)
    text = path.read_text()
    assert str(REPO) not in text and sys.prefix not in text and "notebooks/x.ipynb" in text
