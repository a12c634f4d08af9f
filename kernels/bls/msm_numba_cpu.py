"""The BLS12-381 group kernels in Numba on all CPU cores (msm_numba_core.py compiled with njit, i128 products;
the GF(p) product in x86-64 assembly where the CPU has BMI2 and ADX, fp_cpu.py, unless KERNELS_BLS_ADX=0).

Decoding runs one point per prange iteration; the msm runs one Pippenger window per prange iteration (each
with its own buckets), then the windows are combined on the calling thread. Small calls run on the calling
thread: waking the pool costs more than it saves there (measured: on a busy 2-core VM a 23-point G1 msm took
about 1 ms serial and over 15 ms through prange).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import fp_cpu
from .msm import (P, compress_jacobian, input_words, pippenger, point_words, scalar_bits, signed_digits,
                  window_bits)
from .msm_numba_core import build, madd_i128

ADX = fp_cpu.enabled()  # the GF(p) product in mulx/adcx/adox assembly where the CPU has BMI2 and ADX
CORE = build(njit, madd_i128, fp_cpu.ops(P, ADX))
SERIAL_BELOW = {"decode": 8, "msm": 256, "msm_groups": 16}  # points


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


def _both_groups_kernel(parallel: bool):
    """The msms of a batch's two groups in one parallel loop: every (row, window) of the G2 rows, then of the
    G1 rows, is one iteration (G2 first: its windows cost about three times G1's), then each row's windows
    are combined on the calling thread. Digits: (rows, points, windows); out: (rows, Jacobian words)."""
    sum1, sum2, combine1, combine2 = CORE.g1.window_sum, CORE.g2.window_sum, CORE.g1.combine, CORE.g2.combine
    jw1, jw2 = CORE.g1.jacobian_words, CORE.g2.jacobian_words

    def msm_both(p1, d1, c1, out1, p2, d2, c2, out2):
        r1, w1, r2, w2 = d1.shape[0], d1.shape[2], d2.shape[0], d2.shape[2]
        win1 = np.zeros((r1, w1, jw1), np.uint64)
        win2 = np.zeros((r2, w2, jw2), np.uint64)
        buckets1 = np.zeros((r1 * w1, 1 << (c1 - 1), jw1), np.uint64)
        buckets2 = np.zeros((r2 * w2, 1 << (c2 - 1), jw2), np.uint64)
        for k in prange(r2 * w2 + r1 * w1):
            if k < r2 * w2:
                sum2(p2, d2[k // w2], k % w2, buckets2[k], win2[k // w2, k % w2])
            else:
                j = k - r2 * w2
                sum1(p1, d1[j // w1], j % w1, buckets1[j], win1[j // w1, j % w1])
        for row in range(r1):
            combine1(win1[row], c1, out1[row])
        for row in range(r2):
            combine2(win2[row], c2, out2[row])

    return njit(parallel=parallel)(msm_both)


BOTH = {True: _both_groups_kernel(True), False: _both_groups_kernel(False)}  # {threaded: kernel}


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


def _job_digits(group: str, job) -> tuple:
    """(points, digits (rows, points, windows), c, out) of one group's job; an empty job for a missing group."""
    if job is None:
        words = point_words(group)
        return (np.zeros((0, words), np.uint64), np.zeros((0, 0, 1), np.int32), 1,
                np.zeros((0, getattr(CORE, group).jacobian_words), np.uint64))
    decoded, rows = job
    c = window_bits(decoded.n, max(scalar_bits(limbs) for limbs in rows))
    per_row = [signed_digits(limbs, c) for limbs in rows]
    windows = max(d.shape[1] for d in per_row)
    digits = np.zeros((len(rows), decoded.n, windows), np.int32)
    for row, d in enumerate(per_row):
        digits[row, :, :d.shape[1]] = d  # a row of smaller scalars has fewer windows: the rest are zero digits
    out = np.zeros((len(rows), getattr(CORE, group).jacobian_words), np.uint64)
    return np.ascontiguousarray(decoded.payload), digits, c, out


def msm_groups(jobs) -> list[list[bytes]]:
    """msm.msm_groups on this backend: the rows of both groups' jobs summed by one kernel call (BOTH), on all
    cores from SERIAL_BELOW["msm_groups"] points in all."""
    by_group = {decoded.group: (decoded, rows) for decoded, rows in jobs}
    a1 = _job_digits("g1", by_group.get("g1"))
    a2 = _job_digits("g2", by_group.get("g2"))
    points = sum(decoded.n * len(rows) for decoded, rows in jobs)
    BOTH[points >= SERIAL_BELOW["msm_groups"]](*a1, *a2)
    sums = {"g1": [compress_jacobian("g1", w) for w in a1[3]], "g2": [compress_jacobian("g2", w) for w in a2[3]]}
    return [sums[decoded.group] for decoded, _ in jobs]


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
