"""Ed25519 verification as a node could do it today on a CPU: libsodium through PyNaCl, one call per signature.

`crypto_sign_ed25519_verify_detached` is reached through ``nacl.bindings.crypto_sign_open`` on the combined
signature || message (the call ``VerifyKey.verify(m, s)`` makes); wrong-length keys or signatures are a
False verdict here rather than PyNaCl's exception. OpenSSL (``cryptography``) is the second CPU baseline,
measured as the peer row "openssl" (hot_path.py), not a backend: its acceptance rules differ from libsodium's
on adversarial encodings.

``rules="zip215"`` raises BackendUnavailable: libsodium has no ZIP 215 mode (it rejects small-order and
non-canonical A and R, and checks the cofactorless equation), and no library a node has at hand in Python
offers one.
"""
from __future__ import annotations

import numpy as np
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from ..registry import BackendUnavailable
from .reference import PUBLIC_KEY_BYTES, SIGNATURE_BYTES

ZIP215_UNAVAILABLE = ("ed25519_verify on library with rules='zip215': libsodium (PyNaCl) implements only its own "
                      "rules (no small-order or non-canonical A and R, cofactorless equation); no ZIP 215 "
                      "verifier is available to call from Python here")


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(bytes(signature) + bytes(message), bytes(public_key))
    except BadSignatureError:
        return False
    return True


def ed25519_verify_batch(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes],
                         rules: str = "libsodium") -> np.ndarray:
    """One libsodium verification per signature: (n,) bool. BackendUnavailable for rules="zip215"."""
    if rules != "libsodium":
        raise BackendUnavailable(ZIP215_UNAVAILABLE)
    return np.fromiter((verify(a, m, s) for a, m, s in zip(public_keys, messages, signatures)), dtype=bool,
                       count=len(public_keys))


def ed25519_batch_verify(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes]) -> np.ndarray:
    """Batch verification is ZIP 215 only, which libsodium does not implement."""
    raise BackendUnavailable(ZIP215_UNAVAILABLE)
