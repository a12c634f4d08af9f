"""The BLS12-381 group kernels in OpenCL (PyOpenCL): the C core shared with CUDA (kernels/common/bls12_381.h,
and bls12_381_hash.h for hash-to-curve: one work-item per message, map_to_g1).

Decoding runs one work-item per point. The msm runs three kernels on the device: one work-item per (window,
bucket) fills that bucket, one per window sums its buckets, one combines the windows; the host turns the
Jacobian result into its compressed encoding.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from ..registry import BackendUnavailable
from .msm import input_words, jacobian_words, pippenger, point_words

SOURCE = str(Path(__file__).with_name("msm.cl"))


def _check() -> None:
    reason = devices.unavailable_reason("opencl")
    if reason:
        raise BackendUnavailable(f"opencl: {reason}")


def _local(device) -> tuple[int] | None:
    """(1,) on CPU devices (PoCL would vectorise across work-items, which these branchy kernels defeat)."""
    import pyopencl as cl

    return (1,) if device.type & cl.device_type.CPU else None


class DecodeStaged(OpenCLStaged):
    def __init__(self, group: str, points: list[bytes]):
        n = len(points)
        super().__init__(inputs={"words": input_words(group, points)},
                         outputs={"out": np.zeros((n, point_words(group)), np.uint64), "valid": np.zeros(n, np.uint8)})
        self.group, self.n = group, n
        self.kernel_fn = devices.opencl_kernel(SOURCE, f"{group}_decode")

    def launch(self) -> None:
        if self.n:
            d = self.dev
            self.kernel_fn(self.queue, (self.n,), _local(self.queue.device), d["words"], d["out"], d["valid"],
                           np.uint64(self.n))

    def result(self):
        return self.outputs["valid"].astype(bool), self.outputs["out"]


class MsmStaged(OpenCLStaged):
    def __init__(self, group: str, points: np.ndarray, digits: np.ndarray, c: int):
        w, nwin = jacobian_words(group), digits.shape[1]
        nb = 1 << (c - 1)
        super().__init__(inputs={"points": points, "digits": digits},
                         outputs={"out": np.zeros(w, np.uint64)},
                         scratch={"buckets": ((nwin * nb, w), np.uint64), "windows": ((nwin, w), np.uint64)})
        self.n, self.c, self.nwin, self.nb = points.shape[0], c, nwin, nb
        self.kernels = [devices.opencl_kernel(SOURCE, f"{group}_{k}") for k in ("buckets", "windows", "combine")]

    def launch(self) -> None:
        d, q, local = self.dev, self.queue, _local(self.queue.device)
        c, nwin = np.uint64(self.c), np.uint64(self.nwin)
        buckets, windows, combine = self.kernels
        buckets(q, (self.nwin * self.nb,), local, d["points"], d["digits"], np.uint64(self.n), c, nwin, d["buckets"])
        windows(q, (self.nwin,), local, d["buckets"], c, nwin, d["windows"])
        combine(q, (1,), None, d["windows"], c, nwin, d["out"])


class HashStaged(OpenCLStaged):
    """g1_hash (kernels/common/bls12_381_hash.h): one work-item per message's two field elements."""

    def __init__(self, u: np.ndarray):
        super().__init__(inputs={"u": u}, outputs={"out": np.zeros((u.shape[0], point_words("g1")), np.uint64)})
        self.n, self.kernel_fn = u.shape[0], devices.opencl_kernel(SOURCE, "g1_hash")

    def launch(self) -> None:
        if self.n:
            self.kernel_fn(self.queue, (self.n,), _local(self.queue.device), self.dev["u"], self.dev["out"],
                           np.uint64(self.n))

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
    devices.opencl_program(SOURCE)
