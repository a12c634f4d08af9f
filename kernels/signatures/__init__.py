"""Ed25519 batch verification with libsodium's rules on every backend, and a verification cache.

Device backends (``numba_cpu``, ``opencl``, ``numba_cuda``, ``cupy``) take fixed-size inputs: the host
computes h = SHA-512(R || A || M) mod L with hashlib (``prepare``, timed as the ``pack`` phase) and the
kernels do everything else (canonical S, small-order and canonical checks, decompression, [S]B - [h]A).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..packing import as_bytes, check_messages
from ..registry import backend_module, check_backend, packed_input
from .prepare import Prepared, prepare
from ..hotpath import lazy_hot_path

__all__ = ["ed25519_verify_batch", "ed25519_verify_prepared", "prepare", "Prepared", "check_batch"]


def check_batch(public_keys: Sequence, messages: Sequence, signatures: Sequence) -> tuple[list, list, list]:
    """The three sequences as lists of bytes; TypeError for non-bytes-like items, ValueError for unequal lengths."""
    keys = [k if type(k) is bytes else as_bytes(k) for k in check_messages(public_keys, "public_keys")]
    msgs = [m if type(m) is bytes else as_bytes(m) for m in check_messages(messages, "messages")]
    sigs = [s if type(s) is bytes else as_bytes(s) for s in check_messages(signatures, "signatures")]
    if not len(keys) == len(msgs) == len(sigs):
        raise ValueError(f"public_keys, messages and signatures must have the same length, got "
                         f"{len(keys)}, {len(msgs)} and {len(sigs)}")
    return keys, msgs, sigs


def ed25519_verify_batch(public_keys: Sequence, messages: Sequence, signatures: Sequence, *,
                         backend: str) -> np.ndarray:
    """Verify every (public key, message, signature) with libsodium's rules: (n,) bool.

    A key that is not 32 bytes or a signature that is not 64 bytes is a False verdict for that element."""
    module = backend_module("ed25519_verify", backend)
    keys, msgs, sigs = check_batch(public_keys, messages, signatures)
    if packed_input(backend):
        return module.verify_prepared(prepare(keys, msgs, sigs))
    return module.ed25519_verify_batch(keys, msgs, sigs)


def ed25519_verify_prepared(prepared: Prepared, *, backend: str) -> np.ndarray:
    """Verify a batch whose challenges are already computed (device backends only): (n,) bool."""
    check_backend(backend)
    if not packed_input(backend):
        raise ValueError(f"backend {backend!r} takes raw batches; use ed25519_verify_batch")
    return backend_module("ed25519_verify", backend).verify_prepared(prepared)


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
