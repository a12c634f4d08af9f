"""What to time for the checksum hot path: buffer-size sweeps, the IC- and NIC-shaped workloads, the
memory-bandwidth ceiling, the CLI, and the issue's target (CRC-32 of 64 MiB against zlib.crc32)."""
from __future__ import annotations

import zlib
from collections.abc import Iterator

import crc32c as crc32c_package
import numba
import numpy as np
import pandas as pd

from .. import devices, models, workloads
from ..anchors import LINE_RATES_BPS
from ..packing import Packed, pack
from ..measure.bench import Case, compile_row, timing_unavailable_reason
from ..measure.timing import interleaved_medians, time_phase
from ..registry import BackendUnavailable, backend_module
from ..targets import record_best
from . import (ALGORITHMS, PACKED_INPUT, checksum_batch, checksum_packed, principal_from_text,
               principal_to_text)
from .numba_cpu import read_all as read_all_words

GPU = ("numba_cuda", "cupy")
CPU_KERNELS = ("numba_cpu", "opencl")  # the candidates for "best CPU kernel" (PoCL runs on the CPU here)
# The pure-Python reference checksums about 1 MB/s: keep its batches small so a sweep stays in minutes.
REFERENCE_MAX_BYTES = 1 << 16
TARGET_BYTES = 64 * 2**20  # the target: one 64 MiB buffer

# Per profile: buffer sizes of the sweep, bytes per point (small buffers are batched up to this), packets per
# NIC workload, ingress messages, 1 MiB state chunks, principals.
# NIC workload, ingress messages, 1 MiB state chunks, principals; bytes for the memory ceiling and the target.
PROFILES = {
    "smoke": {"sizes": [64, 1500, 65536], "total": 1 << 18, "packets": 64, "ingress": 4, "chunks": 2,
              "principals": 64, "memory": 4 << 20, "target": 4 << 20},
    "quick": {"sizes": [64, 1500, 9000, 65536, 1 << 20, 64 << 20], "total": 16 << 20, "packets": 1024,
              "ingress": 64, "chunks": 16, "principals": 1000, "memory": TARGET_BYTES, "target": TARGET_BYTES},
    "full": {"sizes": [16, 64, 256, 1500, 4096, 9000, 65536, 1 << 18, 1 << 20, 1 << 22, 1 << 24, 64 << 20],
             "total": 64 << 20, "packets": 16384, "ingress": 256, "chunks": 64, "principals": 10000,
             "memory": 256 << 20, "target": TARGET_BYTES},
}


def profile_settings(profile: str) -> dict:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use {', '.join(PROFILES)}")
    return PROFILES[profile]


def _unavailable(operation: str, backend: str) -> BackendUnavailable | None:
    reason = timing_unavailable_reason(backend)
    return BackendUnavailable(f"{operation} on {backend}: {reason}") if reason else None


def compile_rows(backends: list[str]) -> list[dict]:
    """One `compile` row per backend with a JIT or program build (each build covers all four algorithms)."""
    return [compile_row("crc32", b, backend_module("crc32", b).compile) for b in backends
            if b in PACKED_INPUT and timing_unavailable_reason(b) is None]


def checksum_case(algorithm: str, backend: str, buffers: list, workload: str,
                  packed: Packed | None = None) -> Case | BackendUnavailable:
    """All phases of one algorithm over one batch (`packed` given: already packed, no pack phase)."""
    missing = _unavailable(algorithm, backend)
    if missing:
        return missing
    packed_now = packed if packed is not None else pack(buffers)
    n, nbytes = packed_now.count, packed_now.data.size
    if backend == "reference" and nbytes > REFERENCE_MAX_BYTES:
        return BackendUnavailable(f"{algorithm} on reference: skipped above {REFERENCE_MAX_BYTES} bytes per batch "
                                  "(pure Python, minutes per point)")
    case = Case(algorithm, backend, workload, n, nbytes / max(n, 1), phases={})
    if packed is None and backend in PACKED_INPUT:
        case.phases["pack"] = lambda: pack(buffers)
    if backend == "numba_cpu":
        case.phases["kernel"] = lambda: checksum_packed(algorithm, packed_now, backend=backend)
    elif backend in PACKED_INPUT:
        staged = backend_module(algorithm, backend).Staged(algorithm, packed_now)
        staged.h2d()
        staged.sync()
        case.phases.update({"h2d": staged.h2d, "kernel": staged.kernel, "d2h": staged.d2h})
        case.sync = staged.sync
        case.timers = {"kernel": devices.cuda_event_timer(backend)} if backend in GPU else {}
    if packed is None:
        case.phases["end_to_end"] = lambda: checksum_batch(algorithm, buffers, backend=backend)
    else:
        case.phases["end_to_end"] = lambda: checksum_packed(algorithm, packed, backend=backend)
    return case


def size_sweep_cases(algorithms: list[str], backends: list[str], sizes: list[int], total_bytes: int,
                     seed: int = 0) -> Iterator:
    """For each buffer size: max(1, total_bytes // size) random buffers of that size (one large buffer is split
    across cores, many small ones run one per work-item)."""
    for size in sizes:
        count = max(1, total_bytes // size)
        data = workloads.state_bytes(count * size, seed)
        buffers = [data[i * size:(i + 1) * size].tobytes() for i in range(count)] if count > 1 else [data.tobytes()]
        for algorithm in algorithms:
            for backend in backends:
                yield checksum_case(algorithm, backend, buffers, f"buffers-{size}B")
        del buffers


def ic_cases(algorithms: list[str], backends: list[str], profile: str, seed: int = 0) -> Iterator:
    """NIC packets (MTU 1500, jumbo 9000, 64 KiB segments), IC ingress messages (up to 2 MiB), 1 MiB state
    chunks, and 29-byte principals (CRC-32 only: the textual principal form)."""
    cfg = profile_settings(profile)
    for name, size in workloads.PACKET_BYTES.items():
        batch = workloads.packets(cfg["packets"], size, seed)
        for algorithm in algorithms:
            for backend in backends:
                yield checksum_case(algorithm, backend, batch, f"packets-{name}")
    batches = {"ingress-messages": workloads.ingress_messages(cfg["ingress"], seed),
               "state-chunks-1MiB": workloads.random_messages(cfg["chunks"], workloads.STATE_CHUNK_BYTES, seed)}
    for workload, batch in batches.items():
        for algorithm in algorithms:
            for backend in backends:
                yield checksum_case(algorithm, backend, batch, workload)
    if "crc32" in algorithms:
        batch = workloads.principals(cfg["principals"], seed)
        for backend in backends:
            yield checksum_case("crc32", backend, batch, "principals-29B")


def cli_cases(operation: str, backends: list[str], sizes: list[int], item_bytes: int) -> Iterator:
    """`python -m kernels bench crc32 ...`: `size` random buffers of `item_bytes`, one case per size and backend."""
    if operation not in ALGORITHMS:
        raise ValueError(f"unknown checksum {operation!r}; choose one of {', '.join(ALGORITHMS)}")
    pool = workloads.random_messages(max(sizes), item_bytes)
    for size in sizes:
        for backend in backends:
            yield checksum_case(operation, backend, pool[:size], f"random-{item_bytes}B")


def profile_cases(backends: list[str], profile: str) -> Iterator:
    """Everything notebooks/04_checksums.ipynb measures for a profile (the GPU check runs the same)."""
    cfg = profile_settings(profile)
    yield from size_sweep_cases(list(ALGORITHMS), backends, cfg["sizes"], cfg["total"])
    yield from ic_cases(list(ALGORITHMS), backends, profile)


def case_count(backends: list[str], profile: str) -> int:
    """How many items profile_cases yields (for the progress bar)."""
    cfg = profile_settings(profile)
    per_algorithm = len(cfg["sizes"]) + len(workloads.PACKET_BYTES) + 2
    return len(backends) * (len(ALGORITHMS) * per_algorithm + 1)


def correctness_buffers(seed: int = 0) -> list[bytes]:
    """Every length 0..300 (fold steps, 16-byte tails, odd lengths), random ragged lengths, buffers around the
    device piece size, and one buffer of several numba_cpu pieces (1 MiB each)."""
    rng = np.random.default_rng(seed)
    lengths = list(range(301)) + rng.integers(0, 20000, 50).tolist() + [4095, 4096, 4097, 8193]
    return [rng.bytes(n) for n in lengths] + [rng.bytes(3 * 2**20 + 333)]


def check_principals() -> pd.DataFrame:
    """The IC interface specification's example and two well-known principals, encoded and parsed back
    (AssertionError otherwise), and a corrupted text rejected."""
    examples = [("abcd01", "em77e-bvlzu-aq"), ("04", "2vxsx-fae"), ("", "aaaaa-aa")]
    rows = []
    for raw, text in examples:
        assert principal_to_text(bytes.fromhex(raw)) == text and principal_from_text(text) == bytes.fromhex(raw)
        rows.append({"raw bytes": raw or "(empty)", "text": text, "round trip": "ok"})
    try:
        principal_from_text("em77e-bvlzu-ab")
    except ValueError as e:
        rows.append({"raw bytes": "(corrupted)", "text": "em77e-bvlzu-ab", "round trip": f"rejected: {e}"})
    else:
        raise AssertionError("a corrupted principal text was accepted")
    return pd.DataFrame(rows)


def check_agreement(backends: list[str], buffers: list[bytes]) -> dict[str, str]:
    """{backend: "agrees" or the reason it did not run}, over all four algorithms; AssertionError on any
    disagreement with the library values (zlib, crc32c, numpy)."""
    verdict = {}
    for backend in backends:
        try:
            for algorithm in ALGORITHMS:
                expected = checksum_batch(algorithm, buffers, backend="library")
                got = checksum_batch(algorithm, buffers, backend=backend)
                bad = np.flatnonzero(got != expected)
                assert bad.size == 0, f"{algorithm} on {backend} disagrees with the library on buffers {bad[:10].tolist()}"
        except BackendUnavailable as e:
            verdict[backend] = f"unavailable: {e}"
            continue
        verdict[backend] = "agrees with zlib / crc32c / numpy"
    return verdict


def _one_thread(fn):
    """`fn` run with Numba limited to one thread (the kernel on zlib's footing: one core)."""
    def run():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return fn()
        finally:
            numba.set_num_threads(threads)
    return run


def memory_bandwidth(nbytes: int = TARGET_BYTES, min_seconds: float = 0.3) -> dict:
    """Bytes per second this machine reads from memory (Numba, sum of 64-bit words; the better of all cores and
    one thread, since other tenants can stall a parallel loop) and copies on one core (numpy): the ceilings a
    checksum of data in memory is measured against. Ceilings use the fastest repeat, not the median."""
    data = workloads.state_bytes(nbytes)
    read_all = time_phase(lambda: read_all_words(data), min_seconds=min_seconds).times.min()
    read_one = time_phase(_one_thread(lambda: read_all_words(data)), min_seconds=min_seconds).times.min()
    dst = np.empty_like(data)
    copy = time_phase(lambda: np.copyto(dst, data), min_seconds=min_seconds).times.min()
    return {"bytes": nbytes, "read_bytes_per_s": nbytes / min(read_all, read_one),
            "read_all_cores_bytes_per_s": nbytes / read_all, "read_one_thread_bytes_per_s": nbytes / read_one,
            "copy_one_core_bytes_per_s": nbytes / copy}


# --- the Smart-NIC and GPU-offload answer ------------------------------------------------------------------

CPU_BACKENDS = ("library", "numba_cpu")  # what a node's CPU runs (PoCL's OpenCL is a CPU here, a GPU elsewhere)


def _packet_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame.phase == "end_to_end") & frame.workload.str.startswith("packets-")
                 & frame.backend.isin(CPU_BACKENDS)]


def smart_nic_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm, packet size and line rate: the CPU time per packet measured here (the library called once
    per packet, and the fastest CPU backend on the batch), the cores an inline NIC checksum would free at line
    rate (models.nic_offload), and the GPU-offload break-even batch over PCIe (models.gpu_checksum_offload) with
    the library's rate, the best rate measured here, and the fastest published CPU rate."""
    out = []
    for (algorithm, workload), sel in _packet_rows(frame).groupby(["operation", "workload"], sort=False):
        packet = workload.removeprefix("packets-")
        size = workloads.PACKET_BYTES[packet]
        lib = sel[sel.backend == "library"]
        lib_s = float(lib.time_s_median.iloc[0] / lib.batch_size.iloc[0]) if not lib.empty else float("nan")
        best = sel.loc[sel.bytes_per_s.idxmax()]
        best_s = size / float(best.bytes_per_s)
        for rate in LINE_RATES_BPS:
            nic_lib = models.nic_offload(size, lib_s, rate) if lib_s == lib_s else {"cores_saved": float("nan")}
            nic = models.nic_offload(size, best_s, rate)
            out.append({
                "algorithm": algorithm, "packet": packet, "packet_bytes": size, "line_rate_gbps": rate / 1e9,
                "packets_per_s": nic["packets_per_s"],
                "library_ns_per_packet": 1e9 * lib_s, "cores_saved_library": nic_lib["cores_saved"],
                "best_cpu_backend": best.backend, "best_ns_per_packet": 1e9 * best_s, "cores_saved": nic["cores_saved"],
                "gpu_break_even_library": models.gpu_checksum_offload(size, size / lib_s)["break_even_batch"],
                "gpu_break_even_best": models.gpu_checksum_offload(size, size / best_s)["break_even_batch"],
                "gpu_break_even_published": models.gpu_checksum_offload(
                    size, models.fastest_cpu_checksum_bytes_per_s(algorithm))["break_even_batch"],
                "gpu_pcie_limit_gbps": 8 * models.gpu_checksum_offload(size, size / best_s)["pcie_limit_bytes_per_s"] / 1e9,
            })
    return pd.DataFrame(out)


# --- the performance target ------------------------------------------------------------------------



def _target(algorithm: str, baseline_fn, baseline_name: str, goal: float, nbytes: int, min_seconds: float) -> dict:
    buffer = workloads.state_bytes(nbytes).tobytes()
    packed = pack([buffer])
    expected = baseline_fn(buffer)
    fns = {"baseline": lambda: baseline_fn(buffer)}
    result = {"target": algorithm, "buffer_bytes": nbytes, "goal_ratio": goal, "baseline": baseline_name}
    for backend in CPU_KERNELS:
        try:
            assert int(checksum_packed(algorithm, packed, backend=backend)[0]) == expected, f"{backend} is wrong"
        except BackendUnavailable as e:
            result[backend] = str(e)
            continue
        fns[f"{backend}_kernel"] = lambda b=backend: checksum_packed(algorithm, packed, backend=b)
        fns[f"{backend}_end_to_end"] = lambda b=backend: checksum_batch(algorithm, [buffer], backend=b)
        if backend == "numba_cpu":
            fns["numba_cpu_one_thread_kernel"] = _one_thread(
                lambda: checksum_packed(algorithm, packed, backend="numba_cpu"))
    medians = interleaved_medians(fns, min_seconds)
    baseline = medians.pop("baseline")
    result["baseline_bytes_per_s"] = nbytes / baseline
    for name, seconds in medians.items():
        kernel = name.removesuffix("_kernel").removesuffix("_end_to_end")
        if name.endswith("_kernel"):
            result[f"{kernel}_bytes_per_s"] = nbytes / seconds
        result[f"{name}_ratio"] = baseline / seconds
    ratios = {k.removesuffix("_kernel_ratio"): v for k, v in result.items() if k.endswith("_kernel_ratio")}
    return record_best(result, ratios, goal)


def crc32_target(nbytes: int = TARGET_BYTES, min_seconds: float = 1.0) -> dict:
    """CRC-32 of one 64 MiB buffer: the best CPU kernel against `zlib.crc32(buf)`, same process, timed in turns
    (goal 1x). Candidates: numba_cpu on all cores and on one thread (zlib's own footing), OpenCL on the CPU."""
    return _target("crc32", zlib.crc32, "zlib.crc32(buf)", 1.0, nbytes, min_seconds)


def crc32c_target(nbytes: int = TARGET_BYTES, min_seconds: float = 1.0) -> dict:
    """CRC-32C of one 64 MiB buffer against the `crc32c` package (SSE4.2), reported beside the CRC-32 target."""
    return _target("crc32c", crc32c_package.crc32c, "crc32c.crc32c(buf)", 1.0, nbytes, min_seconds)


TARGETS = {"crc32": crc32_target, "crc32c": crc32c_target}
