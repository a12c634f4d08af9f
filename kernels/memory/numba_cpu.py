"""Numba on the CPU cores. Pages are compared as 8-byte words, `CHUNK` words at a time with an early exit
at the first chunk that differs, and only a flag per page is written (the numpy baseline writes a bool
array the size of the memory, then reads it again).

Two details decide the speed (measured on the 2-core development VM, 256 MiB, 2 % dirty): every inner loop
indexes a view with a range variable and a constant trip count (a 2-D (chunk, word) view here, slices in
memory.copy), so Numba need not check for negative indices and LLVM emits AVX-512 loads and ORs (22-26 GB/s;
a flat `base + w` index stayed scalar at 4-6 GB/s, a byte-wise memory.copy at 1.3 GB/s); and the thread
pool is only used with at least `PARALLEL_MIN_THREADS` threads and above `PARALLEL_MIN_BYTES`. On a 2-core
VM shared with other jobs the second thread is a straggler more often than a helper (256 MiB compare:
12 GB/s on two threads, 22 GB/s on one, under load), and waking the pool can cost a scheduler time slice
(a 5 MB page copy took 4 ms on two threads and 0.15 ms on one).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from .checks import WORD

CHUNK = 64  # words OR-reduced between early-exit checks: 512 bytes, eight 64-byte lines (measured best of
# 16/32/64/128/512 words on 256 MiB: 64 ran ~10 % faster than 32, and 128 or no early exit slower still)
CHUNKS = (CHUNK, 8, 1)  # page sizes that are not a multiple of CHUNK words use the largest that divides them
PARALLEL_MIN_BYTES = 32 << 20  # below this, one thread: waking the pool costs more than it saves
PARALLEL_MIN_THREADS = 4  # fewer threads than this: one thread (see above)
COPY_BLOCK = 1 << 16  # bytes per task of a non-overlapping memory.copy


def _dirty_kernel(parallel: bool, chunk: int):
    @njit(parallel=parallel, boundscheck=False)
    def kernel(a, b, words_per_page, flags):
        chunks = words_per_page // chunk
        a2 = a.reshape(flags.size * chunks, chunk)
        b2 = b.reshape(flags.size * chunks, chunk)
        for p in prange(flags.size):
            dirty = 0
            for c in range(p * chunks, (p + 1) * chunks):
                acc = np.uint64(0)
                for w in range(chunk):
                    acc |= a2[c, w] ^ b2[c, w]
                if acc != 0:
                    dirty = 1
                    break
            flags[p] = dirty

    return kernel


def _copy_kernel(parallel: bool):
    @njit(parallel=parallel, boundscheck=False)
    def kernel(src, dst, pages, words_per_page):
        s2 = src.reshape(-1, words_per_page)
        d2 = dst.reshape(-1, words_per_page)
        for i in prange(pages.size):
            p = pages[i]
            for w in range(words_per_page):
                d2[p, w] = s2[p, w]

    return kernel


# (parallel, chunk words) -> kernel
_DIRTY = {(par, c): _dirty_kernel(par, c) for par in (False, True) for c in CHUNKS}
_COPY = {par: _copy_kernel(par) for par in (False, True)}


BOUNCE = 256  # bytes per chunk of memory.copy, read whole into a bounce buffer before it is written


@njit(boundscheck=False, inline="always")
def _bounce(m, tmp, dst, src, k):
    """Move k <= BOUNCE bytes through `tmp`. Indexing slices with range variables (never negative) spares
    Numba's negative-index check, which otherwise keeps these loops scalar (1.3 GB/s instead of ~70)."""
    a = m[src:src + k]
    b = m[dst:dst + k]
    for j in range(k):
        tmp[j] = a[j]
    for j in range(k):
        b[j] = tmp[j]


@njit(boundscheck=False)
def _memmove(m, dst, src, n):
    """Chunks are read whole before they are written, so taking them in the direction of the move (forward
    when dst < src, backward otherwise) reads every byte before it is overwritten: memmove semantics."""
    tmp = np.empty(BOUNCE, np.uint8)
    full = n // BOUNCE
    rest = n - full * BOUNCE
    if dst <= src:
        for c in range(full):
            _bounce(m, tmp, dst + c * BOUNCE, src + c * BOUNCE, BOUNCE)
        _bounce(m, tmp, dst + full * BOUNCE, src + full * BOUNCE, rest)
    else:
        _bounce(m, tmp, dst + full * BOUNCE, src + full * BOUNCE, rest)
        for c in range(full - 1, -1, -1):
            _bounce(m, tmp, dst + c * BOUNCE, src + c * BOUNCE, BOUNCE)


@njit(parallel=True, boundscheck=False)
def _copy_disjoint_parallel(m, dst, src, n):
    """Non-overlapping ranges: blocks are independent, one task each."""
    for blk in prange((n + COPY_BLOCK - 1) // COPY_BLOCK):
        lo = blk * COPY_BLOCK
        hi = min(lo + COPY_BLOCK, n)
        a = m[src + lo:src + hi]
        b = m[dst + lo:dst + hi]
        for j in range(hi - lo):
            b[j] = a[j]


def threads_used(nbytes: int, *, overlapping: bool = False) -> int:
    """Threads a call that touches `nbytes` bytes runs on: Numba's pool at and above `PARALLEL_MIN_BYTES` with
    at least `PARALLEL_MIN_THREADS` threads, else 1 (the serial kernel). An overlapping memory.copy is always
    serial. The harness labels the device and charges energy by this count."""
    if overlapping or nbytes < PARALLEL_MIN_BYTES or numba.get_num_threads() < PARALLEL_MIN_THREADS:
        return 1
    return numba.get_num_threads()


def _parallel(nbytes: int, *, overlapping: bool = False) -> bool:
    return threads_used(nbytes, overlapping=overlapping) > 1


def compile() -> None:
    """JIT-compile every kernel (timed once by the harness as the `compile` phase)."""
    a = np.zeros(CHUNK * WORD, np.uint8)
    w = np.zeros(CHUNK, np.uint64)
    for kernel in _DIRTY.values():
        kernel(w, w, CHUNK, np.zeros(1, np.uint8))  # CHUNK words: a multiple of every chunk size
    for kernel in _COPY.values():
        kernel(w, w.copy(), np.zeros(1, np.int64), CHUNK)
    _memmove(a, 0, 1, 8)
    _copy_disjoint_parallel(a, 0, 8, 8)


def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    flags = np.empty(before.size // page_size, np.uint8)
    words = page_size // WORD
    if flags.size:
        kernel = _DIRTY[(_parallel(before.size), next(c for c in CHUNKS if words % c == 0))]
        kernel(before.view(np.uint64), after.view(np.uint64), words, flags)
    return np.flatnonzero(flags).astype(np.int64)


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    if pages.size:
        kernel = _COPY[_parallel(pages.size * page_size)]
        kernel(src.view(np.uint64), dst.view(np.uint64), pages, page_size // WORD)


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    if _parallel(n, overlapping=abs(dst - src) < n):
        _copy_disjoint_parallel(memory, dst, src, n)
    else:
        _memmove(memory, dst, src, n)
