"""Running the notebooks (papermill) and exporting the findings PDF (nbconvert, code hidden)."""
from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RESULTS = REPO / "results"
PDF = RESULTS / "findings.pdf"
FIRST_IN_PDF = ("99_findings",)  # runs last (it reads every other notebook's results), printed first


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The suite's notebooks in order (NN_name.ipynb), or the named ones (with or without .ipynb)."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        wanted = {n.removesuffix(".ipynb") for n in names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise ValueError(f"unknown notebooks {sorted(unknown)}; have {[p.stem for p in paths]}")
        paths = [p for p in paths if p.stem in wanted]
    return paths


def results_dir(out_dir: str | Path | None = None) -> Path:
    from .measure import device_tag

    return Path(out_dir) if out_dir else RESULTS / device_tag()


def run_notebooks(profile: str = "quick", names: list[str] | None = None, out_dir: str | Path | None = None,
                  pdf: Path | None = PDF) -> int:
    """Execute notebooks with papermill into the results folder, then export the PDF. A failing notebook is
    kept (papermill saves it with the error) and reported; the others still run. Returns 0 if all passed.

    A run of every notebook starts from an empty folder, so no table in it predates the run; the earlier
    folder waits aside as `<folder>.previous/` and comes back if a notebook fails (the failed run is then
    kept as `<folder>.failed/`), so a failed run loses nothing."""
    import papermill

    out = results_dir(out_dir)
    previous = out.with_name(out.name + ".previous")
    if names is None and out.exists():
        shutil.rmtree(previous, ignore_errors=True)
        out.rename(previous)
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    paths = notebook_paths(names)
    for k, path in enumerate(paths, 1):
        started = time.perf_counter()
        print(f"[{k}/{len(paths)}] {path.name} (profile {profile}) ...", end=" ", flush=True)
        with kernel_stderr() as log:
            try:
                papermill.execute_notebook(str(path), str(out / path.name), cwd=str(NOTEBOOKS), kernel_name="python3",
                                           parameters={"profile": profile, "out_dir": os.path.relpath(out, NOTEBOOKS)},
                                           progress_bar=False, log_output=False)
                error = None
            except papermill.PapermillExecutionError as e:
                error = f"{e.ename}: {e.evalue}"
        print(f"{'ok' if error is None else 'FAILED'} ({time.perf_counter() - started:.0f} s)", flush=True)
        if error is not None:
            failed.append(path.name)
            print(f"!! {path.name} failed: {error}\n{log.tail()}", file=sys.stderr)
        log.path.unlink(missing_ok=True)
        if (out / path.name).exists():
            scrub_local_paths(out / path.name)
    if failed and previous.exists():
        kept = out.with_name(out.name + ".failed")
        shutil.rmtree(kept, ignore_errors=True)
        out.rename(kept)
        previous.rename(out)
        print(f"failed notebooks: {', '.join(failed)}; this run is kept in {kept}, {out} is as it was",
              file=sys.stderr)
        return 1
    shutil.rmtree(previous, ignore_errors=True)
    if pdf is not None:
        print(f"== PDF: {export_pdf(out, pdf)}")
    if failed:
        print(f"failed notebooks: {', '.join(failed)} (executed copies with the error are in {out})", file=sys.stderr)
        return 1
    return 0


class _Log:
    def __init__(self, path: Path):
        self.path = path

    def tail(self, lines: int = 20) -> str:
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def kernel_stderr():
    """While a notebook runs, what its kernel writes to stderr (ipykernel's start-up warnings, a crash's last
    words) goes to a temporary log instead of the console, so a batch run prints one line per notebook; the
    log's tail is printed when the notebook fails."""
    with tempfile.NamedTemporaryFile(prefix="kernel-", suffix=".log", delete=False) as f:
        path = Path(f.name)
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield _Log(path)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def scrub_local_paths(path: Path) -> None:
    """Rewrite an executed notebook so that no path of the machine that ran it remains: the project folder
    becomes relative (papermill's metadata, tracebacks), the Python installation becomes `<python>`."""
    text = path.read_text()
    for prefix, replacement in ((str(REPO) + "/", ""), (str(REPO), "."), (sys.prefix, "<python>"),
                                (sys.base_prefix, "<python>"), (str(Path.home()), "~")):
        if prefix and prefix not in ("/", "."):
            text = text.replace(prefix, replacement)
    path.write_text(text)


LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d+[.)])\s")


def pandoc_markdown(text: str) -> str:
    """Markdown as pandoc (the PDF) reads it the way JupyterLab does: a list right after a paragraph line gets
    the blank line pandoc needs, or it runs into the paragraph. Code blocks are left alone."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif (not fenced and LIST_ITEM.match(line) and out and out[-1].strip()
              and not LIST_ITEM.match(out[-1]) and not out[-1].startswith((" ", "\t"))):
            out.append("")
        out.append(line)
    return "\n".join(out)


LOG_LINE = re.compile(r"^skipped: .*$\n?", re.MULTILINE)  # a sweep's note that a backend cannot run a case
INSTALL_HINT = re.compile(r"\s*\(pip install [^)]*\)")  # devices' reasons name the package to install


def paper_text(text: str) -> str:
    """Text fit for the report: no sweep log lines, no install hints (they are for the terminal, where the
    notebooks print them; the backends table still says why each backend cannot run)."""
    return INSTALL_HINT.sub("", LOG_LINE.sub("", text))


def _printable(cell: dict) -> dict:
    """Drop what does not belong on paper: progress bars (stderr, widgets), sweep log lines, install hints and
    empty outputs; Markdown made readable by pandoc."""
    cell = copy.deepcopy(cell)
    if cell.get("cell_type") == "markdown":
        cell["source"] = pandoc_markdown(cell["source"])
    if cell.get("cell_type") == "code":
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue
            if out.get("output_type") == "stream":
                out["text"] = paper_text("".join(out.get("text", "")))
                if not out["text"].strip():
                    continue
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue
            for kind in ("text/markdown", "text/plain"):
                if kind in data:
                    data[kind] = paper_text("".join(data[kind]))
            if "text/markdown" in data:
                data["text/markdown"] = pandoc_markdown(data["text/markdown"])
            kept.append(out)
        cell["outputs"] = kept
    return cell


class Appendix:
    """Long tables (marked by analysis.show) move to the end of the PDF; a pointer stays in their place."""

    def __init__(self):
        self.tables: list[str] = []

    def take(self, cell: dict, section: str) -> dict:
        import nbformat

        for i, out in enumerate(cell.get("outputs", [])):
            mark = out.get("metadata", {}).get("appendix")
            if not mark or "text/markdown" not in out.get("data", {}):
                continue
            label = f"A.{len(self.tables) + 1}"
            caption = mark.get("caption") or ""
            title = f"{section}: {caption[0].lower() + caption[1:]}" if caption else section
            self.tables.append(f"## Table {label}, {title}\n\n{out['data']['text/markdown']}")
            cell["outputs"][i] = nbformat.v4.new_output("display_data", data={
                "text/markdown": f"*Table {label} ({mark.get('rows', '?')} rows) is in the appendix.*"})
        return cell

    def cells(self) -> list:
        import nbformat

        if not self.tables:
            return []
        head = nbformat.v4.new_markdown_cell("# Appendix: long tables\n\nTables too long to read in the text, in the "
                                             "order they appear; each section points here.")
        return [head] + [nbformat.v4.new_markdown_cell(t) for t in self.tables]


def _heading(cell: dict, section: str, notebook: str) -> str:
    """The notebook's title and the nearest heading so far (the appendix names where a table came from)."""
    if cell.get("cell_type") == "markdown":
        for line in cell["source"].splitlines():
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
                section = heading if line.startswith("# ") or not notebook else f"{notebook}, {heading}"
    return section


def merged_notebook(folder: Path):
    """All executed notebooks of a results folder as one notebook: a title page cell, the findings first, long
    tables in an appendix at the end."""
    import nbformat

    from .measure.fingerprint import device_tag, git_commit

    executed = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    executed = [p for p in executed if p.stem in FIRST_IN_PDF] + [p for p in executed if p.stem not in FIRST_IN_PDF]
    if not executed:
        raise FileNotFoundError(f"no executed notebooks in {folder}: run `make run` first")
    merged = nbformat.v4.new_notebook()
    merged.metadata = nbformat.read(executed[0], as_version=4).metadata
    merged.metadata["title"] = "Accelerators for the hot paths of an IC replica node: findings"
    merged.metadata["authors"] = [{"name": "IC accelerator evaluation suite"}]
    merged.cells.append(nbformat.v4.new_markdown_cell(
        f"Results folder `{folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder}`, device tag "
        f"`{device_tag()}`, commit `{git_commit()}`, exported {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. "
        "Every figure below was measured by the suite on this machine in the run shown, or is labelled as a model "
        "with its sources. Timings on small shared machines are noisy: read them as ratios within one run."))
    appendix = Appendix()
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        notebook = next((line[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                         for line in c.source.splitlines() if line.startswith("# ")), path.stem)
        section = notebook
        for cell in nb.cells:
            if _is_parameters(cell):
                continue
            section = _heading(cell, section, notebook)
            merged.cells.append(appendix.take(_printable(cell), section))
    merged.cells.extend(appendix.cells())
    return merged


def _is_parameters(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return "parameters" in tags or "injected-parameters" in tags


def export_pdf(out_dir: str | Path | None = None, pdf: str | Path = PDF) -> Path:
    """results/findings.pdf from the executed notebooks, code hidden (nbconvert, XeLaTeX)."""
    from nbconvert import PDFExporter

    nb = merged_notebook(results_dir(out_dir))
    exporter = PDFExporter()
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf.with_suffix(".pdf.tmp")
    tmp.write_bytes(body)
    tmp.replace(pdf)
    return pdf
