"""Ed25519 verification as a node could do it today on a CPU: libsodium through PyNaCl, one call per signature.

`crypto_sign_ed25519_verify_detached` is reached through ``nacl.bindings.crypto_sign_open`` on the combined
signature || message (the call ``VerifyKey.verify(m, s)`` makes); wrong-length keys or signatures are a
False verdict here rather than PyNaCl's exception. OpenSSL (``cryptography``) is the second CPU baseline,
measured as the peer row "openssl" (hot_path.py), not a backend: its acceptance rules differ from libsodium's
on adversarial encodings.
"""
from __future__ import annotations

import numpy as np
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from .reference import PUBLIC_KEY_BYTES, SIGNATURE_BYTES


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(bytes(signature) + bytes(message), bytes(public_key))
    except BadSignatureError:
        return False
    return True


def ed25519_verify_batch(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes]) -> np.ndarray:
    """One libsodium verification per signature: (n,) bool."""
    return np.fromiter((verify(a, m, s) for a, m, s in zip(public_keys, messages, signatures)), dtype=bool,
                       count=len(public_keys))
