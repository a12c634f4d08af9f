"""The BLS12-381 group kernels in CUDA through CuPy's RawModule: the C core shared with OpenCL
(kernels/common/bls12_381.h, and bls12_381_hash.h for hash-to-curve), the same launches as msm_opencl.py. Without CuPy or a GPU it raises
BackendUnavailable with the reason."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from ..registry import BackendUnavailable
from .msm import input_words, jacobian_words, pippenger, point_words

SOURCE = str(Path(__file__).with_name("msm.cu"))
THREADS = 64
KERNELS = {"g1": ("g1_decode", "g1_buckets", "g1_windows", "g1_combine"),  # decode, then the msm's three
           "g2": ("g2_decode", "g2_buckets", "g2_windows", "g2_combine")}
HASH_KERNEL = "g1_hash"  # hash-to-curve (kernels/common/bls12_381_hash.h)


def _check() -> None:
    reason = devices.unavailable_reason("cupy")
    if reason:
        raise BackendUnavailable(f"cupy: {reason}")


def _blocks(n: int) -> tuple[int]:
    return (max((n + THREADS - 1) // THREADS, 1),)


class DecodeStaged(CupyStaged):
    def __init__(self, group: str, points: list[bytes]):
        n = len(points)
        super().__init__(inputs={"words": input_words(group, points)},
                         outputs={"out": np.zeros((n, point_words(group)), np.uint64), "valid": np.zeros(n, np.uint8)})
        self.n, self.fn = n, devices.cupy_module(SOURCE).get_function(KERNELS[group][0])

    def launch(self) -> None:
        if self.n:
            d = self.dev
            self.fn(_blocks(self.n), (THREADS,), (d["words"], d["out"], d["valid"], np.uint64(self.n)))

    def result(self):
        return self.outputs["valid"].astype(bool), self.outputs["out"]


class MsmStaged(CupyStaged):
    def __init__(self, group: str, points: np.ndarray, digits: np.ndarray, c: int):
        w, nwin = jacobian_words(group), digits.shape[1]
        nb = 1 << (c - 1)
        super().__init__(inputs={"points": points, "digits": digits}, outputs={"out": np.zeros(w, np.uint64)},
                         scratch={"buckets": ((nwin * nb, w), np.uint64), "windows": ((nwin, w), np.uint64)})
        self.n, self.c, self.nwin, self.nb = points.shape[0], c, nwin, nb
        module = devices.cupy_module(SOURCE)
        self.fns = [module.get_function(name) for name in KERNELS[group][1:]]

    def launch(self) -> None:
        d, c, nwin = self.dev, np.uint64(self.c), np.uint64(self.nwin)
        buckets, windows, combine = self.fns
        buckets(_blocks(self.nwin * self.nb), (THREADS,),
                (d["points"], d["digits"], np.uint64(self.n), c, nwin, d["buckets"]))
        windows(_blocks(self.nwin), (THREADS,), (d["buckets"], c, nwin, d["windows"]))
        combine((1,), (1,), (d["windows"], c, nwin, d["out"]))


class HashStaged(CupyStaged):
    """g1_hash (kernels/common/bls12_381_hash.h): one thread per message's two field elements."""

    def __init__(self, u: np.ndarray):
        super().__init__(inputs={"u": u}, outputs={"out": np.zeros((u.shape[0], point_words("g1")), np.uint64)})
        self.n, self.fn = u.shape[0], devices.cupy_module(SOURCE).get_function(HASH_KERNEL)

    def launch(self) -> None:
        if self.n:
            self.fn(_blocks(self.n), (THREADS,), (self.dev["u"], self.dev["out"], np.uint64(self.n)))

    def result(self):
        return self.outputs["out"]


def map_to_g1(u: np.ndarray) -> np.ndarray:
    """msm.hash_to_g1 on this backend: the field elements u (n, 2, 6) to decoded G1 rows on the device."""
    _check()
    return HashStaged(u).run()


def decode(group: str, points: list[bytes]):
    _check()
    return DecodeStaged(group, points).run()


def msm(decoded, limbs: np.ndarray) -> bytes:
    _check()
    return pippenger(decoded, limbs, lambda points, digits, c: MsmStaged(decoded.group, points, digits, c).run())


def compile() -> None:
    _check()
    module = devices.cupy_module(SOURCE)
    for names in [*KERNELS.values(), (HASH_KERNEL,)]:
        for name in names:
            module.get_function(name)
