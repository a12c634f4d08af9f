"""Ed25519 verification in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/ed25519.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from .prepare import Prepared

SOURCE = str(Path(__file__).with_name("ed25519.cu"))
THREADS = 64


def compile() -> None:
    devices.cupy_module(SOURCE).get_function("ed25519_verify")


class Staged:
    """Host arrays, device arrays and the launch, so h2d, kernel and d2h can be timed apart."""

    def __init__(self, prepared: Prepared):
        import cupy

        self.cupy = cupy
        self.prepared = prepared
        self.n = prepared.count
        size = max(self.n, 1)
        self.d_pk = cupy.empty((size, 32), dtype=cupy.uint8)
        self.d_sig = cupy.empty((size, 64), dtype=cupy.uint8)
        self.d_h = cupy.empty((size, 32), dtype=cupy.uint8)
        self.d_out = cupy.zeros(size, dtype=cupy.uint8)
        self.fn = devices.cupy_module(SOURCE).get_function("ed25519_verify")

    def h2d(self) -> None:
        if self.n:
            p = self.prepared
            self.d_pk.set(np.ascontiguousarray(p.public_keys))
            self.d_sig.set(np.ascontiguousarray(p.signatures))
            self.d_h.set(np.ascontiguousarray(p.challenges))

    def kernel(self) -> None:
        if self.n:
            blocks = (self.n + THREADS - 1) // THREADS
            self.fn((blocks,), (THREADS,), (self.d_pk, self.d_sig, self.d_h, np.uint64(self.n), self.d_out))

    def d2h(self) -> np.ndarray:
        return self.d_out.get()

    def sync(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()


def verify_prepared(prepared: Prepared) -> np.ndarray:
    return prepared.verdicts(devices.run_staged(Staged(prepared)))
