"""SHA-256 in OpenCL (PyOpenCL): one work-item per message, the C core shared with CUDA."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..packing import Packed

SOURCE = str(Path(__file__).with_name("sha256.cl"))


def compile() -> None:
    devices.opencl_program(SOURCE)


class Staged:
    """The batch moved to the device once, so transfer and kernel can be timed apart."""

    def __init__(self, packed: Packed):
        import pyopencl as cl

        self.queue = devices.opencl_queue()
        self.packed = packed
        self.n = packed.count
        mf = cl.mem_flags
        ctx = self.queue.context
        # OpenCL forbids zero-size buffers: allocate at least one byte.
        self.d_data = cl.Buffer(ctx, mf.READ_ONLY, max(packed.data.nbytes, 1))
        self.d_offsets = cl.Buffer(ctx, mf.READ_ONLY, packed.offsets.nbytes)
        self.d_out = cl.Buffer(ctx, mf.WRITE_ONLY, max(32 * self.n, 1))
        self.out = np.empty((self.n, 32), dtype=np.uint8)
        self.kernel_fn = devices.opencl_kernel(SOURCE, "sha256_batch")

    def h2d(self) -> None:
        import pyopencl as cl

        if self.packed.data.nbytes:
            cl.enqueue_copy(self.queue, self.d_data, self.packed.data)
        cl.enqueue_copy(self.queue, self.d_offsets, self.packed.offsets)

    def kernel(self) -> None:
        if self.n:
            self.kernel_fn(self.queue, (self.n,), None, self.d_data, self.d_offsets, np.uint64(self.n), self.d_out)

    def d2h(self) -> np.ndarray:
        import pyopencl as cl

        if self.n:
            cl.enqueue_copy(self.queue, self.out, self.d_out)
        return self.out

    def sync(self) -> None:
        self.queue.finish()


def sha256_packed(packed: Packed) -> np.ndarray:
    return devices.run_staged(Staged(packed))
