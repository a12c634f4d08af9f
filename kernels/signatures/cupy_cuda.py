"""Ed25519 verification in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/ed25519.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from .prepare import Prepared, PreparedStaged

SOURCE = str(Path(__file__).with_name("ed25519.cu"))
THREADS = 64


KERNEL_NAMES = {"libsodium": "ed25519_verify", "zip215": "ed25519_verify_zip215"}


def compile() -> None:
    for name in KERNEL_NAMES.values():
        devices.cupy_module(SOURCE).get_function(name)


class Staged(PreparedStaged, CupyStaged):
    """The prepared batch's keys, signatures and challenges on the GPU; one verdict byte per signature."""

    def __init__(self, prepared: Prepared, rules: str = "libsodium"):
        super().__init__(prepared)
        self.fn = devices.cupy_module(SOURCE).get_function(KERNEL_NAMES[rules])

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.fn(((n + THREADS - 1) // THREADS,), (THREADS,), (d["pk"], d["sig"], d["h"], np.uint64(n), d["out"]))


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    return Staged(prepared, rules).run()
