"""Page kernels in OpenCL (PyOpenCL): the C core shared with CUDA (kernels/common/pages.h).

On a CPU device (PoCL) "device memory" is host memory and h2d/d2h are memcpys; one work-item scans or copies a
whole page (lanes = 1). On a GPU the same source runs a warp per page. A buffer larger than the device's
largest allocation raises BackendUnavailable with the reason (measure.staged.OpenCLStaged).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from .staged import CopyBuffers, DirtyBuffers, MoveBuffers, module_api

SOURCE = str(Path(__file__).with_name("memory.cl"))


def _lanes() -> int:
    """Work-items per page: 1 on a CPU device (sequential scan, early exit), 32 on a GPU (coalesced)."""
    return 32 if devices.opencl_device_kind() == "GPU" else 1


def _kernel(name: str):
    return devices.opencl_kernel(SOURCE, name)


def compile() -> None:
    for name in ("dirty_flags", "copy_pages", "copy_bytes"):
        _kernel(name)


class StagedDirty(DirtyBuffers, OpenCLStaged):
    def launch(self) -> None:
        import pyopencl as cl

        if self.npages:
            lanes = _lanes()
            cl.enqueue_fill_buffer(self.queue, self.dev["flags"], np.uint8(0), 0, self.npages)
            _kernel("dirty_flags")(self.queue, (self.npages * lanes,), None, self.dev["before"], self.dev["after"],
                                   np.uint64(self.words), np.uint64(self.npages), np.uint64(lanes), self.dev["flags"])


class StagedCopy(CopyBuffers, OpenCLStaged):
    def launch(self) -> None:
        if self.count:
            lanes = _lanes()
            _kernel("copy_pages")(self.queue, (self.count * lanes,), None, self.dev["src"], self.dev["dst"],
                                  self.dev["pages"], np.uint64(self.count), np.uint64(self.words), np.uint64(lanes))


class StagedMemoryCopy(MoveBuffers, OpenCLStaged):
    def launch(self) -> None:
        if not self.n:
            return
        fn, size, n, mem = _kernel("copy_bytes"), (self.n,), np.uint64(self.n), self.dev["memory"]
        if self.overlap:
            scratch = self.dev["scratch"]
            fn(self.queue, size, None, mem, np.uint64(self.src), scratch, np.uint64(0), n)
            fn(self.queue, size, None, scratch, np.uint64(0), mem, np.uint64(self.dst), n)
        else:
            fn(self.queue, size, None, mem, np.uint64(self.src), mem, np.uint64(self.dst), n)


dirty_pages, copy_pages, memory_copy = module_api(StagedDirty, StagedCopy, StagedMemoryCopy)
