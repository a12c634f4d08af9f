"""IC-shaped workloads of orthogonal persistence, deterministic by seed (docs/REFERENCES.md section 1 for every
shape used here): heap images, dirty-page sets (sparse, clustered, stack-like), per-round and per-checkpoint
page sets, and the issue's target sizes."""
from __future__ import annotations

import numpy as np

from ..random_data import random_bytes

OS_PAGE_BYTES = 4096  # the unit the IC tracks and persists
WASM_PAGE_BYTES = 65536  # the unit of memory.grow
HEAP_MAX_BYTES = 4 << 30  # Wasm heap limit per canister (dfinity/ic embedders config)
ROUND_DIRTY_MAX_BYTES = 75 << 20  # dirty bytes per canister per round (dfinity/ic embedders config)
CHECKPOINT_ROUNDS = 500  # rounds between checkpoints
DIRTY_PATTERNS = ("sparse", "clustered", "stack")
MEAN_RUN_PAGES = 16  # clustered pattern: mean run length (assumed: a 64 KiB object or a Wasm page)
STACK_PAGES = 256  # Rust's default Wasm shadow stack, 1 MiB at the bottom of the memory (rustc wasm32 default)


def round_dirty_pages(heap_bytes: int, page_size: int = OS_PAGE_BYTES) -> int:
    """Dirty pages per round for a heap scaled down from the IC's limits: 75 MiB of a 4 GiB heap (1.83 %),
    the same fraction of `heap_bytes`, at least one page."""
    return max(1, heap_bytes * ROUND_DIRTY_MAX_BYTES // HEAP_MAX_BYTES // page_size)


def dirty_page_set(pattern: str, npages: int, count: int, seed: int = 0) -> np.ndarray:
    """`count` distinct page indices of a memory of `npages`, sorted (int64):
    sparse    uniformly random pages;
    clustered runs of consecutive pages (geometric lengths, mean MEAN_RUN_PAGES) at random starts;
    stack     the top of the shadow stack (the first STACK_PAGES pages, written from the top down) first,
              then sparse heap pages above it: stack-like hot pages."""
    if pattern not in DIRTY_PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(DIRTY_PATTERNS)}")
    if not 0 <= count <= npages:
        raise ValueError(f"count must lie in [0, {npages}], got {count}")
    rng = np.random.default_rng(seed)
    if pattern == "sparse" or count == npages:
        return np.sort(rng.choice(npages, count, replace=False)).astype(np.int64)
    if pattern == "stack":
        stack = min(STACK_PAGES, npages)
        hot = np.arange(stack - min(count, stack), stack, dtype=np.int64)
        rest = count - hot.size
        heap = stack + rng.choice(npages - stack, rest, replace=False) if rest else np.zeros(0, np.int64)
        return np.sort(np.concatenate([hot, heap])).astype(np.int64)
    mask = np.zeros(npages, bool)
    marked = 0
    while marked < count:
        start = int(rng.integers(npages))
        length = int(rng.geometric(1 / MEAN_RUN_PAGES))
        run = np.arange(start, min(start + length, npages))
        new = run[~mask[run]][: count - marked]
        mask[new] = True
        marked += new.size
    return np.flatnonzero(mask).astype(np.int64)


def heap_image(nbytes: int, seed: int = 0) -> np.ndarray:
    """A memory image to write into (random bytes: comparing and copying costs do not depend on content)."""
    return random_bytes(nbytes, seed)


def written_image(before: np.ndarray, pages: np.ndarray, page_size: int = OS_PAGE_BYTES, seed: int = 0,
                  writes_per_page: int = 4) -> np.ndarray:
    """A copy of `before` in which each page of `pages` has 1..writes_per_page bytes changed at random
    offsets (every change flips at least one bit, so exactly `pages` are dirty)."""
    after = before.copy()
    if len(pages) == 0:
        return after
    rng = np.random.default_rng(seed)
    pages = np.asarray(pages, np.int64)
    counts = rng.integers(1, writes_per_page + 1, pages.size)
    owners = np.repeat(pages, counts)
    offsets = owners * page_size + rng.integers(0, page_size, owners.size)
    offsets = np.unique(offsets)  # one flip per byte, so no two writes cancel out
    after[offsets] ^= rng.integers(1, 256, offsets.size, dtype=np.uint8)
    return after


HOT_FRACTION = 0.5  # assumed: half of a round's writes go to pages written every round (stack, counters)
WORKING_SET_FRACTION = 0.25  # assumed: the other half falls in the lowest quarter of the heap (the live data)


def round_page_sets(pattern: str, npages: int, per_round: int, rounds: int, seed: int = 0,
                    hot_fraction: float = HOT_FRACTION,
                    working_set_fraction: float = WORKING_SET_FRACTION) -> list[np.ndarray]:
    """Each round's dirty pages: a hot set rewritten every round (`hot_fraction` of `per_round`, the same
    pages each time) plus fresh pages drawn with `pattern` inside the working set (the lowest
    `working_set_fraction` of the memory). The union over rounds is the checkpoint delta."""
    hot = dirty_page_set(pattern, npages, int(per_round * hot_fraction), seed)
    working_set = max(per_round, int(npages * working_set_fraction))
    sets = []
    for r in range(rounds):
        fresh = dirty_page_set(pattern, working_set, per_round - hot.size, seed + 1 + r)
        sets.append(np.union1d(hot, fresh).astype(np.int64))
    return sets


def checkpoint_accumulation(pattern: str, npages: int, per_round: int, rounds: int = CHECKPOINT_ROUNDS,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The pages a checkpoint copies after `rounds` rounds (the union of every round's dirty pages, sorted)
    and the size of that union after each round (how the delta grows between checkpoints)."""
    mask = np.zeros(npages, bool)
    sizes = np.empty(rounds, np.int64)
    for r, pages in enumerate(round_page_sets(pattern, npages, per_round, rounds, seed)):
        mask[pages] = True
        sizes[r] = int(mask.sum())
    return np.flatnonzero(mask).astype(np.int64), sizes


# --- the targets and the inputs of one sweep point ------------------------------------------------------

TARGET_HEAP_BYTES = 256 << 20  # the targets: a 256 MiB heap ...
TARGET_DIRTY_RATIO = 0.02  # ... with 2 % of its pages dirty


def images(heap_bytes: int, pattern: str, dirty_ratio: float, page_size: int = OS_PAGE_BYTES,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(before, after, dirty pages): a heap image, the same image after writes to `dirty_ratio` of its pages
    drawn with `pattern`, and the sorted page indices written (the known answer of `dirty_pages`)."""
    npages = heap_bytes // page_size
    before = heap_image(heap_bytes, seed)
    pages = dirty_page_set(pattern, npages, int(round(dirty_ratio * npages)), seed + 1)
    return before, written_image(before, pages, page_size, seed + 2), pages
