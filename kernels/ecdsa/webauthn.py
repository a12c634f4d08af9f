"""WebAuthn signatures as the IC checks them for Internet Identity devices (IC interface spec, "Web
Authentication"; docs/REFERENCES.md section 1): the public key is a DER-wrapped COSE key (SubjectPublicKeyInfo
with OID 1.3.6.1.4.1.56387.1.1 and the COSE_Key in the BIT STRING; RFC 9052 section 7, RFC 9053 section 7.1:
kty 2 = EC2, alg -7 = ES256, crv 1 = P-256, x and y 32 bytes each); the signature is a CBOR value (RFC 8949)
tagged 55799 holding a map with `authenticator_data` (bytes), `client_data_json` (text) and `signature`
(bytes, a DER ECDSA-Sig-Value). The client data's `challenge` is the signed message, base64url without
padding; the ECDSA signature is over authenticator_data || SHA-256(client_data_json) (WebAuthn Level 2,
section 7.2 step 20), so SHA-256 of that is ECDSA's message hash. Verification parses each envelope here and
hands the rest to `ecdsa_verify_batch` on P-256, so every backend verifies WebAuthn; an envelope or key that
does not parse is a False verdict, never an exception.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence

import numpy as np

from . import check_batch, ecdsa_verify_batch
from .. import cbor
from ..cbor import SELF_DESCRIBED_TAG
from .curves import _der_oid

COSE_KEY_OID = (1, 3, 6, 1, 4, 1, 56387, 1, 1)  # IC interface spec, "Web Authentication"
COSE_EC2, COSE_ES256, COSE_P256 = 2, -7, 1  # RFC 9053 sections 2.1 and 7.1 (kty, alg, crv values)
# COSE_Key labels: kty, alg (RFC 9052 section 7.1); crv, x, y (RFC 9053 section 7.1.1)
COSE_KTY, COSE_ALG, COSE_CRV, COSE_X, COSE_Y = 1, 3, -1, -2, -3
ENVELOPE_FIELDS = ("authenticator_data", "client_data_json", "signature")


# --- keys, signatures, envelopes ---------------------------------------------------------------------------------

def _der(tag: int, body: bytes) -> bytes:
    if len(body) >= 128:
        raise ValueError("too long for these keys")
    return bytes([tag, len(body)]) + body


COSE_SPKI_ALGORITHM = _der(0x30, _der_oid(COSE_KEY_OID))  # AlgorithmIdentifier: the OID, no parameters


def cose_key(point: bytes) -> bytes:
    """The DER-wrapped COSE key of a 65-byte SEC 1 uncompressed P-256 point."""
    cose = cbor.encode({COSE_KTY: COSE_EC2, COSE_ALG: COSE_ES256, COSE_CRV: COSE_P256,
                        COSE_X: point[1:33], COSE_Y: point[33:65]})
    return _der(0x30, COSE_SPKI_ALGORITHM + _der(0x03, b"\x00" + cose))


def cose_key_point(key: bytes) -> bytes:
    """The SEC 1 uncompressed point of a DER-wrapped COSE ES256 key; ValueError for any other key."""
    if len(key) < 2 or key[0] != 0x30 or key[1] != len(key) - 2 or not key[2:].startswith(COSE_SPKI_ALGORITHM):
        raise ValueError("not a DER-wrapped COSE key")
    rest = key[2 + len(COSE_SPKI_ALGORITHM):]
    if len(rest) < 3 or rest[0] != 0x03 or rest[1] != len(rest) - 2 or rest[2] != 0:
        raise ValueError("bad BIT STRING")
    cose = cbor.decode(rest[3:])
    if not isinstance(cose, dict) or set(cose) != {COSE_KTY, COSE_ALG, COSE_CRV, COSE_X, COSE_Y}:
        raise ValueError("not an EC2 COSE key")
    if (cose[COSE_KTY], cose[COSE_ALG], cose[COSE_CRV]) != (COSE_EC2, COSE_ES256, COSE_P256):
        raise ValueError("not ES256 on P-256")
    x, y = cose[COSE_X], cose[COSE_Y]
    if not (isinstance(x, bytes) and isinstance(y, bytes) and len(x) == len(y) == 32):
        raise ValueError("coordinates must be 32 bytes")
    return b"\x04" + x + y


def challenge(message: bytes) -> str:
    """The client data's challenge for a message: base64url without padding (WebAuthn section 5.8.1)."""
    return base64.urlsafe_b64encode(message).rstrip(b"=").decode()


def envelope(authenticator_data: bytes, client_data_json: str, der_signature: bytes) -> bytes:
    """The IC's CBOR signature envelope, tagged 55799."""
    return cbor.encode(("tag", SELF_DESCRIBED_TAG, {"authenticator_data": authenticator_data,
                                                    "client_data_json": client_data_json,
                                                    "signature": der_signature}))


def parse_envelope(message: bytes, data: bytes) -> tuple[bytes, bytes]:
    """(signed data authenticator_data || SHA-256(client_data_json), raw r || s) of one envelope whose
    challenge is `message`; ValueError for an envelope that does not parse, a challenge for another message or
    a signature that is not strict DER."""
    from .workloads import der_to_raw

    item = cbor.decode(data)
    if not (isinstance(item, tuple) and item[1] == SELF_DESCRIBED_TAG):
        raise ValueError("not tagged 55799")
    fields = item[2]
    if not isinstance(fields, dict) or set(fields) != set(ENVELOPE_FIELDS):
        raise ValueError("envelope needs exactly authenticator_data, client_data_json and signature")
    auth, client, sig = (fields[f] for f in ENVELOPE_FIELDS)
    if not (isinstance(auth, bytes) and isinstance(client, str) and isinstance(sig, bytes)):
        raise ValueError("wrong field types")
    parsed = json.loads(client)
    encoded = parsed.get("challenge") if isinstance(parsed, dict) else None
    if not isinstance(encoded, str) or "=" in encoded:
        raise ValueError("no challenge (or padded)")
    try:
        got = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as e:
        raise ValueError("challenge is not base64url") from e
    if got != message or challenge(got) != encoded:
        raise ValueError("challenge is not the message")
    raw = der_to_raw(sig)
    if raw is None:
        raise ValueError("signature is not DER")
    return auth + hashlib.sha256(client.encode()).digest(), raw


def webauthn_verify_batch(public_keys: Sequence, messages: Sequence, envelopes: Sequence, *,
                          backend: str) -> np.ndarray:
    """Verify IC WebAuthn signatures (DER-wrapped COSE keys, messages, CBOR envelopes): (n,) bool. Parsing runs
    on the host; the P-256 verifications run as one `ecdsa_verify_batch` on `backend`."""
    keys, msgs, envs = check_batch(public_keys, messages, envelopes)
    valid = np.zeros(len(keys), dtype=bool)
    rows, points, signed, sigs = [], [], [], []
    for i, (key, msg, env) in enumerate(zip(keys, msgs, envs)):
        try:
            point = cose_key_point(key)
            data, raw = parse_envelope(msg, env)
        except (ValueError, UnicodeDecodeError, RecursionError):  # JSONDecodeError is a ValueError
            continue
        rows.append(i)
        points.append(point)
        signed.append(data)
        sigs.append(raw)
    if rows:
        valid[rows] = ecdsa_verify_batch("p256", points, signed, sigs, backend=backend)
    return valid
