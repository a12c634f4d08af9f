"""Seeded random inputs that every hot path's workloads build on (the content never changes the cost of
hashing, checksumming, comparing or copying; the seed makes every run see the same bytes)."""
from __future__ import annotations

import numpy as np


def random_bytes(total_bytes: int, seed: int = 0) -> np.ndarray:
    """`total_bytes` random bytes as a uint8 array."""
    return np.random.default_rng(seed).integers(0, 256, total_bytes, dtype=np.uint8)


def random_messages(count: int, size: int, seed: int = 0) -> list[bytes]:
    """`count` random messages of `size` bytes each."""
    data = random_bytes(count * size, seed).tobytes()
    return [data[i * size:(i + 1) * size] for i in range(count)]
