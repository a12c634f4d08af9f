"""Energy per operation: measured where a meter exists (NVML on NVIDIA GPUs), otherwise a labelled model.

The project's CPUs expose no RAPL counters, so CPU energy is modeled: an assumed package power per active
core times the measured time. The assumption for each CPU is written here with its source; a CPU not in
the table gets a generic figure that says it is generic.
"""
from __future__ import annotations

import ctypes
import functools
import time
from dataclasses import dataclass

from .fingerprint import cpu_info

# (vendor, family, model) -> (watts per active core, where the figure comes from)
CPU_WATTS_PER_CORE = {
    ("AuthenticAMD", 25, 17): (3.75, "assumed: AMD EPYC 9654 (Zen 4 'Genoa', family 25 model 17) TDP 360 W / 96 cores; "
                                     "the VM hides the exact SKU"),
    ("AuthenticAMD", 25, 1): (5.0, "assumed: AMD EPYC 7313 (Zen 3, IC gen-2 node CPU) TDP 155 W / 16 cores ~ 9.7 W; "
                                    "halved for the shared uncore"),
}
GENERIC_WATTS_PER_CORE = (10.0, "assumed: generic server core at 10 W (no figure for this CPU model)")
# H100 SXM board power limit, 700 W (REFERENCES.md section 4): the upper bound used when NVML cannot be read.
GPU_BOARD_WATTS = (700.0, "upper bound: H100 SXM board power limit 700 W x time (REFERENCES.md section 4)")


@dataclass(frozen=True)
class PowerModel:
    watts: float
    source: str


def cpu_power_model(active_cores: int) -> PowerModel:
    info = cpu_info()
    watts, source = CPU_WATTS_PER_CORE.get((info["vendor"], info["family"], info["model"]), GENERIC_WATTS_PER_CORE)
    return PowerModel(watts * active_cores, f"{source}; x {active_cores} active core(s)")


def model_assumptions() -> dict:
    """The energy model's assumptions for this machine, with their sources (recorded in every run-<id>.json)."""
    one = cpu_power_model(1)
    return {"cpu_watts_per_active_core": one.watts, "cpu_source": one.source,
            "gpu_board_watts_when_nvml_unreadable": GPU_BOARD_WATTS[0], "gpu_source": GPU_BOARD_WATTS[1],
            "method": "modeled = watts per active core x cores the kernel used x median time / items; "
                      "measured-nvml = NVML total energy over a window of at least energy_seconds, idle subtracted"}


class Nvml:
    """The few NVML calls the suite needs, through ctypes (no pynvml needed on the GPU image)."""

    def __init__(self):
        self.lib = ctypes.CDLL("libnvidia-ml.so.1")
        if self.lib.nvmlInit_v2() != 0:
            raise OSError("nvmlInit failed")
        self.handle = ctypes.c_void_p()
        if self.lib.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(self.handle)) != 0:
            raise OSError("no NVML device 0")

    def energy_j(self) -> float:
        """Total energy since driver load (Volta and newer), in joules."""
        mj = ctypes.c_ulonglong()
        if self.lib.nvmlDeviceGetTotalEnergyConsumption(self.handle, ctypes.byref(mj)) != 0:
            raise OSError("nvmlDeviceGetTotalEnergyConsumption failed")
        return mj.value / 1e3

    def power_w(self) -> float:
        mw = ctypes.c_uint()
        if self.lib.nvmlDeviceGetPowerUsage(self.handle, ctypes.byref(mw)) != 0:
            raise OSError("nvmlDeviceGetPowerUsage failed")
        return mw.value / 1e3


@functools.cache
def nvml() -> Nvml | None:
    try:
        return Nvml()
    except OSError:
        return None


@functools.cache
def gpu_idle_watts() -> float:
    """Idle board power, read over a quiet second, subtracted from measured windows."""
    meter = nvml()
    e0, t0 = meter.energy_j(), time.perf_counter()
    time.sleep(1.0)
    return (meter.energy_j() - e0) / (time.perf_counter() - t0)


def measure_gpu_energy(fn, sync, items: int, min_seconds: float = 1.0) -> float | None:
    """Joules per item above idle over a window of at least `min_seconds` (NVML updates every 20-100 ms),
    or None when NVML is not readable."""
    meter = nvml()
    if meter is None:
        return None
    idle = gpu_idle_watts()
    sync()
    e0, t0, calls = meter.energy_j(), time.perf_counter(), 0
    while time.perf_counter() - t0 < min_seconds:
        fn()
        calls += 1
    sync()
    elapsed = time.perf_counter() - t0
    joules = meter.energy_j() - e0 - idle * elapsed
    return max(joules, 0.0) / (calls * max(items, 1))
