"""Hash-to-curve for BLS12-381 G1 as a numba.cuda kernel: hash_numba_core.py compiled as device functions over
the field core of msm_numba_cuda.py (RFC 9380's BLS12381G1_XMD:SHA-256_SSWU_RO_), one thread per message.

    map_to_g1(u) -> (n, 13) uint64 rows   # msm.hash_to_g1(messages, dst, backend="numba_cuda")

The field hash (SHA-256, expand_message_xmd) runs on the host (hash_numba_core.hash_to_field); the map, the
cofactor clearing and the inversion on the device. Runs on a GPU, or on the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) for correctness only (seconds per message there).
"""
from __future__ import annotations

import numpy as np
from numba import cuda

from ..measure.staged import NumbaCudaStaged
from .hash_numba_core import build_hash
from .msm_numba_cuda import CORE, THREADS, _blocks, _check

HASH = build_hash(cuda.jit(device=True), CORE)
_ROW = HASH.hash_row  # a module global: Numba resolves functions, not namespaces


@cuda.jit
def hash_kernel(u, out):
    """Thread i: out[i] = the point of u[i] (two raw field elements)."""
    i = cuda.grid(1)
    if i < u.shape[0]:
        _ROW(u[i], out[i])


class HashStaged(NumbaCudaStaged):
    def __init__(self, u: np.ndarray):
        super().__init__(inputs={"u": u}, outputs={"out": np.zeros((u.shape[0], HASH.width), np.uint64)})
        self.n = u.shape[0]

    def launch(self) -> None:
        if self.n:
            hash_kernel[_blocks(self.n), THREADS](self.dev["u"], self.dev["out"])

    def result(self):
        return self.outputs["out"]


def map_to_g1(u: np.ndarray) -> np.ndarray:
    """msm.hash_to_g1 on this backend: the field elements u (n, 2, 6) to decoded G1 rows on the device."""
    _check()
    return HashStaged(u).run()
