"""Accelerator evaluation suite for the hot paths of an Internet Computer replica node.

Public entry points: the hot-path packages (``kernels.hashing``, ...), ``backends_for(operation)`` and
``BackendUnavailable``. See DESIGN.md in the shared folder for the architecture.
"""
from .registry import BACKENDS, OPERATIONS, BackendUnavailable, backend_module, backends_for

__all__ = ["BACKENDS", "OPERATIONS", "BackendUnavailable", "backend_module", "backends_for", "hashing"]


def __getattr__(name):
    # Hot-path packages load on first use, so `import kernels` stays cheap (no Numba compile on import).
    if name in ("hashing", "signatures", "checksums", "memory"):
        import importlib

        return importlib.import_module(f"kernels.{name}")
    raise AttributeError(name)
