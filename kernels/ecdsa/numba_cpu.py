"""ECDSA verification in Numba on all CPU cores: one signature per loop iteration, ``prange`` across them.

The per-signature code is numba_core.py compiled with ``njit`` once per curve (the same source numba_cuda.py
compiles for the GPU), with 64 x 64 -> 128-bit products through an LLVM i128 intrinsic: the limbs of
Montgomery products stay in registers as tuples.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .curves import CURVES
from .numba_core import build, madd_i128
from .prepare import Prepared
from .tables import g_table

SERIAL_BELOW = 4  # smaller batches run on the calling thread: waking the pool costs more than it saves


CORES = {curve: build(njit, curve, madd_i128) for curve in CURVES}  # the per-curve code, compiled on first call


def _kernels(curve: str):
    verify_one = CORES[curve].verify_one

    def verify_range(words, gtable, out):
        for i in prange(out.size):
            qtable = np.empty((16, 3, 4), np.uint64)
            out[i] = verify_one(words[i], gtable, qtable)

    return njit(parallel=True)(verify_range), njit(verify_range)  # prange is a plain range without parallel


KERNELS = {curve: _kernels(curve) for curve in CURVES}  # {curve: (all cores, calling thread)}; compiled lazily


def compile() -> None:
    """JIT-compile both curves' kernels, serial and threaded (timed once by the harness as `compile`)."""
    from .prepare import prepare

    for curve in CURVES:
        for n in (1, SERIAL_BELOW):
            assert not verify_prepared(prepare(curve, [bytes(65)] * n, [b""] * n, [bytes(64)] * n)).any()


def verify_prepared(prepared: Prepared) -> np.ndarray:
    """Verdicts (n,) bool, one signature per prange iteration."""
    out = np.zeros(prepared.count, dtype=np.uint8)
    if prepared.count:
        threaded, serial = KERNELS[prepared.curve]
        kernel = serial if prepared.count < SERIAL_BELOW else threaded
        kernel(np.ascontiguousarray(prepared.words), g_table(prepared.curve), out)
    return prepared.verdicts(out)
