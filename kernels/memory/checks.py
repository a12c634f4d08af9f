"""Input checks shared by every backend: clear TypeError/ValueError naming the argument, before any work."""
from __future__ import annotations

import operator

import numpy as np

OS_PAGE = 4096  # OS page, the unit the IC tracks and persists (docs/REFERENCES.md section 1)
WASM_PAGE = 65536  # Wasm page, the unit memory.grow works in (WebAssembly core spec; docs/REFERENCES.md section 1)
WORD = 8  # kernels compare and copy 8-byte words: page sizes must be a multiple of this


def check_buffer(name: str, array, *, writable: bool = False) -> np.ndarray:
    """A 1-D uint8 numpy array; read-only inputs that are not contiguous are copied to contiguous ones."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of uint8, got {type(array).__name__}")
    if array.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if writable:
        if not array.flags.writeable:
            raise ValueError(f"{name} must be writable")
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous (it is updated in place)")
        return array
    return np.ascontiguousarray(array)


def check_page_size(page_size, length: int, name: str = "before") -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, (int, np.integer)):
        raise TypeError(f"page_size must be an int, got {type(page_size).__name__}")
    page_size = int(page_size)
    if page_size <= 0 or page_size % WORD:
        raise ValueError(f"page_size must be a positive multiple of {WORD}, got {page_size}")
    if length % page_size:
        raise ValueError(f"page_size {page_size} does not divide the length of {name} ({length} bytes)")
    return page_size


def check_pair(before, after, page_size) -> tuple[np.ndarray, np.ndarray]:
    before = check_buffer("before", before)
    after = check_buffer("after", after)
    if before.size != after.size:
        raise ValueError(f"before and after differ in length ({before.size} and {after.size} bytes)")
    check_page_size(page_size, before.size)
    return before, after


def check_pages(pages, npages: int) -> np.ndarray:
    """A 1-D int64 array of page indices in [0, npages) (duplicates allowed: the copy is idempotent)."""
    arr = np.asarray(pages)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.ndim != 1:
        raise ValueError(f"pages must be 1-D, got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"pages must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.min() < 0 or arr.max() >= npages:
        raise ValueError(f"pages must lie in [0, {npages}); got values from {arr.min()} to {arr.max()}")
    return np.ascontiguousarray(arr)


def check_copy(src, dst, pages, page_size) -> tuple[np.ndarray, np.ndarray]:
    src = check_buffer("src", src)
    check_buffer("dst", dst, writable=True)
    if src.size != dst.size:
        raise ValueError(f"src and dst differ in length ({src.size} and {dst.size} bytes)")
    check_page_size(page_size, src.size, "src")
    if np.shares_memory(src, dst):
        raise ValueError("src and dst must not overlap (use wasm_memory_copy for moves inside one memory)")
    return src, check_pages(pages, src.size // int(page_size))


def _index(name: str, value) -> int:
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_memory_copy(memory, dst, src, n) -> tuple[int, int, int]:
    check_buffer("memory", memory, writable=True)
    dst, src, n = _index("dst", dst), _index("src", src), _index("n", n)
    for name, start in (("src", src), ("dst", dst)):
        if start + n > memory.size:
            raise ValueError(f"{name} range [{start}, {start + n}) is out of bounds of a {memory.size}-byte memory "
                             "(Wasm traps)")
    return dst, src, n
