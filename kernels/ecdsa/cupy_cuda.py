"""ECDSA verification in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/ecdsa.h)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from .prepare import Prepared, PreparedStaged
from .tables import consts, g_table

SOURCE = str(Path(__file__).with_name("ecdsa.cu"))
KERNEL = "ecdsa_verify"
THREADS = 64


def compile() -> None:
    devices.cupy_module(SOURCE).get_function(KERNEL)


class Staged(PreparedStaged, CupyStaged):
    """The prepared batch's limbs on the GPU, the curve's constants and G's table copied once."""

    def __init__(self, prepared: Prepared):
        super().__init__(prepared, constants={"consts": consts(prepared.curve), "gtable": g_table(prepared.curve)})
        self.fn = devices.cupy_module(SOURCE).get_function(KERNEL)

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.fn(((n + THREADS - 1) // THREADS,), (THREADS,),
                    (d["words"], d["consts"], d["gtable"], np.uint64(n), d["out"]))


def verify_prepared(prepared: Prepared) -> np.ndarray:
    return Staged(prepared).run()
