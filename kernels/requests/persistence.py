"""Orthogonal persistence per message: after a canister runs a message, find the 4 KiB OS pages it wrote in
its Wasm heap, copy them into the round's page delta, and spread a checkpoint (every `CHECKPOINT_ROUNDS`
rounds; dfinity/ic state_manager, docs/REFERENCES.md section 1) over the messages of those rounds.

Three detection methods, timed on one real message: soft-dirty bits from /proc/self/pagemap (`SoftDirty`),
comparison with the heap's previous image (`kernels.memory.dirty_pages`, plus the refresh of that image),
and the replica's write-protect faults (`kernels.memory.faults`: measured per page in a child process,
because wasmtime owns SIGSEGV here; applied to the message's dirty pages).

Invariants: the heap is a 1-D, C-contiguous, writable uint8 array starting on a 4 KiB boundary, a whole
number of pages long; page indices are sorted int64, relative to the heap's first byte; nothing the harness
does between clearing the soft-dirty bits and reading them writes to the heap; soft-dirty being unavailable
is reported in the result, never skipped silently. Clearing soft-dirty bits clears them for the whole
process (any other `SoftDirty` in it starts again).
"""
from __future__ import annotations

import functools
import mmap
import os
import statistics
import sys
import tempfile
import time
from typing import Callable

import numpy as np

from ..memory import OS_PAGE, copy_pages, dirty_pages
from ..memory import faults as fault_timing
from ..registry import backend_module

__all__ = ["CHECKPOINT_ROUNDS", "SoftDirty", "soft_dirty_unavailable_reason", "decode_soft_dirty",
           "soft_dirty_write_fault_s_per_page", "clear_refs_cost", "fault_figures", "disk_write_bytes_per_s",
           "checkpoint_cost_per_round", "compare_with_previous", "message_persistence"]

CHECKPOINT_ROUNDS = 500  # rounds between checkpoints (dfinity/ic state_manager; docs/REFERENCES.md section 1)
PAGE = OS_PAGE  # the unit the replica tracks, copies and persists
ENTRY_BYTES = 8  # one little-endian u64 pagemap entry per virtual page (Linux Documentation/admin-guide/mm/pagemap)
SOFT_DIRTY_BIT = 55
SWAPPED_BIT = 62
PRESENT_BIT = 63
CLEAR_SOFT_DIRTY = b"4"  # written to /proc/self/clear_refs: clear the soft-dirty bits of every page
PAGEMAP = "/proc/self/pagemap"
CLEAR_REFS = "/proc/self/clear_refs"
MIN_DISK_SAMPLE_BYTES = 8 << 20  # a disk sample is repeated up to this size, so one fsync's latency does not rule
OVERHEAD_CALLS = 201  # empty calls timed for the harness overhead (median taken)


# --- input checks -----------------------------------------------------------------------------------------

def check_heap(array) -> np.ndarray:
    """The heap as given, or ValueError naming what is wrong with it (see the module's invariants)."""
    if not isinstance(array, np.ndarray):
        raise ValueError(f"the heap must be a numpy array, got {type(array).__name__}")
    if array.dtype != np.uint8:
        raise ValueError(f"the heap must have dtype uint8, got {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"the heap must be 1-D, got shape {array.shape}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError("the heap must be contiguous and writable (it is the canister's memory)")
    if array.size == 0 or array.size % PAGE:
        raise ValueError(f"the heap must be a positive multiple of {PAGE} bytes long, got {array.size}")
    if array.ctypes.data % PAGE:
        raise ValueError(f"the heap must start on a {PAGE}-byte page boundary, it starts at "
                         f"{array.ctypes.data:#x} (offset {array.ctypes.data % PAGE} into a page)")
    return array


# --- soft-dirty bits --------------------------------------------------------------------------------------

def decode_soft_dirty(entries: bytes | np.ndarray) -> np.ndarray:
    """Sorted int64 indices of the pagemap entries whose soft-dirty bit is set on a page that is present or
    swapped (a page never touched has no page-table entry: not dirty, even in a new mapping whose VMA the
    kernel still reports as soft-dirty as a whole)."""
    words = np.frombuffer(entries, dtype="<u8") if isinstance(entries, (bytes, bytearray)) else entries
    mapped = (words >> np.uint64(PRESENT_BIT)) | (words >> np.uint64(SWAPPED_BIT))
    dirty = (words >> np.uint64(SOFT_DIRTY_BIT)) & mapped & np.uint64(1)
    return np.flatnonzero(dirty).astype(np.int64)


class SoftDirty:
    """Soft-dirty tracking of one page-aligned heap: `clear()` before a message, `pages()` after it. Only
    the heap's address and length are kept: the caller keeps the memory mapped while it tracks it."""

    def __init__(self, array: np.ndarray):
        check_heap(array)
        self.npages = array.size // PAGE
        self.offset = (array.ctypes.data // PAGE) * ENTRY_BYTES  # of the heap's first entry in pagemap
        self._pagemap = os.open(PAGEMAP, os.O_RDONLY)
        try:
            self._clear_refs = os.open(CLEAR_REFS, os.O_WRONLY)
        except OSError:
            os.close(self._pagemap)
            raise

    def clear(self) -> None:
        """Clear the soft-dirty bits of the whole process (the kernel write-protects every present page, so
        the cost grows with the process's mapped memory; see `clear_refs_cost`)."""
        os.write(self._clear_refs, CLEAR_SOFT_DIRTY)

    def read_entries(self) -> bytes:
        """The heap's pagemap entries, read with one `pread`."""
        data = os.pread(self._pagemap, self.npages * ENTRY_BYTES, self.offset)
        if len(data) != self.npages * ENTRY_BYTES:
            raise OSError(f"short pagemap read: {len(data)} of {self.npages * ENTRY_BYTES} bytes")
        return data

    def pages(self) -> np.ndarray:
        """Sorted int64 indices of the heap's pages written since the last `clear()`."""
        return decode_soft_dirty(self.read_entries())

    def close(self) -> None:
        for fd in (self._pagemap, self._clear_refs):
            os.close(fd)
        self._pagemap = self._clear_refs = -1

    def __enter__(self) -> "SoftDirty":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _anonymous(npages: int) -> tuple[mmap.mmap, np.ndarray]:
    region = mmap.mmap(-1, npages * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        region.madvise(mmap.MADV_NOHUGEPAGE)  # a transparent huge page would be tracked 2 MiB at a time
    return region, np.frombuffer(region, dtype=np.uint8)


@functools.cache
def soft_dirty_unavailable_reason() -> str | None:
    """Why soft-dirty tracking cannot be used here, or None. The probe clears the process's bits once."""
    if not sys.platform.startswith("linux"):
        return f"soft-dirty bits are a Linux feature (/proc/self/pagemap), not available on {sys.platform}"
    region, probe = _anonymous(2)
    try:
        probe[::PAGE] = 1  # both pages present
        with SoftDirty(probe) as tracker:
            tracker.clear()
            probe[0] = 2
            found = tracker.pages().tolist()
    except OSError as err:
        return f"soft-dirty tracking needs {PAGEMAP} and a writable {CLEAR_REFS}: {err}"
    finally:
        del probe
        region.close()
    if found != [0]:
        return (f"the kernel does not track soft-dirty bits (after clear_refs and a write to page 0 of 2, "
                f"pagemap bit {SOFT_DIRTY_BIT} was set on pages {found}, not [0]; CONFIG_MEM_SOFT_DIRTY off?)")
    return None


# --- timing helpers ---------------------------------------------------------------------------------------

def _timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _empty() -> None:
    return None


@functools.cache
def harness_overhead_s() -> float:
    """Median seconds `_timed` reports around an empty Python call: subtracted from the Python-level calls."""
    return statistics.median(_timed(_empty)[0] for _ in range(OVERHEAD_CALLS))


def _net(raw_s: float, calls: int = 1) -> dict:
    overhead = calls * harness_overhead_s()
    return {"raw_s": raw_s, "harness_overhead_s": overhead, "net_s": max(raw_s - overhead, 0.0)}


def _write_pages(array: np.ndarray, pages: np.ndarray) -> float:
    start = time.perf_counter()
    array.reshape(-1, PAGE)[pages, 0] += 1
    return time.perf_counter() - start


@functools.cache
def soft_dirty_write_fault_s_per_page(npages: int = 4096, repeats: int = 5) -> float:
    """Seconds per page of the first write after `clear()`: the kernel takes a write-protect fault (no
    signal) to set the bit again. Measured as (write after clear - write again) per page, median of
    `repeats`. Needs soft-dirty; it clears the process's bits."""
    reason = soft_dirty_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    region, heap = _anonymous(npages)
    pages = np.arange(npages)
    try:
        heap[::PAGE] = 1
        with SoftDirty(heap) as tracker:
            faulted, plain = [], []
            for _ in range(repeats):
                tracker.clear()
                faulted.append(_write_pages(heap, pages))
                plain.append(_write_pages(heap, pages))
        return max(statistics.median(faulted) - statistics.median(plain), 0.0) / npages
    finally:
        del heap
        region.close()


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * mmap.PAGESIZE / (1 << 20)


def clear_refs_cost(extra_mib: tuple[int, ...] = (0, 64, 256), repeats: int = 5) -> dict:
    """Seconds one `clear()` takes with `extra_mib` MiB of touched anonymous memory mapped besides the
    process's own, and the slope in seconds per resident MiB (least squares). Without soft-dirty support
    the kernel still walks the page tables but changes no entry: then the figures are a lower bound."""
    points = []
    for mib in extra_mib:
        region, extra = _anonymous(max(mib, 0) * (1 << 20) // PAGE or 1)
        try:
            extra[::PAGE] = 1
            with SoftDirty(extra) as tracker:
                seconds = statistics.median(_timed(tracker.clear)[0] for _ in range(repeats))
            points.append({"extra_mib": mib, "resident_mib": _resident_mib(), **_net(seconds)})
        finally:
            del extra
            region.close()
    resident = [p["resident_mib"] for p in points]
    slope = float(np.polyfit(resident, [p["net_s"] for p in points], 1)[0]) if len(set(resident)) > 1 else None
    return {"points": points, "s_per_resident_mib": slope,
            "soft_dirty_available": soft_dirty_unavailable_reason() is None,
            "note": "clear_refs '4' clears the soft-dirty bits of the whole process, not only the heap"}


# --- write-protect faults (the replica's method today) ----------------------------------------------------

@functools.cache
def fault_figures(npages: int = 16384, repeats: int = 5) -> dict:
    """`kernels.memory.faults.fault_costs`, measured once per process for these arguments."""
    return fault_timing.fault_costs(npages=npages, repeats=repeats)


def _fault_model(npages: int, ndirty: int, figures: dict) -> dict:
    protect = figures["mprotect_all_s_per_page"] * npages
    faults = figures["protect_fault_s_per_page"] * ndirty
    return {"mprotect_s": protect, "faults_s": faults, "seconds": protect + faults,
            "figures": {k: figures[k] for k in ("mprotect_all_s_per_page", "protect_fault_s_per_page",
                                                "pages", "repeats")},
            "label": "measured per page in a child process, applied to the message's dirty pages"}


# --- checkpoint spread ------------------------------------------------------------------------------------

def _disk_sample(sample: np.ndarray | bytes | None, min_bytes: int) -> bytes:
    if isinstance(sample, np.ndarray):
        data = np.ascontiguousarray(sample).tobytes()
    else:
        data = bytes(sample) if sample is not None else b""
    data = data or bytes(PAGE)
    return data * max(1, -(-min_bytes // len(data)))


def disk_write_bytes_per_s(sample: np.ndarray | bytes | None = None, *, directory: str | None = None,
                           min_bytes: int = MIN_DISK_SAMPLE_BYTES) -> float:
    """Bytes per second of `os.write` + `os.fsync` of `sample` (e.g. the delta's pages; repeated up to
    `min_bytes`) to a new file in a temporary directory under `directory`, on this machine's disk."""
    data = _disk_sample(sample, min_bytes)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        fd = os.open(os.path.join(tmp, "checkpoint.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            start = time.perf_counter()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            seconds = time.perf_counter() - start
        finally:
            os.close(fd)
    return len(data) / seconds


def checkpoint_cost_per_round(checkpoint_bytes: int, messages_per_round: int, *,
                              bytes_per_s: float | None = None, sample: np.ndarray | bytes | None = None,
                              directory: str | None = None) -> dict:
    """A checkpoint of `checkpoint_bytes` written at `bytes_per_s` (measured with `disk_write_bytes_per_s`
    on `sample` when not given), spread over its `CHECKPOINT_ROUNDS` rounds and the messages of a round."""
    if checkpoint_bytes < 0 or messages_per_round <= 0:
        raise ValueError("checkpoint_bytes must be >= 0 and messages_per_round > 0")
    measured = bytes_per_s is None
    rate = disk_write_bytes_per_s(sample, directory=directory) if measured else float(bytes_per_s)
    if rate <= 0:
        raise ValueError(f"bytes_per_s must be positive, got {rate}")
    checkpoint_s = checkpoint_bytes / rate
    per_round = checkpoint_s / CHECKPOINT_ROUNDS
    return {"checkpoint_bytes": checkpoint_bytes, "bytes_per_s": rate, "rate_measured_here": measured,
            "checkpoint_s": checkpoint_s, "rounds": CHECKPOINT_ROUNDS, "per_round_s": per_round,
            "messages_per_round": messages_per_round, "per_message_s": per_round / messages_per_round}


# --- one message ------------------------------------------------------------------------------------------

def _warm(backend: str) -> None:
    """Compile the backend's kernels before anything is timed (JIT time is not a message's cost)."""
    for operation in ("dirty_pages", "copy_pages"):
        compile_kernels = getattr(backend_module(operation, backend), "compile", None)
        if compile_kernels:
            compile_kernels()


def _soft_dirty_detect(tracker: SoftDirty | None, run_message: Callable[[], None]):
    """Run the message between clear and read; returns (pages or None, timings or None)."""
    if tracker is None:
        run_message()
        return None, None
    clear_s, _ = _timed(tracker.clear)
    run_message()
    read_s, entries = _timed(tracker.read_entries)
    decode_s, pages = _timed(lambda: decode_soft_dirty(entries))
    return pages, {"clear": _net(clear_s), "pagemap_read": _net(read_s), "decode_s": decode_s}


def _soft_dirty_result(pages, timings, reason: str | None) -> dict:
    if reason:
        return {"available": False, "unavailable_reason": reason, "pages": None}
    detect = timings["clear"]["net_s"] + timings["pagemap_read"]["net_s"] + timings["decode_s"]
    write_faults = soft_dirty_write_fault_s_per_page() * pages.size
    return {"available": True, "pages": pages, **timings, "seconds": detect,
            "seconds_raw": timings["clear"]["raw_s"] + timings["pagemap_read"]["raw_s"] + timings["decode_s"],
            "write_faults_s": write_faults, "seconds_with_write_faults": detect + write_faults,
            "label": "clear before + pagemap read and decode after (net of harness overhead); the kernel's "
                     "write fault per first write, measured per page here, given beside it"}


def compare_with_previous(previous: np.ndarray, array: np.ndarray, backend: str) -> dict:
    """The comparison method on one message: the pages where `array` differs from `previous`, then
    `previous` brought up to date by copying those pages into it (both timed, both the method's cost)."""
    compare_s, pages = _timed(lambda: dirty_pages(previous, array, backend=backend))
    refresh_s, _ = _timed(lambda: copy_pages(array, previous, pages, backend=backend))
    return {"backend": backend, "pages": pages, "compare_s": compare_s, "refresh_previous_s": refresh_s,
            "seconds": compare_s + refresh_s}


def _round_delta(array: np.ndarray, delta: np.ndarray | None) -> np.ndarray:
    if delta is None:
        delta = np.empty_like(array)
        delta.fill(0)  # faulted in now: a round's delta buffer is reused, its page faults are not the copy's
    elif delta.shape != array.shape or delta.dtype != np.uint8:
        raise ValueError(f"delta must be uint8 of shape {array.shape}, got {delta.dtype} {delta.shape}")
    return delta


def message_persistence(array: np.ndarray, run_message: Callable[[], None], *, backend: str = "library",
                        delta: np.ndarray | None = None, fault_costs: dict | None = None) -> dict:
    """Run one message (`run_message` writes into `array`) and time, for it, the three ways of finding the
    pages it wrote, and the copy of those pages into the round's page delta (`delta`, same shape as the
    heap, updated in place; a zeroed one is made when None). `fault_costs`: figures from
    `kernels.memory.faults.fault_costs`, else measured once per process (`fault_figures`)."""
    check_heap(array)
    delta = _round_delta(array, delta)
    figures = fault_costs if fault_costs is not None else fault_figures()
    _warm(backend)
    reason = soft_dirty_unavailable_reason()
    previous = array.copy()  # the image the comparison method keeps between messages
    tracker = SoftDirty(array) if reason is None else None
    try:
        soft_pages, soft_timings = _soft_dirty_detect(tracker, run_message)
    finally:
        if tracker:
            tracker.close()
    comparison = compare_with_previous(previous, array, backend)
    pages = comparison["pages"]
    delta_s, _ = _timed(lambda: copy_pages(array, delta, pages, backend=backend))
    soft = _soft_dirty_result(soft_pages, soft_timings, reason)
    fault_pages = soft_pages if soft_pages is not None else pages
    faults = {"pages": fault_pages, **_fault_model(array.size // PAGE, fault_pages.size, figures),
              "pages_source": "soft-dirty (pages written)" if soft_pages is not None
              else "comparison (soft-dirty unavailable: pages whose bytes changed)"}
    agree = soft_pages is None or np.array_equal(soft_pages, pages)
    if soft_pages is not None and np.setdiff1d(pages, soft_pages).size:
        raise RuntimeError(f"soft-dirty missed pages whose bytes changed: {np.setdiff1d(pages, soft_pages)[:16]}")
    return {"heap_bytes": array.size, "dirty_pages": int(pages.size), "pages": pages, "agree": agree,
            "soft_dirty": soft, "comparison": comparison, "faults": faults,
            "page_delta": {"backend": backend, "seconds": delta_s, "bytes": int(pages.size) * PAGE},
            "delta": delta, "harness_overhead_s": harness_overhead_s(),
            "note": None if agree else _disagreement(soft_pages, pages)}


def _disagreement(soft_pages: np.ndarray, pages: np.ndarray) -> str:
    extra = np.setdiff1d(soft_pages, pages)
    return (f"soft-dirty found {extra.size} page(s) more than the comparison (first {extra[:8].tolist()}): pages "
            "written with the bytes they held, or a transparent huge page tracked 2 MiB at a time")
