"""Energy per operation: measured where a meter can be read (measure/meters.py), otherwise a labelled model.

The model, per phase of one batch (joules; divided by the batch for the `energy_j_per_item` column):

    core   = active power per core x cores the phase really kept busy x wall time
    memory = bytes moved x energy per byte of the path they take: DRAM for CPU phases, PCIe (plus the host's
             DRAM) for h2d / d2h, HBM inside a GPU kernel
    gpu    = the board's power above idle x wall time (GPU phases only; HBM traffic is part of it)

Bytes moved are the row's own `bytes_per_item` x batch size (the hot path's count of what one item touches),
charged once per phase: for d2h, whose outputs are usually smaller than the inputs, an upper bound. Cores: a
phase run by one host thread (pack, h2d, d2h, and every phase of a GPU backend, whose host thread drives the
device) is one core; a CPU kernel is the threads it really used (the `device` column). Every assumption has
its value, unit and source in ``EnergyModel`` and in every run-<id>.json.

A measured row (`measured-rapl`, `measured-nvml`) is the meter's energy over a window of at least
`energy_seconds`, idle power subtracted. Compile and fault-cost rows carry no per-item energy.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields, replace

from .. import anchors
from .fingerprint import cpu_info, gpu_info
from .meters import MeterUnavailable, NvmlMeter, gpu_meter, meter_status

# (vendor, family, model) -> (watts per active core, where the figure comes from)
CPU_WATTS_PER_CORE = {
    ("AuthenticAMD", 25, 17): (3.75, "assumed: AMD EPYC 9654 (Zen 4 'Genoa', family 25 model 17) TDP 360 W / 96 cores; "
                                     "the VM hides the exact SKU"),
    ("AuthenticAMD", 25, 1): (5.0, "assumed: AMD EPYC 7313 (Zen 3, IC gen-2 node CPU) TDP 155 W / 16 cores ~ 9.7 W; "
                                    "halved for the shared uncore"),
}
GENERIC_WATTS_PER_CORE = (10.0, "assumed: generic server core at 10 W (no figure for this CPU model)")

# Energy per byte moved (docs/REFERENCES.md section 4, marked there as unconfirmed; the same figures as the emulator
# profiles in kernels/emulation/profiles.py).
DRAM_J_PER_BYTE = (20e-12 * 8, "unconfirmed: DDR4 ~15-22 pJ/bit (docs/REFERENCES.md section 4); 20 pJ/bit = 160 pJ/B taken")
PCIE_J_PER_BYTE = (7.5e-12 * 8, "unconfirmed: PCIe ~5-10 pJ/bit (docs/REFERENCES.md section 4); 7.5 pJ/bit = 60 pJ/B taken")
HBM_J_PER_BYTE = (3.9e-12 * 8, "unconfirmed: HBM2 ~3.9 pJ/bit = 31.2 pJ/B (docs/REFERENCES.md section 4)")

# Operation energies, Horowitz ISSCC 2014 at 45 nm (docs/REFERENCES.md section 4): ratios, not figures for today's nodes.
HOROWITZ_45NM_J = {"add32": 0.1e-12, "mul32": 3.1e-12, "sram64_8kb": 10e-12, "sram64_1mb": 100e-12,
                   "dram64": 1.3e-9}

# GPU board power when no energy counter can be read: the H100 SXM power limit (docs/REFERENCES.md section 4).
GPU_BOARD_LIMIT_W = (anchors.H100_SXM_POWER_W, "H100 SXM board power limit 700 W (docs/REFERENCES.md section 4)")
GPU_IDLE_SHARE = 0.1  # assumed: idle board power as a share of the limit when NVML cannot measure it (no source)

TRANSFER_PHASES = ("h2d", "d2h")
ONE_THREAD_PHASES = ("pack", "h2d", "d2h")  # one host thread does these, whatever the backend
METHODS = ("measured-nvml", "measured-rapl", "modeled")


@dataclass(frozen=True)
class Assumption:
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Breakdown:
    """Modeled joules of one phase of one batch, by component. `hbm_j` is the part of `gpu_j` that is HBM
    traffic (already inside the board's power, so not added again)."""

    core_j: float = 0.0
    dram_j: float = 0.0
    pcie_j: float = 0.0
    gpu_j: float = 0.0
    hbm_j: float = 0.0

    @property
    def total_j(self) -> float:
        return self.core_j + self.dram_j + self.pcie_j + self.gpu_j

    @property
    def movement_j(self) -> float:
        return self.dram_j + self.pcie_j + self.hbm_j


@dataclass(frozen=True)
class EnergyModel:
    """The model's assumptions, each with its value, unit and source (halved and doubled by the sensitivity
    table, written into every run-<id>.json)."""

    core_w: Assumption
    dram_j_per_byte: Assumption
    pcie_j_per_byte: Assumption
    hbm_j_per_byte: Assumption
    gpu_w: Assumption
    gpu_idle_w: Assumption

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def scaled(self, name: str, factor: float) -> "EnergyModel":
        """This model with one assumption multiplied by `factor`."""
        old = getattr(self, name)
        return replace(self, **{name: replace(old, value=old.value * factor, source=f"{old.source} (x {factor:g})")})

    def as_dict(self) -> dict:
        return {n: {"value": getattr(self, n).value, "unit": getattr(self, n).unit, "source": getattr(self, n).source}
                for n in self.names()}

    @classmethod
    def from_dict(cls, record: dict) -> "EnergyModel":
        return cls(**{n: Assumption(float(record[n]["value"]), record[n]["unit"], record[n]["source"])
                      for n in cls.names()})

    def breakdown(self, kind: str, phase: str, seconds: float, items: int, bytes_per_item: float,
                  cores: int) -> Breakdown:
        """Modeled joules of one phase of one batch. `kind`: "CPU" or "GPU" (the device of the backend);
        `cores`: the CPU threads the kernel used (ignored where one thread does the work)."""
        moved = max(bytes_per_item, 0.0) * max(items, 0)
        core = self.core_w.value * charged_cores(kind, phase, cores) * seconds
        dram, pcie, hbm = (moved * a.value for a in (self.dram_j_per_byte, self.pcie_j_per_byte, self.hbm_j_per_byte))
        if kind == "CPU" or phase == "pack":
            return Breakdown(core_j=core, dram_j=dram)
        gpu = self.gpu_w.value * seconds
        if phase in TRANSFER_PHASES:
            return Breakdown(core_j=core, dram_j=dram, pcie_j=pcie, gpu_j=gpu)
        if phase == "kernel":
            return Breakdown(core_j=core, gpu_j=gpu, hbm_j=hbm)
        return Breakdown(core_j=core, dram_j=dram, pcie_j=pcie, gpu_j=gpu, hbm_j=hbm)  # end_to_end

    def j_per_item(self, kind: str, phase: str, seconds: float, items: int, bytes_per_item: float,
                   cores: int) -> float:
        return self.breakdown(kind, phase, seconds, items, bytes_per_item, cores).total_j / max(items, 1)


def charged_cores(kind: str, phase: str, cores: int) -> int:
    """Cores the model charges: one for one-thread phases and for a GPU backend's host thread, else the
    threads the kernel really used."""
    return 1 if kind == "GPU" or phase in ONE_THREAD_PHASES else max(int(cores), 1)


def cpu_core_assumption() -> Assumption:
    info = cpu_info()
    watts, source = CPU_WATTS_PER_CORE.get((info["vendor"], info["family"], info["model"]), GENERIC_WATTS_PER_CORE)
    return Assumption(watts, "W per active core", f"{source} (detected: {info['vendor']} family {info['family']} "
                                                  f"model {info['model']})")


def gpu_assumptions() -> tuple[Assumption, Assumption]:
    """(board power above idle while busy, idle board power): from NVML where it can be read (the enforced
    power limit; idle measured over a quiet second), else from nvidia-smi's limit, else the H100 SXM limit."""
    meter = gpu_meter()
    limit, source = GPU_BOARD_LIMIT_W
    if isinstance(meter, NvmlMeter) and meter.power_limit_w():
        limit, source = meter.power_limit_w(), f"NVML enforced power limit of {meter.gpu_name}"
    elif gpu_info() and _watts(gpu_info().get("power_limit", "")):
        limit, source = _watts(gpu_info()["power_limit"]), f"nvidia-smi power limit of {gpu_info()['name']}"
    if isinstance(meter, NvmlMeter):
        idle = Assumption(meter.idle_watts, "W", f"measured: NVML energy over a quiet second on {meter.gpu_name}")
    else:
        idle = Assumption(GPU_IDLE_SHARE * limit, "W", f"assumed: {GPU_IDLE_SHARE:.0%} of the board limit ({source}); "
                                                       f"NVML unreadable here ({meter})")
    busy = Assumption(limit - idle.value, "W above idle",
                      f"upper bound: the board at its power limit for the whole phase ({source}), minus idle")
    return busy, idle


def _watts(text: str) -> float | None:
    match = re.search(r"([\d.]+)\s*W", str(text))
    return float(match.group(1)) if match else None


@functools.cache
def default_model() -> EnergyModel:
    """The model for this machine (its CPU's per-core power, this GPU's limit and idle power where NVML says)."""
    busy, idle = gpu_assumptions()
    return EnergyModel(
        core_w=cpu_core_assumption(),
        dram_j_per_byte=Assumption(DRAM_J_PER_BYTE[0], "J/B", DRAM_J_PER_BYTE[1]),
        pcie_j_per_byte=Assumption(PCIE_J_PER_BYTE[0], "J/B", PCIE_J_PER_BYTE[1]),
        hbm_j_per_byte=Assumption(HBM_J_PER_BYTE[0], "J/B", HBM_J_PER_BYTE[1]),
        gpu_w=busy, gpu_idle_w=idle)


def model_assumptions() -> dict:
    """What run-<id>.json records about energy: every assumption with its source, the meters (or why there is
    none), and which rows carry energy by which method."""
    return {
        "assumptions": default_model().as_dict(),
        "meters": meter_status(),
        "modeled": "core = W per active core x cores the phase used (pack, h2d, d2h and GPU backends' host thread: 1) "
                   "x median time; + bytes_per_item x batch x J/B of DRAM (CPU phases, host side of transfers), "
                   "PCIe (h2d, d2h, GPU end_to_end); + GPU board power above idle x time (GPU phases; HBM inside it); "
                   "divided by the batch",
        "measured": "measured-rapl (package + DRAM domains) or measured-nvml (board total energy): the call repeated "
                    "over a window of at least energy_seconds, idle power subtracted, divided by calls x batch; "
                    "kernel and end_to_end phases only (pack, h2d, d2h are modeled)",
        "no_energy": "compile and fault-cost rows: energy_j_per_item empty, energy_method empty",
        "operation_energies_45nm_j": HOROWITZ_45NM_J,
    }


def alu_floor_j(integer_ops: float) -> float:
    """Energy of `integer_ops` 32-bit adds at 45 nm (Horowitz ISSCC 2014): a floor for integer work, not an
    estimate of any real processor (which spends far more on fetching, decoding and moving data)."""
    return integer_ops * HOROWITZ_45NM_J["add32"]


def row_device(backend: str, device: str, logical_cores: int) -> tuple[str, int]:
    """("CPU" or "GPU", CPU threads) of a result row, read from its backend and `device` column the way the
    harness wrote them (devices.describe): "CPU, N cores"; an OpenCL CPU device uses every logical core."""
    from ..registry import BACKEND_TABLE

    row = BACKEND_TABLE.get(backend)
    label = str(device)
    if row is not None and row.api == "cuda":
        return "GPU", 0
    if row is not None and row.api == "opencl":
        cpu = any(word in label.lower() for word in ("cpu", "pthread", "portable computing language"))
        return ("CPU", logical_cores) if cpu else ("GPU", 0)
    match = re.search(r"(\d+) cores?", label)
    return "CPU", int(match.group(1)) if match else 1


def case_kind(cores: int) -> str:
    """A case's device kind: devices.describe gives a GPU (CUDA or OpenCL) zero CPU cores."""
    return "GPU" if cores == 0 else "CPU"


def meter_for(kind: str, phase: str):
    """The meter that can measure this phase here (RAPL for CPU work, NVML for GPU work), or None; only the
    kernel and end_to_end phases are metered."""
    from . import meters

    if phase not in ("kernel", "end_to_end"):
        return None
    meter = meters.gpu_meter() if kind == "GPU" else meters.cpu_meter()
    return None if isinstance(meter, MeterUnavailable) else meter
