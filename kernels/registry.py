"""Operations, backends, and which backend can run which operation here.

Each hot-path package names its backend modules in ``BACKEND_MODULES`` (backend -> module name inside the
package); adding a backend is one module and one line there. ``backends_for`` combines that with
``devices.unavailable_reason`` so every caller sees the same answer and the same reason.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from . import devices

BACKENDS = ("reference", "library", "numba_cpu", "opencl", "numba_cuda", "cupy")
# backend -> module name inside a hot-path package, for packages that implement every backend
STANDARD_MODULES = {"reference": "reference", "library": "library", "numba_cpu": "numba_cpu", "opencl": "opencl",
                    "numba_cuda": "numba_cuda", "cupy": "cupy_cuda"}

# operation -> the package that implements it (DESIGN.md, "Operation names").
OPERATIONS = {
    "sha256": "kernels.hashing",
    "hashtree": "kernels.hashing",
    "request_id": "kernels.hashing",
    "manifest_chunks": "kernels.hashing",
    "ed25519_verify": "kernels.signatures",
    "crc32": "kernels.checksums",
    "crc32c": "kernels.checksums",
    "adler32": "kernels.checksums",
    "inet16": "kernels.checksums",
    "dirty_pages": "kernels.memory",
    "copy_pages": "kernels.memory",
    "wasm_memory_copy": "kernels.memory",
}


class BackendUnavailable(RuntimeError):
    """The backend cannot run here; the message says why (no GPU, no OpenCL platform, ...)."""


def check_backend(backend: str) -> None:
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; choose one of {', '.join(OPERATIONS)}")


def _package(operation: str) -> ModuleType | str:
    """The operation's package, or the reason it cannot be imported."""
    name = OPERATIONS[operation]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return f"{name} is not built yet"
        raise


def backends_for(operation: str) -> dict[str, str | None]:
    """{backend: None if it runs here, else the reason it is unavailable} for one operation."""
    check_operation(operation)
    package = _package(operation)
    result: dict[str, str | None] = {}
    for backend in BACKENDS:
        if isinstance(package, str):
            result[backend] = package
        elif backend not in package.BACKEND_MODULES.get(operation, {}):
            result[backend] = f"{operation} has no {backend} kernel"
        else:
            result[backend] = devices.unavailable_reason(backend)
    return result


def backend_module(operation: str, backend: str) -> ModuleType:
    """The module implementing `operation` on `backend`; BackendUnavailable with the reason otherwise."""
    check_operation(operation)
    check_backend(backend)
    reason = backends_for(operation)[backend]
    if reason is not None:
        raise BackendUnavailable(f"{operation} on {backend}: {reason}")
    package = _package(operation)
    return importlib.import_module(f"{package.__name__}.{package.BACKEND_MODULES[operation][backend]}")
