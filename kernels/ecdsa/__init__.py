"""ECDSA verification (P-256 and secp256k1) the way the IC checks ingress signatures, on every backend.

The IC's rules (IC interface spec, "Signatures"): SHA-256 of the message; signatures as raw 64-byte r || s;
public keys DER-wrapped (SubjectPublicKeyInfo, RFC 5480) with uncompressed points; high s accepted on both
curves. `ecdsa_verify_batch` also takes the bare SEC 1 uncompressed point. Device backends (`numba_cpu`,
`opencl`, `numba_cuda`, `cupy`) take fixed-size inputs: the host cuts the point out of the key and hashes the
message (`prepare`, timed as the `pack` phase); the kernels do everything else.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..hotpath import lazy_hot_path
from ..packing import check_signed_batch as check_batch
from ..registry import backend_module, check_backend, packed_input
from .curves import CURVES, check_curve
from .prepare import Prepared, prepare

__all__ = ["ecdsa_verify_batch", "ecdsa_verify_prepared", "prepare", "Prepared", "check_batch", "CURVES"]

OPERATION = "ecdsa_verify"


def ecdsa_verify_batch(curve: str, public_keys: Sequence, messages: Sequence, signatures: Sequence, *,
                       backend: str) -> np.ndarray:
    """Verify every (public key, message, signature) on `curve` ("p256" or "secp256k1"): (n,) bool.

    Keys: DER SubjectPublicKeyInfo or SEC 1 uncompressed points; signatures: raw r || s (64 bytes); the message
    is hashed with SHA-256; high s is accepted. A key in any other form, a point off the curve or a signature
    that is not 64 bytes is a False verdict for that element, never an exception."""
    check_curve(curve)
    check_backend(backend)
    module = backend_module(OPERATION, backend)
    keys, msgs, sigs = check_batch(public_keys, messages, signatures)
    if packed_input(backend):
        return module.verify_prepared(prepare(curve, keys, msgs, sigs))
    return module.ecdsa_verify_batch(curve, keys, msgs, sigs)


def ecdsa_verify_prepared(prepared: Prepared, *, backend: str) -> np.ndarray:
    """Verify a batch already prepared (device backends only): (n,) bool."""
    check_backend(backend)
    if not packed_input(backend):
        raise ValueError(f"backend {backend!r} takes raw batches; use ecdsa_verify_batch")
    return backend_module(OPERATION, backend).verify_prepared(prepared)


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
