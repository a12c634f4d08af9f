"""Ed25519 verification in OpenCL (PyOpenCL): one work-item per signature, the C core shared with CUDA; batch
verification under ZIP 215 (``verify_prepared_batch``: the driver is batch.py, the decompression and the
multi-scalar multiplication are the C core's batch kernels)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import devices
from ..measure.staged import OpenCLStaged
from .batch import (GPU_THREADS_PER_UNIT, POINT_BYTES, SINGLE_AT_MOST, batch_verdicts, decoded, msm_plan,
                    signed_digits, signed_windows)
from .prepare import Prepared, PreparedStaged

SOURCE = str(Path(__file__).with_name("ed25519.cl"))  # radix 2^25.5, 32-bit limbs: GPUs
SOURCE_FE51 = str(Path(__file__).with_name("ed25519_fe51.cl"))  # radix 2^51, 128-bit products: CPU devices


def source_for(device) -> str:
    """The same C core, built with the field layout that suits the device: a 64 x 64 -> 128-bit multiply is
    one instruction on a CPU (mul_hi), while GPUs multiply 32-bit words natively."""
    import pyopencl as cl

    return SOURCE_FE51 if device.type & cl.device_type.CPU else SOURCE


def compile() -> None:
    from .prepare import prepare

    devices.opencl_program(source_for(devices.opencl_queue().device))
    n = 2 * SINGLE_AT_MOST  # all-zero keys and signatures: valid under ZIP 215, one multi-scalar multiplication
    assert verify_prepared_batch(prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n)).all()


def local_size(device) -> tuple[int] | None:
    """(1,) on CPU devices: PoCL vectorises work-groups across work-items, which this branchy kernel (sliding
    windows, early rejections) defeats; timed in alternation, groups of one were a few per cent faster than
    PoCL's own choice (a small, noisy difference). GPUs: the driver's choice."""
    import pyopencl as cl

    return (1,) if device.type & cl.device_type.CPU else None


KERNEL_NAMES = {"libsodium": "ed25519_verify", "zip215": "ed25519_verify_zip215"}  # one program, both rule sets


class Staged(PreparedStaged, OpenCLStaged):
    """The prepared batch's keys, signatures and challenges on the device; one verdict byte per signature."""

    def __init__(self, prepared: Prepared, rules: str = "libsodium"):
        super().__init__(prepared)
        self.kernel_fn = devices.opencl_kernel(source_for(self.queue.device), KERNEL_NAMES[rules])
        self.local_size = local_size(self.queue.device)

    def launch(self) -> None:
        n = self.prepared.count
        if n:
            d = self.dev
            self.kernel_fn(self.queue, (n,), self.local_size, d["pk"], d["sig"], d["h"], np.uint64(n), d["out"])


def signatures_per_buffer(device) -> int:
    """Signatures whose largest buffer (64 bytes each) fits in the device's largest allocation."""
    return max(device.max_mem_alloc_size // 64, 1)


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    """Verdicts (n,) bool under `rules`; a batch larger than the device's largest buffer is verified in parts."""
    per_call = signatures_per_buffer(devices.opencl_queue().device)
    if prepared.count <= per_call:
        return Staged(prepared, rules).run()
    return np.concatenate([Staged(prepared.part(i, i + per_call), rules).run()
                           for i in range(0, prepared.count, per_call)])


# ---- batch verification under ZIP 215: the host driver is batch.py, these are its two device steps --------------

@dataclass(frozen=True)
class DevicePoints:
    """A batch's decoded points on the device (batch.py's `points`): 2n + 1 cached points of POINT_BYTES."""
    buffer: object
    rows: int


def _buffer(host: np.ndarray):
    import pyopencl as cl

    host = np.ascontiguousarray(host)
    return cl.Buffer(devices.opencl_queue().context, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR,
                     hostbuf=host if host.size else np.zeros(1, host.dtype))


def _scratch(nbytes: int):
    import pyopencl as cl

    return cl.Buffer(devices.opencl_queue().context, cl.mem_flags.READ_WRITE, max(int(nbytes), 1))


def _kernel(name: str):
    queue = devices.opencl_queue()
    return devices.opencl_kernel(source_for(queue.device), name), queue, local_size(queue.device)


def decompress(prepared: Prepared, first: np.ndarray) -> tuple[DevicePoints, np.ndarray]:
    """(points, ok) as batch.batch_verdicts wants them: -A_i at row i (first of equal keys), -R_i at row n + i,
    B at row 2n, on the device; ok[i] when A_i and R_i decode under ZIP 215 and S_i < L."""
    import pyopencl as cl

    n = prepared.count
    kernel, queue, local = _kernel("ed25519_batch_decompress")
    pts, ok_a, ok_r = _scratch((2 * n + 1) * POINT_BYTES), np.empty(n, np.uint8), np.empty(n, np.uint8)
    ok_a_dev, ok_r_dev = _scratch(n), _scratch(n)
    kernel(queue, (n,), local, _buffer(prepared.public_keys), _buffer(prepared.signatures),
           _buffer(first.astype(np.int64)), np.uint64(n), pts, ok_a_dev, ok_r_dev)
    cl.enqueue_copy(queue, ok_a, ok_a_dev)
    cl.enqueue_copy(queue, ok_r, ok_r_dev)
    return DevicePoints(pts, 2 * n + 1), decoded(ok_a, ok_r, first)


def lanes(device) -> int:
    """Work-items counted as running at once (batch.msm_plan): a CPU device's cores, a GPU's compute units times
    GPU_THREADS_PER_UNIT."""
    import pyopencl as cl

    units = int(device.max_compute_units)
    return units if device.type & cl.device_type.CPU else units * GPU_THREADS_PER_UNIT


def msm_is_small_order(points: DevicePoints, rows: np.ndarray, scalars: np.ndarray) -> bool:
    """[8](sum_j [scalars[j]] points[rows[j]]) is the identity: the scalars recoded in signed digits on the host,
    buckets per (window, chunk), the chunks summed per window, the windows combined and checked by one work-item
    (the C core's three MSM kernels)."""
    import pyopencl as cl

    m = int(rows.size)
    device = devices.opencl_queue().device
    c, chunks = msm_plan(m, lanes(device), int(device.max_mem_alloc_size) // POINT_BYTES)
    windows, digits = signed_windows(c), signed_digits(scalars, c)
    items, per_item = windows * chunks, 1 << (c - 1)
    partial, sums, out = _scratch(items * POINT_BYTES), _scratch(windows * POINT_BYTES), np.zeros(1, np.uint8)
    out_dev = _scratch(1)
    kernel, queue, local = _kernel("ed25519_msm_buckets")
    kernel(queue, (items,), local, points.buffer, _buffer(rows.astype(np.int64)), _buffer(digits), np.uint64(m),
           np.uint32(c), np.uint32(windows), np.uint32(chunks), _scratch(items * per_item * POINT_BYTES),
           _scratch(items * per_item), partial)
    kernel, queue, local = _kernel("ed25519_msm_windows")
    kernel(queue, (windows,), local, partial, np.uint32(windows), np.uint32(chunks), sums)
    kernel, queue, _ = _kernel("ed25519_msm_is_small_order")
    kernel(queue, (1,), None, sums, np.uint32(windows), np.uint32(c), out_dev)
    cl.enqueue_copy(queue, out, out_dev)
    return bool(out[0])


def batch_signatures_per_buffer(device) -> int:
    """Signatures whose decoded points (two per signature, POINT_BYTES each) fit in the device's largest
    allocation: a larger batch is batch-verified in parts of this size."""
    return max((int(device.max_mem_alloc_size) // POINT_BYTES - 1) // 2, 1)


def verify_prepared_batch(prepared: Prepared) -> np.ndarray:
    """ZIP 215 verdicts by batch verification (batch.py): random linear combination, one multi-scalar
    multiplication on the device, bisection on failure; identical to verify_prepared(prepared, "zip215")."""
    per_call = batch_signatures_per_buffer(devices.opencl_queue().device)
    single = lambda p: verify_prepared(p, "zip215")  # noqa: E731
    if prepared.count <= per_call:
        return batch_verdicts(prepared, decompress, msm_is_small_order, single)
    return np.concatenate([batch_verdicts(prepared.part(i, i + per_call), decompress, msm_is_small_order, single)
                           for i in range(0, prepared.count, per_call)])
