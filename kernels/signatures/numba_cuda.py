"""Ed25519 verification as a numba.cuda kernel: one thread per signature, the field and group code of
numba_core.py compiled as device functions. Runs on a GPU, or on the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) for correctness on machines without one (seconds per signature there)."""
from __future__ import annotations

import numpy as np
from numba import cuda, int8, int64

from ..measure.staged import NumbaCudaStaged
from . import tables
from .numba_core import build
from .prepare import Prepared, PreparedStaged

THREADS = 64
CORE = build(cuda.jit(device=True))
CONSTS = np.array([[tables.FE_D, tables.FE_D2, tables.FE_SQRTM1]], dtype=np.int64)  # (1, 3, 10)
BASE = tables.BASE_TABLE.astype(np.int64)
SMALL = tables.SMALL_ORDER.copy()
L_BYTES = tables.L_BYTES.copy()
_verify_one = CORE.verify_one
_verify_zip215_one = CORE.verify_zip215_one


@cuda.jit
def _verify_kernel(pk, sig, h, consts, base, small, l_bytes, zip215, out):
    i = cuda.grid(1)
    if i >= out.shape[0]:
        return
    slides = cuda.local.array((2, 256), int8)
    ai = cuda.local.array((8, 4, 10), int64)
    if zip215:
        ok = _verify_zip215_one(pk[i], sig[i], h[i], consts, base, l_bytes, slides, ai)
    else:
        ok = _verify_one(pk[i], sig[i], h[i], consts, base, small, l_bytes, slides, ai)
    out[i] = 1 if ok else 0


class Staged(PreparedStaged, NumbaCudaStaged):
    """The prepared batch on the device (buffers allocated once), the tables copied once as constants."""

    def __init__(self, prepared: Prepared, rules: str = "libsodium"):
        super().__init__(prepared, constants={"consts": CONSTS, "base": BASE, "small": SMALL, "l": L_BYTES})
        self.zip215 = rules == "zip215"

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            _verify_kernel[(n + THREADS - 1) // THREADS, THREADS](d["pk"], d["sig"], d["h"], d["consts"], d["base"],
                                                                   d["small"], d["l"], self.zip215, d["out"])


def compile() -> None:
    from .prepare import prepare

    verify_prepared(prepare([bytes(32)], [b""], [bytes(64)]))


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    return Staged(prepared, rules).run()
