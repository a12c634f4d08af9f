"""BLS12-381 signature verification the way the IC checks certificates and consensus shares.

The IC's scheme is min-sig: signatures in G1 (48-byte compressed points), public keys in G2 (96 bytes), ZCash
serialisation (IC interface spec, "Certification"; dfinity/ic rs/crypto/internal/crypto_lib/bls12_381/type).
Certificates and threshold signatures hash with the DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`,
multi-signatures with `..._RO_POP_` (RFC 9380 hash-to-curve; IETF BLS signature draft, section 4.2). The identity
public key is rejected. Backends: `reference` (py_ecc, per item), `library` (blst through pyblst, per item: the
loop a node runs today) and the group-arithmetic backends (`numba_cpu`, `opencl`, `numba_cuda`, `cupy`), which
decode the points and compute the multi-scalar multiplications of batch verification (batch.py, through
kernels.bls.msm); pairings and hash-to-curve stay in blst.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..hotpath import lazy_hot_path
from ..packing import check_signed_batch as check_batch
from ..registry import check_backend

__all__ = ["bls12381_verify_batch", "check_batch", "IC_DST", "POP_DST", "OPERATION", "METHODS"]

OPERATION = "bls12381_verify"
IC_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"  # certificates, threshold signatures (IC spec)
POP_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_"  # multi-signatures (dfinity/ic crypto_lib multi_sig)
SIGNATURE_BYTES = 48  # a compressed G1 point (ZCash encoding)
PUBLIC_KEY_BYTES = 96  # a compressed G2 point
PER_ITEM_BACKENDS = ("reference", "library")  # whole verifications, one at a time
METHODS = ("per_item", "batch")


def default_method(backend: str) -> str:
    """"per_item" for the backends that verify whole signatures, "batch" for the group-arithmetic backends."""
    return "per_item" if backend in PER_ITEM_BACKENDS else "batch"


def bls12381_verify_batch(public_keys: Sequence, messages: Sequence, signatures: Sequence, *, backend: str,
                          dst: bytes = IC_DST, method: str | None = None) -> np.ndarray:
    """Verify every (public key, message, signature): (n,) bool, min-sig, hash-to-curve with `dst`.

    `method` "per_item" (reference and library only) checks e(sig, g2) == e(H(m), pk) one signature at a time;
    "batch" (any backend: the one that decodes points and computes the MSMs) checks a random linear combination
    and bisects a failed batch, so its verdicts equal the per-item ones. Default: per item on reference and
    library, batch on the others. A key or signature of the wrong length, a non-canonical encoding, a point off
    the curve or outside the prime-order subgroup, or the identity key is a False verdict, never an exception."""
    check_backend(backend)
    if not isinstance(dst, (bytes, bytearray)) or not 0 < len(dst) <= 255:
        raise ValueError("dst must be 1 to 255 bytes (RFC 9380 section 3.1)")
    method = default_method(backend) if method is None else method
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use {', '.join(map(repr, METHODS))}")
    keys, msgs, sigs = check_batch(public_keys, messages, signatures)
    if method == "batch":
        from .batch import batch_verify

        return batch_verify(keys, msgs, sigs, backend=backend, dst=bytes(dst))
    if backend not in PER_ITEM_BACKENDS:
        raise ValueError(f"backend {backend!r} computes group arithmetic only; use method='batch'")
    from ..registry import backend_module

    return backend_module(OPERATION, backend).verify_batch(keys, msgs, sigs, bytes(dst))


__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use (no import cycle)
