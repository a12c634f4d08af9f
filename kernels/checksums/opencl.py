"""Checksums in OpenCL (PyOpenCL): one work-item per piece, then one per buffer to combine the pieces;
the C core (kernels/common/checksums.h) is shared with CUDA."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from ..packing import Packed
from .pieces import PiecesStaged, combine_passes

SOURCE = str(Path(__file__).with_name("checksums.cl"))


def compile() -> None:
    devices.opencl_program(SOURCE)


class Staged(PiecesStaged, OpenCLStaged):
    """The batch and its pieces on the device (buffers allocated once); `launch` runs the two passes."""

    def __init__(self, algorithm: str, packed: Packed):
        super().__init__(algorithm, packed)
        self.pieces_fn = devices.opencl_kernel(SOURCE, "checksum_pieces")
        self.combine_fn = devices.opencl_kernel(SOURCE, "checksum_combine")

    def launch(self) -> None:
        if not self.n:
            return
        d, npieces = self.dev, self.sizes["pieces"]
        self.pieces_fn(self.queue, (npieces,), None, self.algorithm, self.poly, d["data"], d["offsets"],
                       d["start"], d["end"], d["item"], d["item_pieces"], np.uint64(npieces), d["tables"],
                       d["partial"])
        for in_len, first, nseg, inp, out, out_len, finalize in combine_passes(self.sizes, self.n):
            self._combine(d[in_len], d[first], nseg, d[inp], d[out], d[out_len], finalize)

    def _combine(self, in_len, seg_first, nseg, inp, out, out_len, finalize) -> None:
        self.combine_fn(self.queue, (nseg,), None, self.algorithm, in_len, seg_first, np.uint64(nseg), inp, out,
                        out_len, np.uint32(finalize))


def checksum_packed(algorithm: str, packed: Packed) -> np.ndarray:
    return Staged(algorithm, packed).run()
