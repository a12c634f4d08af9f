"""Ed25519 verification as a numba.cuda kernel: one thread per signature, the field and group code of
numba_core.py compiled as device functions. Runs on a GPU, or on the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) for correctness on machines without one (seconds per signature there)."""
from __future__ import annotations

import numpy as np
from numba import cuda, int8, int64

from .. import devices
from . import tables
from .numba_core import build
from .prepare import Prepared

THREADS = 64
CORE = build(cuda.jit(device=True))
CONSTS = np.array([[tables.FE_D, tables.FE_D2, tables.FE_SQRTM1]], dtype=np.int64)  # (1, 3, 10)
BASE = tables.BASE_TABLE.astype(np.int64)
SMALL = tables.SMALL_ORDER.copy()
L_BYTES = tables.L_BYTES.copy()
_verify_one = CORE.verify_one


@cuda.jit
def _verify_kernel(pk, sig, h, consts, base, small, l_bytes, out):
    i = cuda.grid(1)
    if i >= out.shape[0]:
        return
    slides = cuda.local.array((2, 256), int8)
    ai = cuda.local.array((8, 4, 10), int64)
    out[i] = 1 if _verify_one(pk[i], sig[i], h[i], consts, base, small, l_bytes, slides, ai) else 0


class Staged:
    """Device copies of the prepared batch, so h2d, kernel and d2h can be timed apart."""

    def __init__(self, prepared: Prepared):
        self.prepared = prepared
        self.n = prepared.count
        self.d_consts = cuda.to_device(CONSTS)
        self.d_base = cuda.to_device(BASE)
        self.d_small = cuda.to_device(SMALL)
        self.d_l = cuda.to_device(L_BYTES)
        self.d_out = cuda.device_array(max(self.n, 1), dtype=np.uint8)

    def h2d(self) -> None:
        p = self.prepared
        self.d_pk = cuda.to_device(np.ascontiguousarray(p.public_keys) if self.n else np.zeros((1, 32), np.uint8))
        self.d_sig = cuda.to_device(np.ascontiguousarray(p.signatures) if self.n else np.zeros((1, 64), np.uint8))
        self.d_h = cuda.to_device(np.ascontiguousarray(p.challenges) if self.n else np.zeros((1, 32), np.uint8))

    def kernel(self) -> None:
        if self.n:
            blocks = (self.n + THREADS - 1) // THREADS
            _verify_kernel[blocks, THREADS](self.d_pk, self.d_sig, self.d_h, self.d_consts, self.d_base, self.d_small,
                                            self.d_l, self.d_out[: self.n])

    def d2h(self) -> np.ndarray:
        return self.d_out.copy_to_host()

    def sync(self) -> None:
        cuda.synchronize()


def compile() -> None:
    from .prepare import prepare

    verify_prepared(prepare([bytes(32)], [b""], [bytes(64)]))


def verify_prepared(prepared: Prepared) -> np.ndarray:
    return prepared.verdicts(devices.run_staged(Staged(prepared)))
