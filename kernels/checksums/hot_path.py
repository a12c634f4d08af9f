"""The checksum hot path: buffer-size, IC/NIC-workload and principal sweeps, correctness against the bitwise
reference and published check values, the memory-bandwidth ceiling, and the issue's targets (CRC-32 and
CRC-32C of one 64 MiB buffer against zlib.crc32 and crc32c.crc32c)."""
from __future__ import annotations

import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import crc32c as crc32c_package
import numba
import numpy as np
import pandas as pd

from .. import devices
from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, unavailable
from ..measure.timing import interleaved_timings
from ..packing import Packed, pack
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import ALGORITHMS, check_algorithm, checksum_batch, checksum_packed, principal_from_text, principal_to_text
from . import numba_cpu as numba_cpu_kernels
from . import workloads
from .numba_cpu import SERIAL_BELOW_BYTES
from .numba_cpu import read_all as read_all_words
from .pieces import COMBINE_FAN_IN, DEVICE_PIECE_BYTES

PHASES = ("pack", "h2d", "kernel", "d2h", "end_to_end")
# The pure-Python reference checksums about 1 MB/s: keep its batches small so a sweep stays in minutes.
REFERENCE_MAX_BYTES = 1 << 16
TARGET_BYTES = 64 * 2**20  # the target: one 64 MiB buffer
GOALS = {"crc32c": 1.5, "crc32": 2.0}  # the targets: x the crc32c package, x zlib.crc32

# Per profile: buffer sizes of the size sweep and the bytes per point (small buffers are batched up to this);
# packets per NIC workload, ingress messages, 1 MiB state chunks, principals; bytes read for the memory
# ceiling; the target's buffer and its minimum timing window; the lengths `check` compares with the reference.
PROFILES = {
    "smoke": {"sizes": [64, 1500, 65536], "total": 1 << 18, "packets": 64, "ingress": 4, "chunks": 2,
              "principals": 64, "memory": 4 << 20, "target": 4 << 20, "target_seconds": 0.0, "check_max": 64},
    "quick": {"sizes": [64, 1500, 9000, 65536, 1 << 20, 64 << 20], "total": 16 << 20, "packets": 1024,
              "ingress": 64, "chunks": 16, "principals": 1000, "memory": TARGET_BYTES, "target": TARGET_BYTES,
              "target_seconds": 1.0, "check_max": 300},
    "full": {"sizes": [16, 64, 256, 1500, 4096, 9000, 65536, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 64 << 20],
             "total": 64 << 20, "packets": 16384, "ingress": 256, "chunks": 64, "principals": 10000,
             "memory": 256 << 20, "target": TARGET_BYTES, "target_seconds": 2.0, "check_max": 300},
}

# Published check values (docs/REFERENCES.md section 1): Greg Cook's CRC catalogue ("123456789"), the Adler-32
# example of Wikipedia, RFC 1071 section 3 (eight bytes whose ones'-complement sum is 0xddf2).
KNOWN_ANSWERS = [
    ("crc32", b"123456789", 0xCBF43926),
    ("crc32c", b"123456789", 0xE3069283),
    ("adler32", b"123456789", 0x091E01DE),
    ("adler32", b"Wikipedia", 0x11E60398),
    ("inet16", bytes.fromhex("0001f203f4f5f6f7"), 0x220D),
]
# The IC interface specification's example, printed in lower case and parsed in any case.
PRINCIPAL_EXAMPLES = [("abcd01", "em77e-bvlzu-aq"), ("abcd01", "EM77E-BVLZU-AQ"), ("abcd01", "Em77e-bVLzu-aQ"),
                      ("04", "2vxsx-fae"), ("", "aaaaa-aa")]


@dataclass
class Batch:
    """One point's inputs, made once and shared by every algorithm and backend: the buffers as Python bytes,
    and the same batch packed (what kernel and staged phases read)."""

    buffers: list[bytes]
    packed: Packed

    @classmethod
    def of(cls, buffers: list[bytes]) -> "Batch":
        return cls(buffers, pack(buffers))


def build_case(operation: str, backend: str, workload: Workload, batch_size: int,
               batch: Batch) -> Case | BackendUnavailable:
    """Every phase of one algorithm on one backend over one batch: `pack` and `kernel` (the packed call, or
    h2d / kernel / d2h on a device) where the backend takes packed input, and `end_to_end`, the public
    `checksum_batch` from the list of buffers."""
    missing = unavailable(operation, backend)
    if missing:
        return missing
    buffers, packed = batch.buffers, batch.packed
    n, nbytes = packed.count, int(packed.data.size)
    if backend == "reference" and nbytes > REFERENCE_MAX_BYTES:
        return BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BYTES:,} bytes per batch "
                                  "(pure Python, minutes per point)")
    # numba_cpu runs batches below SERIAL_BELOW_BYTES on the calling thread: one core, and charged as one.
    threads = 1 if backend == "numba_cpu" and nbytes < SERIAL_BELOW_BYTES else None
    case = Case.of(operation, backend, workload, n, nbytes / max(n, 1), threads=threads)
    if packed_input(backend):
        module = backend_module(operation, backend)
        case.phases["pack"] = lambda: pack(buffers)
        if staged(backend):
            case.add_staged(module.Staged(operation, packed))
        else:
            case.phases["kernel"] = lambda: module.checksum_packed(operation, packed)
    case.phases["end_to_end"] = lambda: checksum_batch(operation, buffers, backend=backend)
    return case


def _one_thread(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` run with Numba limited to one thread (the kernel on zlib's footing: one core)."""
    def run():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return fn()
        finally:
            numba.set_num_threads(threads)
    return run


def measure_memory_bandwidth(nbytes: int, min_seconds: float = 0.3) -> dict:
    """Bytes per second this machine reads from memory (Numba, sum of 64-bit words) on one thread and on all
    cores (the CRC kernels' caller-runs scheduling, and fork-join for comparison), and copies on one core
    (numpy): the ceilings a checksum of data in memory is measured against, timed interleaved. Ceilings use the
    fastest repeat, not the median; `read_bytes_per_s` is the best of them."""
    data = workloads.state_bytes(nbytes - nbytes % 8)
    dst = np.empty_like(data)
    times = interleaved_timings({
        "all": lambda: read_all_words(data), "one": _one_thread(lambda: read_all_words(data)),
        "fork_join": lambda: read_all_words(data, "fork-join"), "copy": lambda: np.copyto(dst, data)},
        min_seconds=min_seconds)
    best = {name: data.size / t.times.min() for name, t in times.items()}
    return {"bytes": data.size, "read_bytes_per_s": max(best["all"], best["one"]),
            "read_all_cores_bytes_per_s": best["all"], "read_one_thread_bytes_per_s": best["one"],
            "read_all_cores_fork_join_bytes_per_s": best["fork_join"], "copy_one_core_bytes_per_s": best["copy"],
            "threads": numba.get_num_threads()}


class BusyCore:
    """A child process spinning on one core for the duration of a `with` block: the "second core busy" condition
    of a shared machine, made on purpose (ended, by its own handle, on exit)."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


SCHEDULING_VARIANTS = ("caller-runs (all cores)", "fork-join (all cores)", "fork-join, 256 KiB pieces", "one thread")


def scheduling_experiment(profile: str = "quick") -> pd.DataFrame:
    """Why an all-core CRC-32C can lose to the one-thread `crc32c` package: the kernel on one buffer (the target's
    size) under each scheduling, interleaved with the package and with the read-bandwidth kernels, first with the
    machine as found, then with one core kept busy by a spinning process. One row per (condition, variant):
    GB/s (median), x the package in the same condition, and the share of the one-thread and all-core read
    bandwidth measured beside it."""
    cfg = PROFILES[check_profile(profile)]
    buffer = workloads.state_bytes(cfg["target"]).tobytes()
    packed = pack([buffer])
    data = packed.data[: packed.data.size - packed.data.size % 8]
    expected = crc32c_package.crc32c(buffer)
    variants = {
        "caller-runs (all cores)": lambda: checksum_packed("crc32c", packed, backend="numba_cpu"),
        "fork-join (all cores)": lambda: numba_cpu_kernels.crc_fork_join("crc32c", packed),
        "fork-join, 256 KiB pieces": lambda: numba_cpu_kernels.crc_fork_join("crc32c", packed, 1 << 18),
        "one thread": _one_thread(lambda: checksum_packed("crc32c", packed, backend="numba_cpu")),
    }
    for name, fn in variants.items():
        assert int(fn()[0]) == expected, f"crc32c {name} disagrees with the crc32c package"
    fns = {"crc32c package": lambda: crc32c_package.crc32c(buffer), **variants,
           "read, one thread": _one_thread(lambda: read_all_words(data)),
           "read, all cores": lambda: read_all_words(data)}
    rows = []
    for condition in ("as found", "one core busy"):
        if condition == "as found":
            times = interleaved_timings(fns, min_seconds=cfg["target_seconds"])
        else:
            with BusyCore():
                times = interleaved_timings(fns, min_seconds=cfg["target_seconds"])
        rate = {name: len(buffer) / t.median for name, t in times.items()}
        for name in ("crc32c package", *variants):
            rows.append({"condition": condition, "variant": name, "threads": 1 if name in ("crc32c package",
                         "one thread") else numba.get_num_threads(), "GB/s": rate[name] / 1e9,
                         "x crc32c package": rate[name] / rate["crc32c package"],
                         "share of one-thread read": rate[name] / rate["read, one thread"],
                         "share of all-core read": rate[name] / rate["read, all cores"],
                         "p25 GB/s": len(buffer) / times[name].p75 / 1e9, "p75 GB/s": len(buffer) / times[name].p25 / 1e9})
    return pd.DataFrame(rows)


def correctness_buffers(max_length: int, seed: int = 0) -> list[bytes]:
    """Every length 0..max_length (fold steps, 16-byte tails, odd lengths), a few random ragged lengths, and
    lengths around the fold steps, the Adler-32 blocks and the device piece size: small enough for the
    bitwise reference."""
    rng = np.random.default_rng(seed)
    p = DEVICE_PIECE_BYTES
    lengths = (list(range(max_length + 1)) + rng.integers(0, 3000, 8).tolist()
               + [1023, 1024, 1025, 4095, 4096, 4097, 5552, 5553, p + 1, 2 * p + 3])
    return [rng.bytes(n) for n in lengths]


def large_buffers(seed: int = 0) -> list[bytes]:
    """Buffers split into many pieces: several numba_cpu pieces (1 MiB each), and more device pieces than one
    work-item combines (two combine levels)."""
    rng = np.random.default_rng(seed)
    return [rng.bytes(3 * 2**20 + 333), rng.bytes((COMBINE_FAN_IN + 1) * DEVICE_PIECE_BYTES + 5), b""]


def _target(algorithm: str, baseline_name: str, baseline_fn: Callable[[bytes], int], goal: float,
            profile: str) -> TargetResult:
    """The best CPU kernel against the literal baseline on one buffer, end to end (the public API from the
    bytes) with kernel-only beside it (numba_cpu: the packed call; OpenCL: the launch and the 4-byte d2h on
    data already on the device). Candidates: numba_cpu on all cores and on one thread (zlib's own footing), and
    OpenCL where its device is a CPU. The oracle is the baseline's value, computed once, independent of them."""
    cfg = PROFILES[check_profile(profile)]
    buffer = workloads.state_bytes(cfg["target"]).tobytes()
    packed = pack([buffer])
    expected = baseline_fn(buffer)
    candidates: dict[str, Candidate | Exception] = {}
    for backend in ("numba_cpu", "opencl"):
        missing = unavailable(algorithm, backend)
        if missing is None and backend == "opencl" and devices.describe(backend).kind != "CPU":
            missing = BackendUnavailable(f"{algorithm} on opencl: its device is a {devices.describe(backend).kind}, "
                                         "not a CPU kernel")
        if missing is not None:
            candidates[backend] = missing
            continue
        e2e = (lambda b=backend: checksum_batch(algorithm, [buffer], backend=b))
        if backend == "numba_cpu":
            kernel = (lambda: checksum_packed(algorithm, packed, backend="numba_cpu"))
            candidates["numba_cpu"] = Candidate(e2e, kernel)
            candidates["numba_cpu (1 thread)"] = Candidate(_one_thread(e2e), _one_thread(kernel))
            continue
        try:
            device = backend_module(algorithm, backend).Staged(algorithm, packed)
        except BackendUnavailable as e:
            candidates[backend] = e
            continue
        device.h2d()
        candidates[backend] = Candidate(e2e, lambda d=device: (d.kernel(), d.d2h())[1])
    return run_target(algorithm, algorithm, (baseline_name, lambda: baseline_fn(buffer)), candidates,
                      check=lambda out: int(np.asarray(out).reshape(-1)[0]) == expected, items=len(buffer),
                      unit="bytes", goal_ratio=goal, min_seconds=cfg["target_seconds"])


def _agree(backend: str, oracle: str, buffers: list[bytes]) -> None:
    """AssertionError unless `backend` and `oracle` (another backend) agree on all four algorithms."""
    for algorithm in ALGORITHMS:
        expected = backend_module(algorithm, oracle).checksum_batch(algorithm, buffers)
        bad = np.flatnonzero(checksum_batch(algorithm, buffers, backend=backend) != expected)
        assert bad.size == 0, f"{algorithm} on {backend} disagrees with {oracle} on buffers {bad[:10].tolist()}"


class ChecksumsHotPath(HotPath):
    name = "checksums"
    title = "CRC-32, CRC-32C, Adler-32 and the Internet checksum; principal text"
    operations = ALGORITHMS
    notebook = "04_checksums.ipynb"
    compile_operation = "crc32"  # one build (program or JIT) covers all four algorithms

    def sweeps(self, profile: str) -> list[Sweep]:
        cfg = PROFILES[profile]
        sizes = [Workload(f"buffers-{size}B", {"buffer_bytes": size}) for size in cfg["sizes"]]
        packets = {f"packets-{name}": (name, size) for name, size in workloads.PACKET_BYTES.items()}
        ic = [Workload(w, {"packet": name, "buffer_bytes": size}) for w, (name, size) in packets.items()]
        ic += [Workload("ingress-messages", {"max_buffer_bytes": workloads.INGRESS_MAX_BYTES}),
               Workload("state-chunks-1MiB", {"buffer_bytes": workloads.STATE_CHUNK_BYTES})]
        generators = {**{w: (lambda size=size: workloads.packets(cfg["packets"], size)) for w, (_, size) in packets.items()},
                      "ingress-messages": lambda: workloads.ingress_messages(cfg["ingress"]),
                      "state-chunks-1MiB": lambda: workloads.random_messages(cfg["chunks"], workloads.STATE_CHUNK_BYTES)}
        principal = Workload(f"principals-{workloads.PRINCIPAL_BYTES}B", {"buffer_bytes": workloads.PRINCIPAL_BYTES})
        return [
            Sweep("buffer_sizes", ALGORITHMS, sizes, [0], BACKENDS, PHASES, build_case,
                  data=lambda w, _: Batch.of(workloads.buffers(w.params["buffer_bytes"], cfg["total"]))),
            Sweep("ic_workloads", ALGORITHMS, ic, [0], BACKENDS, PHASES, build_case,
                  data=lambda w, _: Batch.of(generators[w.name]())),
            # CRC-32 only: the checksum of the principal's textual form
            Sweep("principals", ("crc32",), [principal], [cfg["principals"]], BACKENDS, PHASES, build_case,
                  data=lambda w, n: Batch.of(workloads.principals(n))),
        ]

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench crc32 ...`: `size` random buffers of `item_bytes`, one case per size and backend."""
        check_algorithm(operation)
        pool = workloads.random_messages(max(sizes), item_bytes)
        workload = Workload(f"random-{item_bytes}B", {"buffer_bytes": item_bytes})
        for size in sizes:
            batch = Batch.of(pool[:size])
            for backend in backends:
                try:
                    yield build_case(operation, backend, workload, size, batch)
                except BackendUnavailable as e:
                    yield e

    def check(self, backends: Sequence[str], profile: str) -> pd.DataFrame:
        """Every backend against the published check values and, on lengths 0..N and around the fold steps,
        Adler-32 blocks and device pieces, against the bitwise `reference` (the reference itself against the
        library); backends that split buffers also on buffers of many pieces against the library (zlib, crc32c,
        numpy: independent of the kernels). The IC specification's principal examples round-trip in any case
        and a corrupted text is rejected. AssertionError on any disagreement; a backend that cannot run here is a
        row with the reason."""
        longest = PROFILES[check_profile(profile)]["check_max"]
        small = correctness_buffers(longest)
        large = large_buffers()
        rows = []
        for backend in backends:
            oracle = "library" if backend == "reference" else "reference"
            try:
                for algorithm, data, value in KNOWN_ANSWERS:
                    got = int(checksum_batch(algorithm, [data], backend=backend)[0])
                    assert got == value, f"{algorithm} on {backend}: {data!r} gave {got:#x}, published {value:#x}"
                rows.append({"backend": backend, "check": "published check values", "buffers": len(KNOWN_ANSWERS),
                             "result": "agrees"})
                _agree(backend, oracle, small)
                rows.append({"backend": backend, "check": f"lengths 0..{longest} and boundaries vs {oracle}",
                             "buffers": len(small), "result": "agrees"})
                if packed_input(backend) and devices.describe(backend).kind == "CUDA simulator":
                    rows.append({"backend": backend, "check": "buffers of many pieces vs library", "buffers": 0,
                                 "result": "skipped: the CUDA simulator runs one Python thread per CUDA thread "
                                           "(tests cover the split on smaller buffers)"})
                elif packed_input(backend):
                    _agree(backend, "library", large)
                    rows.append({"backend": backend, "check": "buffers of many pieces vs library",
                                 "buffers": len(large), "result": "agrees"})
            except BackendUnavailable as e:
                rows.append({"backend": backend, "check": "all", "buffers": 0, "result": f"unavailable: {e}"})
        for raw, text in PRINCIPAL_EXAMPLES:
            assert principal_from_text(text) == bytes.fromhex(raw), f"{text!r} does not parse to {raw}"
            assert principal_to_text(bytes.fromhex(raw)) == text.lower(), f"{raw} does not print as {text.lower()!r}"
        try:
            principal_from_text("em77e-bvlzu-ab")
        except ValueError:
            pass
        else:
            raise AssertionError("a principal text with a corrupted checksum was accepted")
        rows.append({"backend": "library", "check": "principal text (IC spec examples, any case; corrupted rejected)",
                     "buffers": len(PRINCIPAL_EXAMPLES) + 1, "result": "agrees"})
        return pd.DataFrame(rows)

    def targets(self) -> dict[str, Callable[..., TargetResult]]:
        """One 64 MiB buffer (4 MiB in the smoke profile), end to end: CRC-32C on all cores >= 1.5x the `crc32c`
        package (SSE4.2, one thread), and CRC-32 >= 2x `zlib.crc32(buf)`."""
        return {"crc32": lambda profile="quick": _target("crc32", "zlib.crc32(buf)", zlib.crc32, GOALS["crc32"],
                                                         profile),
                "crc32c": lambda profile="quick": _target("crc32c", "crc32c.crc32c(buf)", crc32c_package.crc32c,
                                                          GOALS["crc32c"], profile)}

    def prediction(self, **kwargs) -> dict:
        from .prediction import prediction

        return prediction(**kwargs)

    def scheduling_experiment(self, profile: str) -> pd.DataFrame:
        """CRC-32C on one buffer under each scheduling, as found and with one core busy (scheduling_experiment)."""
        return scheduling_experiment(profile)

    def memory_bandwidth(self, profile: str) -> dict:
        """The machine's memory ceilings (measure_memory_bandwidth) over the profile's bytes."""
        cfg = PROFILES[check_profile(profile)]
        return measure_memory_bandwidth(cfg["memory"], min_seconds=cfg["target_seconds"] / 4)


HOT_PATH = ChecksumsHotPath()
