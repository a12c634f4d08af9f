"""Checksums in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/checksums.h),
one thread per piece, then one per buffer to combine the pieces."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..hashing.packing import Packed
from .pieces import device_arrays
from .tables import ALGORITHM_CODES, device_poly, device_tables

SOURCE = str(Path(__file__).with_name("checksums.cu"))
THREADS = 256


def compile() -> None:
    module = devices.cupy_module(SOURCE)
    module.get_function("checksum_pieces")
    module.get_function("checksum_combine")


class Staged:
    """Host arrays, device arrays and the launches, so h2d, kernel and d2h can be timed apart."""

    def __init__(self, algorithm: str, packed: Packed):
        import cupy

        self.cupy = cupy
        self.algorithm = np.uint32(ALGORITHM_CODES[algorithm])
        self.poly = device_poly(algorithm)
        self.n = packed.count
        self.host = device_arrays(packed)
        self.npieces = self.host["start"].size
        self.d = {name: cupy.empty(a.shape, dtype=a.dtype) for name, a in self.host.items()}
        self.d_tables = cupy.asarray(device_tables())
        self.d_partial = cupy.empty(max(self.npieces, 1), dtype=cupy.uint32)
        self.d_out = cupy.empty(self.n, dtype=cupy.uint32)
        module = devices.cupy_module(SOURCE)
        self.pieces_fn = module.get_function("checksum_pieces")
        self.combine_fn = module.get_function("checksum_combine")

    def h2d(self) -> None:
        for name, a in self.host.items():
            if a.size:
                self.d[name].set(a)

    def kernel(self) -> None:
        if not self.n:
            return
        d = self.d
        self.pieces_fn(((self.npieces + THREADS - 1) // THREADS,), (THREADS,),
                       (self.algorithm, self.poly, d["data"], d["offsets"], d["start"], d["end"], d["item"],
                        d["item_pieces"], np.uint64(self.npieces), self.d_tables, self.d_partial))
        self.combine_fn(((self.n + THREADS - 1) // THREADS,), (THREADS,),
                        (self.algorithm, d["start"], d["end"], d["item_pieces"], np.uint64(self.n), self.d_partial,
                         self.d_out))

    def d2h(self) -> np.ndarray:
        return self.d_out.get()

    def sync(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    staged = Staged(algorithm, packed)
    staged.h2d()
    staged.kernel()
    out = staged.d2h()
    staged.sync()
    return out
