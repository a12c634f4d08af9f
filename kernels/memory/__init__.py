"""Orthogonal persistence of Wasm memory: dirty-page detection, page copies, Wasm `memory.copy`.

The IC persists canister memory by finding the 4 KiB pages a message wrote and copying them into page
deltas, up to a checkpoint every 500 rounds (docs/REFERENCES.md section 1). `dirty_pages` finds them by comparing
two images of the memory, `copy_pages` gathers/scatters a page list, `wasm_memory_copy` is Wasm's
`memory.copy` (memmove semantics inside one linear memory). `faults` measures the IC's own method
(write-protect the memory, handle the faults); `wasm_runtime` runs the real instructions in wasmtime.
`HOT_PATH` (kernels/memory/hot_path.py) owns the sweeps, checks, targets and prediction.
"""
from __future__ import annotations

import numpy as np

from ..registry import backend_module
from .checks import OS_PAGE, WASM_PAGE, check_copy, check_memory_copy, check_pair
from ..hotpath import lazy_hot_path

__all__ = ["dirty_pages", "copy_pages", "wasm_memory_copy", "OS_PAGE", "WASM_PAGE", "HOT_PATH"]


def dirty_pages(before: np.ndarray, after: np.ndarray, *, page_size: int = OS_PAGE, backend: str) -> np.ndarray:
    """Sorted int64 indices of the `page_size` pages in which `before` and `after` (1-D uint8, same
    length, a multiple of `page_size`) differ."""
    before, after = check_pair(before, after, page_size)
    module = backend_module("dirty_pages", backend)
    return module.dirty_pages(before, after, page_size)


def copy_pages(src: np.ndarray, dst: np.ndarray, pages, *, page_size: int = OS_PAGE, backend: str) -> None:
    """dst[page p] = src[page p] for every p in `pages` (the checkpoint delta); `dst` is updated in place."""
    src, pages = check_copy(src, dst, pages, page_size)
    module = backend_module("copy_pages", backend)
    module.copy_pages(src, dst, pages, page_size)


def wasm_memory_copy(memory: np.ndarray, dst: int, src: int, n: int, *, backend: str) -> None:
    """Wasm `memory.copy`: move `n` bytes from offset `src` to offset `dst` of `memory` (1-D uint8, in
    place), as if through a temporary buffer: overlapping ranges are handled (memmove semantics). Out of
    bounds is a ValueError (Wasm traps), checked before any byte moves."""
    dst, src, n = check_memory_copy(memory, dst, src, n)
    module = backend_module("wasm_memory_copy", backend)
    if n and dst != src:
        module.memory_copy(memory, dst, src, n)


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
