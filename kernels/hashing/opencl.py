"""SHA-256 in OpenCL (PyOpenCL): one work-item per message, the C core shared with CUDA (kernels/common/sha256.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from ..packing import Packed

SOURCE = str(Path(__file__).with_name("sha256.cl"))


def compile() -> None:
    devices.opencl_program(SOURCE)


class Staged(OpenCLStaged):
    """The packed batch (data + offsets) in, one 32-byte digest per message out; buffers allocated once."""

    def __init__(self, packed: Packed):
        self.n = packed.count
        super().__init__(inputs={"data": packed.data, "offsets": packed.offsets.view(np.uint64)},
                         outputs={"out": np.empty((packed.count, 32), dtype=np.uint8)})
        self.kernel_fn = devices.opencl_kernel(SOURCE, "sha256_batch")

    def launch(self) -> None:
        if self.n:
            self.kernel_fn(self.queue, (self.n,), None, self.dev["data"], self.dev["offsets"], np.uint64(self.n),
                           self.dev["out"])


def sha256_packed(packed: Packed) -> np.ndarray:
    return Staged(packed).run()
