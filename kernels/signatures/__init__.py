"""Ed25519 batch verification on every backend under two rule sets, and a verification cache.

``rules="libsodium"`` (the default) is libsodium's ``crypto_sign_verify_detached``; ``rules="zip215"`` is
ZIP 215, the rules the IC replica verifies with (the ``ic-ed25519`` crate). The two agree on every signature
an honest signer makes and differ only on adversarial encodings (small-order or non-canonical A and R, and
signatures that hold only up to a small-order component): reference.py lists both.

Device backends (``numba_cpu``, ``opencl``, ``numba_cuda``, ``cupy``) take fixed-size inputs: the host
computes h = SHA-512(R || A || M) mod L with hashlib (``prepare``, timed as the ``pack`` phase) and the
kernels do everything else (canonical S, small-order and canonical checks, decompression, [S]B - [h]A).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..packing import check_signed_batch as check_batch
from ..registry import BackendUnavailable, backend_module, check_backend, packed_input
from .prepare import Prepared, prepare
from ..ecdsa import ecdsa_verify_batch  # the ECDSA hot path (kernels.ecdsa), also reachable here (docs/DESIGN.md API)
from ..hotpath import lazy_hot_path

__all__ = ["ed25519_verify_batch", "ed25519_verify_prepared", "ecdsa_verify_batch", "prepare", "Prepared",
           "check_batch", "RULES", "METHODS", "check_rules", "check_method"]

RULES = ("libsodium", "zip215")  # libsodium's crypto_sign_verify_detached; ZIP 215 (the IC replica's)
METHODS = ("single", "batch")  # one verification per signature; batch verification (batch.py, ZIP 215 only)


def check_rules(rules: str) -> str:
    """`rules` itself, or ValueError naming the argument."""
    if not isinstance(rules, str) or rules not in RULES:
        raise ValueError(f"unknown rules {rules!r}; choose one of {', '.join(RULES)}")
    return rules


def check_method(method: str, rules: str) -> str:
    """`method` itself, or ValueError: unknown, or batch verification asked for under libsodium's rules."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "batch" and rules != "zip215":
        raise ValueError("method='batch' needs rules='zip215': under libsodium's cofactorless equation a random "
                         "linear combination can disagree with single verification (small-order components)")
    return method


def ed25519_verify_batch(public_keys: Sequence, messages: Sequence, signatures: Sequence, *,
                         backend: str, rules: str = "libsodium", method: str = "single") -> np.ndarray:
    """Verify every (public key, message, signature) under `rules` ("libsodium" or "zip215"): (n,) bool.

    method="single" verifies each signature on its own; method="batch" (rules="zip215" only) checks random
    linear combinations and bisects failing ones (batch.py): the same verdicts, less work per signature.
    A key that is not 32 bytes or a signature that is not 64 bytes is a False verdict for that element."""
    check_rules(rules)
    check_method(method, rules)
    module = backend_module("ed25519_verify", backend)
    keys, msgs, sigs = check_batch(public_keys, messages, signatures)
    if method == "batch":
        batched = getattr(module, "verify_prepared_batch" if packed_input(backend) else "ed25519_batch_verify", None)
        if batched is None:
            raise BackendUnavailable(f"ed25519_verify on {backend}: batch verification is not implemented on this "
                                     "backend (per-signature verification is; rules='zip215', method='single')")
        return batched(prepare(keys, msgs, sigs)) if packed_input(backend) else batched(keys, msgs, sigs)
    if packed_input(backend):
        return module.verify_prepared(prepare(keys, msgs, sigs), rules)
    return module.ed25519_verify_batch(keys, msgs, sigs, rules)


def ed25519_verify_prepared(prepared: Prepared, *, backend: str, rules: str = "libsodium") -> np.ndarray:
    """Verify a batch whose challenges are already computed (device backends only): (n,) bool."""
    check_backend(backend)
    check_rules(rules)
    if not packed_input(backend):
        raise ValueError(f"backend {backend!r} takes raw batches; use ed25519_verify_batch")
    return backend_module("ed25519_verify", backend).verify_prepared(prepared, rules)


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
