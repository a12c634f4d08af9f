"""What to time for orthogonal persistence: dirty-page detection, page copies, memory.copy (kernels, numpy,
wasmtime), a STREAM-like copy for the bandwidth limit, fault costs, and the issue's targets."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .. import devices, models, workloads
from ..measure.bench import Case, compile_row, timing_unavailable_reason
from ..measure.energy import cpu_power_model
from ..measure.timing import interleaved_medians, time_phase, wall_timer
from ..registry import BackendUnavailable, backend_module
from ..targets import record_best
from . import copy_pages, dirty_pages, wasm_memory_copy
from .checks import OS_PAGE, WASM_PAGE
from .wasm_runtime import WasmLinearMemory

GPU = ("numba_cuda", "cupy")
STAGED = ("opencl", "numba_cuda", "cupy")  # backends whose data crosses to a device: h2d / kernel / d2h
WASMTIME = "wasmtime"  # the production reference for memory.copy (backend label in the result rows)
FAULTS = "mprotect"  # the IC's write-protect tracking (backend label in the result rows)
REFERENCE_MAX_BYTES = 16 << 20  # pure-Python page loops: keep a sweep point under a second
REFERENCE_MAX_MOVE = 1 << 16  # the reference memory.copy moves one byte per Python step
WASM_REPEAT_BYTES = 16 << 20  # wasmtime `kernel` phase: enough repeats inside one call to hide the host call
TARGET_HEAP = 256 << 20  # the target: 256 MiB ...
TARGET_DIRTY = 0.02  # ... with 2 % of its pages dirty

# Sizes per profile: smoke proves the pipeline (tests), quick keeps the notebook to a couple of minutes on
# 2 cores with the IC's shape (1.83 % of the heap dirty per round, 75 MiB rounds), full reaches the 4 GiB heap.
PROFILES = {
    "smoke": {"heaps": [1 << 20], "heap": 1 << 20, "ratios": [0.0, 0.02, 1.0], "rounds": 5,
              "copy_pages": [16, 64], "moves": [4096, 65536], "memory": 1 << 20, "fault_pages": 256},
    "quick": {"heaps": [4 << 20, 64 << 20, 256 << 20], "heap": 64 << 20, "ratios": [0.0, 0.005, 0.02, 0.1, 0.5, 1.0],
              "rounds": 100, "copy_pages": [16, 256, 4096, 19200], "moves": [4096, 65536, 1 << 20, 16 << 20],
              "memory": 64 << 20, "fault_pages": 16384},
    "full": {"heaps": [4 << 20, 64 << 20, 256 << 20, 1 << 30, 4 << 30], "heap": 256 << 20,
             "ratios": [0.0, 0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0], "rounds": 500,
             "copy_pages": [16, 256, 4096, 19200, 65536], "moves": [4096, 65536, 1 << 20, 16 << 20, 256 << 20],
             "memory": 512 << 20, "fault_pages": 65536},
}


def _profile(profile: str) -> dict:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use 'smoke', 'quick' or 'full'")
    return PROFILES[profile]


def _unavailable(operation: str, backend: str) -> BackendUnavailable | None:
    if backend in (WASMTIME, FAULTS):
        return None
    reason = timing_unavailable_reason(backend)
    return BackendUnavailable(f"{operation} on {backend}: {reason}") if reason else None


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:g}MiB" if nbytes >= 1 << 20 else f"{nbytes >> 10}KiB"


def compile_rows(backends: list[str]) -> list[dict]:
    """One `compile` row per backend with a JIT or program build (all three operations compile together)."""
    return [compile_row("dirty_pages", b, backend_module("dirty_pages", b).compile) for b in backends
            if b in ("numba_cpu",) + STAGED and timing_unavailable_reason(b) is None]


def _staged(case: Case, staged) -> Case:
    """Phases of a staged device object: transfers and kernel apart, then all three as end_to_end."""
    staged.h2d()
    staged.sync()

    def end_to_end():
        staged.h2d()
        staged.kernel()
        staged.d2h()

    case.phases.update({"h2d": staged.h2d, "kernel": staged.kernel, "d2h": staged.d2h, "end_to_end": end_to_end})
    case.sync = staged.sync
    if case.backend in GPU:
        case.timers = {"kernel": devices.cuda_event_timer(case.backend)}
    return case


# --- dirty_pages ------------------------------------------------------------------------------------------

def dirty_case(backend: str, before: np.ndarray, after: np.ndarray, page_size: int, workload: str,
               pinned: bool = False) -> Case | BackendUnavailable:
    """Detection over one pair of images: batch = pages compared, bytes per item = both images' page bytes."""
    missing = _unavailable("dirty_pages", backend)
    if missing:
        return missing
    if backend == "reference" and before.size > REFERENCE_MAX_BYTES:
        return BackendUnavailable(f"dirty_pages on reference: skipped above {_mib(REFERENCE_MAX_BYTES)} (pure Python)")
    npages = before.size // page_size
    case = Case("dirty_pages", backend, workload + ("-pinned" if pinned else ""), npages, 2.0 * page_size, phases={})
    if backend not in STAGED:
        case.phases["end_to_end"] = lambda: dirty_pages(before, after, page_size=page_size, backend=backend)
        return case
    module = backend_module("dirty_pages", backend)
    args = (before, after, page_size) + ((True,) if pinned else ())
    return _staged(case, module.StagedDirty(*args))


def _images(heap: int, pattern: str, ratio: float, page_size: int, seed: int = 0):
    npages = heap // page_size
    before = workloads.heap_image(heap, seed)
    pages = workloads.dirty_page_set(pattern, npages, int(round(ratio * npages)), seed + 1)
    return before, workloads.written_image(before, pages, page_size, seed + 2), pages


def dirty_cases(backends: list[str], profile: str) -> Iterator:
    """Three sweeps: heap size (sparse, 2 %, 4 KiB), pattern x page size, and dirty ratio (early exit)."""
    p = _profile(profile)
    gpu_pinned = [b for b in backends if b in GPU]
    for heap in p["heaps"]:
        before, after, _ = _images(heap, "sparse", TARGET_DIRTY, OS_PAGE)
        for backend in backends:
            yield dirty_case(backend, before, after, OS_PAGE, f"size-sparse-2%-4KiB-{_mib(heap)}")
        for backend in gpu_pinned:
            yield dirty_case(backend, before, after, OS_PAGE, f"size-sparse-2%-4KiB-{_mib(heap)}", pinned=True)
        del before, after
    heap = p["heap"]
    for page_size in (OS_PAGE, WASM_PAGE):
        for pattern in workloads.DIRTY_PATTERNS:
            before, after, _ = _images(heap, pattern, TARGET_DIRTY, page_size)
            for backend in backends:
                yield dirty_case(backend, before, after, page_size,
                                 f"pattern-{pattern}-2%-{page_size >> 10}KiB-{_mib(heap)}")
    for ratio in p["ratios"]:
        before, after, _ = _images(heap, "sparse", ratio, OS_PAGE)
        for backend in backends:
            yield dirty_case(backend, before, after, OS_PAGE, f"ratio-sparse-{ratio:.1%}-4KiB-{_mib(heap)}")


# --- copy_pages -------------------------------------------------------------------------------------------

def copy_case(backend: str, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int, workload: str,
              pinned: bool = False) -> Case | BackendUnavailable:
    """Copying a page list: batch = pages copied, bytes per item = page read + page written."""
    missing = _unavailable("copy_pages", backend)
    if missing:
        return missing
    if backend == "reference" and pages.size * page_size > REFERENCE_MAX_BYTES:
        return BackendUnavailable(f"copy_pages on reference: skipped above {_mib(REFERENCE_MAX_BYTES)}")
    case = Case("copy_pages", backend, workload + ("-pinned" if pinned else ""), int(pages.size), 2.0 * page_size,
                phases={})
    if backend not in STAGED:
        case.phases["end_to_end"] = lambda: copy_pages(src, dst, pages, page_size=page_size, backend=backend)
        return case
    module = backend_module("copy_pages", backend)
    args = (src, dst, pages, page_size) + ((True,) if pinned else ())
    return _staged(case, module.StagedCopy(*args))


def stream_case(backend: str, src: np.ndarray, dst: np.ndarray, page_size: int = OS_PAGE) -> Case | BackendUnavailable:
    """A STREAM-like copy of the whole memory (every page): the bandwidth limit a page copy can approach.
    On GPUs the copy is device to device (HBM)."""
    missing = _unavailable("copy_pages", backend)
    if missing:
        return missing
    case = Case("copy_pages", backend, f"stream-copy-{_mib(src.size)}", src.size // page_size, 2.0 * page_size, {})
    if backend == "library":
        case.phases["end_to_end"] = lambda: np.copyto(dst, src)
    elif backend == "cupy":
        import cupy

        d_src, d_dst = cupy.asarray(src), cupy.empty(dst.shape, dst.dtype)
        case.phases["kernel"] = lambda: d_dst.__setitem__(Ellipsis, d_src)
        case.sync = lambda: cupy.cuda.get_current_stream().synchronize()
        case.timers = {"kernel": devices.cuda_event_timer("cupy")}
    elif backend == "numba_cuda":
        from numba import cuda

        d_src, d_dst = cuda.to_device(src), cuda.device_array_like(dst)
        case.phases["kernel"] = lambda: d_dst.copy_to_device(d_src)
        case.sync = cuda.synchronize
        case.timers = {"kernel": devices.cuda_event_timer("numba_cuda")}
    else:
        return BackendUnavailable(f"stream copy: not measured on {backend}")
    return case


def copy_cases(backends: list[str], profile: str) -> Iterator:
    """Per-round copies of growing size (sparse and clustered), the 500-round checkpoint delta of each
    pattern, and the STREAM-like whole-memory copy, on the largest heap of the profile."""
    p = _profile(profile)
    heap = max(p["heaps"])
    npages = heap // OS_PAGE
    src, dst = workloads.heap_image(heap, 1), workloads.heap_image(heap, 2)
    gpu = [b for b in backends if b in GPU]
    for count in [c for c in p["copy_pages"] if c <= npages]:
        for pattern in ("sparse", "clustered"):
            pages = workloads.dirty_page_set(pattern, npages, count, seed=3)
            name = f"round-{pattern}-{_mib(count * OS_PAGE)}"
            for backend in backends:
                yield copy_case(backend, src, dst, pages, OS_PAGE, name)
            for backend in gpu:
                yield copy_case(backend, src, dst, pages, OS_PAGE, name, pinned=True)
    per_round = workloads.round_dirty_pages(heap)
    for pattern in workloads.DIRTY_PATTERNS:
        union, _ = workloads.checkpoint_accumulation(pattern, npages, per_round, p["rounds"], seed=4)
        for backend in backends:
            yield copy_case(backend, src, dst, union, OS_PAGE, f"checkpoint-{p['rounds']}rounds-{pattern}")
    for backend in backends:
        if backend in ("library",) + GPU:
            yield stream_case(backend, src, dst)


# --- memory.copy ------------------------------------------------------------------------------------------

def move_case(backend: str, memory: np.ndarray, dst: int, src: int, n: int, workload: str,
              wasm: WasmLinearMemory | None = None) -> Case | BackendUnavailable:
    """One memory.copy of n bytes: batch = bytes moved, 2 bytes of traffic each (read + write)."""
    missing = _unavailable("wasm_memory_copy", backend)
    if missing:
        return missing
    if backend == "reference" and n > REFERENCE_MAX_MOVE:
        return BackendUnavailable(f"wasm_memory_copy on reference: skipped above {_mib(REFERENCE_MAX_MOVE)}")
    case = Case("wasm_memory_copy", backend, workload, n, 2.0, phases={})
    if backend == WASMTIME:
        _wasm_phases(case, lambda r: wasm.copy_repeat(dst, src, n, r), lambda: wasm.copy(dst, src, n), n)
        return case
    if backend not in STAGED:
        case.phases["end_to_end"] = lambda: wasm_memory_copy(memory, dst, src, n, backend=backend)
        return case
    return _staged(case, backend_module("wasm_memory_copy", backend).StagedMemoryCopy(memory, dst, src, n))


def _wasm_phases(case: Case, repeat, once, n: int) -> None:
    """wasmtime: `kernel` is the instruction alone (repeated inside one Wasm call, time divided by the
    repeats), `end_to_end` one call from Python (the host-to-Wasm call included)."""
    rounds = max(1, min(1000, WASM_REPEAT_BYTES // max(n, 1)))
    case.phases["kernel"] = lambda: repeat(rounds)
    case.timers["kernel"] = lambda fn: wall_timer(fn) / rounds
    case.phases["end_to_end"] = once


def move_cases(backends: list[str], profile: str) -> Iterator:
    """memory.copy of each size: overlapping forward (dst < src), backward (dst > src), and disjoint; the
    same through wasmtime; memory.fill through numpy and wasmtime."""
    p = _profile(profile)
    size = p["memory"]
    memory = workloads.heap_image(size, 5)
    wasm = WasmLinearMemory(size)
    wasm.array[:size] = memory
    for n in [n for n in p["moves"] if n <= size // 2]:
        layouts = {"forward-overlap": (0, n // 2), "backward-overlap": (n // 2, 0), "disjoint": (0, size // 2)}
        for layout, (dst, src) in layouts.items():
            name = f"{layout}-{_mib(n)}"
            for backend in list(backends) + [WASMTIME]:
                yield move_case(backend, memory, dst, src, n, name, wasm)
        fill = Case("wasm_memory_copy", "library", f"fill-{_mib(n)}", n, 1.0,
                    {"end_to_end": lambda n=n: memory[:n].fill(0xAB)})
        yield fill
        fill = Case("wasm_memory_copy", WASMTIME, f"fill-{_mib(n)}", n, 1.0, {})
        _wasm_phases(fill, lambda r, n=n: wasm.fill_repeat(0, 0xAB, n, r), lambda n=n: wasm.fill(0, 0xAB, n), n)
        yield fill


# --- the harness's entry points ------------------------------------------------------------------------------

def cli_cases(operation: str, backends: list[str], sizes: list[int], item_bytes: int) -> Iterator:
    """`python -m kernels bench OP --batch ... --size ...`:
    dirty_pages  batch = pages in the memory, size = page size; 2 % of the pages dirty (sparse);
    copy_pages   batch = pages copied, size = page size, from a memory 50x larger (2 % dirty);
    wasm_memory_copy  batch = bytes moved, overlapping forward by half (size ignored)."""
    if operation == "dirty_pages":
        for npages in sizes:
            before, after, _ = _images(npages * item_bytes, "sparse", TARGET_DIRTY, item_bytes)
            for backend in backends:
                yield dirty_case(backend, before, after, item_bytes, f"sparse-2%-{item_bytes}B")
    elif operation == "copy_pages":
        for count in sizes:
            npages = 50 * count
            src, dst = workloads.heap_image(npages * item_bytes, 1), workloads.heap_image(npages * item_bytes, 2)
            pages = workloads.dirty_page_set("sparse", npages, count, 3)
            for backend in backends:
                yield copy_case(backend, src, dst, pages, item_bytes, f"sparse-2%-{item_bytes}B")
    elif operation == "wasm_memory_copy":
        for n in sizes:
            memory = workloads.heap_image(2 * n, 5)
            wasm = WasmLinearMemory(2 * n)
            for backend in list(backends) + [WASMTIME]:
                yield move_case(backend, memory, 0, n // 2, n, "forward-overlap", wasm)
    else:
        raise ValueError(f"unknown memory operation {operation!r}")


def profile_cases(backends: list[str], profile: str) -> Iterator:
    """Everything notebooks/03_wasm_memory.ipynb measures for a profile (the GPU check runs the same)."""
    yield from copy_cases(backends, profile)
    yield from dirty_cases(backends, profile)
    yield from move_cases(backends, profile)


# --- faults vs compare ---------------------------------------------------------------------------------------

def fault_rows(profile: str) -> list[dict]:
    """The IC's tracking costs as result rows (backend `mprotect`, operation dirty_pages): first-touch and
    write-protect faults per page, and re-protecting the whole memory, measured in a child process."""
    from .faults import PAGE, fault_costs

    npages = _profile(profile)["fault_pages"]
    costs = fault_costs(npages=npages, repeats=5 if profile != "smoke" else 2)
    watts = cpu_power_model(1).watts
    rows = []
    for workload, key, items in (("first-touch-fault", "first_touch_s_per_page", costs["pages_written"]),
                                 ("write-protect-fault", "protect_fault_s_per_page", costs["pages_written"]),
                                 ("mprotect-all", "mprotect_all_s_per_page", npages)):
        per = costs[key]
        rows.append({"operation": "dirty_pages", "backend": FAULTS, "device": "CPU, 1 core (OS page faults)",
                     "workload": workload, "batch_size": items, "bytes_per_item": float(PAGE), "repeats": costs["repeats"],
                     "time_s_median": per * items, "time_s_p25": per * items, "time_s_p75": per * items,
                     "items_per_s": 1 / per if per > 0 else float("nan"),
                     "bytes_per_s": PAGE / per if per > 0 else float("nan"), "energy_j_per_item": watts * per,
                     "energy_method": "modeled", "phase": "end_to_end"})
    return rows


def tracking_vs_compare(frame: pd.DataFrame) -> pd.DataFrame:
    """Per backend: seconds per page to find dirty pages by comparing (the dirty-ratio sweep at 2 %), the
    write-protect fault and re-protect costs, and the dirty ratio below which faults are cheaper."""
    faults = frame[(frame.backend == FAULTS)].set_index("workload")
    if faults.empty:
        return pd.DataFrame()
    fault = 1 / faults.loc["write-protect-fault", "items_per_s"]
    protect = 1 / faults.loc["mprotect-all", "items_per_s"]
    sel = frame[frame.workload.str.startswith("ratio-sparse-2.0%") & (frame.operation == "dirty_pages")
                & frame.phase.isin(["end_to_end", "kernel"])]
    records = []
    for (backend, phase), rows in sel.groupby(["backend", "phase"]):
        compare = 1 / float(rows.items_per_s.iloc[0])
        records.append({"backend": backend, "phase": phase, "compare_s_per_page": compare,
                        "fault_s_per_page": fault, "protect_s_per_page": protect,
                        "break_even_dirty_ratio": models.tracking_break_even_dirty_ratio(fault, protect, compare)})
    return pd.DataFrame(records)


def round_cost(frame: pd.DataFrame, heap_bytes: int) -> pd.DataFrame:
    """What one round's persistence costs on each path, for a heap of `heap_bytes` with the IC's per-round
    shape (1.83 % dirty, sparse): detection (compare, or protect + faults) plus copying the dirty pages,
    from the measured per-page rates (linear in pages: a model on measured inputs)."""
    npages = heap_bytes // OS_PAGE
    dirty = workloads.round_dirty_pages(heap_bytes)
    det = frame[(frame.operation == "dirty_pages") & frame.workload.str.startswith("ratio-sparse-2.0%")]
    cp = frame[(frame.operation == "copy_pages") & frame.workload.str.startswith("round-sparse-")]
    cp = cp[cp.batch_size == cp.batch_size.max()]
    faults = frame[frame.backend == FAULTS].set_index("workload")
    records = []

    def per_item(rows, backend, phase):
        r = rows[(rows.backend == backend) & (rows.phase == phase)]
        return 1 / float(r.items_per_s.iloc[0]) if not r.empty else None

    for backend in sorted(set(det.backend)):
        for phase in ("end_to_end", "kernel"):
            d, c = per_item(det, backend, phase), per_item(cp, backend, phase)
            if d is not None and c is not None:
                records.append({"path": f"compare on {backend} ({phase})", "detect_s": d * npages,
                                "copy_s": c * dirty})
    if not faults.empty:
        copy = per_item(cp, "numba_cpu", "end_to_end") or per_item(cp, "library", "end_to_end")
        if copy is not None:
            detect = (npages / faults.loc["mprotect-all", "items_per_s"]
                      + dirty / faults.loc["write-protect-fault", "items_per_s"])
            records.append({"path": "write-protect faults (the IC)", "detect_s": detect, "copy_s": copy * dirty})
    out = pd.DataFrame(records)
    if not out.empty:
        out["round_s"] = out.detect_s + out.copy_s
        out["heap_bytes"], out["dirty_pages"] = heap_bytes, dirty
    return out


# --- targets ------------------------------------------------------------------------------------------------



def stream_copy_bps(nbytes: int = TARGET_HEAP, min_seconds: float = 0.5) -> float:
    """This machine's copy bandwidth, STREAM-like: bytes read + written per second by np.copyto."""
    src, dst = workloads.heap_image(nbytes, 1), np.empty(nbytes, np.uint8)
    return 2 * nbytes / time_phase(lambda: np.copyto(dst, src), min_seconds=min_seconds).median


TARGET_SECONDS = 3.0  # per pair of alternating timings: long enough to average out other jobs on a shared VM


def target_seconds(profile: str) -> float:
    """Timing window of the targets in the notebook: none for smoke (tests), 1 s quick, TARGET_SECONDS full."""
    return {"smoke": 0.0, "quick": 1.0, "full": TARGET_SECONDS}[_profile(profile) and profile]


def dirty_pages_target(heap: int = TARGET_HEAP, ratio: float = TARGET_DIRTY,
                       min_seconds: float = TARGET_SECONDS) -> dict:
    """`dirty_pages` vs `np.flatnonzero((a != b).reshape(-1, ps).any(1))` on 256 MiB, 2 % dirty (goal 3x)."""
    ps = OS_PAGE
    a, b, pages = _images(heap, "sparse", ratio, ps)
    baseline_fn = lambda: np.flatnonzero((a != b).reshape(-1, ps).any(1))  # noqa: E731
    result = {"target": "dirty_pages", "heap_bytes": heap, "dirty_ratio": ratio, "page_size": ps, "goal_ratio": 3.0,
              "baseline": "np.flatnonzero((a != b).reshape(-1, ps).any(1))",
              "timing": "each backend timed in alternation with the baseline (medians), one pair at a time"}
    for backend in ("numba_cpu", "opencl"):
        try:
            if not np.array_equal(dirty_pages(a, b, backend=backend), pages):
                raise AssertionError(f"{backend} found the wrong pages")
        except BackendUnavailable as e:
            result[backend] = str(e)
            continue
        medians = interleaved_medians({"baseline": baseline_fn,
                                       backend: lambda backend=backend: dirty_pages(a, b, backend=backend)},
                                      min_seconds)
        result[f"{backend}_baseline_s"] = medians["baseline"]
        result[f"{backend}_ratio"] = medians["baseline"] / medians[backend]
        result[f"{backend}_bytes_per_s"] = 2 * heap / medians[backend]
    first = next((k for k in result if k.endswith("_baseline_s")), None)
    if first:
        result.update(baseline_s=result[first], baseline_bytes_per_s=2 * heap / result[first])
    return _verdict(result)


def copy_pages_target(heap: int = TARGET_HEAP, copy_bytes: int = workloads.ROUND_DIRTY_MAX_BYTES,
                      min_seconds: float = TARGET_SECONDS) -> dict:
    """`copy_pages` vs numpy fancy-index copy of one 75 MiB round (sparse pages of a 256 MiB heap; goal 0.9x),
    and the share of the STREAM-like copy bandwidth each reaches. The 2 % round is reported beside it."""
    ps = OS_PAGE
    npages = heap // ps
    src, dst = workloads.heap_image(heap, 1), workloads.heap_image(heap, 2)
    stream = stream_copy_bps(heap, min_seconds / 2)
    result = {"target": "copy_pages", "heap_bytes": heap, "copy_bytes": copy_bytes, "page_size": ps,
              "goal_ratio": 0.9, "baseline": "dst.reshape(-1, ps)[pages] = src.reshape(-1, ps)[pages]",
              "stream_copy_bytes_per_s": stream}
    result["timing"] = "each backend timed in alternation with the baseline (medians), one pair at a time"
    for label, count in (("", copy_bytes // ps), ("small_", int(TARGET_DIRTY * npages))):
        pages = workloads.dirty_page_set("sparse", npages, count, 3)
        d2, s2 = dst.reshape(-1, ps), src.reshape(-1, ps)
        baseline_fn = lambda pages=pages: d2.__setitem__(pages, s2[pages])  # noqa: E731
        traffic = 2 * count * ps
        result[f"{label}pages"] = count
        for backend in ("numba_cpu", "opencl"):
            try:
                backend_module("copy_pages", backend)
            except BackendUnavailable as e:
                result[backend] = str(e)
                continue
            medians = interleaved_medians({"baseline": baseline_fn, backend: lambda backend=backend, pages=pages:
                                           copy_pages(src, dst, pages, backend=backend)}, min_seconds)
            baseline, t = medians["baseline"], medians[backend]
            result.setdefault(f"{label}baseline_bytes_per_s", traffic / baseline)
            result.setdefault(f"{label}baseline_share_of_stream", traffic / baseline / stream)
            result[f"{label}{backend}_ratio"] = baseline / t
            result[f"{label}{backend}_bytes_per_s"] = traffic / t
            result[f"{label}{backend}_share_of_stream"] = traffic / t / stream
    return _verdict(result)


def _verdict(result: dict) -> dict:
    ratios = {k.removesuffix("_ratio"): v for k, v in result.items() if k.endswith("_ratio") and k != "goal_ratio"
              and not k.startswith("small_")}
    return record_best(result, ratios, result["goal_ratio"])


TARGETS = {"dirty_pages": dirty_pages_target, "copy_pages": copy_pages_target}


# --- correctness on this run's data (the notebook asserts it before measuring) ---------------------------------

def check_agreement(backends: list[str], profile: str) -> pd.DataFrame:
    """Every backend against numpy (dirty pages: every pattern, both page sizes, none and all dirty; page
    copies: every pattern and the checkpoint delta) and against wasmtime (overlapping memory.copy both
    ways). One row per backend and check: "agrees" or why it did not run; AssertionError on any mismatch."""
    small = profile == "smoke"
    records = []
    for backend in backends:
        tiny = backend == "numba_cuda"  # the simulator runs one Python thread per CUDA thread
        heap = (8 * 64) if tiny else (1 << 20 if small or backend == "reference" else 16 << 20)
        sizes = (64,) if tiny else (OS_PAGE, WASM_PAGE)
        row = {"backend": backend}
        try:
            for ps in sizes:
                npages = heap // ps
                for pattern in workloads.DIRTY_PATTERNS:
                    for count in (0, max(1, npages // 50), npages):
                        before = workloads.heap_image(heap, 1)
                        pages = workloads.dirty_page_set(pattern, npages, count, 2)
                        after = workloads.written_image(before, pages, ps, 3)
                        got = dirty_pages(before, after, page_size=ps, backend=backend)
                        assert np.array_equal(got, pages), f"dirty_pages on {backend}: {pattern}, {count} pages of {ps} B"
            row["dirty_pages"] = "agrees with numpy"
            ps = sizes[0]
            npages = heap // ps
            src, dst = workloads.heap_image(heap, 4), workloads.heap_image(heap, 5)
            for pattern in workloads.DIRTY_PATTERNS:
                union, _ = workloads.checkpoint_accumulation(pattern, npages, max(1, npages // 50), 10, seed=6)
                want = dst.copy()
                want.reshape(-1, ps)[union] = src.reshape(-1, ps)[union]
                got = dst.copy()
                copy_pages(src, got, union, page_size=ps, backend=backend)
                assert np.array_equal(got, want), f"copy_pages on {backend}: {pattern} checkpoint delta"
            row["copy_pages"] = "agrees with numpy"
            size = 64 if tiny else 1 << 16
            wasm = WasmLinearMemory(size)
            for dst_off, src_off, n in ((0, 3, size // 2), (3, 0, size // 2), (0, size // 4, size // 2),
                                        (size // 4, 0, size // 2), (0, size // 2, size // 2)):
                memory = workloads.heap_image(size, 7)
                wasm.array[:size] = memory
                wasm.copy(dst_off, src_off, n)
                wasm_memory_copy(memory, dst_off, src_off, n, backend=backend)
                assert np.array_equal(memory, wasm.array[:size]), \
                    f"memory.copy on {backend} differs from wasmtime: dst={dst_off} src={src_off} n={n}"
            row["wasm_memory_copy"] = "agrees with wasmtime"
        except BackendUnavailable as e:
            row = {"backend": backend, "dirty_pages": f"unavailable: {e}", "copy_pages": "", "wasm_memory_copy": ""}
        records.append(row)
    return pd.DataFrame(records)


def target_heap(profile: str) -> int:
    """The target's heap: the issue's 256 MiB, except in the smoke profile (tests)."""
    return 4 << 20 if _profile(profile) is PROFILES["smoke"] else TARGET_HEAP


def target_copy_bytes(profile: str) -> int:
    """The copy target's round: the IC's 75 MiB, except in the smoke profile (a quarter of its heap)."""
    return target_heap(profile) // 4 if _profile(profile) is PROFILES["smoke"] else workloads.ROUND_DIRTY_MAX_BYTES
