"""SHA-256 in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/sha256.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..packing import Packed

SOURCE = str(Path(__file__).with_name("sha256.cu"))
THREADS = 256


def compile() -> None:
    devices.cupy_module(SOURCE).get_function("sha256_batch")


class Staged:
    """Host arrays, device arrays and the launch, so h2d, kernel and d2h can be timed apart."""

    def __init__(self, packed: Packed):
        import cupy

        self.cupy = cupy
        self.packed = packed
        self.n = packed.count
        self.d_data = cupy.empty(max(packed.data.size, 1), dtype=cupy.uint8)
        self.d_offsets = cupy.empty(packed.offsets.size, dtype=cupy.uint64)
        self.d_out = cupy.empty((self.n, 32), dtype=cupy.uint8)
        self.fn = devices.cupy_module(SOURCE).get_function("sha256_batch")

    def h2d(self) -> None:
        if self.packed.data.size:
            self.d_data[: self.packed.data.size].set(self.packed.data)
        self.d_offsets.set(self.packed.offsets.view(np.uint64))

    def kernel(self) -> None:
        if self.n:
            blocks = (self.n + THREADS - 1) // THREADS
            self.fn((blocks,), (THREADS,), (self.d_data, self.d_offsets, np.uint64(self.n), self.d_out))

    def d2h(self) -> np.ndarray:
        return self.d_out.get()

    def sync(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()


def sha256_packed(packed: Packed) -> np.ndarray:
    return devices.run_staged(Staged(packed))
