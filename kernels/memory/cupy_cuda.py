"""Page kernels in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/pages.h).

A warp per page when comparing, 128 threads per page when copying. Device buffers are allocated once per call
(measure.staged.CupyStaged); `pinned=True` stages through page-locked host buffers (filled at construction,
before timing) so pageable and pinned transfers can be compared."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from .staged import CopyBuffers, DirtyBuffers, MoveBuffers, StreamBuffers, module_api

SOURCE = str(Path(__file__).with_name("memory.cu"))
THREADS = 256
LANES = 32  # threads per page when comparing (one warp)
COPY_LANES = 128  # threads per page when copying


def _fn(name: str):
    return devices.cupy_module(SOURCE).get_function(name)


def compile() -> None:
    for name in ("dirty_flags", "copy_pages", "copy_bytes"):
        _fn(name)


def _blocks(total: int) -> int:
    return max(1, min((total + THREADS - 1) // THREADS, 1 << 20))


class StagedDirty(DirtyBuffers, CupyStaged):
    def launch(self) -> None:
        if self.npages:
            self.dev["flags"].fill(0)
            _fn("dirty_flags")((_blocks(self.npages * LANES),), (THREADS,),
                               (self.dev["before"], self.dev["after"], np.uint64(self.words), np.uint64(self.npages),
                                np.uint64(LANES), self.dev["flags"]))


class StagedCopy(CopyBuffers, CupyStaged):
    def launch(self) -> None:
        if self.count:
            _fn("copy_pages")((_blocks(self.count * COPY_LANES),), (THREADS,),
                              (self.dev["src"], self.dev["dst"], self.dev["pages"], np.uint64(self.count),
                               np.uint64(self.words), np.uint64(COPY_LANES)))


class StagedMemoryCopy(MoveBuffers, CupyStaged):
    def launch(self) -> None:
        if not self.n:
            return
        fn, grid, n, mem = _fn("copy_bytes"), (_blocks(self.n),), np.uint64(self.n), self.dev["memory"]
        if self.overlap:
            scratch = self.dev["scratch"]
            fn(grid, (THREADS,), (mem, np.uint64(self.src), scratch, np.uint64(0), n))
            fn(grid, (THREADS,), (scratch, np.uint64(0), mem, np.uint64(self.dst), n))
        else:
            fn(grid, (THREADS,), (mem, np.uint64(self.src), mem, np.uint64(self.dst), n))


dirty_pages, copy_pages, memory_copy = module_api(StagedDirty, StagedCopy, StagedMemoryCopy)


class StagedStreamCopy(StreamBuffers, CupyStaged):
    """A STREAM-like copy of a whole memory from device buffer to device buffer (the HBM copy bandwidth)."""

    def launch(self) -> None:
        self.dev["dst"][...] = self.dev["src"]
