"""What machine and software produced a measurement: stored as run.json beside every results table."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("numpy", "numba", "numba-cuda", "llvmlite", "pyopencl", "cupy-cuda12x", "cupy-cuda13x", "pandas",
            "PyNaCl", "cryptography", "crc32c", "wasmtime", "papermill")
# CPU features that decide which kernels can be fast here.
KEY_FLAGS = ("sse4_2", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512ifma", "sha_ni", "pclmulqdq", "vpclmulqdq", "aes",
             "gfni")


@functools.cache
def cpu_info() -> dict:
    """Vendor, family, model, model name, logical cores and flags, from /proc/cpuinfo where it exists."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = fields.get("flags", "").split()
    return {
        "vendor": fields.get("vendor_id", platform.processor() or "unknown"),
        "family": int(fields.get("cpu family", "0") or 0),
        "model": int(fields.get("model", "0") or 0),
        "model_name": fields.get("model name", platform.processor() or "unknown"),
        "logical_cores": os.cpu_count() or 1,
        "key_flags": [f for f in KEY_FLAGS if f in flags],
        "flags": flags,
    }


@functools.cache
def gpu_info() -> dict | None:
    """Name, driver and memory of the first NVIDIA GPU, or None without one."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,power.limit",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    line = out.strip().splitlines()[0] if out.strip() else ""
    if not line:
        return None
    name, driver, memory, power = (part.strip() for part in line.split(",")[:4])
    return {"name": name, "driver": driver, "memory": memory, "power_limit": power}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def device_tag() -> str:
    """Folder name for this machine's results: the GPU's name where there is one, else the CPU's, with its
    family and model (VMs report every EPYC as "AMD EPYC", so the name alone cannot tell Zen 4 from Zen 5)."""
    gpu = gpu_info()
    if gpu:
        return _slug(gpu["name"])
    info = cpu_info()
    return f"cpu-{_slug(info['model_name'])}-f{info['family']}m{info['model']}-{info['logical_cores']}c"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def git_dirty() -> bool | None:
    """True when the working tree had uncommitted changes to tracked files outside results/ (which a run itself
    rewrites); None: not a git checkout."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"],
                             cwd=REPO, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def _opencl_devices() -> list[str]:
    from .. import devices

    if devices.unavailable_reason("opencl"):
        return []
    import pyopencl as cl

    return [f"{p.name}: {d.name} ({d.max_compute_units} CUs)" for p in cl.get_platforms() for d in p.get_devices()]


def fingerprint() -> dict:
    """Everything a reader needs to know where a number came from."""
    info = cpu_info()
    return {
        "device_tag": device_tag(),
        "git_commit": git_commit(),
        "platform": platform.platform(),
        "cpu": {k: info[k] for k in ("vendor", "family", "model", "model_name", "logical_cores", "key_flags")},
        "cpu_flags": info["flags"],
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "gpu": gpu_info(),
        "opencl_devices": _opencl_devices(),
        "numba_threads": _numba_threads(),
        "versions": _versions(),
    }


def _numba_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)
