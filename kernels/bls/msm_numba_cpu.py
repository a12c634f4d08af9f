"""The BLS12-381 group kernels in Numba on all CPU cores (msm_numba_core.py compiled with njit, i128 products).

Decoding runs one point per prange iteration; the msm runs one Pippenger window per prange iteration (each
with its own buckets), then the windows are combined on the calling thread. Small calls run on the calling
thread: waking the pool costs more than it saves there (measured: on a busy 2-core VM a 23-point G1 msm took
about 1 ms serial and over 15 ms through prange).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .msm import input_words, pippenger, point_words
from .msm_numba_core import build, madd_i128

CORE = build(njit, madd_i128)
SERIAL_BELOW = {"decode": 8, "msm": 256}  # points


def _kernels(group):
    decode_one, window_sum, combine = group.decode_one, group.window_sum, group.combine
    jw = group.jacobian_words

    def decode_all(words, out, valid):
        for i in prange(words.shape[0]):
            valid[i] = decode_one(words[i], out[i])

    def msm_points(points, digits, c, out):
        nwin = digits.shape[1]
        windows = np.zeros((nwin, jw), np.uint64)
        buckets = np.zeros((nwin, 1 << (c - 1), jw), np.uint64)
        for w in prange(nwin):
            window_sum(points, digits, w, buckets[w], windows[w])
        combine(windows, c, out)

    # {kind: (all cores, calling thread)}: prange is a plain range without parallel=True
    return {"decode": (njit(parallel=True)(decode_all), njit(decode_all)),
            "msm": (njit(parallel=True)(msm_points), njit(msm_points))}


KERNELS = {"g1": _kernels(CORE.g1), "g2": _kernels(CORE.g2)}  # compiled lazily, on first call


def _kernel(group: str, kind: str, n: int):
    threaded, serial = KERNELS[group][kind]
    return serial if n < SERIAL_BELOW[kind] else threaded


def decode(group: str, points: list[bytes]):
    words = input_words(group, points)
    out = np.zeros((len(points), point_words(group)), np.uint64)
    valid = np.zeros(len(points), np.bool_)
    if len(points):
        _kernel(group, "decode", len(points))(words, out, valid)
    return valid, out


def msm(decoded, limbs: np.ndarray) -> bytes:
    group = decoded.group

    def run(points, digits, c):
        out = np.zeros(getattr(CORE, group).jacobian_words, np.uint64)
        _kernel(group, "msm", decoded.n)(points, digits, c, out)
        return out

    return pippenger(decoded, limbs, run)


def compile() -> None:
    """JIT-compile the decode and msm kernels of both groups, serial and threaded."""
    from .msm import SIZES, Decoded

    for group, size in SIZES.items():
        for kind in ("decode", "msm"):
            for n in (1, SERIAL_BELOW[kind]):
                valid, payload = decode(group, [bytes([0xC0]) + bytes(size - 1)] * n)
                assert valid.all()
                limbs = np.zeros((n, 4), np.uint64)
                limbs[:, 0] = 1
                assert msm(Decoded(group, valid, n, payload, "numba_cpu"), limbs)[0] == 0xC0
