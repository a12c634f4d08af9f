"""Ed25519 verification in CUDA through CuPy's RawModule: the C core shared with OpenCL (kernels/common/ed25519.h),
one thread per signature; batch verification under ZIP 215 (``verify_prepared_batch``: the driver is batch.py,
the decompression and the multi-scalar multiplication are the C core's batch kernels, as on OpenCL)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import CupyStaged
from .batch import (GPU_THREADS_PER_UNIT, POINT_BYTES, SINGLE_AT_MOST, batch_verdicts, decoded, msm_plan,
                    signed_digits, signed_windows)
from .prepare import Prepared, PreparedStaged

SOURCE = str(Path(__file__).with_name("ed25519.cu"))
THREADS = 64


KERNEL_NAMES = {"libsodium": "ed25519_verify", "zip215": "ed25519_verify_zip215"}


def compile() -> None:
    from .prepare import prepare

    for name in KERNEL_NAMES.values():
        devices.cupy_module(SOURCE).get_function(name)
    n = 2 * SINGLE_AT_MOST  # all-zero keys and signatures: valid under ZIP 215, one multi-scalar multiplication
    assert verify_prepared_batch(prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n)).all()


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


# ---- batch verification under ZIP 215: the host driver is batch.py, these are its two device steps --------------

def _launch(name: str, threads: int, args: tuple) -> None:
    """`threads` threads (at least one) of the C core's kernel `name`, THREADS to a block."""
    devices.cupy_module(SOURCE).get_function(name)((max((threads + THREADS - 1) // THREADS, 1),), (THREADS,), args)


def decompress(prepared: Prepared, first: np.ndarray):
    """(points, ok) as batch.batch_verdicts wants them: a device array of -A_i at row i (first of equal keys),
    -R_i at row n + i, B at row 2n, cached form; ok[i] when A_i and R_i decode under ZIP 215 and S_i < L."""
    import cupy

    n = prepared.count
    pts = cupy.empty((2 * n + 1) * POINT_BYTES, dtype=cupy.uint8)
    ok_a, ok_r = cupy.empty(n, dtype=cupy.uint8), cupy.empty(n, dtype=cupy.uint8)
    keys, sigs = np.ascontiguousarray(prepared.public_keys), np.ascontiguousarray(prepared.signatures)
    _launch("ed25519_batch_decompress", n, (cupy.asarray(keys), cupy.asarray(sigs),
                                            cupy.asarray(first.astype(np.int64)), np.uint64(n), pts, ok_a, ok_r))
    return pts, decoded(ok_a.get(), ok_r.get(), first)


def lanes() -> int:
    """Threads counted as running at once (batch.msm_plan): multiprocessors times GPU_THREADS_PER_UNIT."""
    import cupy

    return int(cupy.cuda.Device().attributes["MultiProcessorCount"]) * GPU_THREADS_PER_UNIT


def msm_is_small_order(points, rows: np.ndarray, scalars: np.ndarray) -> bool:
    """[8](sum_j [scalars[j]] points[rows[j]]) is the identity: the scalars recoded in signed digits on the host,
    buckets per (window, chunk), the chunks summed per window, the windows combined and checked by one thread
    (the C core's three MSM kernels)."""
    import cupy

    m = int(rows.size)
    free_bytes = cupy.cuda.Device().mem_info[0]
    c, chunks = msm_plan(m, lanes(), free_bytes // (2 * POINT_BYTES))
    windows, digits = signed_windows(c), signed_digits(scalars, c)
    items, per_item = windows * chunks, 1 << (c - 1)
    partial = cupy.empty(items * POINT_BYTES, dtype=cupy.uint8)
    sums = cupy.empty(windows * POINT_BYTES, dtype=cupy.uint8)
    out = cupy.zeros(1, dtype=cupy.uint8)
    _launch("ed25519_msm_buckets", items, (points, cupy.asarray(rows.astype(np.int64)), cupy.asarray(digits),
                                           np.uint64(m), np.uint32(c), np.uint32(windows), np.uint32(chunks),
                                           cupy.empty(items * per_item * POINT_BYTES, dtype=cupy.uint8),
                                           cupy.empty(items * per_item, dtype=cupy.uint8), partial))
    _launch("ed25519_msm_windows", windows, (partial, np.uint32(windows), np.uint32(chunks), sums))
    _launch("ed25519_msm_is_small_order", 1, (sums, np.uint32(windows), np.uint32(c), out))
    return bool(out.get()[0])


def verify_prepared_batch(prepared: Prepared) -> np.ndarray:
    """ZIP 215 verdicts by batch verification (batch.py): random linear combination, one multi-scalar
    multiplication on the GPU, bisection on failure; identical to verify_prepared(prepared, "zip215")."""
    return batch_verdicts(prepared, decompress, msm_is_small_order, lambda p: verify_prepared(p, "zip215"))
