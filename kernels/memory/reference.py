"""Readable pure-Python definitions: the oracle the other backends are checked against.

dirty_pages: a page is dirty when any of its bytes differs. copy_pages: page-sized slice assignment.
memory_copy: the WebAssembly core spec's definition of `memory.copy` (section 4.4.7), which copies byte
by byte, forward when dst <= src and backward otherwise, so overlapping ranges behave like memmove.
"""
from __future__ import annotations

import numpy as np


def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    a, b = memoryview(before), memoryview(after)
    dirty = [p for p in range(before.size // page_size)
             if a[p * page_size:(p + 1) * page_size] != b[p * page_size:(p + 1) * page_size]]
    return np.array(dirty, dtype=np.int64)


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    s, d = memoryview(src), memoryview(dst)
    for p in pages.tolist():
        d[p * page_size:(p + 1) * page_size] = s[p * page_size:(p + 1) * page_size]


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    m = memoryview(memory)
    if dst <= src:
        for i in range(n):
            m[dst + i] = m[src + i]
    else:
        for i in reversed(range(n)):
            m[dst + i] = m[src + i]
