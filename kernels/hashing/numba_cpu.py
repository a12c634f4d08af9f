"""SHA-256 in Numba on all CPU cores, three paths chosen at run time by the CPU's flags:

- ``sha_ni``: the SHA-NI instructions (kernels/hashing/sha_ni.py), NI_LANES messages interleaved per core so
  that one message's chain of ``sha256rnds2`` latencies overlaps the others'; where the CPU has ``sha_ni``;
- ``lanes16``: 16 messages in lock-step in plain Numba, vectorised by LLVM (one AVX-512 register holds one
  state word of 16 messages; two AVX2 registers where the CPU has no AVX-512); where the CPU has AVX-512F or
  AVX2;
- ``scalar``: one message per loop iteration, the portable fallback.

Every path reads the messages where they lie (a packed buffer, a 2-D array's rows): whole blocks straight
from the input, only the last one or two padded blocks built in a small per-thread buffer.

In the 16-lane path the compression function is written with the 16 messages ("lanes") as the innermost loop,
so LLVM vectorises each round across lanes (one AVX-512 register holds one state word of 16 messages). The
working variables live in two arrays, ``A`` and ``E``: SHA-256 creates only a new ``a`` and a new ``e``
each round (the other six are the previous rounds' values), so round t reads rows t..t+3 and writes
row t + 4, and the loop carries no aliasing LLVM cannot see through. Messages of different lengths are
sorted by block count first so that lanes of a group finish together.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import binding as llvm_binding
from numba import njit, prange

from ..measure.fingerprint import cpu_info
from ..packing import Packed, pack_rows
from ..registry import BackendUnavailable
from . import sha_ni
from .reference import H0, K

LANES = 16
_K = np.array(K, dtype=np.uint32)
_H0 = np.array(H0, dtype=np.uint32)


@njit(inline="always")
def _rotr(x, n):
    # Numba widens integer arithmetic to 64 bits; casting back to uint32 at every step lets LLVM keep
    # 16 lanes of 32 bits per AVX-512 register and emit native rotates.
    return np.uint32((x >> n) | (x << (32 - n)))


@njit(inline="always")
def _block_word(data, start, length, nblocks, b, j):
    """Big-endian word j of block b of the padded message (FIPS 180-4 section 5.1.1), built on the fly."""
    pos = b * 64 + j * 4
    if pos + 4 <= length:
        i = start + pos
        return (np.uint32(data[i]) << 24) | (np.uint32(data[i + 1]) << 16) | (np.uint32(data[i + 2]) << 8) | np.uint32(data[i + 3])
    if b == nblocks - 1 and j >= 14:
        bits = np.uint64(length) * np.uint64(8)
        return np.uint32(bits >> np.uint64(32)) if j == 14 else np.uint32(bits & np.uint64(0xFFFFFFFF))
    word = np.uint32(0)
    for k in range(4):
        p = pos + k
        byte = np.uint32(0)
        if p < length:
            byte = np.uint32(data[start + p])
        elif p == length:
            byte = np.uint32(0x80)
        word = (word << 8) | byte
    return word


@njit(parallel=True)
def _sha256_lanes(data, offsets, order, out):
    n = order.size
    for g in prange((n + LANES - 1) // LANES):
        W = np.empty(64 * LANES, np.uint32)
        A = np.empty(68 * LANES, np.uint32)
        E = np.empty(68 * LANES, np.uint32)
        state = np.empty(8 * LANES, np.uint32)
        starts = np.zeros(LANES, np.int64)
        lengths = np.zeros(LANES, np.int64)
        nblocks = np.zeros(LANES, np.int64)
        most = 0
        for l in range(LANES):
            m = g * LANES + l
            if m < n:
                i = order[m]
                starts[l] = offsets[i]
                lengths[l] = offsets[i + 1] - offsets[i]
                nblocks[l] = (lengths[l] + 9 + 63) // 64
                most = max(most, nblocks[l])
            for s in range(8):
                state[s * LANES + l] = _H0[s]
        for b in range(most):
            for l in range(LANES):
                if b < nblocks[l]:
                    for j in range(16):
                        W[j * LANES + l] = _block_word(data, starts[l], lengths[l], nblocks[l], b, j)
                else:
                    for j in range(16):
                        W[j * LANES + l] = 0
            for t in range(16, 64):
                for l in range(LANES):
                    w15 = W[(t - 15) * LANES + l]
                    w2 = W[(t - 2) * LANES + l]
                    s0 = np.uint32(_rotr(w15, 7) ^ _rotr(w15, 18) ^ (w15 >> 3))
                    s1 = np.uint32(_rotr(w2, 17) ^ _rotr(w2, 19) ^ (w2 >> 10))
                    W[t * LANES + l] = W[(t - 16) * LANES + l] + s0 + W[(t - 7) * LANES + l] + s1
            for l in range(LANES):
                for r in range(4):  # rows 3..0 hold a, b, c, d and e, f, g, h
                    A[(3 - r) * LANES + l] = state[r * LANES + l]
                    E[(3 - r) * LANES + l] = state[(4 + r) * LANES + l]
            for t in range(64):
                kt = _K[t]
                for l in range(LANES):
                    a = A[(t + 3) * LANES + l]
                    b_ = A[(t + 2) * LANES + l]
                    c = A[(t + 1) * LANES + l]
                    d = A[t * LANES + l]
                    e = E[(t + 3) * LANES + l]
                    f = E[(t + 2) * LANES + l]
                    g_ = E[(t + 1) * LANES + l]
                    h = E[t * LANES + l]
                    s1 = np.uint32(_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                    ch = np.uint32((e & f) ^ (~e & g_))
                    t1 = np.uint32(h + s1 + ch + kt + W[t * LANES + l])
                    s0 = np.uint32(_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22))
                    maj = np.uint32((a & b_) ^ (a & c) ^ (b_ & c))
                    t2 = np.uint32(s0 + maj)
                    E[(t + 4) * LANES + l] = d + t1
                    A[(t + 4) * LANES + l] = t1 + t2
            for l in range(LANES):
                if b < nblocks[l]:
                    for r in range(4):
                        state[r * LANES + l] += A[(67 - r) * LANES + l]
                        state[(4 + r) * LANES + l] += E[(67 - r) * LANES + l]
        for l in range(LANES):
            m = g * LANES + l
            if m < n:
                i = order[m]
                for s in range(8):
                    v = state[s * LANES + l]
                    out[i, 4 * s] = v >> 24
                    out[i, 4 * s + 1] = (v >> 16) & 0xFF
                    out[i, 4 * s + 2] = (v >> 8) & 0xFF
                    out[i, 4 * s + 3] = v & 0xFF


# --- the SHA-NI path -------------------------------------------------------------------------------------------
NI_LANES = 4  # messages interleaved per core: enough to overlap sha256rnds2's latency, few enough for 16 xmm
NI_CHUNKS = 256  # groups of lanes per batch are dealt to threads in this many chunks (one scratch buffer each)
_ni_compress = sha_ni.compress_intrinsic(NI_LANES)
# H0 in the instructions' layout: ABEF = [F, E, B, A], CDGH = [H, G, D, C]; _NI_WORD[k] is where word k lies
_NI_H0 = np.array([H0[5], H0[4], H0[1], H0[0], H0[7], H0[6], H0[3], H0[2]], dtype=np.uint32)
_NI_WORD = np.array([3, 2, 7, 6, 1, 0, 5, 4], dtype=np.int64)


@njit(inline="always")
def _padded_tail(tail, base, data, start, length):
    """Write the message's last one or two blocks at tail[base:]: its bytes after the last whole block, 0x80,
    zeros and the 64-bit big-endian bit length (FIPS 180-4 section 5.1.1). Returns how many blocks (1 or 2)."""
    rest = length % 64
    blocks = 1 if rest <= 55 else 2
    src = start + length - rest
    for k in range(rest):
        tail[base + k] = data[src + k]
    tail[base + rest] = 0x80
    end = base + 64 * blocks
    for k in range(base + rest + 1, end - 8):
        tail[k] = 0
    bits = np.uint64(length) * np.uint64(8)
    for k in range(8):
        tail[end - 1 - k] = np.uint8((bits >> np.uint64(8 * k)) & np.uint64(0xFF))
    return blocks


@njit(inline="always")
def _store_digest(state, lane, out, i):
    for s in range(8):
        v = state[8 * lane + _NI_WORD[s]]
        out[i, 4 * s] = v >> 24
        out[i, 4 * s + 1] = (v >> 16) & 0xFF
        out[i, 4 * s + 2] = (v >> 8) & 0xFF
        out[i, 4 * s + 3] = v & 0xFF


def _sha256_ni(data, offsets, order, out):
    """NI_LANES messages per group, groups dealt to threads in chunks. A lane reads its whole blocks from `data`
    and its padded tail from the chunk's scratch; a lane that has finished stores its digest and then hashes
    its tail again (harmless) until the group's longest message is done."""
    n = order.size
    lanes = NI_LANES
    ngroups = (n + lanes - 1) // lanes
    nchunks = min(ngroups, NI_CHUNKS)
    for c in prange(nchunks):
        state = np.empty(8 * lanes, np.uint32)
        blocks = np.empty(lanes, np.int64)
        tail = np.empty(128 * lanes, np.uint8)
        tail_for = np.full(lanes, -1, np.int64)  # the length whose padding block tail holds (whole-block messages)
        start = np.empty(lanes, np.int64)
        whole = np.empty(lanes, np.int64)
        total = np.empty(lanes, np.int64)
        index = np.empty(lanes, np.int64)
        for g in range(c * ngroups // nchunks, (c + 1) * ngroups // nchunks):
            most = 0
            for l in range(lanes):
                m = g * lanes + l
                index[l] = order[m] if m < n else -1
                i = order[min(m, n - 1)]
                start[l] = offsets[i]
                length = offsets[i + 1] - offsets[i]
                whole[l] = length // 64
                if length % 64 == 0 and tail_for[l] == length:
                    total[l] = whole[l] + 1
                else:
                    total[l] = whole[l] + _padded_tail(tail, 128 * l, data, start[l], length)
                    tail_for[l] = length if length % 64 == 0 else -1
                most = max(most, total[l])
                for s in range(8):
                    state[8 * l + s] = _NI_H0[s]
            for b in range(most):
                for l in range(lanes):
                    if b < whole[l]:
                        blocks[l] = sha_ni.address(data, start[l] + 64 * b)
                    elif b < total[l]:
                        blocks[l] = sha_ni.address(tail, 128 * l + 64 * (b - whole[l]))
                    else:
                        blocks[l] = sha_ni.address(tail, 128 * l)
                _ni_compress(state, blocks)
                for l in range(lanes):
                    if b == total[l] - 1 and index[l] >= 0:
                        _store_digest(state, l, out, index[l])


# --- the scalar path -------------------------------------------------------------------------------------------
SCALAR_CHUNKS = 256


def _sha256_scalar(data, offsets, order, out):
    """One message at a time per thread, FIPS 180-4 section 6.2.2 as written; messages dealt in chunks."""
    n = order.size
    nchunks = min(n, SCALAR_CHUNKS)
    for c in prange(nchunks):
        w = np.empty(64, np.uint32)
        h = np.empty(8, np.uint32)
        for m in range(c * n // nchunks, (c + 1) * n // nchunks):
            i = order[m]
            start = offsets[i]
            length = offsets[i + 1] - offsets[i]
            nblocks = (length + 9 + 63) // 64
            for s in range(8):
                h[s] = _H0[s]
            for b in range(nblocks):
                for j in range(16):
                    w[j] = _block_word(data, start, length, nblocks, b, j)
                for t in range(16, 64):
                    s0 = np.uint32(_rotr(w[t - 15], 7) ^ _rotr(w[t - 15], 18) ^ (w[t - 15] >> 3))
                    s1 = np.uint32(_rotr(w[t - 2], 17) ^ _rotr(w[t - 2], 19) ^ (w[t - 2] >> 10))
                    w[t] = w[t - 16] + s0 + w[t - 7] + s1
                a, b_, c_, d, e, f, g, hh = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
                for t in range(64):
                    t1 = np.uint32(hh + np.uint32(_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                                   + np.uint32((e & f) ^ (~e & g)) + _K[t] + w[t])
                    t2 = np.uint32(np.uint32(_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22))
                                   + np.uint32((a & b_) ^ (a & c_) ^ (b_ & c_)))
                    hh, g, f, e, d, c_, b_, a = g, f, e, np.uint32(d + t1), c_, b_, a, np.uint32(t1 + t2)
                h[0] += a
                h[1] += b_
                h[2] += c_
                h[3] += d
                h[4] += e
                h[5] += f
                h[6] += g
                h[7] += hh
            for s in range(8):
                out[i, 4 * s] = h[s] >> 24
                out[i, 4 * s + 1] = (h[s] >> 16) & 0xFF
                out[i, 4 * s + 2] = (h[s] >> 8) & 0xFF
                out[i, 4 * s + 3] = h[s] & 0xFF


# --- choosing a path -------------------------------------------------------------------------------------------
PATHS = ("sha_ni", "lanes16", "scalar")
_LLVM_FEATURES = llvm_binding.get_host_cpu_features()  # what Numba compiles for on this host
# Each path in two builds: on all cores, and on the calling thread for batches too small to pay for waking the
# thread pool (~10 us, more when other tenants hold the cores). Compiled on first use only, so the SHA-NI
# intrinsics are never compiled on a CPU without them.
_KERNELS = {"sha_ni": (njit(parallel=True)(_sha256_ni), njit(_sha256_ni)),
            "lanes16": (_sha256_lanes, njit(_sha256_lanes.py_func)),
            "scalar": (njit(parallel=True)(_sha256_scalar), njit(_sha256_scalar))}
# The SHA-NI and scalar loops run over NI_CHUNKS / SCALAR_CHUNKS chunks handed out one at a time to whichever
# thread is free (dynamic scheduling): a core busy with other work then takes fewer chunks instead of holding
# the whole call back, as an equal static split would.
DYNAMIC_CHUNK = 1
# Below this many blocks (about 1 ms of SHA-NI work on one core) a batch runs on the calling thread: waking the
# pool costs ~10 us on an idle machine, but up to a scheduler time slice (milliseconds) when another process
# holds a core, since the call ends only when every thread has checked in.
SERIAL_BELOW_BLOCKS = 1 << 15


def path_unavailable_reason(path: str) -> str | None:
    """None if `path` can run on this CPU, else why not (the SHA-NI path needs the instructions, both in the
    CPU's flags and in what LLVM compiles for)."""
    if path not in PATHS:
        raise ValueError(f"unknown path {path!r}; choose one of {', '.join(PATHS)}")
    if path != "sha_ni":
        return None
    if "sha_ni" not in cpu_info()["flags"]:
        return "the CPU has no SHA-NI instructions (no sha_ni flag)"
    if not _LLVM_FEATURES.get("sha", False):
        return "LLVM does not target the SHA extensions on this host"
    return None


def default_path() -> str:
    """The path this CPU runs: SHA-NI lanes, else the 16-lane vector path (AVX-512F or AVX2), else scalar."""
    if path_unavailable_reason("sha_ni") is None:
        return "sha_ni"
    flags = cpu_info()["flags"]
    return "lanes16" if "avx512f" in flags or "avx2" in flags else "scalar"


def _group_size(path: str) -> int:
    return {"sha_ni": NI_LANES, "lanes16": LANES, "scalar": 1}[path]


def lane_order(packed: Packed, lanes: int = LANES) -> np.ndarray:
    """Order in which messages fill the lanes: as given when there is one group or all messages have one
    block count, else sorted by block count (stable) so the lanes of a group finish together."""
    return _lane_order(packed.offsets, lanes)


@njit
def _lane_order(offsets, lanes):
    n = offsets.size - 1
    order = np.arange(n)
    if n <= lanes:
        return order
    blocks = (offsets[1:] - offsets[:-1] + 9 + 63) // 64
    if blocks.min() == blocks.max():
        return order
    return np.argsort(blocks, kind="mergesort")


def _serial(packed: Packed) -> bool:
    """Whether the batch runs on the calling thread: fewer than SERIAL_BELOW_BLOCKS blocks in all (about)."""
    return (packed.data.size + 9 * packed.count) // 64 < SERIAL_BELOW_BLOCKS


def threads(packed: Packed, path: str | None = None) -> int | None:
    """CPU threads the kernel really uses for this batch (any path): 1 where it runs the serial build, else None
    (every Numba thread)."""
    return 1 if _serial(packed) else None


def sha256_packed(packed: Packed, path: str | None = None) -> np.ndarray:
    """SHA-256 of every message of a packed batch, read where it lies: (n, 32) uint8. `path` forces one of
    PATHS (tests); None runs `default_path()`. BackendUnavailable if the forced path cannot run here."""
    path = path or default_path()
    reason = path_unavailable_reason(path)
    if reason is not None:
        raise BackendUnavailable(f"sha256 on numba_cpu, path {path}: {reason}")
    out = np.empty((packed.count, 32), dtype=np.uint8)
    if packed.count:
        kernel = _KERNELS[path][int(_serial(packed))]
        with numba.parallel_chunksize(DYNAMIC_CHUNK if path != "lanes16" else 0):
            kernel(packed.data, packed.offsets, lane_order(packed, _group_size(path)), out)
    return out


def hash_levels(buffer: np.ndarray, msg_off: np.ndarray, hashed: np.ndarray, level_starts: np.ndarray,
                dest: np.ndarray, path: str | None = None) -> bytes:
    """A hash tree's assembled levels (kernels.hashing.hashtree.messages) hashed deepest first, each level's
    digests written into their parents' messages; returns the root's digest. Levels small enough for the
    calling thread (SERIAL_BELOW_BLOCKS) run as one compiled call per run of such levels, so a tree pays no
    Python per level; a larger level runs on all cores. `path` as in sha256_packed."""
    path = path or default_path()
    reason = path_unavailable_reason(path)
    if reason is not None:
        raise BackendUnavailable(f"hashtree on numba_cpu, path {path}: {reason}")
    out = np.empty((hashed.size, 32), dtype=np.uint8)
    count = np.diff(level_starts)
    blocks = (msg_off[level_starts[1:]] - msg_off[level_starts[:-1]] + 9 * count) // 64
    first, lanes = 0, _group_size(path)
    for level in np.flatnonzero(blocks >= SERIAL_BELOW_BLOCKS).tolist():
        _LEVEL_RUNS[path](buffer, msg_off, hashed, level_starts, dest, first, level, lanes, out)
        a, b = int(level_starts[level]), int(level_starts[level + 1])
        offsets = msg_off[a:b + 1]
        with numba.parallel_chunksize(DYNAMIC_CHUNK if path != "lanes16" else 0):
            _KERNELS[path][0](buffer, offsets, _lane_order(offsets, lanes), out[a:b])
        _scatter_level(buffer, hashed, dest, a, b, out)
        first = level + 1
    _LEVEL_RUNS[path](buffer, msg_off, hashed, level_starts, dest, first, level_starts.size - 1, lanes, out)
    return out[-1].tobytes()


@njit
def _scatter_level(buffer, hashed, dest, a, b, out):
    """Digests out[a:b] of hashed nodes a..b-1 into their parents' messages (the root has no parent)."""
    for j in range(a, b):
        d = dest[hashed[j]]
        if d >= 0:
            buffer[d:d + 32] = out[j]


def _level_run(kernel):
    """Levels first..last-1 of an assembled tree in one compiled loop, each hashed by `kernel` (a build for the
    calling thread) and scattered before the next level reads it."""
    @njit
    def run(buffer, msg_off, hashed, level_starts, dest, first, last, lanes, out):
        for level in range(first, last):
            a, b = level_starts[level], level_starts[level + 1]
            if a < b:
                offsets = msg_off[a:b + 1]
                kernel(buffer, offsets, _lane_order(offsets, lanes), out[a:b])
                _scatter_level(buffer, hashed, dest, a, b, out)

    return run


_LEVEL_RUNS = {path: _level_run(builds[1]) for path, builds in _KERNELS.items()}  # compiled on first use


def sha256_rows(rows: np.ndarray, path: str | None = None) -> np.ndarray:
    """SHA-256 of each row of a 2-D uint8 array (n, k), read in place when the rows are C-contiguous."""
    return sha256_packed(pack_rows(rows), path)


def compile() -> None:
    """JIT-compile this CPU's path, both builds (timed once by the harness as the `compile` phase)."""
    for count in (1, 2 * SERIAL_BELOW_BLOCKS):
        sha256_packed(Packed(np.zeros(count, np.uint8), np.arange(count + 1, dtype=np.int64)))
