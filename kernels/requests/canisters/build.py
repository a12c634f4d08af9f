"""Build the suite's C canisters into Wasm: `wasm_path(name)` compiles kernels/requests/canisters/<name>.c
into build/canisters/<name>.wasm under the repository root when the output is missing or older than its
sources, with Debian's clang and wasm-ld (freestanding, no libc, the memory imported from the host). Every
module built is checked to keep no mutable state in C globals (no .data or .bss segment): a new instance per
message re-applies data segments. `python -m kernels.requests.canisters.build` builds them all, quietly."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kernels.registry import BackendUnavailable

SOURCE_DIR = Path(__file__).resolve().parent
REPO_ROOT = SOURCE_DIR.parents[2]
BUILD_DIR = REPO_ROOT / "build" / "canisters"
CANISTERS = ("counter", "ledger", "kv")
HEADERS = ("ic0.h", "support.h")
STACK_BYTES = 256 * 1024  # with the read-only data it must stay below SCRATCH_BASE (512 KiB), see support.h
CFLAGS = ("--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-Wall", "-Wextra", "-Werror")
LDFLAGS = ("-Wl,--no-entry", "-Wl,--import-memory", f"-Wl,-z,stack-size={STACK_BYTES}")
MUTABLE_SEGMENTS = (".data", ".bss", ".tdata")


def toolchain_reason() -> str | None:
    """Why the canisters cannot be built here, or None when clang and wasm-ld are on PATH."""
    missing = [tool for tool in ("clang", "wasm-ld") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not found on PATH: the Wasm canisters need clang and wasm-ld "
                "(Debian packages clang and lld; scripts/setup_system.sh installs them)")
    return None


def _sources(name: str) -> list[Path]:
    return [SOURCE_DIR / f"{name}.c"] + [SOURCE_DIR / header for header in HEADERS]


def _up_to_date(name: str, output: Path) -> bool:
    return output.exists() and all(output.stat().st_mtime >= src.stat().st_mtime for src in _sources(name))


def _read_leb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _data_segment_names(wasm: bytes) -> list[str]:
    """The data segments' names from the custom "name" section (subsection 9), as wasm-ld writes them."""
    pos, names = 8, []
    while pos < len(wasm):
        section, pos = wasm[pos], pos + 1
        size, pos = _read_leb(wasm, pos)
        end = pos + size
        if section == 0:
            length, p = _read_leb(wasm, pos)
            if wasm[p:p + length] == b"name":
                names += _names_in_subsection(wasm, p + length, end, subsection=9)
        pos = end
    return names


def _names_in_subsection(wasm: bytes, pos: int, end: int, subsection: int) -> list[str]:
    names = []
    while pos < end:
        kind, pos = wasm[pos], pos + 1
        size, pos = _read_leb(wasm, pos)
        if kind == subsection:
            count, p = _read_leb(wasm, pos)
            for _ in range(count):
                _, p = _read_leb(wasm, p)
                length, p = _read_leb(wasm, p)
                names.append(wasm[p:p + length].decode())
                p += length
        pos += size
    return names


def check_no_mutable_globals(path: Path) -> None:
    """Raise RuntimeError when the module has a writable data segment (state kept in C globals)."""
    mutable = [n for n in _data_segment_names(path.read_bytes()) if n.startswith(MUTABLE_SEGMENTS)]
    if mutable:
        raise RuntimeError(f"{path.name} keeps state in C globals (segments {', '.join(mutable)}); a new "
                           "instance per message resets them: keep state at fixed heap addresses (support.h)")


def compile_canister(name: str, output: Path) -> None:
    """Compile and link one canister, then check it; raise RuntimeError with clang's message on failure."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(f".wasm.{os.getpid()}.partial")  # concurrent builds do not collide
    command = ["clang", *CFLAGS, *LDFLAGS, "-o", str(partial), str(SOURCE_DIR / f"{name}.c")]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building canister {name} failed:\n{' '.join(command)}\n{result.stderr}")
    check_no_mutable_globals(partial)
    partial.replace(output)


def wasm_path(name: str) -> Path:
    """build/canisters/<name>.wasm, compiled first when missing or older than its sources."""
    if name not in CANISTERS:
        raise ValueError(f"unknown canister {name!r}; choose one of {', '.join(CANISTERS)}")
    output = BUILD_DIR / f"{name}.wasm"
    if _up_to_date(name, output):
        return output
    reason = toolchain_reason()
    if reason is not None:
        raise BackendUnavailable(f"canister {name}: {reason}")
    compile_canister(name, output)
    return output


def build_all() -> list[Path]:
    """Build every canister that is missing or stale; return the paths built."""
    stale = [name for name in CANISTERS if not _up_to_date(name, BUILD_DIR / f"{name}.wasm")]
    return [wasm_path(name) for name in stale]


if __name__ == "__main__":
    for built in build_all():
        print(f"built {built.relative_to(REPO_ROOT)}")
