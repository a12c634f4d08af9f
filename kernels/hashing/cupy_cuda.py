"""SHA-256 in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/sha256.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from ..packing import Packed

SOURCE = str(Path(__file__).with_name("sha256.cu"))
THREADS = 256


def compile() -> None:
    devices.cupy_module(SOURCE).get_function("sha256_batch")


class Staged(CupyStaged):
    """The packed batch (data + offsets) in, one 32-byte digest per message out; buffers allocated once."""

    def __init__(self, packed: Packed):
        self.n = packed.count
        super().__init__(inputs={"data": packed.data, "offsets": packed.offsets.view(np.uint64)},
                         outputs={"out": np.empty((packed.count, 32), dtype=np.uint8)})
        self.fn = devices.cupy_module(SOURCE).get_function("sha256_batch")

    def launch(self) -> None:
        if self.n:
            blocks = (self.n + THREADS - 1) // THREADS
            self.fn((blocks,), (THREADS,), (self.dev["data"], self.dev["offsets"], np.uint64(self.n), self.dev["out"]))


def sha256_packed(packed: Packed) -> np.ndarray:
    return Staged(packed).run()
