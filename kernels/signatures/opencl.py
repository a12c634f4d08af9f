"""Ed25519 verification in OpenCL (PyOpenCL): one work-item per signature, the C core shared with CUDA."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from .prepare import Prepared

SOURCE = str(Path(__file__).with_name("ed25519.cl"))  # radix 2^25.5, 32-bit limbs: GPUs
SOURCE_FE51 = str(Path(__file__).with_name("ed25519_fe51.cl"))  # radix 2^51, 128-bit products: CPU devices


def source_for(device) -> str:
    """The same C core, built with the field layout that suits the device: a 64 x 64 -> 128-bit multiply is
    one instruction on a CPU (mul_hi), while GPUs multiply 32-bit words natively."""
    import pyopencl as cl

    return SOURCE_FE51 if device.type & cl.device_type.CPU else SOURCE


def compile() -> None:
    devices.opencl_program(source_for(devices.opencl_queue().device))


def local_size(device) -> tuple[int] | None:
    """(1,) on CPU devices: PoCL vectorises work-groups across work-items, which this branchy kernel (sliding
    windows, early rejections) defeats; timed in alternation here, groups of one were 4-10 % faster than
    PoCL's own choice (a small, noisy difference on a shared machine). GPUs: the driver's choice."""
    import pyopencl as cl

    return (1,) if device.type & cl.device_type.CPU else None


class Staged:
    """The prepared batch moved to the device once, so transfer and kernel can be timed apart."""

    def __init__(self, prepared: Prepared):
        import pyopencl as cl

        self.queue = devices.opencl_queue()
        self.prepared = prepared
        self.n = prepared.count
        mf, ctx = cl.mem_flags, self.queue.context
        size = max(self.n, 1)  # OpenCL forbids zero-size buffers
        self.d_pk = cl.Buffer(ctx, mf.READ_ONLY, 32 * size)
        self.d_sig = cl.Buffer(ctx, mf.READ_ONLY, 64 * size)
        self.d_h = cl.Buffer(ctx, mf.READ_ONLY, 32 * size)
        self.d_out = cl.Buffer(ctx, mf.WRITE_ONLY, size)
        self.out = np.zeros(size, dtype=np.uint8)
        self.kernel_fn = devices.opencl_kernel(source_for(self.queue.device), "ed25519_verify")
        self.local_size = local_size(self.queue.device)

    def h2d(self) -> None:
        import pyopencl as cl

        if self.n:
            cl.enqueue_copy(self.queue, self.d_pk, np.ascontiguousarray(self.prepared.public_keys))
            cl.enqueue_copy(self.queue, self.d_sig, np.ascontiguousarray(self.prepared.signatures))
            cl.enqueue_copy(self.queue, self.d_h, np.ascontiguousarray(self.prepared.challenges))

    def kernel(self) -> None:
        if self.n:
            self.kernel_fn(self.queue, (self.n,), self.local_size, self.d_pk, self.d_sig, self.d_h, np.uint64(self.n), self.d_out)

    def d2h(self) -> np.ndarray:
        import pyopencl as cl

        if self.n:
            cl.enqueue_copy(self.queue, self.out, self.d_out)
        return self.out

    def sync(self) -> None:
        self.queue.finish()


def verify_prepared(prepared: Prepared) -> np.ndarray:
    return prepared.verdicts(devices.run_staged(Staged(prepared)))
