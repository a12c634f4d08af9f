"""The orthogonal-persistence hot path: dirty-page detection, page copies and Wasm `memory.copy`, measured on
IC-shaped memories (kernels/memory/workloads.py) beside numpy, wasmtime and the IC's own write-protect faults.

Phases mean what they mean everywhere: `end_to_end` is the public call (`memory.dirty_pages(before, after, ...)`
and its siblings) from the host arrays to the returned result, device allocation and transfers included;
numba_cpu's `kernel` is the backend call on the arrays already in place; a staged backend's h2d / kernel / d2h
come from its Staged object (measure.staged). Pinned host buffers are a CUDA staging option, so the pinned
workloads have h2d / kernel / d2h only (the public API stages from the caller's pageable arrays).
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from .. import devices, registry
from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, unavailable, require_timeable
from ..measure.timing import time_phase, wall_timer
from ..registry import BACKENDS, BackendUnavailable, backend_module
from ..targets import Candidate, TargetResult, run_target
from . import copy_pages, dirty_pages, wasm_memory_copy
from . import workloads as wl
from .checks import OS_PAGE, WASM_PAGE
from .prediction import persistence_prediction
from .wasm_runtime import WasmLinearMemory

REFERENCE_MAX_BYTES = 16 << 20  # pure-Python page loops: keep a sweep point under a second
REFERENCE_MAX_MOVE = 1 << 16  # the reference memory.copy moves one byte per Python step
WASM_REPEAT_BYTES = 16 << 20  # wasmtime `kernel` phase: enough repeats inside one call to hide the host call
FILL_BYTE = 0xAB

# Sizes per profile: smoke proves the pipeline (tests), quick keeps the notebook to a few minutes on 2 cores with
# the IC's shape (1.83 % of the heap dirty per round, 75 MiB rounds), full reaches the 4 GiB heap.
SIZES = {
    "smoke": {"heaps": [1 << 20], "heap": 1 << 20, "ratios": [0.0, 0.02, 1.0], "rounds": 5, "copy_pages": [16, 64],
              "moves": [4096, 65536], "memory": 1 << 20, "fault_pages": 256, "fault_repeats": 2,
              "check_heap": 1 << 20, "target_heap": 4 << 20, "target_copy_bytes": 1 << 20, "target_seconds": 0.0,
              "target_rounds": 2},
    "quick": {"heaps": [4 << 20, 64 << 20, 256 << 20], "heap": 64 << 20, "ratios": [0.0, 0.005, 0.02, 0.1, 0.5, 1.0],
              "rounds": 100, "copy_pages": [16, 256, 4096, 19200], "moves": [4096, 65536, 1 << 20, 16 << 20],
              "memory": 64 << 20, "fault_pages": 16384, "fault_repeats": 5, "check_heap": 16 << 20,
              "target_heap": wl.TARGET_HEAP_BYTES, "target_copy_bytes": wl.ROUND_DIRTY_MAX_BYTES,
              "target_seconds": 1.0, "target_rounds": 5},
    "full": {"heaps": [4 << 20, 64 << 20, 256 << 20, 1 << 30, 4 << 30], "heap": 256 << 20,
             "ratios": [0.0, 0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0], "rounds": 500,
             "copy_pages": [16, 256, 4096, 19200, 65536], "moves": [4096, 65536, 1 << 20, 16 << 20, 256 << 20],
             "memory": 512 << 20, "fault_pages": 65536, "fault_repeats": 5, "check_heap": 16 << 20,
             "target_heap": wl.TARGET_HEAP_BYTES, "target_copy_bytes": wl.ROUND_DIRTY_MAX_BYTES,
             "target_seconds": 3.0, "target_rounds": 5},
}


def _sizes(profile: str) -> dict:
    return SIZES[check_profile(profile)]


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:g} MiB" if nbytes >= 1 << 20 else f"{nbytes >> 10} KiB"


def _cuda_backends() -> list[str]:
    """The backends that can stage through page-locked host memory (the backend table's CUDA rows)."""
    return [b for b in BACKENDS if registry.BACKEND_TABLE[b].api == "cuda"]


def _lazy(make, *args):
    """The inputs of one sweep point, made on first use: a point whose backends are all unavailable costs nothing."""
    return functools.cache(functools.partial(make, *args))



def _reference_limit(operation: str, backend: str, nbytes: int, limit: int) -> None:
    if backend == "reference" and nbytes > limit:
        raise BackendUnavailable(f"{operation} on reference: pure Python, measured up to {_mib(limit)} only")


def _threads(module, nbytes: int, overlapping: bool = False) -> int | None:
    """Threads the backend's call really uses (numba_cpu runs serially on small inputs or few threads)."""
    return module.threads_used(nbytes, overlapping=overlapping) if hasattr(module, "threads_used") else None


def _phases(case: Case, public, packed, staged, pinned: bool = False) -> Case:
    """A case's phases: `end_to_end` the public call; a packed backend's `kernel` its call on the arrays in
    place; a staged backend's h2d / kernel / d2h. Pinned staging has no public call, so no `end_to_end`."""
    if registry.staged(case.backend):
        case.add_staged(staged())
    elif registry.packed_input(case.backend):
        case.phases["kernel"] = packed
    if not pinned:
        case.phases["end_to_end"] = public
    return case


def _wasm_phases(case: Case, repeat, once, n: int) -> Case:
    """wasmtime: `kernel` is the instruction alone (repeated inside one Wasm call, time divided by the
    repeats), `end_to_end` one call from Python (the host-to-Wasm call included)."""
    rounds = max(1, min(1000, WASM_REPEAT_BYTES // max(n, 1)))
    case.phases["kernel"] = lambda: repeat(rounds)
    case.timers["kernel"] = lambda fn: wall_timer(fn) / rounds
    case.phases["end_to_end"] = once
    return case


# --- the inputs of each sweep point -------------------------------------------------------------------------------

def _dirty_data(workload: Workload, batch_size: int):
    p = workload.params
    return wl.images(p["heap_bytes"], p["pattern"], p["dirty_ratio"], p["page_size"])


def _heap_pair(heap_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Source and destination memories of a page copy (random bytes: copy costs do not depend on content)."""
    return wl.heap_image(heap_bytes, 1), wl.heap_image(heap_bytes, 2)


def _linear_memory(nbytes: int) -> tuple[np.ndarray, WasmLinearMemory]:
    """A memory image for the kernels and a wasmtime instance holding the same bytes."""
    memory = wl.heap_image(nbytes, 5)
    wasm = WasmLinearMemory(nbytes)
    wasm.array[:nbytes] = memory
    return memory, wasm


def _layout(layout: str, size: int, n: int) -> tuple[int, int]:
    """(dst, src) of a memory.copy of n bytes in a memory of `size` bytes."""
    return {"forward-overlap": (0, n // 2), "backward-overlap": (n // 2, 0), "disjoint": (0, size // 2)}[layout]


# --- building one case --------------------------------------------------------------------------------------------

def _dirty_build(pinned: bool = False):
    def build(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
        """Detection over one pair of images: batch = pages compared, bytes per item = both images' page bytes."""
        heap, ps = workload.params["heap_bytes"], workload.params["page_size"]
        require_timeable(operation, backend)
        _reference_limit(operation, backend, heap, REFERENCE_MAX_BYTES)
        module = backend_module(operation, backend)
        before, after, _ = data()
        case = Case.of(operation, backend, workload, heap // ps, 2.0 * ps, threads=_threads(module, heap))
        return _phases(case, lambda: dirty_pages(before, after, page_size=ps, backend=backend),
                       lambda: module.dirty_pages(before, after, ps),
                       lambda: module.StagedDirty(before, after, ps, *([True] if pinned else [])), pinned)

    return build


def _copy_build(pinned: bool = False):
    def build(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
        """Copying a page list: batch = pages copied, bytes per item = page read + page written."""
        ps = workload.params["page_size"]
        require_timeable(operation, backend)
        module = backend_module(operation, backend)
        src, dst, pages = data()
        _reference_limit(operation, backend, pages.size * ps, REFERENCE_MAX_BYTES)
        case = Case.of(operation, backend, workload, int(pages.size), 2.0 * ps,
                       threads=_threads(module, pages.size * ps))
        return _phases(case, lambda: copy_pages(src, dst, pages, page_size=ps, backend=backend),
                       lambda: module.copy_pages(src, dst, pages, ps),
                       lambda: module.StagedCopy(src, dst, pages, ps, *([True] if pinned else [])), pinned)

    return build


def _stream_build(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
    """A STREAM-like copy of the whole memory (every page): the bandwidth limit a page copy can approach. numpy
    copies host to host (`np.copyto`); a CUDA backend copies device buffer to device buffer (HBM)."""
    require_timeable(operation, backend)
    src, dst = data()
    ps = workload.params["page_size"]
    case = Case.of(operation, backend, workload, src.size // ps, 2.0 * ps)
    if backend == "numpy":
        case.phases["end_to_end"] = lambda: np.copyto(dst, src)
        return case
    case.add_staged(backend_module(operation, backend).StagedStreamCopy(src))
    del case.phases["d2h"]  # nothing comes back: the copy stays on the device
    return case


def _move_build(operation: str, backend: str, workload: Workload, n: int, data) -> Case:
    """One memory.copy of n bytes: batch = bytes moved, 2 bytes of traffic each (read + write)."""
    require_timeable(operation, backend)
    _reference_limit(operation, backend, n, REFERENCE_MAX_MOVE)
    memory, wasm = data()
    dst, src = _layout(workload.params["layout"], memory.size, n)
    if backend == "wasmtime":
        return _wasm_phases(Case.of(operation, backend, workload, n, 2.0),
                            lambda r: wasm.copy_repeat(dst, src, n, r), lambda: wasm.copy(dst, src, n), n)
    module = backend_module(operation, backend)
    case = Case.of(operation, backend, workload, n, 2.0, threads=_threads(module, n, abs(dst - src) < n))
    return _phases(case, lambda: wasm_memory_copy(memory, dst, src, n, backend=backend),
                   lambda: module.memory_copy(memory, dst, src, n),
                   lambda: module.StagedMemoryCopy(memory, dst, src, n))


def _fill_build(operation: str, backend: str, workload: Workload, n: int, data) -> Case:
    """memory.fill of n bytes, in numpy (slice fill) and in wasmtime: batch = bytes written."""
    memory, wasm = data()
    case = Case.of(operation, backend, workload, n, 1.0)
    if backend == "numpy":
        case.phases["end_to_end"] = lambda: memory[:n].fill(FILL_BYTE)
        return case
    return _wasm_phases(case, lambda r: wasm.fill_repeat(0, FILL_BYTE, n, r), lambda: wasm.fill(0, FILL_BYTE, n), n)


# --- targets ----------------------------------------------------------------------------------------------------

def _candidate(operation: str, backend: str, public, packed, make_staged, kernel_result=None) -> Candidate | Exception:
    """A target candidate: end to end through the public call; kernel-only on data already in place (numba_cpu:
    the backend call; a staged backend: its kernel and the d2h of its outputs, which the check needs), unless
    `kernel_result` is None for a staged backend (its outputs are the whole memory: no kernel-only figure)."""
    missing = unavailable(operation, backend)
    if missing:
        return missing
    try:
        module = backend_module(operation, backend)
        if not registry.staged(backend):
            return Candidate(end_to_end=public, kernel=lambda: packed(module))
        if kernel_result is None:
            return Candidate(end_to_end=public)
        staged = make_staged(module)
    except BackendUnavailable as e:
        return e
    staged.h2d()
    staged.sync()

    def kernel():
        staged.kernel()
        return kernel_result(staged.d2h())

    return Candidate(end_to_end=public, kernel=kernel)


def dirty_pages_target(profile: str = "quick") -> TargetResult:
    """`dirty_pages` on the best CPU kernel >= 3x `np.flatnonzero((a != b).reshape(-1, ps).any(1))` on a 256 MiB
    heap with 2 % of its pages dirty (sparse); every output checked against the known set of written pages."""
    s = _sizes(profile)
    heap, ps = s["target_heap"], OS_PAGE
    a, b, written = wl.images(heap, "sparse", wl.TARGET_DIRTY_RATIO, ps)
    candidates = {backend: _candidate("dirty_pages", backend,
                                      lambda backend=backend: dirty_pages(a, b, backend=backend),
                                      lambda m: m.dirty_pages(a, b, ps), lambda m: m.StagedDirty(a, b, ps),
                                      kernel_result=lambda pages: pages)
                  for backend in ("numba_cpu", "opencl")}
    return run_target("dirty_pages", "dirty_pages",
                      ("np.flatnonzero((a != b).reshape(-1, ps).any(1))",
                       lambda: np.flatnonzero((a != b).reshape(-1, ps).any(1))),
                      candidates, check=lambda out: np.array_equal(out, written), items=heap // ps, unit="pages",
                      goal_ratio=3.0, min_seconds=s["target_seconds"], min_rounds=s["target_rounds"])


def copy_pages_target(profile: str = "quick") -> TargetResult:
    """`copy_pages` >= 0.9x numpy's fancy-index copy of one round (75 MiB of sparse pages of a 256 MiB heap), with
    the STREAM-like whole-heap copy (`np.copyto`) beside it as the bandwidth limit. Each output is checked
    against a numpy page-mask copy; the check then restores the copied pages, so the next candidate's check
    starts from the uncopied memory."""
    s = _sizes(profile)
    heap, ps = s["target_heap"], OS_PAGE
    npages, count = heap // ps, s["target_copy_bytes"] // ps
    src, dst = _heap_pair(heap)
    pages = wl.dirty_page_set("sparse", npages, count, seed=3)
    expected = np.empty_like(dst)
    stream = 2 * heap / time_phase(lambda: np.copyto(expected, src), min_seconds=s["target_seconds"] / 2).median
    mask = np.zeros(npages, bool)
    mask[pages] = True
    expected[...] = dst
    expected.reshape(-1, ps)[mask] = src.reshape(-1, ps)[mask]
    saved = dst.reshape(-1, ps)[pages]

    def check(out) -> bool:
        ok = out is dst and np.array_equal(out, expected)
        dst.reshape(-1, ps)[pages] = saved
        return ok

    def public(backend):
        return lambda: (copy_pages(src, dst, pages, backend=backend), dst)[1]

    candidates = {backend: _candidate("copy_pages", backend, public(backend),
                                      lambda m: (m.copy_pages(src, dst, pages, ps), dst)[1],
                                      lambda m: m.StagedCopy(src, dst, pages, ps))
                  for backend in ("numba_cpu", "opencl")}
    d2, s2 = dst.reshape(-1, ps), src.reshape(-1, ps)
    return run_target("copy_pages", "copy_pages",
                      ("dst.reshape(-1, ps)[pages] = src.reshape(-1, ps)[pages]",
                       lambda: d2.__setitem__(pages, s2[pages])),
                      candidates, check=check, items=count, unit="pages", goal_ratio=0.9,
                      min_seconds=s["target_seconds"], min_rounds=s["target_rounds"],
                      peer=("np.copyto of the whole heap (STREAM-like, as pages/s)", stream / (2 * ps)))


# --- the hot path -------------------------------------------------------------------------------------------------

class MemoryHotPath(HotPath):
    name = "memory"
    title = "Wasm memory and orthogonal persistence: dirty pages, page copies, memory.copy"
    operations = ("dirty_pages", "copy_pages", "wasm_memory_copy")
    notebook = "03_wasm_memory.ipynb"
    compile_operation = "dirty_pages"  # each backend module's compile() builds all three operations' kernels

    def sweeps(self, profile: str) -> list[Sweep]:
        """Page copies (per round, per checkpoint, the STREAM-like limit), detection (heap size, pattern x page
        size, dirty ratio), memory.copy and memory.fill; pinned variants for the CUDA backends."""
        s = _sizes(profile)
        cuda = _cuda_backends()
        heap = max(s["heaps"])
        copy_heap = {"heap_bytes": heap, "page_size": OS_PAGE}
        pairs = functools.lru_cache(maxsize=1)(_heap_pair)  # one pair of memories for every copy point
        linear = functools.lru_cache(maxsize=1)(_linear_memory)

        def round_data(workload, count):
            pattern = workload.params["pattern"]
            return _lazy(lambda: (*pairs(heap), wl.dirty_page_set(pattern, heap // OS_PAGE, count, seed=3)))

        def checkpoint_data(workload, _):
            p = workload.params
            npages = heap // OS_PAGE
            return _lazy(lambda: (*pairs(heap), wl.checkpoint_accumulation(
                p["pattern"], npages, wl.round_dirty_pages(heap), p["rounds"], seed=4)[0]))

        def dirty(name, heap_bytes, pattern="sparse", ratio=wl.TARGET_DIRTY_RATIO, page_size=OS_PAGE, pinned=False):
            return Workload(name, {"pattern": pattern, "dirty_ratio": ratio, "page_size": page_size,
                                   "heap_bytes": heap_bytes, "pinned": pinned})

        rounds = [c for c in s["copy_pages"] if c <= heap // OS_PAGE]
        moves = [n for n in s["moves"] if n <= s["memory"] // 2]
        layouts = ("forward-overlap", "backward-overlap", "disjoint")
        dirty_data = lambda w, b: _lazy(_dirty_data, w, b)  # noqa: E731
        memory_data = lambda w, b: _lazy(linear, s["memory"])  # noqa: E731
        return [
            Sweep("page_copies", ["copy_pages"],
                  [Workload("round", {"pattern": p, **copy_heap, "pinned": False}) for p in ("sparse", "clustered")],
                  rounds, BACKENDS, ["h2d", "kernel", "d2h", "end_to_end"], _copy_build(), round_data),
            Sweep("page_copies_pinned", ["copy_pages"],
                  [Workload("round", {"pattern": p, **copy_heap, "pinned": True}) for p in ("sparse", "clustered")],
                  rounds, cuda, ["h2d", "kernel", "d2h"], _copy_build(pinned=True), round_data),
            Sweep("checkpoint_copies", ["copy_pages"],
                  [Workload("checkpoint", {"pattern": p, "rounds": s["rounds"], **copy_heap})
                   for p in wl.DIRTY_PATTERNS],
                  [0], BACKENDS, ["h2d", "kernel", "d2h", "end_to_end"], _copy_build(), checkpoint_data),
            Sweep("stream_copy", ["copy_pages"], [Workload("stream-copy", copy_heap)], [0], ["numpy"] + cuda,
                  ["h2d", "kernel", "end_to_end"], _stream_build, lambda w, b: _lazy(pairs, heap)),
            Sweep("dirty_heap_size", ["dirty_pages"], [dirty("heap-size", h) for h in s["heaps"]], [0], BACKENDS,
                  ["h2d", "kernel", "d2h", "end_to_end"], _dirty_build(), dirty_data),
            Sweep("dirty_heap_size_pinned", ["dirty_pages"], [dirty("heap-size", h, pinned=True) for h in s["heaps"]],
                  [0], cuda, ["h2d", "kernel", "d2h"], _dirty_build(pinned=True), dirty_data),
            Sweep("dirty_patterns", ["dirty_pages"],
                  [dirty("pattern", s["heap"], pattern, page_size=ps) for ps in (OS_PAGE, WASM_PAGE)
                   for pattern in wl.DIRTY_PATTERNS],
                  [0], BACKENDS, ["h2d", "kernel", "d2h", "end_to_end"], _dirty_build(), dirty_data),
            Sweep("dirty_ratio", ["dirty_pages"], [dirty("dirty-ratio", s["heap"], ratio=r) for r in s["ratios"]], [0],
                  BACKENDS, ["h2d", "kernel", "d2h", "end_to_end"], _dirty_build(), dirty_data),
            Sweep("memory_copy", ["wasm_memory_copy"],
                  [Workload(layout, {"layout": layout, "memory_bytes": s["memory"]}) for layout in layouts],
                  moves, list(BACKENDS) + ["wasmtime"], ["h2d", "kernel", "d2h", "end_to_end"], _move_build,
                  memory_data),
            Sweep("memory_fill", ["wasm_memory_copy"],
                  [Workload("fill", {"layout": "fill", "memory_bytes": s["memory"]})], moves, ["numpy", "wasmtime"],
                  ["kernel", "end_to_end"], _fill_build, memory_data),
        ]

    def fault_rows(self, profile: str) -> list[dict]:
        """The IC's tracking costs as result rows (backend `mprotect`, operation dirty_pages): first-touch and
        write-protect faults per page, and re-protecting the whole memory, measured in a child process
        (kernels/memory/faults.py). No per-item energy: these are costs per page of an OS mechanism."""
        from .faults import PAGE, fault_costs

        s = _sizes(profile)
        npages = s["fault_pages"]
        try:
            costs = fault_costs(npages=npages, repeats=s["fault_repeats"])
        except BackendUnavailable as e:
            print(f"skipped: fault timing: {e}")
            return []
        rows = []
        for workload, key, items in (("first-touch-fault", "first_touch_s_per_page", costs["pages_written"]),
                                     ("write-protect-fault", "protect_fault_s_per_page", costs["pages_written"]),
                                     ("mprotect-all", "mprotect_all_s_per_page", npages)):
            per = costs[key]
            rate = 1 / per if per > 0 else float("nan")
            rows.append({"operation": "dirty_pages", "backend": "mprotect",
                         "device": devices.describe("mprotect", 1).label, "workload": workload, "page_size": PAGE,
                         "heap_bytes": npages * PAGE, "batch_size": items,
                         "bytes_per_item": float(PAGE), "repeats": costs["repeats"], "time_s_median": per * items,
                         "time_s_p25": per * items, "time_s_p75": per * items, "items_per_s": rate,
                         "bytes_per_s": PAGE * rate, "energy_j_per_item": float("nan"), "energy_method": "",
                         "phase": "end_to_end"})
        return rows

    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Every backend on this run's shapes, against oracles independent of every backend: dirty pages against
        the set of pages written (every pattern, 4 KiB and 64 KiB pages, none / 2 % / all dirty); page copies
        of every pattern's checkpoint delta against a numpy page-mask select; overlapping memory.copy both ways
        against wasmtime. One row per backend; AssertionError on any mismatch."""
        s = _sizes(profile)
        records = []
        for backend in backends or BACKENDS:
            try:
                backend_module("dirty_pages", backend)
            except BackendUnavailable as e:
                records.append({"backend": backend, "dirty_pages": f"unavailable: {e}", "copy_pages": "",
                                "wasm_memory_copy": ""})
                continue
            tiny = backend == "numba_cuda" and devices.cuda_simulated()  # one Python thread per CUDA thread
            heap = 8 * 64 if tiny else (min(s["check_heap"], 1 << 20) if backend == "reference" else s["check_heap"])
            records.append({"backend": backend, **_check_backend(backend, heap, (64,) if tiny else (OS_PAGE, WASM_PAGE),
                                                                  64 if tiny else 1 << 16)})
        return pd.DataFrame(records)

    def targets(self) -> dict:
        return {"dirty_pages": dirty_pages_target, "copy_pages": copy_pages_target}

    def prediction(self, heap_bytes: int = wl.TARGET_HEAP_BYTES, dirty_ratio: float = wl.TARGET_DIRTY_RATIO,
                   page_size: int = OS_PAGE) -> dict:
        """Bytes moved by detection and copying (numpy against a fused kernel), and the H100/PCIe limits."""
        return persistence_prediction(heap_bytes, dirty_ratio, page_size)

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench OP --batch ... --size ...`:
        dirty_pages  batch = pages in the memory, size = page size; 2 % of the pages dirty (sparse);
        copy_pages   batch = pages copied, size = page size, from a memory 50x larger (2 % dirty);
        wasm_memory_copy  batch = bytes moved, overlapping forward by half in a memory twice as large."""
        ps = item_bytes
        if operation == "dirty_pages":
            workloads = [Workload("sparse", {"pattern": "sparse", "dirty_ratio": wl.TARGET_DIRTY_RATIO,
                                             "page_size": ps, "heap_bytes": n * ps}) for n in sizes]
            spec = Sweep("cli", [operation], workloads, [0], BACKENDS, [], _dirty_build(),
                         lambda w, b: _lazy(_dirty_data, w, b))
        elif operation == "copy_pages":
            spec = Sweep("cli", [operation], [Workload("sparse", {"pattern": "sparse", "page_size": ps})], list(sizes),
                         BACKENDS, [], _copy_build(),
                         lambda w, count: _lazy(lambda: (*_heap_pair(50 * count * ps),
                                                         wl.dirty_page_set("sparse", 50 * count, count, seed=3))))
        elif operation == "wasm_memory_copy":
            spec = Sweep("cli", [operation], [Workload("forward-overlap", {"layout": "forward-overlap"})], list(sizes),
                         list(BACKENDS) + ["wasmtime"], [], _move_build, lambda w, n: _lazy(_linear_memory, 2 * n))
        else:
            raise ValueError(f"unknown memory operation {operation!r}")
        return spec.cases(list(backends))


def _check_backend(backend: str, heap: int, page_sizes: tuple[int, ...], move_bytes: int) -> dict:
    """One backend's agreement on one heap size (see MemoryHotPath.check)."""
    for ps in page_sizes:
        npages = heap // ps
        for pattern in wl.DIRTY_PATTERNS:
            for count in (0, max(1, npages // 50), npages):
                before = wl.heap_image(heap, 1)
                pages = wl.dirty_page_set(pattern, npages, count, 2)
                after = wl.written_image(before, pages, ps, 3)
                got = dirty_pages(before, after, page_size=ps, backend=backend)
                if not np.array_equal(got, pages):
                    raise AssertionError(f"dirty_pages on {backend}: {pattern}, {count} pages of {ps} B")
    ps = page_sizes[0]
    npages = heap // ps
    src, dst = wl.heap_image(heap, 4), wl.heap_image(heap, 5)
    for pattern in wl.DIRTY_PATTERNS:
        union, _ = wl.checkpoint_accumulation(pattern, npages, max(1, npages // 50), 10, seed=6)
        mask = np.zeros(npages, bool)
        mask[union] = True
        want = np.where(np.repeat(mask, ps), src, dst)
        got = dst.copy()
        copy_pages(src, got, union, page_size=ps, backend=backend)
        if not np.array_equal(got, want):
            raise AssertionError(f"copy_pages on {backend}: {pattern} checkpoint delta")
    size = move_bytes
    wasm = WasmLinearMemory(size)
    for dst_off, src_off, n in ((0, 3, size // 2), (3, 0, size // 2), (0, size // 4, size // 2),
                                (size // 4, 0, size // 2), (0, size // 2, size // 2)):
        memory = wl.heap_image(size, 7)
        wasm.array[:size] = memory
        wasm.copy(dst_off, src_off, n)
        wasm_memory_copy(memory, dst_off, src_off, n, backend=backend)
        if not np.array_equal(memory, wasm.array[:size]):
            raise AssertionError(f"memory.copy on {backend} differs from wasmtime: dst={dst_off} src={src_off} n={n}")
    return {"dirty_pages": "agrees with the pages written", "copy_pages": "agrees with a numpy page-mask select",
            "wasm_memory_copy": "agrees with wasmtime"}


HOT_PATH = MemoryHotPath()
