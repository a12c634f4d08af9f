"""Ed25519 verification in Numba on all CPU cores: one signature per loop iteration, ``prange`` across them.

The group code is numba_core.py compiled with ``njit`` (the same source numba_cuda.py compiles for the GPU),
over the CPU field layout: radix 2^51 with 128-bit products (an LLVM i128 intrinsic), libsodium's layout;
the limbs stay in registers as tuples. Both rule sets (one flag); batch verification under ZIP 215
(``verify_prepared_batch``: the driver is batch.py; the kernels decompress every A and R, then evaluate one
multi-scalar multiplication by buckets, the terms dealt across the threads, or for small combinations by
Straus's method on the calling thread (``msm_method``); on IFMA both kernels share their pieces with helper
threads that the caller never waits for, see ifma.py).

Per-signature verification and both kernels of batch verification run on AVX-512 IFMA where the CPU has it
(ifma.py: radix 2^52, eight signatures, points or windows per 512-bit vector), chosen at run time from the CPU's
features; ``KERNELS_ED25519_IFMA=0`` in the environment, or ``ifma_path=False``, keeps the radix-2^51 path below.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import ifma, tables
from .batch import check_scalars, prefer_straus, signed_windows, straus_window_bits
from .numba_core import build
from .prepare import Prepared

CORE = build(njit, radix51=True)  # the CPU field layout: five 51-bit limbs, 128-bit products
CONSTS = np.array([[tables.limbs51(tables.ref.D), tables.limbs51(2 * tables.ref.D), tables.limbs51(tables.ref.SQRT_M1)]],
                  dtype=np.uint64)  # (1, 3, 5)
BASE = np.array([[tables.limbs51(tables.from_limbs(fe)) for fe in entry] for entry in tables.BASE_TABLE],
                dtype=np.uint64)  # (8, 3, 5)
SMALL = tables.SMALL_ORDER.copy()
L_BYTES = tables.L_BYTES.copy()
_verify_one = CORE.verify_one
_verify_zip215_one = CORE.verify_zip215_one


SERIAL_BELOW = 8  # smaller batches run on the calling thread: waking the pool costs more than it saves


def _verify_range(pk, sig, h, consts, base, small, l_bytes, zip215, out):
    for i in prange(out.size):
        slides = np.empty((2, 256), np.int8)
        ai = np.empty((8, 4, 5), np.uint64)
        if zip215:
            out[i] = _verify_zip215_one(pk[i], sig[i], h[i], consts, base, l_bytes, slides, ai)
        else:
            out[i] = _verify_one(pk[i], sig[i], h[i], consts, base, small, l_bytes, slides, ai)


_verify_all = njit(parallel=True)(_verify_range)
_verify_serial = njit(_verify_range)  # prange is a plain range without parallel=True


def compile() -> None:
    """JIT-compile the kernel (timed once by the harness as the `compile` phase)."""
    from .prepare import prepare

    if ifma.enabled():
        ifma.compile()
    verify_prepared(prepare([bytes(32)], [b""], [bytes(64)]))  # the serial kernel (both rule sets: one flag)
    verify_prepared(prepare([bytes(32)] * SERIAL_BELOW, [b""] * SERIAL_BELOW, [bytes(64)] * SERIAL_BELOW))
    for n in (6, 224, SERIAL_MSM_BELOW):  # batch verification: Straus, serial and threaded Pippenger (all-zero:
                                          # ZIP 215 valid; one key, so n + 2 terms: msm_method)
        assert verify_prepared_batch(prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n)).all()


def verify_prepared(prepared: Prepared, rules: str = "libsodium", ifma_path: bool | None = None) -> np.ndarray:
    """Per-signature verdicts under `rules` ("libsodium" or "zip215"): eight per vector on AVX-512 IFMA
    (``ifma.enabled()``; `ifma_path` True or False forces the choice), else one per prange iteration."""
    if ifma.enabled() if ifma_path is None else ifma_path:
        return ifma.verify_prepared(prepared, rules)
    out = np.zeros(prepared.count, dtype=np.uint8)
    if prepared.count:
        kernel = _verify_serial if prepared.count < SERIAL_BELOW else _verify_all
        kernel(np.ascontiguousarray(prepared.public_keys), np.ascontiguousarray(prepared.signatures),
               np.ascontiguousarray(prepared.challenges), CONSTS, BASE, SMALL, L_BYTES, rules == "zip215", out)
    return prepared.verdicts(out)


# ---- batch verification under ZIP 215: the host driver is batch.py, these are its two kernels ----------------------

D2 = CONSTS[0, 1].copy()
_ref = tables.ref
B_CACHED = np.array([tables.limbs51(_ref.B_Y + _ref.B_X), tables.limbs51(_ref.B_Y - _ref.B_X), tables.limbs51(1),
                     tables.limbs51(2 * _ref.D * _ref.B_X * _ref.B_Y)], dtype=np.uint64)  # B as (Y+X, Y-X, Z, 2dT)
SERIAL_MSM_BELOW = 256  # points; a smaller multi-scalar multiplication runs on the calling thread
SERIAL_DECOMPRESS_BELOW = 32  # signatures (64 points, ~0.3 ms): fewer are decompressed on the calling thread
_decompress_cached = CORE.decompress_cached
_sc_is_canonical = CORE.sc_is_canonical
_msm_pippenger = CORE.msm_pippenger
_sum_is_small_order = CORE.sum_is_small_order


def _decompress_range(pk, sig, first, consts, l_bytes, pts, ok):
    """-A_i into row i (only where first[i] == i: the first of equal keys), -R_i into row n + i; ok[i]: R_i
    decodes and S_i < L (A is checked below, once per distinct key)."""
    n = ok.size
    ok_a = np.zeros(n, np.bool_)
    for i in prange(n):
        if first[i] == i:
            ok_a[i] = _decompress_cached(pk[i], consts, pts, i)
        ok[i] = _decompress_cached(sig[i], consts, pts, n + i) and _sc_is_canonical(sig[i], l_bytes)
    for i in range(n):
        ok[i] = ok[i] and ok_a[first[i]]


_decompress_all = njit(parallel=True)(_decompress_range)
_decompress_serial = njit(_decompress_range)


def _msm_range(pts, idx, scalars, c, buckets, used, partial, d2):
    chunks = partial.shape[0]
    m = idx.size
    for t in prange(chunks):
        p = _msm_pippenger(pts, idx, scalars, t * m // chunks, (t + 1) * m // chunks, c, buckets[t], used[t], d2)
        for k in range(4):
            for limb in range(5):
                partial[t, k, limb] = p[k][limb]
    return _sum_is_small_order(partial, d2)


_msm_all = njit(parallel=True)(_msm_range)
_msm_serial = njit(_msm_range)
_msm_straus = CORE.msm_straus


@njit
def _straus_is_small_order(pts, idx, scalars, c, table, digits, partial, d2):
    """msm_straus over every term, then the cofactored check (partial: one row of scratch)."""
    p = _msm_straus(pts, idx, scalars, 0, idx.size, c, table, digits, d2)
    for k in range(4):
        for limb in range(5):
            partial[0, k, limb] = p[k][limb]
    return _sum_is_small_order(partial, d2)


IFMA_STRAUS_AT_MOST = 9  # terms. Measured in one process, interleaved, best of repeats, 1 and 2 threads alike, on a
                         # shared 2-core AVX-512 IFMA VM (noisy): Straus 92 / 124 / 147 / 168 / 207 us at 5 / 8 / 10 /
                         # 12 / 16 terms, the lane-wise IFMA Pippenger 130 / 146 / 144 / 150 / 166 us (208 against
                         # 380 us at 32, 384 against 745 at 64): the crossover is near ten terms
MSM_METHODS = ("straus", "pippenger")


def msm_method(terms: int, ifma_path: bool) -> str:
    """"straus" or "pippenger" for a combination of `terms` points: on the radix-2^51 path the operation-count
    model batch.prefer_straus decides, below SERIAL_MSM_BELOW (where Pippenger stays on one thread); on the IFMA
    path Straus (one term at a time) runs up to IFMA_STRAUS_AT_MOST terms, measured against the lane-wise
    Pippenger."""
    if ifma_path:
        return "straus" if terms <= IFMA_STRAUS_AT_MOST else "pippenger"
    return "straus" if terms < SERIAL_MSM_BELOW and prefer_straus(terms) else "pippenger"


def straus_is_small_order(pts: np.ndarray, idx: np.ndarray, scalars: np.ndarray) -> bool:
    """[8](sum_j [scalars[j]] pts[idx[j]]) is the identity by Straus's method on the calling thread
    (numba_core.msm_straus, window chosen by batch.straus_window_bits)."""
    m = idx.size
    c = straus_window_bits(m)
    table = np.empty((max(m, 1) << (c - 1), 4, 5), dtype=np.uint64)
    digits = np.empty((max(m, 1), signed_windows(c)), dtype=np.int8)
    partial = np.empty((1, 4, 5), dtype=np.uint64)
    return bool(_straus_is_small_order(pts, idx.astype(np.int64), check_scalars(scalars), c, table, digits,
                                       partial, D2))


def window_bits(points: int) -> int:
    """The bucket window c minimising ceil(253 / c) * (points + 2^(c + 1)) additions (Pippenger's cost)."""
    return min(range(2, 17), key=lambda c: -(-253 // c) * (points + 2 ** (c + 1)))


def decompress(prepared: Prepared, first: np.ndarray, ifma_path: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(points, ok): -A_i at row i (for the first of equal keys, first[i] == i), -R_i at row n + i, B at row
    2n, all in cached form; ok[i] when A_i and R_i decode under ZIP 215 and S_i < L. Eight points per vector
    on AVX-512 IFMA (as verify_prepared chooses), else one per prange iteration."""
    n = prepared.count
    if ifma.enabled() if ifma_path is None else ifma_path:
        pts, ok = ifma.decompress(prepared, first)
        pts[2 * n] = B_CACHED
        return pts, ok
    pts = np.zeros((2 * n + 1, 4, 5), dtype=np.uint64)
    ok = np.zeros(n, dtype=np.bool_)
    if n:
        kernel = _decompress_serial if n < SERIAL_DECOMPRESS_BELOW else _decompress_all
        kernel(np.ascontiguousarray(prepared.public_keys), np.ascontiguousarray(prepared.signatures),
                        first.astype(np.int64), CONSTS, L_BYTES, pts, ok)
    pts[2 * n] = B_CACHED
    return pts, ok


def msm_is_small_order(pts: np.ndarray, idx: np.ndarray, scalars: np.ndarray, ifma_path: bool | None = None,
                       method: str | None = None) -> bool:
    """[8](sum_j [scalars[j]] pts[idx[j]]) is the identity: one multi-scalar multiplication, split over the
    threads in chunks of points (each its own buckets), the partial sums added at the end; on AVX-512 IFMA
    (as verify_prepared chooses) one window per lane instead (ifma.msm_is_small_order). Small combinations use
    Straus's method on the calling thread instead (msm_method; `method` forces "straus" or "pippenger")."""
    ifma_path = ifma.enabled() if ifma_path is None else ifma_path
    method = msm_method(idx.size, ifma_path) if method is None else method
    if method not in MSM_METHODS:
        raise ValueError(f"method must be one of {MSM_METHODS}")
    if method == "straus":
        return straus_is_small_order(pts, idx, scalars)
    if ifma_path:
        return ifma.msm_is_small_order(pts, idx, scalars)
    from numba import get_num_threads

    chunks = 1 if idx.size < SERIAL_MSM_BELOW else get_num_threads()
    if chunks > 1:  # deal the terms out round-robin, so long (A) and short (R: 128-bit) scalars spread evenly
        deal = np.argsort(np.arange(idx.size) % chunks, kind="stable")
        idx, scalars = idx[deal], scalars[deal]
    c = window_bits(-(-idx.size // chunks))
    buckets = np.empty((chunks, (1 << c) - 1, 4, 5), dtype=np.uint64)
    used = np.empty((chunks, (1 << c) - 1), dtype=np.uint8)
    partial = np.empty((chunks, 4, 5), dtype=np.uint64)
    kernel = _msm_serial if chunks == 1 else _msm_all
    return bool(kernel(pts, idx.astype(np.int64), np.ascontiguousarray(scalars), c, buckets, used, partial, D2))


def verify_prepared_batch(prepared: Prepared) -> np.ndarray:
    """ZIP 215 verdicts by batch verification (batch.py): random linear combination, one multi-scalar
    multiplication, bisection on failure; identical to verify_prepared(prepared, "zip215")."""
    from .batch import batch_verdicts

    return batch_verdicts(prepared, decompress, msm_is_small_order, lambda p: verify_prepared(p, "zip215"))
