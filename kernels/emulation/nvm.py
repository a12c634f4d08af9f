"""The NVM emulator: an analytical model of a trace of reads, writes and persists on a device profile, and a
functional mode (a persistent region on a memory-mapped file whose loads, stores and persists are counted and
charged by the same model), with optional Quartz-style delay injection.

The analytical model (one `Access` = `requests` contiguous requests of `nbytes` in all):
- media bytes: every request is rounded up to the device's access granularity (Optane's 256-byte XPLine), so
  small scattered writes are amplified; a request of whole granules costs what it moves;
- reads: each request waits the device's read latency (random if `random`, else sequential), one request in
  flight per thread, and the media bytes stream at the read bandwidth: time = max(requests x (latency +
  media/request / bandwidth of one device) / threads, media / bandwidth) (interleaved DIMMs serve a
  request of up to their 4 KiB interleave from one DIMM);
- writes wait the device's write latency once per request (the write-allocate of a cached store, or the
  device's acknowledgement), then stream at the write bandwidth: the same two bounds;
- persists: one fence round trip per call on a byte-addressable device (`persist_line_s`), one `sync_s` per
  call on a block device (fsync per file).
Energy is media bytes times the profile's joules per byte (modeled).

Functional mode (`PersistentRegion`): what a process sees (loads) lives in a volatile copy, the "CPU caches";
the file mapping is the media. A store changes the volatile copy and marks its 64-byte lines dirty; a
persist writes the dirty lines of a range back to the media, line by line, then fences; a seeded random
eviction may write any dirty line back early, as caches do. Killing the process loses the volatile copy, as
a power failure loses the caches: only persisted (or evicted) lines are on the media. Quartz (HP Labs,
Middleware 2015) emulates a slower memory on DRAM by busy-waiting, per epoch, in proportion to the extra
latency; here each operation is an epoch and its extra time is the model's time on the target profile minus
its time on DRAM.
"""
from __future__ import annotations

import mmap
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .profiles import LINE, MemoryProfile

KINDS = ("read", "write", "persist")


@dataclass(frozen=True)
class Access:
    """`requests` contiguous requests moving `nbytes` in all (a persist: `requests` fences or syncs)."""

    kind: str
    nbytes: int
    requests: int = 1
    random: bool = True
    threads: int = 1

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown access kind {self.kind!r}; use {', '.join(KINDS)}")
        if self.nbytes < 0 or self.requests < 0 or self.threads < 1:
            raise ValueError("nbytes and requests must be >= 0 and threads >= 1")
        if self.kind != "persist" and self.nbytes and not self.requests:
            raise ValueError("a read or write of bytes needs at least one request")


def media_bytes(profile: MemoryProfile, access: Access) -> int:
    """Bytes the media moves: each request rounded up to the access granularity (write/read amplification)."""
    if access.kind == "persist" or not access.requests:
        return 0
    per_request = -(-access.nbytes // access.requests)
    granules = -(-per_request // profile.granularity)
    return access.requests * granules * profile.granularity


def access_time(profile: MemoryProfile, access: Access) -> float:
    """Seconds one access takes on the profile (see the module docstring)."""
    if access.kind == "persist":
        return access.requests * (profile.persist_line_s if profile.persist == "flush" else profile.sync_s)
    if not access.requests:
        return 0.0
    media = media_bytes(profile, access)
    bandwidth = profile.read_bps if access.kind == "read" else profile.write_bps
    latency = profile.write_latency_s
    if access.kind == "read":
        latency = profile.read_latency_rand_s if access.random else profile.read_latency_seq_s
    per_request_bps = bandwidth / profile.devices  # an interleaved request is served by one device
    per_thread = access.requests * (latency + media / access.requests / per_request_bps) / access.threads
    return max(per_thread, media / bandwidth)


def trace_time(profile: MemoryProfile, trace) -> float:
    """Seconds a trace (a sequence of Access) takes on the profile, accesses one after the other."""
    return float(sum(access_time(profile, a) for a in trace))


def trace_energy(profile: MemoryProfile, trace) -> float:
    """Joules the device spends on a trace (media bytes x joules per byte; modeled)."""
    return float(sum(media_bytes(profile, a) * (profile.read_j_per_byte if a.kind == "read" else
                                                profile.write_j_per_byte) for a in trace))


def page_runs(pages: np.ndarray) -> int:
    """Runs of consecutive page indices in a sorted page list: each run is one contiguous request."""
    pages = np.asarray(pages, np.int64)
    return int(pages.size and 1 + np.count_nonzero(np.diff(pages) != 1))


def page_copy_trace(pages: np.ndarray, page_size: int, threads: int = 1, persist: bool = False) -> list[Access]:
    """Copying a page list from DRAM into the device (and persisting it): one write request per run."""
    nbytes, runs = len(pages) * page_size, page_runs(pages)
    trace = [Access("write", nbytes, runs, True, threads)]
    return trace + [Access("persist", 0, 1)] if persist and nbytes else trace


def spin(seconds: float) -> None:
    """Busy-wait (Quartz injects delays by spinning, not sleeping: a sleep would give the core away)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@dataclass
class Counters:
    """What a region saw: loads and stores by the program, write-backs and persists at the media."""

    load_bytes: int = 0
    load_requests: int = 0
    store_bytes: int = 0
    store_requests: int = 0
    writeback_bytes: int = 0  # lines written to the media (persisted or evicted)
    writeback_requests: int = 0  # contiguous runs of those lines
    persists: int = 0  # fences (one per persist call)
    evictions: int = 0  # lines written back early by eviction
    injected_s: float = 0.0  # Quartz-style delay spun so far

    def trace(self, threads: int = 1) -> list[Access]:
        """The accesses the device served: loads, write-backs (what reached the media) and fences."""
        return [Access("read", self.load_bytes, self.load_requests, True, threads),
                Access("write", self.writeback_bytes, self.writeback_requests, True, threads),
                Access("persist", 0, self.persists)]


class Crash(BaseException):
    """Raised instead of killing the process when a region is told to crash in-process (tests)."""


@dataclass
class PersistentRegion:
    """A persistent region on a memory-mapped file (see the module docstring).

    `view` is the program's view (load through it, or run a kernel on it and then call `stored`);
    `media` is the file. `inject` (a target MemoryProfile) turns on Quartz-style delays against `dram`.
    `evict_rate`: the chance per store that each dirty line is written back early (seeded by `seed`).
    `crash_after`: after that many media events (a group of lines written back, a fence) the process is
    killed with SIGKILL (`crash="kill"`) or a `Crash` is raised (`crash="raise"`)."""

    path: Path
    size: int
    profile: MemoryProfile
    inject: MemoryProfile | None = None
    dram: MemoryProfile | None = None
    evict_rate: float = 0.0
    seed: int = 0
    crash_after: int | None = None
    crash: str = "kill"
    group_lines: int = 8  # lines written back between two crash points during a persist
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self):
        self.path = Path(self.path)
        if self.size <= 0 or self.size % 4096:
            raise ValueError(f"size must be a positive multiple of 4096, got {self.size}")
        if self.inject is not None and self.dram is None:
            raise ValueError("Quartz-style injection needs the DRAM profile the delays are measured against")
        if not self.path.exists() or self.path.stat().st_size != self.size:
            with open(self.path, "wb") as f:
                f.truncate(self.size)
        self._file = open(self.path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), self.size)
        self.media = np.frombuffer(self._map, dtype=np.uint8)
        self.view = self.media.copy()  # the volatile copy: what loads see
        self._dirty = np.zeros(self.size // LINE, bool)
        self._rng = np.random.default_rng(self.seed)
        self._events = 0

    # --- the program's side -------------------------------------------------------------------------------------
    def load(self, offset: int, nbytes: int, requests: int = 1) -> np.ndarray:
        """The bytes at [offset, offset + nbytes) (a read-only view), counted as `requests` reads."""
        self._check(offset, nbytes)
        self._epoch(lambda c: (setattr(c, "load_bytes", c.load_bytes + nbytes),
                               setattr(c, "load_requests", c.load_requests + requests)))
        out = self.view[offset:offset + nbytes]
        out.flags.writeable = False
        return out

    def store(self, offset: int, data) -> None:
        """Write bytes at `offset` (into the volatile copy; durable only once persisted or evicted)."""
        data = np.frombuffer(memoryview(data).cast("B"), np.uint8) if not isinstance(data, np.ndarray) else data
        self._check(offset, data.size)
        self.view[offset:offset + data.size] = data
        self.stored(offset, data.size)

    def stored(self, offset: int, nbytes: int, requests: int = 1) -> None:
        """Record that the program wrote [offset, offset + nbytes) of `view` (a kernel ran on it)."""
        self._check(offset, nbytes)
        if nbytes:
            self._dirty[offset // LINE:-(-(offset + nbytes) // LINE)] = True
        self._epoch(lambda c: (setattr(c, "store_bytes", c.store_bytes + nbytes),
                               setattr(c, "store_requests", c.store_requests + requests)))
        self._maybe_evict()

    def stored_pages(self, pages: np.ndarray, page_size: int) -> None:
        """Record that a kernel wrote these whole pages of `view`."""
        pages = np.asarray(pages, np.int64)
        lines = (pages[:, None] * (page_size // LINE) + np.arange(page_size // LINE)).ravel()
        self._dirty[lines] = True
        n, runs = pages.size * page_size, page_runs(pages)
        self._epoch(lambda c: (setattr(c, "store_bytes", c.store_bytes + n),
                               setattr(c, "store_requests", c.store_requests + runs)))
        self._maybe_evict()

    def loaded(self, nbytes: int, requests: int = 1) -> None:
        """Record that a kernel read `nbytes` of `view` in `requests` contiguous requests."""
        self._epoch(lambda c: (setattr(c, "load_bytes", c.load_bytes + nbytes),
                               setattr(c, "load_requests", c.load_requests + requests)))

    def persist(self, offset: int = 0, nbytes: int | None = None) -> None:
        """Make [offset, offset + nbytes) durable: write its dirty lines back to the media, then one fence."""
        nbytes = self.size - offset if nbytes is None else nbytes
        self._check(offset, nbytes)
        first, last = offset // LINE, -(-(offset + nbytes) // LINE)
        lines = first + np.flatnonzero(self._dirty[first:last])
        self._writeback(lines, persist=True)

    def persist_pages(self, pages: np.ndarray, page_size: int) -> None:
        """Persist whole pages (their dirty lines), then one fence."""
        pages = np.asarray(pages, np.int64)
        lines = (pages[:, None] * (page_size // LINE) + np.arange(page_size // LINE)).ravel()
        self._writeback(np.sort(lines[self._dirty[lines]]), persist=True)

    def close(self) -> None:
        self.media = None
        self._map.close()
        self._file.close()

    # --- the device's side --------------------------------------------------------------------------------------
    def charged_time(self, profile: MemoryProfile | None = None, threads: int = 1) -> float:
        """Seconds the device (this region's profile, or another) would have spent on what was counted."""
        return trace_time(profile or self.profile, self.counters.trace(threads))

    def charged_energy(self, profile: MemoryProfile | None = None) -> float:
        return trace_energy(profile or self.profile, self.counters.trace())

    def _writeback(self, lines: np.ndarray, persist: bool) -> None:
        """Write lines back to the media in groups (a crash may fall between two groups), then fence."""
        for start in range(0, lines.size, self.group_lines):
            group = lines[start:start + self.group_lines]
            spans = (group[:, None] * LINE + np.arange(LINE)).ravel()
            self.media[spans] = self.view[spans]
            self._dirty[group] = False
            self._tick()
        nbytes, runs = int(lines.size) * LINE, page_runs(lines)
        self.counters.writeback_bytes += nbytes
        self.counters.writeback_requests += runs
        if persist:
            self.counters.persists += 1
            self._tick()
        self._inject([Access("write", nbytes, runs)] + ([Access("persist", 0, 1)] if persist else []))

    def _maybe_evict(self) -> None:
        if self.evict_rate <= 0:
            return
        dirty = np.flatnonzero(self._dirty)
        chosen = dirty[self._rng.random(dirty.size) < self.evict_rate]
        if chosen.size:
            self.counters.evictions += int(chosen.size)
            self._writeback(chosen, persist=False)

    def _epoch(self, count) -> None:
        before = Counters(**vars(self.counters))
        count(self.counters)
        if self.inject is not None:
            delta = [Access("read", self.counters.load_bytes - before.load_bytes,
                            self.counters.load_requests - before.load_requests)]
            self._inject(delta)

    def _inject(self, trace) -> None:
        if self.inject is None:
            return
        extra = trace_time(self.inject, trace) - trace_time(self.dram, trace)
        if extra > 0:
            spin(extra)
            self.counters.injected_s += extra

    def _tick(self) -> None:
        self._events += 1
        if self.crash_after is not None and self._events >= self.crash_after:
            if self.crash == "raise":
                raise Crash(f"crash after {self._events} media events")
            os.kill(os.getpid(), signal.SIGKILL)

    def _check(self, offset: int, nbytes: int) -> None:
        if offset < 0 or nbytes < 0 or offset + nbytes > self.size:
            raise ValueError(f"[{offset}, {offset + nbytes}) lies outside the region of {self.size} bytes")
