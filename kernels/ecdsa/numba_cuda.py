"""ECDSA verification as a numba.cuda kernel: one thread per signature, the code of numba_core.py compiled as
device functions per curve, with 64 x 64 -> 128-bit products from four 32-bit ones (no i128 on the GPU
target). Runs on a GPU, or on the CUDA simulator (NUMBA_ENABLE_CUDASIM=1) for correctness on machines without
one (seconds per signature there)."""
from __future__ import annotations

import numpy as np
from numba import cuda, int32, uint64

from ..measure.staged import NumbaCudaStaged
from .curves import CURVES
from .numba_core import NAF_SHAPE, QTABLE_SHAPE, build, kernel_g_table, madd_split
from .prepare import Prepared, PreparedStaged

THREADS = 64


def _kernel(curve: str):
    verify_one = build(cuda.jit(device=True), curve, cuda.jit(device=True)(madd_split)).verify_one

    @cuda.jit
    def verify(words, gtable, out):
        i = cuda.grid(1)
        if i >= out.shape[0]:
            return
        qtable = cuda.local.array(QTABLE_SHAPE, uint64)
        naf = cuda.local.array(NAF_SHAPE, int32)
        out[i] = 1 if verify_one(words[i], gtable, qtable, naf) else 0

    return verify


KERNELS = {curve: _kernel(curve) for curve in CURVES}


class Staged(PreparedStaged, NumbaCudaStaged):
    """The prepared batch on the device (buffers allocated once), G's table copied once."""

    def __init__(self, prepared: Prepared):
        super().__init__(prepared, constants={"gtable": kernel_g_table(prepared.curve)})
        self.kernel_fn = KERNELS[prepared.curve]

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.kernel_fn[(n + THREADS - 1) // THREADS, THREADS](d["words"], d["gtable"], d["out"])


def compile() -> None:
    from .prepare import prepare

    for curve in CURVES:
        verify_prepared(prepare(curve, [bytes(65)], [b""], [bytes(64)]))


def verify_prepared(prepared: Prepared) -> np.ndarray:
    return Staged(prepared).run()
