"""SHA-256 as a node computes it today on a CPU: hashlib (OpenSSL, using SHA-NI where the CPU has it)."""
from __future__ import annotations

import hashlib

import numpy as np


def sha256_batch(messages: list) -> np.ndarray:
    """One hashlib call per message, the production baseline: (n, 32) uint8."""
    joined = b"".join([hashlib.sha256(m).digest() for m in messages])
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(messages), 32).copy()
