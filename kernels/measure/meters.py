"""Energy meters: one interface, ``with meter.window() as w: ...; w.joules``.

- ``RaplMeter``: the Linux powercap tree (``/sys/class/powercap/intel-rapl:*``; AMD processors register under
  the same names, with package and core domains and no DRAM domain). It sums the package domains and the DRAM
  domains (core, uncore and psys are parts of a package or the whole platform, so they are never added) and
  handles a counter that wraps at ``max_energy_range_uj``. ``energy_uj`` is root-only since Linux 5.10 and
  absent in most VMs (docs/REFERENCES.md section 4): an unreadable file or a missing tree makes the meter
  unavailable, with the reason.
- ``NvmlMeter``: NVML through ``nvidia-ml-py`` (the official binding): the board's total energy counter
  (Volta and newer, millijoules since driver load). The counter updates every 20-100 ms (docs/REFERENCES.md
  section 4), so callers measure windows of about a second or more and subtract idle power.

A window's ``joules`` is everything the meter saw; ``measure_per_call`` repeats a call over a window and
subtracts the meter's idle power, which is what a row's ``measured-*`` energy is.
"""
from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

POWERCAP = Path("/sys/class/powercap")
IDLE_SECONDS = 1.0  # quiet time over which idle power is read (NVML updates every 20-100 ms: several updates)


class MeterUnavailable(RuntimeError):
    """No meter of this kind can be read here; the message says why."""


@dataclass
class Window:
    """One measurement window: `joules` the meter read over it (idle included), `seconds` its wall time."""

    joules: float = float("nan")
    seconds: float = float("nan")


class Meter:
    """Base class: `method` labels the rows it measures; `read()` is a monotonic joule count."""

    method = ""
    name = ""

    def read(self) -> float:
        raise NotImplementedError

    @contextmanager
    def window(self):
        w = Window()
        e0, t0 = self.read(), time.perf_counter()
        yield w
        w.seconds = time.perf_counter() - t0
        w.joules = self.delta(e0, self.read())

    def delta(self, before: float, after: float) -> float:
        return after - before

    @functools.cached_property
    def idle_watts(self) -> float:
        """Power with nothing of ours running, read once over IDLE_SECONDS (subtracted from every window)."""
        with self.window() as w:
            time.sleep(IDLE_SECONDS)
        return w.joules / w.seconds


# --- RAPL ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RaplDomain:
    path: Path
    name: str  # "package-0", "dram"
    max_uj: int  # the counter wraps to 0 after this value

    def read_uj(self) -> int:
        return int((self.path / "energy_uj").read_text())


def _domain_dirs(root: Path) -> list[Path]:
    """`intel-rapl:N` (packages) and `intel-rapl:N:M` (their sub-domains); the MMIO duplicate is left out."""
    return sorted(p for p in root.glob("intel-rapl:*") if re.fullmatch(r"intel-rapl(:\d+)+", p.name))


class RaplMeter(Meter):
    """Package and DRAM energy from powercap; MeterUnavailable (with the reason) when it cannot be read."""

    method = "measured-rapl"
    name = "RAPL (powercap)"

    def __init__(self, root: str | Path = POWERCAP):
        root = Path(root)
        dirs = _domain_dirs(root) if root.is_dir() else []
        if not dirs:
            raise MeterUnavailable(f"no RAPL: {root.name or root} has no intel-rapl domains "
                                   "(absent in most VMs; AMD registers under the same names)")
        domains = []
        for d in dirs:
            try:
                name = (d / "name").read_text().strip()
            except OSError as e:
                raise MeterUnavailable(f"RAPL domain {d.name}: name unreadable ({e.strerror})") from None
            if not (name.startswith("package") or name == "dram"):
                continue  # core / uncore are inside a package; psys is the whole platform
            try:
                domain = RaplDomain(d, name, int((d / "max_energy_range_uj").read_text()))
                domain.read_uj()
            except PermissionError:
                raise MeterUnavailable(f"RAPL {d.name}/energy_uj is not readable by this user "
                                       "(root-only since Linux 5.10)") from None
            except (OSError, ValueError) as e:
                raise MeterUnavailable(f"RAPL {d.name}: counter unreadable ({e})") from None
            domains.append(domain)
        if not any(d.name.startswith("package") for d in domains):
            raise MeterUnavailable("RAPL: no package domain")
        self.domains = domains

    def read_all(self) -> list[int]:
        return [d.read_uj() for d in self.domains]

    def read(self) -> float:  # not additive across a wrap: window() uses read_all
        return sum(self.read_all()) / 1e6

    @contextmanager
    def window(self):
        w = Window()
        e0, t0 = self.read_all(), time.perf_counter()
        yield w
        e1 = self.read_all()
        w.seconds = time.perf_counter() - t0
        w.joules = sum(wrapped_delta_uj(a, b, d.max_uj) for a, b, d in zip(e0, e1, self.domains)) / 1e6

    @property
    def domain_names(self) -> list[str]:
        return [d.name for d in self.domains]


def wrapped_delta_uj(before: int, after: int, max_uj: int) -> int:
    """Microjoules between two readings of a counter that wraps to 0 at `max_uj` (max_energy_range_uj); at most
    one wrap per window: windows are seconds, a wrap takes minutes at full power."""
    return after - before if after >= before else after + (max_uj - before)


# --- NVML ------------------------------------------------------------------------------------------------------
class NvmlMeter(Meter):
    """Total board energy of one NVIDIA GPU, from NVML's energy counter (Volta and newer)."""

    method = "measured-nvml"
    name = "NVML total energy"

    def __init__(self, index: int = 0, nvml=None):
        if nvml is None:
            try:
                import pynvml as nvml
            except ImportError:
                raise MeterUnavailable("no NVML: the nvidia-ml-py package is not installed") from None
        self.nvml = nvml
        try:
            nvml.nvmlInit()
            self.handle = nvml.nvmlDeviceGetHandleByIndex(index)
            self.gpu_name = _text(nvml.nvmlDeviceGetName(self.handle))
        except nvml.NVMLError as e:
            raise MeterUnavailable(f"no NVML: {e}") from None
        self.probe()

    def probe(self) -> None:
        """MeterUnavailable unless this GPU gives what `read` needs: the total-energy counter."""
        try:
            self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
        except self.nvml.NVMLError as e:
            raise MeterUnavailable(f"NVML on {self.gpu_name}: no total-energy counter ({e}; Volta and newer "
                                   "have one)") from None

    def read(self) -> float:
        return self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle) / 1e3  # mJ -> J

    def power_limit_w(self) -> float | None:
        """The board's enforced power limit, or None when NVML does not say."""
        try:
            return self.nvml.nvmlDeviceGetEnforcedPowerLimit(self.handle) / 1e3  # mW -> W
        except self.nvml.NVMLError:
            return None


class NvmlPowerMeter(NvmlMeter):
    """Board energy integrated from NVML power readings, for a GPU whose driver has no total-energy counter:
    a thread samples nvmlDeviceGetPowerUsage every SAMPLE_SECONDS during a window (trapezoid rule). Coarser than
    the counter (the reading is itself an average over NVML's update period): prefer NvmlMeter."""

    name = "NVML power readings (integrated)"
    SAMPLE_SECONDS = 0.02

    def probe(self) -> None:
        """MeterUnavailable unless this GPU reports its power draw."""
        try:
            self.power_w()
        except self.nvml.NVMLError as e:
            raise MeterUnavailable(f"no NVML power readings on {self.gpu_name}: {e}") from None

    def power_w(self) -> float:
        return self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3  # mW -> W

    def read(self) -> float:
        raise MeterUnavailable("NVML power readings give watts, not a joule count: use window()")

    @contextmanager
    def window(self):
        import threading

        w, samples, stop = Window(), [], threading.Event()

        def sample():
            while True:
                samples.append((time.perf_counter(), self.power_w()))
                if stop.wait(self.SAMPLE_SECONDS):
                    samples.append((time.perf_counter(), self.power_w()))
                    return

        thread = threading.Thread(target=sample, daemon=True)
        t0 = time.perf_counter()
        thread.start()
        try:
            yield w
        finally:
            stop.set()
            thread.join()
            w.seconds = time.perf_counter() - t0
            w.joules = integrate_power(samples)


def integrate_power(samples: list[tuple[float, float]]) -> float:
    """Joules from (seconds, watts) samples by the trapezoid rule (0 for fewer than two samples)."""
    return sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in zip(samples, samples[1:]))


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- which meter, and measuring with it ----------------------------------------------------------------------
@functools.cache
def cpu_meter() -> RaplMeter | MeterUnavailable:
    """This machine's RAPL meter, or MeterUnavailable saying why (kept, not raised: callers fall back to the
    model and record the reason)."""
    try:
        return RaplMeter()
    except MeterUnavailable as e:
        return e


@functools.cache
def gpu_meter() -> NvmlMeter | MeterUnavailable:
    """GPU 0's NVML meter (the energy counter, else integrated power readings), or MeterUnavailable saying why."""
    try:
        return NvmlMeter()
    except MeterUnavailable as counter:
        try:
            return NvmlPowerMeter()
        except MeterUnavailable:
            return counter


def meter_status() -> dict:
    """{"rapl": ..., "nvml": ...}: the meter in use or why there is none (recorded in run-<id>.json)."""
    status = {}
    for key, meter in (("rapl", cpu_meter()), ("nvml", gpu_meter())):
        if isinstance(meter, MeterUnavailable):
            status[key] = {"available": False, "reason": str(meter)}
        else:
            extra = {"domains": meter.domain_names} if isinstance(meter, RaplMeter) else {"gpu": meter.gpu_name}
            status[key] = {"available": True, "meter": meter.name, **extra}
    return status


def measure_per_call(meter: Meter, fn: Callable[[], object], sync: Callable[[], None] | None = None,
                     min_seconds: float = 1.0) -> float:
    """Joules per call above idle: `fn` repeated over a window of at least `min_seconds` (at least one call),
    synchronised at both ends, minus the meter's idle power times the window. Never below zero."""
    sync = sync or (lambda: None)
    idle = meter.idle_watts
    sync()
    calls = 0
    with meter.window() as w:
        t0 = time.perf_counter()
        while calls == 0 or time.perf_counter() - t0 < min_seconds:
            fn()
            calls += 1
        sync()
    return max(w.joules - idle * w.seconds, 0.0) / calls
