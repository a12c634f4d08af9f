"""Ed25519 verification in OpenCL (PyOpenCL): one work-item per signature, the C core shared with CUDA."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from .prepare import Prepared, PreparedStaged

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
    windows, early rejections) defeats; timed in alternation, groups of one were a few per cent faster than
    PoCL's own choice (a small, noisy difference). GPUs: the driver's choice."""
    import pyopencl as cl

    return (1,) if device.type & cl.device_type.CPU else None


KERNEL_NAMES = {"libsodium": "ed25519_verify", "zip215": "ed25519_verify_zip215"}  # one program, both rule sets


class Staged(PreparedStaged, OpenCLStaged):
    """The prepared batch's keys, signatures and challenges on the device; one verdict byte per signature."""

    def __init__(self, prepared: Prepared, rules: str = "libsodium"):
        super().__init__(prepared)
        self.kernel_fn = devices.opencl_kernel(source_for(self.queue.device), KERNEL_NAMES[rules])
        self.local_size = local_size(self.queue.device)

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.kernel_fn(self.queue, (n,), self.local_size, d["pk"], d["sig"], d["h"], np.uint64(n), d["out"])


def signatures_per_buffer(device) -> int:
    """Signatures whose largest buffer (64 bytes each) fits in the device's largest allocation."""
    return max(device.max_mem_alloc_size // 64, 1)


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    """Verdicts (n,) bool under `rules`; a batch larger than the device's largest buffer is verified in parts."""
    per_call = signatures_per_buffer(devices.opencl_queue().device)
    if prepared.count <= per_call:
        return Staged(prepared, rules).run()
    return np.concatenate([Staged(prepared.part(i, i + per_call), rules).run()
                           for i in range(0, prepared.count, per_call)])
