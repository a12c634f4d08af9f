"""Which compute devices this process can reach, and the shared handles to them.

One place answers "is backend X usable here, and if not, why": the registry, `python -m kernels info`,
the notebooks and the tests all ask `unavailable_reason(backend)`. Nothing falls back silently.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

COMMON_DIR = Path(__file__).parent / "common"


def cuda_simulated() -> bool:
    """True when numba.cuda runs on its CPU simulator (correctness only, never timed). Numba reads
    NUMBA_ENABLE_CUDASIM once, when it is first imported: ask its config, not the environment."""
    try:
        from numba.core import config
    except ImportError:
        return False
    return bool(config.ENABLE_CUDASIM)


@functools.cache
def _opencl_reason() -> str | None:
    try:
        import pyopencl as cl
    except ImportError as e:
        return f"pyopencl is not installed ({e})"
    try:
        platforms = cl.get_platforms()
    except cl.Error as e:
        return f"no OpenCL platform (install pocl-opencl-icd): {e}"
    if not any(p.get_devices() for p in platforms):
        return "OpenCL platforms found but no device"
    return None


@functools.cache
def _numba_cuda_reason() -> str | None:
    try:
        from numba import cuda
    except ImportError as e:
        return f"numba.cuda is not installed (pip install numba-cuda): {e}"
    if cuda_simulated():
        return None
    try:
        if cuda.is_available():
            return None
    except Exception as e:  # driver present but broken
        return f"CUDA driver error: {e}"
    return "no CUDA GPU (set NUMBA_ENABLE_CUDASIM=1 for the simulator: correctness only)"


@functools.cache
def _cupy_reason() -> str | None:
    try:
        import cupy
    except ImportError as e:
        return f"CuPy is not installed (pip install '.[gpu]'): {e.__class__.__name__}"
    try:
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return None
    except Exception as e:
        return f"no CUDA GPU: {e}"
    return "no CUDA GPU"


_REASONS = {
    "reference": lambda: None,
    "library": lambda: None,
    "numba_cpu": lambda: None,
    "opencl": _opencl_reason,
    "numba_cuda": _numba_cuda_reason,
    "cupy": _cupy_reason,
}


def unavailable_reason(backend: str) -> str | None:
    """None if `backend` can run in this process, else the reason it cannot."""
    return _REASONS[backend]()


@functools.cache
def opencl_queue():
    """The OpenCL context and queue all kernels share: the first device of the first platform that has one,
    unless PYOPENCL_CTX picks another. Profiling is on so kernel phases can be timed by events."""
    import pyopencl as cl

    if os.environ.get("PYOPENCL_CTX"):
        ctx = cl.create_some_context(interactive=False)
    else:
        device = next(d for p in cl.get_platforms() for d in p.get_devices())
        ctx = cl.Context([device])
    return cl.CommandQueue(ctx, properties=cl.command_queue_properties.PROFILING_ENABLE)


@functools.cache
def opencl_program(source_path: str):
    """Build an OpenCL program from a .cl file, with kernels/common on the include path."""
    import pyopencl as cl

    queue = opencl_queue()
    source = Path(source_path).read_text()
    return cl.Program(queue.context, source).build(options=["-I", str(COMMON_DIR)])


@functools.cache
def opencl_kernel(source_path: str, name: str):
    """One kernel object per (source, name): PyOpenCL makes a new one on each attribute access."""
    import pyopencl as cl

    return cl.Kernel(opencl_program(source_path), name)


def opencl_device_name() -> str:
    d = opencl_queue().device
    return f"{d.platform.name}: {d.name}"


@functools.cache
def cupy_module(source_path: str):
    """Compile a .cu file with NVRTC through CuPy, kernels/common on the include path."""
    import cupy

    return cupy.RawModule(code=Path(source_path).read_text(), options=("-I" + str(COMMON_DIR), "--std=c++14"))


def opencl_device_kind() -> str:
    """"GPU", "CPU" or "accelerator": what the OpenCL device is, read from the device itself."""
    import pyopencl as cl

    kind = opencl_queue().device.type
    return "GPU" if kind & cl.device_type.GPU else "CPU" if kind & cl.device_type.CPU else "accelerator"


def numba_threads() -> int:
    """Threads a parallel Numba kernel uses now (numba.set_num_threads may lower it)."""
    import numba

    return int(numba.get_num_threads())


@dataclass(frozen=True)
class DeviceInfo:
    """What ran a measurement: kind ("CPU", "GPU", "CUDA simulator"), a label for the `device` column, and
    the CPU cores it kept busy (0 for a GPU, whose energy is the board's)."""

    kind: str
    label: str
    cores: int


def describe(backend: str, threads: int | None = None) -> DeviceInfo:
    """The device a backend runs on here, read from the device: an OpenCL GPU is a GPU, and a kernel that ran
    on one thread (`threads=1`) is one core. `threads` overrides the backend's default thread count."""
    from .measure.fingerprint import gpu_info
    from .registry import backend_row

    row = backend_row(backend)
    if row.api == "cuda":
        if cuda_simulated() and backend == "numba_cuda":
            return DeviceInfo("CUDA simulator", "CUDA simulator", 1)
        gpu = gpu_info()
        return DeviceInfo("GPU", gpu["name"] if gpu else "CUDA GPU", 0)
    if row.api == "opencl":
        kind = opencl_device_kind()
        cores = (threads or os.cpu_count() or 1) if kind == "CPU" else 0
        return DeviceInfo(kind, opencl_device_name(), cores)
    cores = threads or (numba_threads() if row.parallel else 1)
    return DeviceInfo("CPU", f"CPU, {cores} core{'s' if cores > 1 else ''}", cores)


def cuda_event_timer(backend: str):
    """timer(fn) -> seconds measured with CUDA events around one call (GPU kernel phases)."""
    if backend == "cupy":
        import cupy

        def timer(fn):
            start, end = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            fn()
            end.record()
            end.synchronize()
            return cupy.cuda.get_elapsed_time(start, end) / 1e3

        return timer
    if backend == "numba_cuda":
        from numba import cuda

        def timer(fn):
            start, end = cuda.event(timing=True), cuda.event(timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return cuda.event_elapsed_time(start, end) / 1e3

        return timer
    raise ValueError(f"{backend} has no CUDA events")
