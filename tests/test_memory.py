"""Dirty pages, page copies and memory.copy on every backend, against oracles independent of every backend: the
pages actually written (every IC pattern, page boundaries, no change and all changed), a numpy page-mask select
for copies, a real Wasm runtime (wasmtime) for memory.copy; bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels.memory import copy_pages, dirty_pages, wasm_memory_copy, workloads
from kernels.memory.wasm_runtime import WasmLinearMemory

ALL = backend_params("dirty_pages")
# The simulator runs one Python thread per CUDA thread: keep its inputs to a handful of pages.
FAST = backend_params("dirty_pages", exclude=("numba_cuda",))
COPY_ALL = backend_params("copy_pages")
MOVE_ALL = backend_params("wasm_memory_copy")
PAGE_SIZES = (4096, 65536)


def written_pages(offsets, ps):
    """The known answer: the pages holding the bytes that were changed."""
    return np.unique(np.asarray(offsets, np.int64) // ps)


def small(backend):
    """(pages, page size) small enough for the backend: the simulator gets 8 pages of 64 bytes."""
    return (8, 64) if backend == "numba_cuda" else (64, 4096)


# --- dirty_pages ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("pattern", workloads.DIRTY_PATTERNS)
@pytest.mark.parametrize("ps", PAGE_SIZES)
def test_dirty_patterns_find_the_written_pages(backend, pattern, ps):
    npages = 512 if ps == 4096 else 32
    if backend == "reference":
        npages //= 4
    before = workloads.heap_image(npages * ps, seed=1)
    pages = workloads.dirty_page_set(pattern, npages, max(1, npages // 10), seed=2)
    after = workloads.written_image(before, pages, ps, seed=3)
    got = dirty_pages(before, after, page_size=ps, backend=backend)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, pages)


@pytest.mark.parametrize("backend", ALL)
def test_dirty_page_boundaries(backend):
    """First and last byte of a page, first and last page, no change, all changed."""
    npages, ps = small(backend)
    before = workloads.heap_image(npages * ps, seed=4)
    cases = {
        "none": [],
        "first byte of first page": [0],
        "last byte of last page": [npages * ps - 1],
        "first byte of page 3, last byte of page 2": [3 * ps, 3 * ps - 1],
        "last byte of page 1": [2 * ps - 1],
        "every page": [p * ps + (p % ps) for p in range(npages)],
    }
    for name, offsets in cases.items():
        after = before.copy()
        after[offsets] ^= 0x80
        got = dirty_pages(before, after, page_size=ps, backend=backend)
        np.testing.assert_array_equal(got, written_pages(offsets, ps), err_msg=name)
    assert dirty_pages(before, before.copy(), page_size=ps, backend=backend).size == 0


@pytest.mark.parametrize("backend", ALL)
def test_dirty_every_word_position(backend):
    """One changed byte at each position of a 64-byte page (the chunked and laned loops' edges)."""
    before = np.zeros(64 * 2, np.uint8)
    for i in range(0, 64, 1 if backend != "numba_cuda" else 9):
        after = before.copy()
        after[64 + i] = 1
        np.testing.assert_array_equal(dirty_pages(before, after, page_size=64, backend=backend), [1])


@pytest.mark.parametrize("backend", ALL)
def test_dirty_empty_and_odd_page_sizes(backend):
    empty = np.zeros(0, np.uint8)
    assert dirty_pages(empty, empty, backend=backend).size == 0
    before = np.zeros(24 * 5, np.uint8)  # 24-byte pages: not a multiple of the 32-word chunk
    after = before.copy()
    after[[23, 24 * 4]] = 7
    np.testing.assert_array_equal(dirty_pages(before, after, page_size=24, backend=backend), [0, 4])


@pytest.mark.parametrize("backend", FAST)
def test_dirty_unaligned_and_strided_views(backend):
    base = np.zeros(4096 * 4 + 1, np.uint8)
    before = base[1:]  # not 8-byte aligned
    after = before.copy()
    after[4096 * 2 + 5] = 1
    np.testing.assert_array_equal(dirty_pages(before, after, backend=backend), [2])
    wide = np.zeros(2 * 4096 * 4, np.uint8)
    wide[2 * 4096 * 3] = 1
    np.testing.assert_array_equal(dirty_pages(np.zeros(4096 * 4, np.uint8), wide[::2], backend=backend), [3])


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=20, deadline=None)
@given(npages=st.integers(0, 12), ps=st.sampled_from([8, 64, 4096]), data=st.data())
def test_dirty_fuzz_finds_the_flipped_pages(backend, npages, ps, data):
    before = np.frombuffer(data.draw(st.binary(min_size=npages * ps, max_size=npages * ps)), np.uint8).copy()
    offsets = data.draw(st.lists(st.integers(0, max(npages * ps - 1, 0)), max_size=10)) if npages else []
    after = before.copy()
    after[offsets] ^= 1
    np.testing.assert_array_equal(dirty_pages(before, after, page_size=ps, backend=backend),
                                  written_pages(offsets, ps))


@pytest.mark.parametrize("backend", ["library", "numba_cpu"])
def test_dirty_bad_input(backend):
    a = np.zeros(8192, np.uint8)
    with pytest.raises(ValueError, match="differ in length"):
        dirty_pages(a, np.zeros(4096, np.uint8), backend=backend)
    with pytest.raises(ValueError, match="does not divide"):
        dirty_pages(a, a, page_size=3072, backend=backend)
    with pytest.raises(ValueError, match="multiple of 8"):
        dirty_pages(a, a, page_size=12, backend=backend)
    with pytest.raises(ValueError, match="positive"):
        dirty_pages(a, a, page_size=0, backend=backend)
    with pytest.raises(TypeError, match="page_size"):
        dirty_pages(a, a, page_size=4096.0, backend=backend)
    with pytest.raises(TypeError, match="after must have dtype uint8"):
        dirty_pages(a, np.zeros(8192, np.int8), backend=backend)
    with pytest.raises(TypeError, match="before must have dtype uint8"):
        dirty_pages(a.view(np.uint64), a.view(np.uint64), backend=backend)
    with pytest.raises(TypeError, match="before must be a numpy array"):
        dirty_pages(bytes(8192), a, backend=backend)
    with pytest.raises(ValueError, match="1-D"):
        dirty_pages(a.reshape(2, -1), a.reshape(2, -1), backend=backend)
    with pytest.raises(ValueError, match="unknown backend"):
        dirty_pages(a, a, backend="fpga")


# --- copy_pages -------------------------------------------------------------------------------------------

def expected_copy(src, dst, pages, ps):
    """The oracle: a page mask selecting src's bytes where a page is listed, dst's elsewhere."""
    mask = np.zeros(dst.size // ps, bool)
    mask[np.asarray(pages, np.int64)] = True
    return np.where(np.repeat(mask, ps), src, dst)


@pytest.mark.parametrize("backend", COPY_ALL)
@pytest.mark.parametrize("pattern", workloads.DIRTY_PATTERNS)
def test_copy_patterns(backend, pattern):
    npages, ps = small(backend)
    npages *= 4 if backend != "numba_cuda" else 1
    src = workloads.heap_image(npages * ps, seed=5)
    dst = workloads.heap_image(npages * ps, seed=6)
    pages = workloads.dirty_page_set(pattern, npages, npages // 4, seed=7)
    want = expected_copy(src, dst, pages, ps)
    copy_pages(src, dst, pages, page_size=ps, backend=backend)
    np.testing.assert_array_equal(dst, want)


@pytest.mark.parametrize("backend", COPY_ALL)
def test_copy_edges(backend):
    """First and last page, no pages, all pages, duplicates, a Python list."""
    npages, ps = small(backend)
    src = workloads.heap_image(npages * ps, seed=8)
    for pages in ([], [0], [npages - 1], list(range(npages)), [2, 2, 0]):
        dst = np.zeros(npages * ps, np.uint8)
        copy_pages(src, dst, pages, page_size=ps, backend=backend)
        np.testing.assert_array_equal(dst, expected_copy(src, np.zeros_like(src), pages, ps), err_msg=str(pages))


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("ps", PAGE_SIZES)
def test_copy_checkpoint_delta(backend, ps):
    """The 500-round accumulation's union, copied into a checkpoint image."""
    npages = (256 if ps == 4096 else 16) // (4 if backend == "reference" else 1)
    union, growth = workloads.checkpoint_accumulation("clustered", npages, max(1, npages // 50), rounds=50)
    assert np.all(np.diff(growth) >= 0) and growth[-1] == union.size
    src = workloads.heap_image(npages * ps, seed=9)
    dst = np.zeros_like(src)
    copy_pages(src, dst, union, page_size=ps, backend=backend)
    np.testing.assert_array_equal(dst, expected_copy(src, np.zeros_like(src), union, ps))


@pytest.mark.parametrize("backend", backend_params("copy_pages", exclude=("numba_cuda",)))
@settings(max_examples=20, deadline=None)
@given(npages=st.integers(1, 12), ps=st.sampled_from([8, 64, 4096]), data=st.data())
def test_copy_fuzz_against_page_mask(backend, npages, ps, data):
    pages = data.draw(st.lists(st.integers(0, npages - 1), max_size=2 * npages))
    rng = np.random.default_rng(npages * ps)
    src = rng.integers(0, 256, npages * ps, dtype=np.uint8)
    dst = rng.integers(0, 256, npages * ps, dtype=np.uint8)
    want = expected_copy(src, dst, pages, ps)
    copy_pages(src, dst, pages, page_size=ps, backend=backend)
    np.testing.assert_array_equal(dst, want)


def test_copy_bad_input():
    src, dst = np.zeros(8192, np.uint8), np.zeros(8192, np.uint8)
    with pytest.raises(ValueError, match="differ in length"):
        copy_pages(src, np.zeros(4096, np.uint8), [0], backend="library")
    with pytest.raises(ValueError, match="does not divide"):
        copy_pages(src, dst, [0], page_size=3072, backend="library")
    with pytest.raises(ValueError, match=r"pages must lie in \[0, 2\)"):
        copy_pages(src, dst, [2], backend="library")
    with pytest.raises(ValueError, match="pages must lie"):
        copy_pages(src, dst, [-1], backend="numba_cpu")
    with pytest.raises(TypeError, match="pages must hold integers"):
        copy_pages(src, dst, [0.5], backend="library")
    with pytest.raises(TypeError, match="dst must have dtype uint8"):
        copy_pages(src, dst.view(np.int8), [0], backend="library")
    with pytest.raises(ValueError, match="dst must be writable"):
        ro = dst.copy()
        ro.flags.writeable = False
        copy_pages(src, ro, [0], backend="library")
    with pytest.raises(ValueError, match="dst must be contiguous"):
        copy_pages(src[::2], np.zeros(16384, np.uint8)[::2], [0], backend="library")
    with pytest.raises(ValueError, match="must not overlap"):
        copy_pages(src, src, [0], backend="library")


# --- memory.copy ------------------------------------------------------------------------------------------

def wasm_result(initial, dst, src, n):
    """What wasmtime's memory.copy leaves in a memory that starts as `initial`."""
    wasm = WasmLinearMemory(initial.size)
    view = wasm.array
    view[: initial.size] = initial
    wasm.copy(dst, src, n)
    return view[: initial.size].copy()


MOVES = [  # (dst, src, n): overlapping both directions, distance 1, adjacent, disjoint, empty, whole
    (0, 1, 4000), (1, 0, 4000), (100, 0, 3000), (0, 100, 3000), (0, 2048, 2048), (2048, 0, 2048),
    (10, 10, 500), (5, 9, 0), (0, 4095, 1), (4095, 0, 1), (0, 0, 4096), (1000, 3000, 96), (3, 4000, 64),
]


@pytest.mark.parametrize("backend", MOVE_ALL)
def test_memory_copy_against_wasmtime(backend):
    rng = np.random.default_rng(10)
    moves = MOVES if backend != "numba_cuda" else [(0, 1, 40), (1, 0, 40), (0, 40, 20), (7, 7, 3)]
    size = 4096 if backend != "numba_cuda" else 64
    for dst, src, n in moves:
        memory = rng.integers(0, 256, size, dtype=np.uint8)
        want = wasm_result(memory, dst, src, n)
        wasm_memory_copy(memory, dst, src, n, backend=backend)
        np.testing.assert_array_equal(memory, want, err_msg=str((dst, src, n)))


@pytest.mark.parametrize("backend", backend_params("wasm_memory_copy", exclude=("numba_cuda", "reference")))
def test_memory_copy_large_overlaps(backend):
    """Overlaps longer than the numba kernel's 64 KiB block, both directions, against wasmtime."""
    rng = np.random.default_rng(11)
    size = 1 << 20
    for dst, src, n in ((0, 3, size - 3), (3, 0, size - 3), (0, 200_000, 600_000), (200_000, 0, 600_000),
                        (0, 1 << 19, 1 << 19)):
        memory = rng.integers(0, 256, size, dtype=np.uint8)
        want = wasm_result(memory, dst, src, n)
        wasm_memory_copy(memory, dst, src, n, backend=backend)
        np.testing.assert_array_equal(memory, want, err_msg=str((dst, src, n)))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_memory_copy_fuzz_numba_against_wasmtime(data):
    size = data.draw(st.integers(1, 300))
    n = data.draw(st.integers(0, size))
    dst, src = data.draw(st.integers(0, size - n)), data.draw(st.integers(0, size - n))
    memory = np.frombuffer(data.draw(st.binary(min_size=size, max_size=size)), np.uint8).copy()
    want = wasm_result(memory, dst, src, n)
    wasm_memory_copy(memory, dst, src, n, backend="numba_cpu")
    np.testing.assert_array_equal(memory, want)


def test_memory_fill_against_numpy():
    wasm = WasmLinearMemory(70_000)
    assert wasm.nbytes == 2 * 65536  # whole Wasm pages
    view = wasm.array
    view[:] = 1
    wasm.fill(65530, 0x1FF, 20)  # across a Wasm page boundary; only the low byte is stored
    want = np.ones(wasm.nbytes, np.uint8)
    want[65530:65550] = 0xFF
    np.testing.assert_array_equal(wasm.array, want)
    wasm.copy_repeat(0, 65530, 20, 3)
    want[0:20] = 0xFF
    np.testing.assert_array_equal(wasm.array, want)
    wasm.fill_repeat(100, 7, 10, 2)
    want[100:110] = 7
    np.testing.assert_array_equal(wasm.array, want)


def test_memory_copy_bad_input():
    memory = np.zeros(100, np.uint8)
    with pytest.raises(ValueError, match=r"src range \[90, 110\) is out of bounds"):
        wasm_memory_copy(memory, 0, 90, 20, backend="library")
    with pytest.raises(ValueError, match="dst range"):
        wasm_memory_copy(memory, 81, 0, 20, backend="numba_cpu")
    with pytest.raises(ValueError, match="n must be >= 0"):
        wasm_memory_copy(memory, 0, 0, -1, backend="library")
    with pytest.raises(TypeError, match="dst must be an int"):
        wasm_memory_copy(memory, 1.5, 0, 1, backend="library")
    with pytest.raises(TypeError, match="memory must have dtype uint8"):
        wasm_memory_copy(memory.view(np.int8), 0, 1, 1, backend="library")
    with pytest.raises(ValueError, match="out of bounds"):
        WasmLinearMemory(100).copy(65530, 0, 10)
    with pytest.raises(ValueError, match="nbytes"):
        WasmLinearMemory(-1)


def test_numba_parallel_kernels_find_and_copy_the_written_pages():
    """The multi-threaded kernels (used on machines with >= 4 threads), called directly, against the pages
    written and the page-mask copy."""
    from kernels.memory import numba_cpu

    ps, npages = 4096, 64
    before = workloads.heap_image(npages * ps, seed=12)
    pages = workloads.dirty_page_set("clustered", npages, 9, seed=13)
    after = workloads.written_image(before, pages, ps, seed=14)
    flags = np.empty(npages, np.uint8)
    numba_cpu._DIRTY[(True, numba_cpu.CHUNK)](before.view(np.uint64), after.view(np.uint64), ps // 8, flags)
    np.testing.assert_array_equal(np.flatnonzero(flags), pages)
    dst = np.zeros_like(before)
    numba_cpu._COPY[True](before.view(np.uint64), dst.view(np.uint64), pages, ps // 8)
    np.testing.assert_array_equal(dst, expected_copy(before, np.zeros_like(before), pages, ps))
    memory = before.copy()
    numba_cpu._copy_disjoint_parallel(memory, 0, 200_000, 50_000)
    want = before.copy()
    want[:50_000] = before[200_000:250_000]
    np.testing.assert_array_equal(memory, want)
