"""ECDSA verification in Numba on all CPU cores: runs of CHUNK signatures, ``prange`` across the runs, each run
sharing one inversion mod n (numba_core.verify_run, Montgomery's trick).

The per-signature code is numba_core.py compiled with ``njit`` once per curve (the same source numba_cuda.py
compiles for the GPU), with 64 x 64 -> 128-bit products through an LLVM i128 intrinsic: the limbs stay in
registers as tuples.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from .curves import CURVES
from .numba_core import NAF_SHAPE, QTABLE_SHAPE, RUN_SCRATCH, build, kernel_g_table, madd_i128
from .prepare import Prepared

SERIAL_BELOW = 4  # smaller batches run on the calling thread: waking the pool costs more than it saves
CHUNK = 16  # signatures per prange iteration: one scratch allocation and one inversion mod n (verify_run)


CORES = {curve: build(njit, curve, madd_i128) for curve in CURVES}  # the per-curve code, compiled on first call


def _kernels(curve: str):
    verify_run = CORES[curve].verify_run

    def verify_range(words, gtable, out):
        chunks = (out.size + CHUNK - 1) // CHUNK
        for c in prange(chunks):
            qtable = np.empty(QTABLE_SHAPE, np.uint64)  # scratch, once per chunk of signatures
            naf = np.empty(NAF_SHAPE, np.int32)
            scratch = np.empty((CHUNK,) + RUN_SCRATCH, np.uint64)
            verify_run(words, c * CHUNK, min(out.size, (c + 1) * CHUNK), gtable, qtable, naf, scratch, out)

    return njit(parallel=True)(verify_range), njit(verify_range)  # prange is a plain range without parallel


KERNELS = {curve: _kernels(curve) for curve in CURVES}  # {curve: (all cores, calling thread)}; compiled lazily


def compile() -> None:
    """JIT-compile both curves' kernels, serial and threaded (timed once by the harness as `compile`)."""
    from .prepare import prepare

    for curve in CURVES:
        for n in (1, SERIAL_BELOW):
            assert not verify_prepared(prepare(curve, [bytes(65)] * n, [b""] * n, [bytes(64)] * n)).any()


def verify_prepared(prepared: Prepared) -> np.ndarray:
    """Verdicts (n,) bool, one run of CHUNK signatures per prange iteration."""
    out = np.zeros(prepared.count, dtype=np.uint8)
    if prepared.count:
        threaded, serial = KERNELS[prepared.curve]
        kernel = serial if prepared.count < SERIAL_BELOW else threaded
        with numba.parallel_chunksize(1):  # runs handed out one at a time: a thread the OS holds back does fewer
            kernel(np.ascontiguousarray(prepared.words), kernel_g_table(prepared.curve), out)
    return prepared.verdicts(out)
