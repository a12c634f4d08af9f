"""Accelerator evaluation suite for the hot paths of an Internet Computer replica node.

Public entry points: the hot-path packages (``kernels.hashing``, ...), ``backends_for(operation)``,
``BackendUnavailable``, and the registry's hot paths (``hot_path(name)``, ``hot_paths()``), each a
``kernels.hotpath.HotPath``. CONTRIBUTING.md describes the contract; docs/DESIGN.md the
architecture.
"""
import os

# Numba's OpenMP workers spin for a while after each parallel region; on a small shared machine that spinning takes
# the core from whatever is timed next (another backend, or the library baseline), so they sleep instead. It must
# be set before Numba loads its threading layer; a setting already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .registry import (BACKENDS, OPERATIONS, BackendUnavailable, backend_module, backends_for, hot_path,
                       hot_paths)

__all__ = ["BACKENDS", "OPERATIONS", "BackendUnavailable", "backend_module", "backends_for", "hot_path", "hot_paths",
           "hashing", "signatures", "checksums", "memory"]


def __getattr__(name):
    # Hot-path packages load on first use, so `import kernels` stays cheap (no Numba compile on import).
    from .registry import HOT_PATHS

    if f"kernels.{name}" in HOT_PATHS:
        import importlib

        return importlib.import_module(f"kernels.{name}")
    raise AttributeError(name)
