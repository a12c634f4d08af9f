"""The DRAM profile of this machine, measured at run time: streaming read and copy bandwidth, the latency of a
dependent random load (pointer chase), and the CPU's SHA-256 and CRC-32C rates on data already in cache.

The NVM model predicts the suite's kernels on DRAM from these numbers alone (kernels/emulation/validation.py);
the kernels themselves are never used to set them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit

import hashlib

from .. import checksums
from ..measure.timing import interleaved_timings
from ..random_data import random_bytes
from .profiles import DDR4_PUBLISHED, MemoryProfile

CACHE_BUFFER = 64 << 10  # a buffer that stays in L2 for the compute rates
COMPARE_BUFFER = 256 << 10  # two inputs and the bool output stay in cache; large enough to hide numpy's call cost


@njit(cache=False)
def _chase(next_index, steps):
    i = 0
    for _ in range(steps):
        i = next_index[i]
    return i


@dataclass(frozen=True)
class DramCalibration:
    """What was measured, the profile built from it, and the timings of any workloads measured alongside."""

    read_bps: float  # streaming read (OR-reduce of 64-bit words)
    copy_bps: float  # np.copyto, bytes copied per second (each read once and written once)
    write_bps: float  # derived: 1 / (1/copy - 1/read): the write share of a copy
    latency_s: float  # dependent random load, pointer chase over a buffer larger than the caches
    sha256_bps: float  # hashlib SHA-256 (the library backend's implementation) on buffers in cache
    crc32c_bps: float  # CRC-32C on buffers in cache (compute rate)
    compare_bps: float  # numpy byte-wise compare into a bool array, buffers in cache (compute rate)
    nbytes: int
    profile: MemoryProfile
    workloads: dict  # {name: seconds (fastest of the interleaved rounds)} of the `alongside` callables


def measure_dram(nbytes: int = 64 << 20, min_seconds: float = 0.5, alongside: dict | None = None) -> DramCalibration:
    """Measure this machine's DRAM (`nbytes` should exceed the last-level cache) and its hash/CRC rates, each
    microbenchmark timed interleaved (A B C A B C ...) with the `alongside` callables, so that load from other
    jobs on a shared machine falls on the calibration and on the workloads it predicts alike."""
    a = random_bytes(nbytes, 11)
    b = np.empty_like(a)
    words = a.view(np.uint64)
    slots = nbytes // 64  # one 8-byte index per 64-byte line, visited in a random cycle
    order = np.random.default_rng(12).permutation(slots)
    chain = np.zeros(slots * 8, np.int64)
    chain[order * 8] = np.roll(order, -1) * 8
    steps = min(slots, 1 << 18)
    buffers = [random_bytes(CACHE_BUFFER, 13).tobytes()] * 16
    total = CACHE_BUFFER * len(buffers)
    x, y = random_bytes(COMPARE_BUFFER, 14), random_bytes(COMPARE_BUFFER, 15)
    flags = np.empty(COMPARE_BUFFER, bool)
    fns = {"read": lambda: np.bitwise_or.reduce(words), "copy": lambda: np.copyto(b, a),
           "chase": lambda: _chase(chain, steps),
           "sha256": lambda: [hashlib.sha256(b).digest() for b in buffers],
           "crc32c": lambda: checksums.checksum_batch("crc32c", buffers, backend="library"),
           "compare": lambda: np.not_equal(x, y, out=flags),
           **(alongside or {})}
    # the fastest of the interleaved rounds: the round least disturbed by other jobs, for every callable alike
    t = {name: float(timing.times.min()) for name, timing in
         interleaved_timings(fns, min_seconds=min_seconds, min_rounds=9).items()}
    read, copy = nbytes / t["read"], nbytes / t["copy"]
    write = 1 / max(1 / copy - 1 / read, 1e-15)
    latency = t["chase"] / steps
    profile = replace(DDR4_PUBLISHED, name="dram", label="DRAM of this machine (measured)",
                      read_latency_seq_s=latency, read_latency_rand_s=latency, write_latency_s=latency,
                      read_bps=read, write_bps=write, persist_line_s=latency, emulated=False,
                      sources={"latency": "measured here: pointer chase over random 64-byte lines",
                               "bandwidth": "measured here: OR-reduce (read) and np.copyto (copy) of "
                                            f"{nbytes >> 20} MiB; write = 1/(1/copy - 1/read)",
                               "energy": DDR4_PUBLISHED.sources["energy"]})
    return DramCalibration(read, copy, write, latency, total / t["sha256"], total / t["crc32c"],
                           COMPARE_BUFFER / t["compare"], nbytes, profile,
                           {name: t[name] for name in (alongside or {})})
