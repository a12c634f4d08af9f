"""One staged base per device API (OpenCL, CuPy, numba.cuda): device buffers allocated once, h2d, d2h and
synchronisation owned here, so transfer times mean the same thing on every backend. A backend subclass only
launches its kernel (`launch`) and, where needed, turns the copied-back outputs into its result (`result`).

    class Staged(OpenCLStaged):
        def __init__(self, packed):
            super().__init__(inputs={"data": packed.data, "offsets": packed.offsets},
                             outputs={"out": np.empty((packed.count, 32), np.uint8)})
        def launch(self):
            kernel(self.queue, (n,), None, self.dev["data"], self.dev["offsets"], ..., self.dev["out"])

`inputs` are copied to the device by `h2d`; `outputs` are host arrays that `d2h` fills (a name in both is one
device buffer: updated in place, as `copy_pages` does); `scratch` is device-only ({name: (shape, dtype)});
`constants` are copied once at construction (tables). With `pinned=True` (CUDA only) the inputs and outputs
are staged through page-locked host buffers, copied there at construction, outside any timed phase.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class StagedBase:
    """h2d / kernel / d2h / sync over device buffers allocated once; `run()` is the whole staged call."""

    def __init__(self, inputs: Mapping[str, np.ndarray] | None = None, outputs: Mapping[str, np.ndarray] | None = None,
                 scratch: Mapping[str, tuple] | None = None, constants: Mapping[str, np.ndarray] | None = None,
                 pinned: bool = False):
        self.inputs = {k: np.ascontiguousarray(v) for k, v in (inputs or {}).items()}
        self.outputs = dict(outputs or {})
        for name, array in self.outputs.items():
            if not array.flags.c_contiguous:
                raise ValueError(f"output {name!r} must be C-contiguous (d2h copies into it)")
        self.pinned = pinned
        self.host_in = {k: self._host_copy(v) for k, v in self.inputs.items()}
        self.host_out = {k: self._host_copy(v) for k, v in self.outputs.items()}
        self.dev = {}
        for name, array in {**self.inputs, **self.outputs}.items():
            self.dev[name] = self._alloc(array.shape, array.dtype)
        for name, (shape, dtype) in (scratch or {}).items():
            self.dev[name] = self._alloc(shape, np.dtype(dtype))
        for name, array in (constants or {}).items():
            self.dev[name] = self._alloc(array.shape, array.dtype)
            if array.size:
                self._to_device(self.dev[name], np.ascontiguousarray(array))
        self.sync()

    # --- what each device API provides -------------------------------------------------------------------
    def _alloc(self, shape: tuple, dtype: np.dtype):
        raise NotImplementedError

    def _to_device(self, device, host: np.ndarray) -> None:
        raise NotImplementedError

    def _to_host(self, host: np.ndarray, device) -> None:
        raise NotImplementedError

    def _pinned_empty(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        raise ValueError(f"{type(self).__name__} has no page-locked host memory")

    def sync(self) -> None:
        raise NotImplementedError

    # --- what a backend provides --------------------------------------------------------------------------
    def launch(self) -> None:
        """Enqueue the kernel(s) on data already on the device."""
        raise NotImplementedError

    def result(self):
        """The call's return value once outputs are on the host (default: the only output, or None)."""
        if len(self.outputs) == 1:
            return next(iter(self.outputs.values()))
        return None

    # --- the phases ---------------------------------------------------------------------------------------
    def _host_copy(self, array: np.ndarray) -> np.ndarray:
        if not self.pinned:
            return array
        buffer = self._pinned_empty(array.shape, array.dtype)
        buffer[...] = array
        return buffer

    def h2d(self) -> None:
        for name, host in self.host_in.items():
            if host.size:
                self._to_device(self.dev[name], host)

    def kernel(self) -> None:
        self.launch()

    def d2h(self):
        for name, host in self.host_out.items():
            if host.size:
                self._to_host(host, self.dev[name])
        self.sync()
        if self.pinned:
            for name, host in self.host_out.items():
                self.outputs[name][...] = host
        return self.result()

    def phases(self) -> dict:
        """{phase: callable} for the harness: the transfers and the kernel apart."""
        return {"h2d": self.h2d, "kernel": self.kernel, "d2h": self.d2h}

    def run(self):
        """h2d, kernel, d2h, synchronised: the backend's whole call on this batch."""
        self.h2d()
        self.kernel()
        out = self.d2h()
        self.sync()
        return out


class OpenCLStaged(StagedBase):
    """Buffers on the shared OpenCL queue's device (devices.opencl_queue)."""

    def __init__(self, *args, **kwargs):
        from .. import devices

        self.queue = devices.opencl_queue()
        super().__init__(*args, **kwargs)

    def _alloc(self, shape, dtype):
        import pyopencl as cl

        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        limit = self._limit()
        if nbytes > limit:
            from ..registry import BackendUnavailable

            raise BackendUnavailable(f"opencl: a buffer of {nbytes:,} bytes exceeds the device's largest allocation "
                                     f"(CL_DEVICE_MAX_MEM_ALLOC_SIZE = {limit:,} bytes)")
        return cl.Buffer(self.queue.context, cl.mem_flags.READ_WRITE, max(nbytes, 1))  # no zero-size buffers

    def _limit(self) -> int:
        """CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest buffer the device can hold."""
        return int(self.queue.device.max_mem_alloc_size)

    def _to_device(self, device, host):
        import pyopencl as cl

        cl.enqueue_copy(self.queue, device, host)

    def _to_host(self, host, device):
        import pyopencl as cl

        cl.enqueue_copy(self.queue, host, device)

    def sync(self) -> None:
        self.queue.finish()


class CupyStaged(StagedBase):
    """CuPy arrays on the current device and stream."""

    def _alloc(self, shape, dtype):
        import cupy

        return cupy.empty(shape if int(np.prod(shape)) else (1,), dtype=dtype)

    def _to_device(self, device, host):
        device.set(host)

    def _to_host(self, host, device):
        device.get(out=host)

    def _pinned_empty(self, shape, dtype):
        import cupyx

        return cupyx.empty_pinned(shape, dtype=dtype)

    def sync(self) -> None:
        import cupy

        cupy.cuda.get_current_stream().synchronize()


class NumbaCudaStaged(StagedBase):
    """numba.cuda device arrays (also on the CUDA simulator, for correctness)."""

    def _alloc(self, shape, dtype):
        from numba import cuda

        return cuda.device_array(shape if int(np.prod(shape)) else (1,), dtype=dtype)

    def _to_device(self, device, host):
        device.copy_to_device(host)

    def _to_host(self, host, device):
        device.copy_to_host(host)

    def _pinned_empty(self, shape, dtype):
        from numba import cuda

        return cuda.pinned_array(shape, dtype=dtype)

    def sync(self) -> None:
        from numba import cuda

        cuda.synchronize()
