"""Notebooks: committed clean, parameterised, and they run end to end (smoke profile) into a temp folder."""
import json

import pandas as pd
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
    code = run_notebooks("smoke", names=["00_environment", "01_hashing", "10_requests", "99_findings"], out_dir=out,
                         pdf=None)
    assert code == 0
    assert (out / "01_hashing.ipynb").exists() and (out / "sha256.csv").exists()
    check_requests_table(pd.read_csv(out / "requests.csv"))
    assert (out / "figures" / "10_stage_groups.png").stat().st_size > 10_000
    assert (out / "figures" / "01_sha256_throughput.png").stat().st_size > 10_000
    findings = json.loads((out / "99_findings.ipynb").read_text())
    text = json.dumps(findings["cells"])
    assert "helps" in text and "SIMD CPU kernels" in text and "what an update and a query cost" in text
    assert "an update costs a node" in text  # the findings lead with the measured requests
    pdf = export_pdf(out, tmp_path / "findings.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
    assert NOTEBOOKS.exists()


def check_requests_table(table) -> None:
    """requests.csv: every workload, both kinds, both paths, every stage group, finite costs."""
    assert set(table.workload) == {"counter", "ledger", "kv"} and set(table.request_kind) == {"update", "query"}
    assert set(table.path) == {"library", "best"}
    for group in ("ingress", "gossip", "block", "execution", "persistence", "certification", "response"):
        assert group in set(table.group), group
    assert (table.core_s_per_request >= 0).all() and table.core_s_per_request.notna().all()


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


def test_long_tables_move_to_the_appendix_and_leave_a_pointer(tmp_path):
    import nbformat
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    from kernels import analysis
    from kernels.report import merged_notebook

    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append((data, metadata or {}))
    analysis.show(pd.DataFrame({"n": range(analysis.LONG_TABLE_ROWS + 1)}), caption="Every check.")
    analysis.show(pd.DataFrame({"n": range(3)}))
    long_out, short_out = (nbformat.v4.new_output("display_data", data=d, metadata=m) for d, m in published)
    assert long_out.metadata["appendix"]["rows"] == analysis.LONG_TABLE_ROWS + 1 and not short_out.metadata
    cells = [nbformat.v4.new_markdown_cell("# 01 · Hashing"), nbformat.v4.new_code_cell(outputs=[long_out, short_out])]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "01_hashing.ipynb")
    merged = merged_notebook(tmp_path)
    in_place = merged.cells[2].outputs
    assert "Table A.1 (21 rows) is in the appendix" in in_place[0].data["text/markdown"]
    assert in_place[1].data["text/markdown"].startswith("| index | n |")
    assert merged.cells[-2].source.startswith("# Appendix")
    assert merged.cells[-1].source.startswith("## Table A.1, 01 · Hashing: every check.")
    assert "| 20 | 20 |" in merged.cells[-1].source


def test_a_list_after_a_paragraph_gets_the_blank_line_pandoc_needs():
    from kernels.report import pandoc_markdown

    assert pandoc_markdown("**Threats.**\n- one\n- two") == "**Threats.**\n\n- one\n- two"
    assert pandoc_markdown("Text\n\n- one\n  more\n- two") == "Text\n\n- one\n  more\n- two"
    assert pandoc_markdown("```\ncode\n- not a list\n```") == "```\ncode\n- not a list\n```"
    assert pandoc_markdown("Step\n1. first") == "Step\n\n1. first"


def test_the_report_drops_sweep_log_lines_and_install_hints():
    from kernels.report import _printable

    cell = {"cell_type": "code", "source": "", "outputs": [
        {"output_type": "stream", "name": "stdout",
         "text": "skipped: sha256 on cupy: CuPy is not installed (pip install '.[gpu]'): ModuleNotFoundError\n"},
        {"output_type": "stream", "name": "stdout", "text": ["kept line\n", "skipped: x on y: z\n"]},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/markdown": "| b | why |\n|---|---|\n| cupy | CuPy is not installed (pip install '.[gpu]'): "
                                   "ModuleNotFoundError |"}}]}
    out = _printable(cell)["outputs"]
    assert [o["output_type"] for o in out] == ["stream", "display_data"]
    assert out[0]["text"] == "kept line\n"
    table = out[1]["data"]["text/markdown"]
    assert "pip install" not in table and "CuPy is not installed: ModuleNotFoundError" in table
