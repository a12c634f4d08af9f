"""Page kernels as numba.cuda kernels, the same algorithm as kernels/common/pages.h: a warp of `LANES`
threads per page, each OR-ing `CHUNK` words between early-exit checks. Runs on a GPU, or on the CUDA
simulator (NUMBA_ENABLE_CUDASIM=1) for correctness on machines without one.

`pinned=True` stages through page-locked host buffers (the data is copied into them before timing), so h2d
and d2h can be compared between pageable and pinned memory."""
from __future__ import annotations

import numpy as np
from numba import cuda, uint64

from .. import devices
from .checks import WORD

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


def _host(array: np.ndarray, pinned: bool) -> np.ndarray:
    """The host buffer transfers use: `array` itself, or a page-locked copy of it."""
    if not pinned:
        return array
    buf = cuda.pinned_array(array.shape, array.dtype)
    buf[...] = array
    return buf


class StagedDirty:
    def __init__(self, before: np.ndarray, after: np.ndarray, page_size: int, pinned: bool = False):
        self.before, self.after = _host(before, pinned), _host(after, pinned)
        self.words = page_size // WORD
        self.npages = before.size // page_size
        self.flags = _host(np.zeros(self.npages, np.uint8), pinned)
        self.d_flags = cuda.device_array(max(self.npages, 1), np.uint8)
        # device buffers allocated once, so h2d times the copy alone (as the CuPy and OpenCL backends do)
        self.d_before = cuda.device_array(self.before.size // WORD, np.uint64)
        self.d_after = cuda.device_array(self.after.size // WORD, np.uint64)

    def h2d(self) -> None:
        if self.npages:
            self.d_before.copy_to_device(self.before.view(np.uint64))
            self.d_after.copy_to_device(self.after.view(np.uint64))

    def kernel(self) -> None:
        if self.npages:
            self.d_flags[:] = 0
            _dirty_flags[_blocks(self.npages * LANES), THREADS](self.d_before, self.d_after, self.words, self.npages,
                                                                 LANES, self.d_flags)

    def d2h(self) -> np.ndarray:
        if self.npages:
            self.d_flags[: self.npages].copy_to_host(self.flags)
        return np.flatnonzero(self.flags).astype(np.int64)

    def sync(self) -> None:
        cuda.synchronize()


class StagedCopy:
    def __init__(self, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int, pinned: bool = False):
        self.src, self.host_dst = _host(src, pinned), _host(dst, pinned)
        self.dst, self.pinned = dst, pinned
        self.pages = pages if pages.size else np.zeros(1, np.int64)
        self.count = pages.size
        self.words = page_size // WORD
        self.d_src = cuda.device_array(max(src.size // WORD, 1), np.uint64)
        self.d_dst = cuda.device_array(max(dst.size // WORD, 1), np.uint64)
        self.d_pages = cuda.device_array(self.pages.size, np.int64)

    def h2d(self) -> None:
        if self.src.size:
            self.d_src.copy_to_device(self.src.view(np.uint64))
            self.d_dst.copy_to_device(self.host_dst.view(np.uint64))
        self.d_pages.copy_to_device(self.pages)

    def kernel(self) -> None:
        if self.count:
            _copy_pages[_blocks(self.count * COPY_LANES), THREADS](self.d_src, self.d_dst, self.d_pages,
                                                                   self.words, COPY_LANES)

    def d2h(self) -> None:
        if self.host_dst.size:
            self.d_dst.copy_to_host(self.host_dst.view(np.uint64))
        if self.pinned:
            self.dst[...] = self.host_dst  # the caller's array; not part of a timed d2h when pinned is measured

    def sync(self) -> None:
        cuda.synchronize()


class StagedMemoryCopy:
    def __init__(self, memory: np.ndarray, dst: int, src: int, n: int):
        self.memory, self.dst, self.src, self.n = memory, dst, src, n
        self.overlap = abs(dst - src) < n
        self.d_scratch = cuda.device_array(max(n, 1), np.uint8) if self.overlap else None
        self.d_mem = cuda.device_array(memory.size, np.uint8)

    def h2d(self) -> None:
        self.d_mem.copy_to_device(self.memory)

    def kernel(self) -> None:
        if not self.n:
            return
        grid = (_blocks(self.n), THREADS)
        if self.overlap:
            _copy_bytes[grid](self.d_mem, self.src, self.d_scratch, 0, self.n)
            _copy_bytes[grid](self.d_scratch, 0, self.d_mem, self.dst, self.n)
        else:
            _copy_bytes[grid](self.d_mem, self.src, self.d_mem, self.dst, self.n)

    def d2h(self) -> None:
        self.d_mem.copy_to_host(self.memory)

    def sync(self) -> None:
        cuda.synchronize()



def compile() -> None:
    a = np.zeros(2 * WORD, np.uint8)
    dirty_pages(a, a.copy(), WORD)
    copy_pages(a, a.copy(), np.array([0], np.int64), WORD)
    memory_copy(a, 0, 1, 2)
    memory_copy(a, 0, 8, 2)


def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    return devices.run_staged(StagedDirty(before, after, page_size))


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    devices.run_staged(StagedCopy(src, dst, pages, page_size))


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    devices.run_staged(StagedMemoryCopy(memory, dst, src, n))
