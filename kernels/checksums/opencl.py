"""Checksums in OpenCL (PyOpenCL): one work-item per piece, then one per buffer to combine the pieces;
the C core (kernels/common/checksums.h) is shared with CUDA."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..packing import Packed
from .pieces import device_arrays, two_level
from .tables import ALGORITHM_CODES, device_poly, device_tables

SOURCE = str(Path(__file__).with_name("checksums.cl"))


def compile() -> None:
    devices.opencl_program(SOURCE)


class Staged:
    """The batch moved to the device once, so transfer and kernel can be timed apart."""

    def __init__(self, algorithm: str, packed: Packed):
        import pyopencl as cl

        self.queue = devices.opencl_queue()
        self.algorithm = np.uint32(ALGORITHM_CODES[algorithm])
        self.poly = device_poly(algorithm)
        self.n = packed.count
        self.host = device_arrays(packed)
        self.npieces = self.host["start"].size
        mf = cl.mem_flags
        ctx = self.queue.context
        self.d = {name: cl.Buffer(ctx, mf.READ_ONLY, max(a.nbytes, 1)) for name, a in self.host.items()}
        self.d_tables = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=device_tables())
        self.ngroups = self.host["group_first"].size - 1
        self.two_level = two_level(self.host)
        self.d_partial = cl.Buffer(ctx, mf.READ_WRITE, max(4 * self.npieces, 4))
        self.d_group = cl.Buffer(ctx, mf.READ_WRITE, max(4 * self.ngroups, 4))
        self.d_group_len = cl.Buffer(ctx, mf.READ_WRITE, max(8 * self.ngroups, 8))
        self.d_out = cl.Buffer(ctx, mf.READ_WRITE, max(4 * self.n, 4))
        self.d_out_len = cl.Buffer(ctx, mf.READ_WRITE, max(8 * self.n, 8))
        self.out = np.empty(self.n, dtype=np.uint32)
        self.pieces_fn = devices.opencl_kernel(SOURCE, "checksum_pieces")
        self.combine_fn = devices.opencl_kernel(SOURCE, "checksum_combine")

    def h2d(self) -> None:
        import pyopencl as cl

        for name, a in self.host.items():
            if a.nbytes:
                cl.enqueue_copy(self.queue, self.d[name], a)

    def kernel(self) -> None:
        if not self.n:
            return
        d = self.d
        self.pieces_fn(self.queue, (self.npieces,), None, self.algorithm, self.poly, d["data"], d["offsets"],
                       d["start"], d["end"], d["item"], d["item_pieces"], np.uint64(self.npieces), self.d_tables,
                       self.d_partial)
        if self.two_level:  # pieces -> groups of COMBINE_FAN_IN -> buffers
            self.combine_fn(self.queue, (self.ngroups,), None, self.algorithm, d["piece_len"], d["group_first"],
                            np.uint64(self.ngroups), self.d_partial, self.d_group, self.d_group_len, np.uint32(0))
            self.combine_fn(self.queue, (self.n,), None, self.algorithm, self.d_group_len, d["item_groups"],
                            np.uint64(self.n), self.d_group, self.d_out, self.d_out_len, np.uint32(1))
        else:
            self.combine_fn(self.queue, (self.n,), None, self.algorithm, d["piece_len"], d["item_pieces"],
                            np.uint64(self.n), self.d_partial, self.d_out, self.d_out_len, np.uint32(1))

    def d2h(self) -> np.ndarray:
        import pyopencl as cl

        if self.n:
            cl.enqueue_copy(self.queue, self.out, self.d_out)
        return self.out

    def sync(self) -> None:
        self.queue.finish()


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    return devices.run_staged(Staged(algorithm, packed))
