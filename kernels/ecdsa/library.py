"""ECDSA verification as a node could do it today on a CPU, one library call per signature:
`cryptography` (OpenSSL) for P-256 and `coincurve` (libsecp256k1) for secp256k1.

The key is reduced to its SEC 1 uncompressed point by the suite's strict decoder (curves.uncompressed_point:
DER SubjectPublicKeyInfo or 0x04 || x || y, nothing else, as the IC requires) and parsed by the library, which
checks that it is on the curve. libsecp256k1 rejects high s (its malleability rule), which the IC accepts: the
signature is normalised to low s first (`secp256k1_ecdsa_signature_normalize`), as the replica's
"with malleability" verification does. OpenSSL accepts high s as it is.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .curves import CURVES, uncompressed_point


def _p256_verifier():
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    curve, algorithm, p256 = ec.SECP256R1(), ec.ECDSA(hashes.SHA256()), CURVES["p256"]

    def verify(key: bytes, message: bytes, signature: bytes) -> bool:
        point = uncompressed_point(p256, key)
        if point is None or len(signature) != 64:
            return False
        try:
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + point)
        except ValueError:  # not on the curve, or coordinates not below p
            return False
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public_key.verify(der, message, algorithm)
        except InvalidSignature:
            return False
        return True

    return verify


def _secp256k1_verifier():
    from coincurve import PublicKey
    from coincurve._libsecp256k1 import ffi, lib  # the libsecp256k1 that coincurve bundles
    from coincurve.context import GLOBAL_CONTEXT

    ctx, k1 = GLOBAL_CONTEXT.ctx, CURVES["secp256k1"]
    sha256 = hashlib.sha256

    def verify(key: bytes, message: bytes, signature: bytes) -> bool:
        point = uncompressed_point(k1, key)
        if point is None or len(signature) != 64:
            return False
        try:
            public_key = PublicKey(b"\x04" + point)
        except ValueError:  # not on the curve, or coordinates not below p
            return False
        sig = ffi.new("secp256k1_ecdsa_signature *")
        if not lib.secp256k1_ecdsa_signature_parse_compact(ctx, sig, signature):  # r or s >= n
            return False
        lib.secp256k1_ecdsa_signature_normalize(ctx, sig, sig)  # s -> n - s when s > n/2: the IC accepts high s
        return bool(lib.secp256k1_ecdsa_verify(ctx, sig, sha256(message).digest(), public_key.public_key))

    return verify


VERIFIERS = {"p256": _p256_verifier, "secp256k1": _secp256k1_verifier}
_made: dict = {}


def verifier(curve: str):
    """verify(key, message, signature) -> bool for `curve`, built once."""
    if curve not in _made:
        _made[curve] = VERIFIERS[curve]()
    return _made[curve]


def ecdsa_verify_batch(curve: str, public_keys: list[bytes], messages: list[bytes],
                       signatures: list[bytes]) -> np.ndarray:
    """One library verification per signature: (n,) bool."""
    verify = verifier(curve)
    return np.fromiter((verify(k, m, s) for k, m, s in zip(public_keys, messages, signatures)), dtype=bool,
                       count=len(public_keys))
