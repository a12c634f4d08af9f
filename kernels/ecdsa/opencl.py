"""ECDSA verification in OpenCL (PyOpenCL): one work-item per signature, the C core shared with CUDA
(kernels/common/ecdsa.h). The curve's constants and the fixed-base table of G are copied to the device once
per batch object, outside the timed phases."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from .prepare import Prepared, PreparedStaged
from .tables import consts, g_table

SOURCE = str(Path(__file__).with_name("ecdsa.cl"))
KERNEL = "ecdsa_verify"
BYTES_PER_SIGNATURE = 160  # the largest buffer: five 256-bit numbers per signature


def compile() -> None:
    devices.opencl_program(SOURCE)


def local_size(device) -> tuple[int] | None:
    """(1,) on CPU devices (PoCL would vectorise work-groups across work-items, which this branchy kernel
    defeats, as for Ed25519); the driver's choice on GPUs."""
    import pyopencl as cl

    return (1,) if device.type & cl.device_type.CPU else None


class Staged(PreparedStaged, OpenCLStaged):
    """The prepared batch's limbs on the device; one verdict byte per signature."""

    def __init__(self, prepared: Prepared):
        super().__init__(prepared, constants={"consts": consts(prepared.curve), "gtable": g_table(prepared.curve)})
        self.kernel_fn = devices.opencl_kernel(SOURCE, KERNEL)
        self.local_size = local_size(self.queue.device)

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.kernel_fn(self.queue, (n,), self.local_size, d["words"], d["consts"], d["gtable"], np.uint64(n),
                           d["out"])


def verify_prepared(prepared: Prepared) -> np.ndarray:
    """Verdicts (n,) bool; a batch larger than the device's largest buffer is verified in parts."""
    per_call = max(devices.opencl_queue().device.max_mem_alloc_size // BYTES_PER_SIGNATURE, 1)
    if prepared.count <= per_call:
        return Staged(prepared).run()
    return np.concatenate([Staged(prepared.part(i, i + per_call)).run() for i in range(0, prepared.count, per_call)])
