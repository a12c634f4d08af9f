"""What a CPU does today with numpy: the issue's literal baselines."""
from __future__ import annotations

import numpy as np


def dirty_pages(before: np.ndarray, after: np.ndarray, page_size: int) -> np.ndarray:
    """The baseline of the issue's target: compare every byte, then reduce per page."""
    return np.flatnonzero((before != after).reshape(-1, page_size).any(1)).astype(np.int64)


def copy_pages(src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int) -> None:
    """numpy fancy-index copy (gather into a temporary, then scatter): the copy target's baseline."""
    dst.reshape(-1, page_size)[pages] = src.reshape(-1, page_size)[pages]


def memory_copy(memory: np.ndarray, dst: int, src: int, n: int) -> None:
    """numpy slice assignment detects the overlap and goes through a temporary: memmove semantics."""
    memory[dst:dst + n] = memory[src:src + n]
