"""Page kernels as numba.cuda kernels, the same algorithm as kernels/common/pages.h: a warp of `LANES`
threads per page, each OR-ing `CHUNK` words between early-exit checks. Runs on a GPU, or on the CUDA
simulator (NUMBA_ENABLE_CUDASIM=1) for correctness on machines without one.

Device buffers are allocated once per call (measure.staged.NumbaCudaStaged); `pinned=True` stages through
page-locked host buffers (filled at construction, before timing), so h2d and d2h can be compared between
pageable and pinned memory."""
from __future__ import annotations

import numpy as np
from numba import cuda, uint64

from ..measure.staged import NumbaCudaStaged
from .checks import WORD
from .staged import CopyBuffers, DirtyBuffers, MoveBuffers, StreamBuffers, module_api

THREADS = 256
LANES = 32  # threads per page when comparing: one warp, 32 x 32 bytes per step
COPY_LANES = 128  # threads per page when copying: a 4 KiB page is 512 words, 4 per thread
CHUNK = 4  # words per lane between early-exit checks (DIRTY_CHUNK in pages.h)


@cuda.jit
def _dirty_flags(a, b, words_per_page, npages, lanes, flags):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, npages * lanes, stride):
        p, lane = i // lanes, i % lanes
        base = p * words_per_page
        w = lane * CHUNK
        while w < words_per_page:
            acc = uint64(0)
            for k in range(w, min(w + CHUNK, words_per_page)):
                acc |= a[base + k] ^ b[base + k]
            if acc != 0:
                flags[p] = 1
                break
            w += lanes * CHUNK


@cuda.jit
def _copy_pages(src, dst, pages, words_per_page, lanes):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, pages.shape[0] * lanes, stride):
        j, lane = i // lanes, i % lanes
        base = pages[j] * words_per_page
        for w in range(lane, words_per_page, lanes):
            dst[base + w] = src[base + w]


@cuda.jit
def _copy_bytes(frm, from_off, to, to_off, n):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, n, stride):
        to[to_off + i] = frm[from_off + i]


def _blocks(total: int) -> int:
    return max(1, min((total + THREADS - 1) // THREADS, 1 << 20))


class StagedDirty(DirtyBuffers, NumbaCudaStaged):
    def launch(self) -> None:
        if self.npages:
            flags = self.dev["flags"]
            flags[:] = 0
            _dirty_flags[_blocks(self.npages * LANES), THREADS](self.dev["before"], self.dev["after"], self.words,
                                                                 self.npages, LANES, flags)


class StagedCopy(CopyBuffers, NumbaCudaStaged):
    def launch(self) -> None:
        if self.count:
            _copy_pages[_blocks(self.count * COPY_LANES), THREADS](self.dev["src"], self.dev["dst"], self.dev["pages"],
                                                                   self.words, COPY_LANES)


class StagedMemoryCopy(MoveBuffers, NumbaCudaStaged):
    def launch(self) -> None:
        if not self.n:
            return
        grid, mem = (_blocks(self.n), THREADS), self.dev["memory"]
        if self.overlap:
            _copy_bytes[grid](mem, self.src, self.dev["scratch"], 0, self.n)
            _copy_bytes[grid](self.dev["scratch"], 0, mem, self.dst, self.n)
        else:
            _copy_bytes[grid](mem, self.src, mem, self.dst, self.n)


def compile() -> None:
    a = np.zeros(2 * WORD, np.uint8)
    dirty_pages(a, a.copy(), WORD)
    copy_pages(a, a.copy(), np.array([0], np.int64), WORD)
    memory_copy(a, 0, 1, 2)
    memory_copy(a, 0, 8, 2)


dirty_pages, copy_pages, memory_copy = module_api(StagedDirty, StagedCopy, StagedMemoryCopy)


class StagedStreamCopy(StreamBuffers, NumbaCudaStaged):
    """A STREAM-like copy of a whole memory from device buffer to device buffer (the HBM copy bandwidth)."""

    def launch(self) -> None:
        self.dev["dst"].copy_to_device(self.dev["src"])
