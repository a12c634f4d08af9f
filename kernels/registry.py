"""The hot paths, the backend table, and which backend can run which operation here.

Adding a hot path is one line in ``HOT_PATHS`` (its package and operations) plus the package, whose
``HOT_PATH`` object (``kernels.hotpath.HotPath``) owns its cases, checks, targets and prediction. Adding a
backend is one row of ``BACKEND_TABLE`` plus one module per hot path. ``backends_for`` combines the table
with ``devices.unavailable_reason`` so every caller sees the same answer and the same reason.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Backend:
    """One row of the backend table.

    module: module name inside a hot-path package (None for peers, which are not part of the registry's API);
    api: "python" (plain CPU code), "numba" (Numba CPU), "opencl", "cuda" or "peer" (a program measured
    beside the suite); input_form: "python" (a list of bytes-like items) or "packed" (contiguous buffers);
    staged: the data crosses to a device, so h2d / kernel / d2h are timed apart; timer: "wall" or
    "cuda-events"; parallel: runs on every core by default; colour: the same in every figure."""

    name: str
    module: str | None
    api: str
    input_form: str
    staged: bool
    timer: str
    parallel: bool
    colour: str


BACKEND_TABLE: dict[str, Backend] = {b.name: b for b in (
    Backend("reference", "reference", "python", "python", False, "wall", False, "#7f7f7f"),
    Backend("library", "library", "python", "python", False, "wall", False, "#1f77b4"),
    Backend("numba_cpu", "numba_cpu", "numba", "packed", False, "wall", True, "#2ca02c"),
    Backend("opencl", "opencl", "opencl", "packed", True, "wall", True, "#ff7f0e"),
    Backend("numba_cuda", "numba_cuda", "cuda", "packed", True, "cuda-events", True, "#9467bd"),
    Backend("cupy", "cupy_cuda", "cuda", "packed", True, "cuda-events", True, "#d62728"),
)}
BACKENDS = tuple(BACKEND_TABLE)

# Peers: programs or production paths measured beside the suite's backends in the same process, as their own
# rows (docs/DESIGN.md, "Backends"). They are labels with a colour, not registry backends.
PEER_TABLE: dict[str, Backend] = {b.name: b for b in (
    Backend("openssl", None, "peer", "python", False, "wall", False, "#8c564b"),
    Backend("wasmtime", None, "peer", "python", False, "wall", False, "#e377c2"),
    Backend("mprotect", None, "peer", "python", False, "wall", False, "#bcbd22"),
    Backend("numpy", None, "peer", "python", False, "wall", False, "#17becf"),
    Backend("emulated_optane", None, "peer", "python", False, "wall", False, "#393b79"),
    Backend("emulated_cxl", None, "peer", "python", False, "wall", False, "#637939"),
    Backend("emulated_nvme", None, "peer", "python", False, "wall", False, "#8c6d31"),
    Backend("emulated_pim", None, "peer", "python", False, "wall", False, "#843c39"),
)}

# One line per hot path: its package and its operations (docs/DESIGN.md, "Operation names").
HOT_PATHS: dict[str, tuple[str, ...]] = {
    "kernels.hashing": ("sha256", "hashtree", "request_id", "manifest_chunks"),
    "kernels.signatures": ("ed25519_verify",),
    "kernels.checksums": ("crc32", "crc32c", "adler32", "inet16"),
    "kernels.memory": ("dirty_pages", "copy_pages", "wasm_memory_copy"),
    "kernels.emulation": ("nvm_persistence", "near_memory"),
    "kernels.ecdsa": ("ecdsa_verify",),
    "kernels.bls": ("bls12381_verify",),
}
OPERATIONS: dict[str, str] = {op: package for package, ops in HOT_PATHS.items() for op in ops}


class BackendUnavailable(RuntimeError):
    """The backend cannot run here; the message says why (no GPU, no OpenCL platform, ...)."""


def backend_row(backend: str) -> Backend:
    """The backend table's row for a backend or a peer."""
    row = BACKEND_TABLE.get(backend) or PEER_TABLE.get(backend)
    if row is None:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return row


def colour(backend: str) -> str:
    """The backend's fixed colour (every figure uses it)."""
    row = BACKEND_TABLE.get(backend) or PEER_TABLE.get(backend)
    return row.colour if row else "#333333"


def backend_order() -> list[str]:
    """Backends, then peers: the order of every legend and table."""
    return list(BACKEND_TABLE) + list(PEER_TABLE)


def check_backend(backend: str) -> None:
    if not isinstance(backend, str) or backend not in BACKEND_TABLE:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; choose one of {', '.join(OPERATIONS)}")


def packed_input(backend: str) -> bool:
    """True when the backend takes contiguous buffers (the packing step is done by the public API)."""
    return BACKEND_TABLE[backend].input_form == "packed"


def staged(backend: str) -> bool:
    return BACKEND_TABLE[backend].staged


def hot_path(name: str):
    """The HotPath object of a package ("kernels.hashing") or of the package an operation belongs to."""
    package = OPERATIONS.get(name, name)
    if package not in HOT_PATHS:
        raise ValueError(f"unknown hot path or operation {name!r}; hot paths: {', '.join(HOT_PATHS)}")
    return importlib.import_module(package).HOT_PATH


def hot_paths() -> list:
    """Every hot path's HotPath object, in registry order."""
    return [importlib.import_module(package).HOT_PATH for package in HOT_PATHS]


def backends_for(operation: str) -> dict[str, str | None]:
    """{backend: None if it runs here, else the reason it is unavailable} for one operation."""
    from . import devices

    check_operation(operation)
    implemented = hot_path(operation).backends(operation)
    return {b: (devices.unavailable_reason(b) if b in implemented else f"{operation} has no {b} kernel")
            for b in BACKENDS}


def backend_module(operation: str, backend: str) -> ModuleType:
    """The module implementing `operation` on `backend`; BackendUnavailable with the reason otherwise."""
    check_operation(operation)
    check_backend(backend)
    reason = backends_for(operation)[backend]
    if reason is not None:
        raise BackendUnavailable(f"{operation} on {backend}: {reason}")
    return importlib.import_module(f"{OPERATIONS[operation]}.{BACKEND_TABLE[backend].module}")
