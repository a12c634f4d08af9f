"""Ed25519 verification as a numba.cuda kernel: one thread per signature, the field and group code of
numba_core.py compiled as device functions. Runs on a GPU, or on the CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) for correctness on machines without one (seconds per signature there).

Batch verification under ZIP 215 (``verify_prepared_batch``: the driver is batch.py) compiles numba_core's batch
functions, the source numba_cpu compiles too: one thread per signature decodes A and R, then one thread per
chunk of the terms runs the bucket multi-scalar multiplication over every window, and one thread adds the chunks'
sums and checks the cofactored equation."""
from __future__ import annotations

import numpy as np
from numba import cuda, int8, int64

from ..measure.staged import NumbaCudaStaged
from . import tables
from .numba_core import build
from .batch import GPU_THREADS_PER_UNIT, SINGLE_AT_MOST, batch_verdicts, check_scalars, decoded, msm_plan
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
    n = 2 * SINGLE_AT_MOST  # all-zero keys and signatures: valid under ZIP 215, one multi-scalar multiplication
    assert verify_prepared_batch(prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n)).all()


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    return Staged(prepared, rules).run()


# ---- batch verification under ZIP 215: the host driver is batch.py, these are its two device steps --------------

_ref = tables.ref
B_CACHED = np.array([tables.limbs(_ref.B_Y + _ref.B_X), tables.limbs(_ref.B_Y - _ref.B_X), tables.limbs(1),
                     tables.limbs(2 * _ref.D * _ref.B_X * _ref.B_Y)], dtype=np.int64)  # B as (Y+X, Y-X, Z, 2dT)
D2 = np.array(tables.FE_D2, dtype=np.int64)
POINT_BYTES = 4 * 10 * 8  # a cached or extended point here: four field elements of ten int64 limbs
MAX_BUCKET_BYTES = 1 << 30  # the buckets' scratch on the device, at most (a bound on msm_plan's choice)
_decompress_cached = CORE.decompress_cached
_sc_is_canonical = CORE.sc_is_canonical
_msm_pippenger = CORE.msm_pippenger
_p3_store = CORE.p3_store
_sum_is_small_order = CORE.sum_is_small_order


@cuda.jit
def _decompress_kernel(pk, sig, first, consts, l_bytes, pts, ok_a, ok_r):
    """-A_i into row i (where first[i] == i), -R_i into row n + i; ok_a[i]: A_i decodes; ok_r[i]: R_i decodes
    and S_i < L."""
    i = cuda.grid(1)
    n = ok_r.shape[0]
    if i >= n:
        return
    ok_a[i] = 0
    if first[i] == i and _decompress_cached(pk[i], consts, pts, i):
        ok_a[i] = 1
    ok_r[i] = 1 if _decompress_cached(sig[i], consts, pts, n + i) and _sc_is_canonical(sig[i], l_bytes) else 0


@cuda.jit
def _msm_kernel(pts, idx, scalars, c, buckets, used, partial, d2):
    """Thread t: the terms t * m // chunks .. (t + 1) * m // chunks by buckets over every window -> partial[t]."""
    t = cuda.grid(1)
    chunks = partial.shape[0]
    if t >= chunks:
        return
    m = idx.shape[0]
    _p3_store(partial, t, _msm_pippenger(pts, idx, scalars, t * m // chunks, (t + 1) * m // chunks, c, buckets[t],
                                         used[t], d2))


@cuda.jit
def _sum_kernel(partial, d2, out):
    if cuda.grid(1) == 0:
        out[0] = 1 if _sum_is_small_order(partial, d2) else 0


def _blocks(n: int) -> int:
    return max((n + THREADS - 1) // THREADS, 1)


def decompress(prepared: Prepared, first: np.ndarray):
    """(points, ok) as batch.batch_verdicts wants them: a device array of -A_i at row i (first of equal keys),
    -R_i at row n + i, B at row 2n, cached form; ok[i] when A_i and R_i decode under ZIP 215 and S_i < L."""
    n = prepared.count
    host = np.zeros((2 * n + 1, 4, 10), dtype=np.int64)
    host[2 * n] = B_CACHED
    pts = cuda.to_device(host)
    ok_a, ok_r = cuda.device_array(n, np.uint8), cuda.device_array(n, np.uint8)
    _decompress_kernel[_blocks(n), THREADS](cuda.to_device(np.ascontiguousarray(prepared.public_keys)),
                                            cuda.to_device(np.ascontiguousarray(prepared.signatures)),
                                            cuda.to_device(first.astype(np.int64)), cuda.to_device(CONSTS),
                                            cuda.to_device(L_BYTES), pts, ok_a, ok_r)
    return pts, decoded(ok_a.copy_to_host(), ok_r.copy_to_host(), first)


def lanes() -> int:
    """Threads counted as running at once (batch.msm_plan): a GPU's multiprocessors times GPU_THREADS_PER_UNIT;
    one on the simulator (its threads are Python threads)."""
    from .. import devices

    if devices.cuda_simulated():
        return 1
    return int(cuda.get_current_device().MULTIPROCESSOR_COUNT) * GPU_THREADS_PER_UNIT


def msm_is_small_order(points, rows: np.ndarray, scalars: np.ndarray, chunks: int | None = None) -> bool:
    """[8](sum_j [scalars[j]] points[rows[j]]) is the identity: the terms dealt round-robin into chunks (long A and
    short R scalars spread evenly), a bucket MSM per chunk in its own thread, the sums added by one thread.
    `chunks` (tests) overrides the plan's."""
    scalars = check_scalars(scalars)
    m = int(rows.size)
    c, planned = msm_plan(m, lanes(), MAX_BUCKET_BYTES // POINT_BYTES, split_windows=False)
    chunks = chunks or planned
    deal = np.argsort(np.arange(m) % chunks, kind="stable")
    buckets = cuda.device_array((chunks, (1 << c) - 1, 4, 10), np.int64)
    used = cuda.device_array((chunks, (1 << c) - 1), np.uint8)
    partial = cuda.device_array((chunks, 4, 10), np.int64)
    d2 = cuda.to_device(D2)
    _msm_kernel[_blocks(chunks), THREADS](points, cuda.to_device(rows[deal].astype(np.int64)),
                                          cuda.to_device(np.ascontiguousarray(scalars[deal])), c, buckets, used,
                                          partial, d2)
    out = cuda.device_array(1, np.uint8)
    _sum_kernel[1, 1](partial, d2, out)
    return bool(out.copy_to_host()[0])


def verify_prepared_batch(prepared: Prepared) -> np.ndarray:
    """ZIP 215 verdicts by batch verification (batch.py): random linear combination, one multi-scalar
    multiplication on the GPU, bisection on failure; identical to verify_prepared(prepared, "zip215")."""
    return batch_verdicts(prepared, decompress, msm_is_small_order, lambda p: verify_prepared(p, "zip215"))
