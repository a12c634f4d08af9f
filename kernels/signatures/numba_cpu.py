"""Ed25519 verification in Numba on all CPU cores: one signature per loop iteration, ``prange`` across them.

The group code is numba_core.py compiled with ``njit`` (the same source numba_cuda.py compiles for the GPU),
over the CPU field layout: radix 2^51 with 128-bit products (an LLVM i128 intrinsic), libsodium's layout;
the limbs stay in registers as tuples.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import tables
from .numba_core import build
from .prepare import Prepared

CORE = build(njit, radix51=True)  # the CPU field layout: five 51-bit limbs, 128-bit products
CONSTS = np.array([[tables.limbs51(tables.ref.D), tables.limbs51(2 * tables.ref.D), tables.limbs51(tables.ref.SQRT_M1)]],
                  dtype=np.uint64)  # (1, 3, 5)
BASE = np.array([[tables.limbs51(tables.from_limbs(fe)) for fe in entry] for entry in tables.BASE_TABLE],
                dtype=np.uint64)  # (8, 3, 5)
SMALL = tables.SMALL_ORDER.copy()
L_BYTES = tables.L_BYTES.copy()
_verify_one = CORE.verify_one


SERIAL_BELOW = 8  # smaller batches run on the calling thread: waking the pool costs more than it saves


def _verify_range(pk, sig, h, consts, base, small, l_bytes, out):
    for i in prange(out.size):
        slides = np.empty((2, 256), np.int8)
        ai = np.empty((8, 4, 5), np.uint64)
        out[i] = _verify_one(pk[i], sig[i], h[i], consts, base, small, l_bytes, slides, ai)


_verify_all = njit(parallel=True)(_verify_range)
_verify_serial = njit(_verify_range)  # prange is a plain range without parallel=True


def compile() -> None:
    """JIT-compile the kernel (timed once by the harness as the `compile` phase)."""
    from .prepare import prepare

    verify_prepared(prepare([bytes(32)], [b""], [bytes(64)]))  # the serial kernel
    verify_prepared(prepare([bytes(32)] * SERIAL_BELOW, [b""] * SERIAL_BELOW, [bytes(64)] * SERIAL_BELOW))


def verify_prepared(prepared: Prepared) -> np.ndarray:
    out = np.zeros(prepared.count, dtype=np.uint8)
    if prepared.count:
        kernel = _verify_serial if prepared.count < SERIAL_BELOW else _verify_all
        kernel(np.ascontiguousarray(prepared.public_keys), np.ascontiguousarray(prepared.signatures),
               np.ascontiguousarray(prepared.challenges), CONSTS, BASE, SMALL, L_BYTES, out)
    return prepared.verdicts(out)
