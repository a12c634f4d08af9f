"""Checksums in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/checksums.h),
one thread per piece, then one per buffer to combine the pieces."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..packing import Packed
from .pieces import device_arrays, two_level
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
        self.ngroups = self.host["group_first"].size - 1
        self.two_level = two_level(self.host)
        self.d_partial = cupy.empty(max(self.npieces, 1), dtype=cupy.uint32)
        self.d_group = cupy.empty(max(self.ngroups, 1), dtype=cupy.uint32)
        self.d_group_len = cupy.empty(max(self.ngroups, 1), dtype=cupy.uint64)
        self.d_out = cupy.empty(self.n, dtype=cupy.uint32)
        self.d_out_len = cupy.empty(max(self.n, 1), dtype=cupy.uint64)
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
        if self.two_level:  # pieces -> groups of COMBINE_FAN_IN -> buffers
            self._combine(d["piece_len"], d["group_first"], self.ngroups, self.d_partial, self.d_group,
                          self.d_group_len, 0)
            self._combine(self.d_group_len, d["item_groups"], self.n, self.d_group, self.d_out, self.d_out_len, 1)
        else:
            self._combine(d["piece_len"], d["item_pieces"], self.n, self.d_partial, self.d_out, self.d_out_len, 1)

    def _combine(self, in_len, seg_first, nseg, inp, out, out_len, finalize) -> None:
        self.combine_fn(((nseg + THREADS - 1) // THREADS,), (THREADS,),
                        (self.algorithm, in_len, seg_first, np.uint64(nseg), inp, out, out_len, np.uint32(finalize)))

    def d2h(self) -> np.ndarray:
        return self.d_out.get()

    def sync(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    return devices.run_staged(Staged(algorithm, packed))
