"""The BLS12-381 group kernels as numba.cuda kernels: the code of msm_numba_core.py compiled as device functions,
with 64 x 64 -> 128-bit products from four 32-bit ones (no i128 on the GPU target). The same launch structure as
the C core (kernels/common/bls12_381.h): one thread per point to decode; for the msm one thread per (window,
bucket), one per window, one to combine. Runs on a GPU, or on the CUDA simulator (NUMBA_ENABLE_CUDASIM=1) for
correctness only (seconds per point there)."""
from __future__ import annotations

import numpy as np
from numba import cuda

from .. import devices
from ..measure.staged import NumbaCudaStaged
from ..registry import BackendUnavailable
from .msm import input_words, pippenger, point_words
from .msm_numba_core import build, madd_split

THREADS = 64
CORE = build(cuda.jit(device=True), cuda.jit(device=True)(madd_split))


def _kernels(group):
    decode_one, bucket_add, bucket_sum, combine = group.decode_one, group.bucket_add, group.bucket_sum, group.combine
    flag = 2 * group.width

    @cuda.jit
    def decode_kernel(words, out, valid):
        i = cuda.grid(1)
        if i < words.shape[0]:
            valid[i] = 1 if decode_one(words[i], out[i]) else 0

    @cuda.jit
    def buckets_kernel(points, digits, c, buckets):
        """Thread w * 2^(c-1) + b: bucket b of window w (buckets start zeroed: the identity)."""
        i = cuda.grid(1)
        nb = 1 << (c - 1)
        if i >= digits.shape[1] * nb:
            return
        w, b = i // nb, i % nb + 1
        for k in range(points.shape[0]):
            d = digits[k, w]
            if (d == b or d == -b) and points[k, flag] == 0:
                bucket_add(buckets[w * nb:(w + 1) * nb], d, points[k])

    @cuda.jit
    def windows_kernel(buckets, c, nwin, windows):
        w = cuda.grid(1)
        nb = 1 << (c - 1)
        if w < nwin:
            bucket_sum(buckets[w * nb:(w + 1) * nb], windows[w])

    @cuda.jit
    def combine_kernel(windows, c, out):
        if cuda.grid(1) == 0:
            combine(windows, c, out)

    return decode_kernel, buckets_kernel, windows_kernel, combine_kernel


KERNELS = {"g1": _kernels(CORE.g1), "g2": _kernels(CORE.g2)}


def _check() -> None:
    reason = devices.unavailable_reason("numba_cuda")
    if reason:
        raise BackendUnavailable(f"numba_cuda: {reason}")


def _blocks(n: int) -> int:
    return max((n + THREADS - 1) // THREADS, 1)


class DecodeStaged(NumbaCudaStaged):
    def __init__(self, group: str, points: list[bytes]):
        n = len(points)
        super().__init__(inputs={"words": input_words(group, points)},
                         outputs={"out": np.zeros((n, point_words(group)), np.uint64), "valid": np.zeros(n, np.uint8)})
        self.n, self.kernel_fn = n, KERNELS[group][0]

    def launch(self) -> None:
        if self.n:
            d = self.dev
            self.kernel_fn[_blocks(self.n), THREADS](d["words"], d["out"], d["valid"])

    def result(self):
        return self.outputs["valid"].astype(bool), self.outputs["out"]


class MsmStaged(NumbaCudaStaged):
    def __init__(self, group: str, points: np.ndarray, digits: np.ndarray, c: int):
        w, nwin = getattr(CORE, group).jacobian_words, digits.shape[1]
        nb = 1 << (c - 1)
        super().__init__(inputs={"points": points, "digits": digits, "buckets": np.zeros((nwin * nb, w), np.uint64)},
                         outputs={"out": np.zeros(w, np.uint64)}, scratch={"windows": ((nwin, w), np.uint64)})
        self.c, self.nwin, self.nb, self.kernels = c, nwin, nb, KERNELS[group][1:]

    def launch(self) -> None:
        d, c, nwin = self.dev, self.c, self.nwin
        buckets, windows, combine = self.kernels
        buckets[_blocks(nwin * self.nb), THREADS](d["points"], d["digits"], c, d["buckets"])
        windows[_blocks(nwin), THREADS](d["buckets"], c, nwin, d["windows"])
        combine[1, 1](d["windows"], c, d["out"])


def decode(group: str, points: list[bytes]):
    _check()
    return DecodeStaged(group, points).run()


def msm(decoded, limbs: np.ndarray) -> bytes:
    _check()
    return pippenger(decoded, limbs, lambda points, digits, c: MsmStaged(decoded.group, points, digits, c).run())


def compile() -> None:
    from .msm import SIZES

    _check()
    for group, size in SIZES.items():
        assert decode(group, [bytes([0xC0]) + bytes(size - 1)])[0].all()
