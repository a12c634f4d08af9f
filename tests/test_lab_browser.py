"""JupyterLab in a real browser: started the way `make lab` starts it, two notebooks run there (smoke profile)
by Playwright driving Debian's Chromium, no cell shows an error, the backends table appears, a screenshot
is kept beside the copies. It works on copies, so JupyterLab's autosave never touches the committed notebooks."""
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from kernels.lab import NOTEBOOKS, free_port, lab_command, url

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make setup as root)")]
NAMES = ["00_environment.ipynb", "01_hashing.ipynb"]


def _smoke_copy(source: Path, folder: Path, out_dir: Path) -> Path:
    """A copy of a notebook whose parameters say profile="smoke" and write results under `out_dir`."""
    nb = json.loads(source.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = f'profile = "smoke"\nbackends = None\nout_dir = {str(out_dir)!r}\n'
    path = folder / source.name
    path.write_text(json.dumps(nb))
    return path


def _wait_for_server(port: int, token: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("JupyterLab did not answer")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    out_dir = folder / "results"
    for name in NAMES:
        _smoke_copy(NOTEBOOKS / name, folder, out_dir)
    port, token = free_port(), "browser-test-token"
    server = subprocess.Popen(lab_command(folder, port, token, ("--LabApp.expose_app_in_browser=True",)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    try:
        _wait_for_server(port, token)
        yield folder, port, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run_all_and_save(page, name: str, timeout_ms: int) -> None:
    """Run every cell of notebook `name` through JupyterLab's own commands, wait until all ran, save."""
    page.wait_for_function("name => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " return w && w.context && w.context.path === name && w.sessionContext.session"
                           " && w.sessionContext.session.kernel && w.content.widgets.length > 0; }",
                           arg=name, timeout=timeout_ms)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget; const cells = w.content.widgets;"
        " return cells.length > 0 && cells.every(c => c.model.type !== 'code' ||"
        " (c.model.executionCount !== null && c.promptNode.textContent.indexOf('*') < 0)); }",
        timeout=timeout_ms, polling=1000)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.0)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_jupyterlab_without_errors(lab, name):
    folder, port, token = lab
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # a workspace of its own, reset: JupyterLab does not reopen the other notebook's tab
            page.goto(url(port, token, name).replace("/lab/tree/", f"/lab/workspaces/{Path(name).stem}/tree/")
                      + "&reset")
            _run_all_and_save(page, name, timeout_ms=240_000)
            page.screenshot(path=str(folder / f"{Path(name).stem}.png"))  # kept beside the copies
            shown = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        finally:
            browser.close()
    saved = json.loads((folder / name).read_text())
    outputs = [o for c in saved["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    assert outputs, f"{name}: no cell produced output"
    assert "numba_cpu" in shown and "library" in shown  # the backends table (or matrix) is on the page
