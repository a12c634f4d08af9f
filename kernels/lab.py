"""`make lab`: JupyterLab on the notebooks, as root or as a normal user, on a free local port with a token,
printing the address to open. The browser test starts it the same way (`lab_command`)."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_command(root_dir: str | Path, port: int, token: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The jupyter-lab command line: local address only, no browser, and --allow-root when run as root
    (JupyterLab refuses to start as root without it)."""
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={root_dir}", f"--IdentityProvider.token={token}", *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def url(port: int, token: str, path: str = "") -> str:
    return f"http://127.0.0.1:{port}/lab{'/tree/' + path if path else ''}?token={token}"


def main() -> int:
    """Start JupyterLab on notebooks/ and print where to open it; Ctrl-C stops it."""
    port, token = free_port(), secrets.token_hex(16)
    print(f"JupyterLab on {NOTEBOOKS.name}/: open {url(port, token)}", flush=True)
    try:
        return subprocess.call(lab_command(NOTEBOOKS, port, token))
    except KeyboardInterrupt:
        return 0
