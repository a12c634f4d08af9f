"""Page kernels in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/pages.h).

A warp per page when comparing, 128 threads per page when copying. `pinned=True` stages through
page-locked host buffers (filled before timing) so pageable and pinned transfers can be compared."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from .checks import WORD

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


def _host(array: np.ndarray, pinned: bool) -> np.ndarray:
    """The host buffer transfers use: `array` itself, or a page-locked copy of it."""
    if not pinned:
        return array
    import cupyx

    buf = cupyx.empty_pinned(array.shape, array.dtype)
    buf[...] = array
    return buf


def _sync() -> None:
    import cupy

    cupy.cuda.get_current_stream().synchronize()


class StagedDirty:
    def __init__(self, before: np.ndarray, after: np.ndarray, page_size: int, pinned: bool = False):
        import cupy

        self.before, self.after = _host(before, pinned), _host(after, pinned)
        self.words = page_size // WORD
        self.npages = before.size // page_size
        self.d_before = cupy.empty(max(before.size // WORD, 1), cupy.uint64)
        self.d_after = cupy.empty(max(after.size // WORD, 1), cupy.uint64)
        self.d_flags = cupy.zeros(max(self.npages, 1), cupy.uint8)
        self.flags = _host(np.zeros(self.npages, np.uint8), pinned)
        self.fn = _fn("dirty_flags")

    def h2d(self) -> None:
        if self.npages:
            self.d_before.set(self.before.view(np.uint64))
            self.d_after.set(self.after.view(np.uint64))

    def kernel(self) -> None:
        if self.npages:
            self.d_flags.fill(0)
            self.fn((_blocks(self.npages * LANES),), (THREADS,),
                    (self.d_before, self.d_after, np.uint64(self.words), np.uint64(self.npages), np.uint64(LANES),
                     self.d_flags))

    def d2h(self) -> np.ndarray:
        if self.npages:
            self.d_flags[: self.npages].get(out=self.flags)
        return np.flatnonzero(self.flags).astype(np.int64)

    def sync(self) -> None:
        _sync()


class StagedCopy:
    def __init__(self, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int, pinned: bool = False):
        import cupy

        self.src, self.host_dst = _host(src, pinned), _host(dst, pinned)
        self.dst, self.pinned, self.pages = dst, pinned, pages
        self.words = page_size // WORD
        self.d_src = cupy.empty(max(src.size // WORD, 1), cupy.uint64)
        self.d_dst = cupy.empty(max(dst.size // WORD, 1), cupy.uint64)
        self.d_pages = cupy.empty(max(pages.size, 1), cupy.uint64)
        self.fn = _fn("copy_pages")

    def h2d(self) -> None:
        if self.src.size:
            self.d_src.set(self.src.view(np.uint64))
            self.d_dst.set(self.host_dst.view(np.uint64))
        if self.pages.size:
            self.d_pages[: self.pages.size].set(self.pages.view(np.uint64))

    def kernel(self) -> None:
        if self.pages.size:
            self.fn((_blocks(self.pages.size * COPY_LANES),), (THREADS,),
                    (self.d_src, self.d_dst, self.d_pages, np.uint64(self.pages.size), np.uint64(self.words),
                     np.uint64(COPY_LANES)))

    def d2h(self) -> None:
        if self.host_dst.size:
            self.d_dst.get(out=self.host_dst.view(np.uint64))
        if self.pinned:
            _sync()
            self.dst[...] = self.host_dst

    def sync(self) -> None:
        _sync()


class StagedMemoryCopy:
    def __init__(self, memory: np.ndarray, dst: int, src: int, n: int):
        import cupy

        self.memory, self.dst, self.src, self.n = memory, dst, src, n
        self.overlap = abs(dst - src) < n
        self.d_mem = cupy.empty(max(memory.size, 1), cupy.uint8)
        self.d_scratch = cupy.empty(max(n, 1), cupy.uint8) if self.overlap else None
        self.fn = _fn("copy_bytes")

    def h2d(self) -> None:
        self.d_mem[: self.memory.size].set(self.memory)

    def kernel(self) -> None:
        if not self.n:
            return
        grid, n = (_blocks(self.n),), np.uint64(self.n)
        if self.overlap:
            self.fn(grid, (THREADS,), (self.d_mem, np.uint64(self.src), self.d_scratch, np.uint64(0), n))
            self.fn(grid, (THREADS,), (self.d_scratch, np.uint64(0), self.d_mem, np.uint64(self.dst), n))
        else:
            self.fn(grid, (THREADS,), (self.d_mem, np.uint64(self.src), self.d_mem, np.uint64(self.dst), n))

    def d2h(self) -> None:
        self.d_mem[: self.memory.size].get(out=self.memory)

    def sync(self) -> None:
        _sync()



def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    return devices.run_staged(StagedDirty(before, after, page_size))


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    devices.run_staged(StagedCopy(src, dst, pages, page_size))


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    devices.run_staged(StagedMemoryCopy(memory, dst, src, n))
