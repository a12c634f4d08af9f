"""Page kernels in OpenCL (PyOpenCL): the C core shared with CUDA (kernels/common/pages.h).

On this machine the device is PoCL's CPU device, so "device memory" is host memory and h2d/d2h are memcpys;
one work-item scans or copies a whole page (lanes = 1). On a GPU the same source runs a warp per page.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from .checks import WORD

SOURCE = str(Path(__file__).with_name("memory.cl"))


def _lanes() -> int:
    """Work-items per page: 1 on a CPU device (sequential scan, early exit), 32 on a GPU (coalesced)."""
    import pyopencl as cl

    return 32 if devices.opencl_queue().device.type & cl.device_type.GPU else 1


def compile() -> None:
    for name in ("dirty_flags", "copy_pages", "copy_bytes"):
        devices.opencl_kernel(SOURCE, name)


def _buffer(ctx, nbytes: int):
    import pyopencl as cl

    return cl.Buffer(ctx, cl.mem_flags.READ_WRITE, max(nbytes, 1))  # OpenCL forbids zero-size buffers


class StagedDirty:
    """before/after moved to the device once, so transfers and the kernel can be timed apart."""

    def __init__(self, before: np.ndarray, after: np.ndarray, page_size: int):
        self.queue = devices.opencl_queue()
        self.before, self.after = before, after
        self.words = page_size // WORD
        self.npages = before.size // page_size
        self.lanes = _lanes()
        ctx = self.queue.context
        self.d_before, self.d_after = _buffer(ctx, before.nbytes), _buffer(ctx, after.nbytes)
        self.d_flags = _buffer(ctx, self.npages)
        self.flags = np.zeros(self.npages, np.uint8)
        self.fn = devices.opencl_kernel(SOURCE, "dirty_flags")

    def h2d(self) -> None:
        import pyopencl as cl

        if self.npages:
            cl.enqueue_copy(self.queue, self.d_before, self.before)
            cl.enqueue_copy(self.queue, self.d_after, self.after)

    def kernel(self) -> None:
        import pyopencl as cl

        if self.npages:
            cl.enqueue_fill_buffer(self.queue, self.d_flags, np.uint8(0), 0, self.npages)
            self.fn(self.queue, (self.npages * self.lanes,), None, self.d_before, self.d_after, np.uint64(self.words),
                    np.uint64(self.npages), np.uint64(self.lanes), self.d_flags)

    def d2h(self) -> np.ndarray:
        import pyopencl as cl

        if self.npages:
            cl.enqueue_copy(self.queue, self.flags, self.d_flags)
        self.queue.finish()
        return np.flatnonzero(self.flags).astype(np.int64)

    def sync(self) -> None:
        self.queue.finish()


class StagedCopy:
    """src, dst and the page list on the device: h2d both memories, copy the pages there, d2h dst."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int):
        self.queue = devices.opencl_queue()
        self.src, self.dst, self.pages = src, dst, pages
        self.words = page_size // WORD
        self.lanes = _lanes()
        ctx = self.queue.context
        self.d_src, self.d_dst = _buffer(ctx, src.nbytes), _buffer(ctx, dst.nbytes)
        self.d_pages = _buffer(ctx, pages.nbytes)
        self.fn = devices.opencl_kernel(SOURCE, "copy_pages")

    def h2d(self) -> None:
        import pyopencl as cl

        if self.pages.size:
            cl.enqueue_copy(self.queue, self.d_src, self.src)
            cl.enqueue_copy(self.queue, self.d_dst, self.dst)
            cl.enqueue_copy(self.queue, self.d_pages, self.pages)

    def kernel(self) -> None:
        if self.pages.size:
            self.fn(self.queue, (self.pages.size * self.lanes,), None, self.d_src, self.d_dst, self.d_pages,
                    np.uint64(self.pages.size), np.uint64(self.words), np.uint64(self.lanes))

    def d2h(self) -> None:
        import pyopencl as cl

        if self.pages.size:
            cl.enqueue_copy(self.queue, self.dst, self.d_dst)
        self.queue.finish()

    def sync(self) -> None:
        self.queue.finish()


class StagedMemoryCopy:
    """A linear memory on the device and one memory.copy in it; overlapping ranges go through a scratch buffer."""

    def __init__(self, memory: np.ndarray, dst: int, src: int, n: int):
        self.queue = devices.opencl_queue()
        self.memory, self.dst, self.src, self.n = memory, dst, src, n
        ctx = self.queue.context
        self.d_mem = _buffer(ctx, memory.nbytes)
        self.overlap = abs(dst - src) < n
        self.d_scratch = _buffer(ctx, n) if self.overlap else None
        self.fn = devices.opencl_kernel(SOURCE, "copy_bytes")

    def h2d(self) -> None:
        import pyopencl as cl

        cl.enqueue_copy(self.queue, self.d_mem, self.memory)

    def kernel(self) -> None:
        if not self.n:
            return
        size, n = (self.n,), np.uint64(self.n)
        if self.overlap:
            self.fn(self.queue, size, None, self.d_mem, np.uint64(self.src), self.d_scratch, np.uint64(0), n)
            self.fn(self.queue, size, None, self.d_scratch, np.uint64(0), self.d_mem, np.uint64(self.dst), n)
        else:
            self.fn(self.queue, size, None, self.d_mem, np.uint64(self.src), self.d_mem, np.uint64(self.dst), n)

    def d2h(self) -> None:
        import pyopencl as cl

        cl.enqueue_copy(self.queue, self.memory, self.d_mem)
        self.queue.finish()

    def sync(self) -> None:
        self.queue.finish()



def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    return devices.run_staged(StagedDirty(before, after, page_size))


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    devices.run_staged(StagedCopy(src, dst, pages, page_size))


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    devices.run_staged(StagedMemoryCopy(memory, dst, src, n))
