"""The device buffers of the three page operations, shared by the staged backends (opencl, numba_cuda, cupy).

Each class declares its inputs and outputs once; a backend combines it with the staged base of its API
(measure.staged) and writes only `launch()`:

    class StagedDirty(DirtyBuffers, CupyStaged):
        def launch(self): ...

Memories are declared as 8-byte words (the C core in kernels/common/pages.h compares and copies words).
"""
from __future__ import annotations

import numpy as np

from .checks import WORD


class DirtyBuffers:
    """before/after in, one flag per page out; the result is the sorted dirty page indices."""

    def __init__(self, before: np.ndarray, after: np.ndarray, page_size: int, pinned: bool = False):
        self.words, self.npages = page_size // WORD, before.size // page_size
        super().__init__(inputs={"before": before.view(np.uint64), "after": after.view(np.uint64)},
                         outputs={"flags": np.zeros(self.npages, np.uint8)}, pinned=pinned)

    def result(self) -> np.ndarray:
        return np.flatnonzero(self.outputs["flags"]).astype(np.int64)


class CopyBuffers:
    """src, dst and the page list in; dst out (one device buffer: updated in place on the device)."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int, pinned: bool = False):
        self.words, self.count = page_size // WORD, pages.size
        super().__init__(inputs={"src": src.view(np.uint64), "dst": dst.view(np.uint64), "pages": pages},
                         outputs={"dst": dst.view(np.uint64)}, pinned=pinned)

    def result(self) -> None:
        return None


class MoveBuffers:
    """One linear memory in and out; an overlapping memory.copy goes through a device scratch buffer of n bytes."""

    def __init__(self, memory: np.ndarray, dst: int, src: int, n: int, pinned: bool = False):
        self.dst, self.src, self.n = dst, src, n
        self.overlap = abs(dst - src) < n
        super().__init__(inputs={"memory": memory}, outputs={"memory": memory},
                         scratch={"scratch": ((n,), np.uint8)} if self.overlap else None, pinned=pinned)

    def result(self) -> None:
        return None


class StreamBuffers:
    """A whole memory in, and a device-only copy of it: a STREAM-like device-to-device copy (no d2h)."""

    def __init__(self, src: np.ndarray):
        super().__init__(inputs={"src": src}, scratch={"dst": (src.shape, src.dtype)})


def module_api(dirty_cls, copy_cls, move_cls):
    """A staged backend module's dirty_pages / copy_pages / memory_copy: one staged call each, device buffers
    allocated for the call (what the public API's end to end includes)."""

    def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
        return dirty_cls(before, after, page_size).run()

    def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
        copy_cls(src, dst, pages, page_size).run()

    def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
        move_cls(memory, dst, src, n).run()

    return dirty_pages, copy_pages, memory_copy
