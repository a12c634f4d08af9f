"""ECDSA workloads shaped like the IC's ingress: DER-wrapped keys with uncompressed points, raw r || s
signatures over the request domain separator and a request id (IC interface spec, "Authentication":
the sender signs "\\x0Aic-request" || request_id, 43 bytes; docs/REFERENCES.md section 1); a correctness batch
whose verdicts are known from its construction; and the Wycheproof vector files in tests/vectors.
Deterministic by seed."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .curves import CURVES, SPKI_PREFIX

REQUEST_DOMAIN = b"\x0Aic-request"  # IC interface spec, "Authentication"
MESSAGE_BYTES = len(REQUEST_DOMAIN) + 32  # domain separator || request id (SHA-256): 43 bytes
SIGNERS = 64  # distinct keys in a synthetic batch (verification cost does not depend on repeats)
# The folder with the Wycheproof ECDSA files: the repository's tests/vectors, or ECDSA_VECTORS.
VECTORS = Path(os.environ.get("ECDSA_VECTORS", Path(__file__).resolve().parents[2] / "tests" / "vectors"))
WYCHEPROOF_FILES = {  # (curve, signature encoding) -> file; "bitcoin" marks high s invalid (not the IC's rule)
    ("p256", "der"): "ecdsa_secp256r1_sha256_test.json",
    ("p256", "p1363"): "ecdsa_secp256r1_sha256_p1363_test.json",
    ("secp256k1", "der"): "ecdsa_secp256k1_sha256_test.json",
    ("secp256k1", "p1363"): "ecdsa_secp256k1_sha256_p1363_test.json",
    ("secp256k1", "bitcoin"): "ecdsa_secp256k1_sha256_bitcoin_test.json",
}


def spki(curve: str, point: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of a 65-byte uncompressed point (what an IC sender puts in the envelope)."""
    return SPKI_PREFIX[curve] + point


def raw_signature(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _signer(curve: str, secret: int):
    """(SEC 1 uncompressed point, sign(message) -> (r, s)) of a deterministic key: cryptography (OpenSSL) for
    P-256 with RFC 6979 nonces, coincurve (libsecp256k1, RFC 6979, low s) for secp256k1."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    if curve == "p256":
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.derive_private_key(secret, ec.SECP256R1())
        algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return point, lambda m: decode_dss_signature(key.sign(m, algorithm))
    from coincurve import PrivateKey

    key = PrivateKey(secret.to_bytes(32, "big"))
    return key.public_key.format(compressed=False), lambda m: decode_dss_signature(key.sign(m))


@lru_cache(maxsize=8)
def signed_batch(curve: str, count: int, seed: int = 0, high_s: float = 0.5) -> tuple[list, list, list]:
    """`count` valid (DER key, message, raw signature) triples over "\\x0Aic-request" || random 32 bytes. A
    fraction `high_s` of the signatures carry s > n/2 (the IC accepts them; WebCrypto P-256 signers produce
    either, libsecp256k1 signers only low s): a library that needs low s pays for normalising."""
    rng = np.random.default_rng(seed)
    n = CURVES[curve].n
    signers = [_signer(curve, int.from_bytes(rng.bytes(32), "big") % (n - 1) + 1)
               for _ in range(min(SIGNERS, max(count, 1)))]
    keys, msgs, sigs = [], [], []
    flip = rng.random(count) < high_s
    for i in range(count):
        point, sign = signers[i % len(signers)]
        m = REQUEST_DOMAIN + rng.bytes(32)
        r, s = sign(m)
        s = min(s, n - s)
        keys.append(spki(curve, point))
        msgs.append(m)
        sigs.append(raw_signature(r, n - s if flip[i] else s))
    return keys, msgs, sigs


def _flip(data: bytes, bit: int) -> bytes:
    return data[:bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1:]


CORRECTNESS_KINDS = ("valid, low s", "valid, high s", "valid, bare SEC 1 key", "flipped bit in r",
                     "flipped bit in s", "flipped bit in the key", "flipped bit in the message", "r = 0", "s = 0",
                     "r = n", "s = n", "r + n (above 2^256 is impossible: r + n mod 2^256)", "compressed key",
                     "key on the other curve's OID", "key with a trailing byte", "point off the curve",
                     "x = p (not reduced)", "63-byte signature", "65-byte signature", "empty key")


def correctness_batch(curve: str, seed: int = 0) -> tuple[list, list, list, np.ndarray, list]:
    """One signature of each kind in CORRECTNESS_KINDS and the verdicts known from the construction (the
    first three valid, every other one invalid): (keys, messages, signatures, valid, kinds)."""
    spec = CURVES[curve]
    n, p = spec.n, spec.p
    keys, msgs, sigs = (list(x) for x in signed_batch(curve, len(CORRECTNESS_KINDS), seed + 1, high_s=0.0))
    other = "secp256k1" if curve == "p256" else "p256"
    for i, kind in enumerate(CORRECTNESS_KINDS):
        point = keys[i][len(SPKI_PREFIX[curve]):]
        r, s = int.from_bytes(sigs[i][:32], "big"), int.from_bytes(sigs[i][32:], "big")
        if kind == "valid, high s":
            sigs[i] = raw_signature(r, n - s)
        elif kind == "valid, bare SEC 1 key":
            keys[i] = point
        elif kind == "flipped bit in r":
            sigs[i] = _flip(sigs[i], 8 * 31 + 3)
        elif kind == "flipped bit in s":
            sigs[i] = _flip(sigs[i], 8 * 63 + 5)
        elif kind == "flipped bit in the key":
            keys[i] = _flip(keys[i], 8 * (len(keys[i]) - 1))  # the last bit of y: off the curve
        elif kind == "flipped bit in the message":
            msgs[i] = _flip(msgs[i], 8 * 20)
        elif kind == "r = 0":
            sigs[i] = raw_signature(0, s)
        elif kind == "s = 0":
            sigs[i] = raw_signature(r, 0)
        elif kind == "r = n":
            sigs[i] = raw_signature(n, s)
        elif kind == "s = n":
            sigs[i] = raw_signature(r, n)
        elif kind.startswith("r + n"):
            sigs[i] = raw_signature((r + n) % 2**256, s)
        elif kind == "compressed key":
            keys[i] = bytes([2 + (point[-1] & 1)]) + point[1:33]
        elif kind == "key on the other curve's OID":
            keys[i] = SPKI_PREFIX[other] + point
        elif kind == "key with a trailing byte":
            keys[i] = keys[i] + b"\x00"
        elif kind == "point off the curve":
            keys[i] = spki(curve, point[:33] + ((int.from_bytes(point[33:], "big") + 1) % p).to_bytes(32, "big"))
        elif kind == "x = p (not reduced)":
            keys[i] = spki(curve, b"\x04" + p.to_bytes(32, "big") + point[33:])
        elif kind == "63-byte signature":
            sigs[i] = sigs[i][:63]
        elif kind == "65-byte signature":
            sigs[i] = sigs[i] + b"\x00"
        elif kind == "empty key":
            keys[i] = b""
    valid = np.array([k.startswith("valid") for k in CORRECTNESS_KINDS])
    return keys, msgs, sigs, valid, list(CORRECTNESS_KINDS)


def der_to_raw(der: bytes) -> bytes | None:
    """r || s of a strictly DER-encoded ECDSA-Sig-Value SEQUENCE { INTEGER r, INTEGER s } (X.690 section 10;
    SEC 1 appendix C.8), or None when the bytes are not DER or r or s do not fit in 32 bytes. Wycheproof's
    DER files use this to become raw signatures: an encoding flaw has no raw counterpart."""
    def integer(data: bytes, pos: int) -> tuple[int, int] | None:
        if pos + 2 > len(data) or data[pos] != 0x02 or data[pos + 1] & 0x80:
            return None
        length, start = data[pos + 1], pos + 2
        body = data[start:start + length]
        if length == 0 or len(body) != length or body[0] & 0x80:  # empty or negative
            return None
        if length > 1 and body[0] == 0 and not body[1] & 0x80:  # not minimal
            return None
        return int.from_bytes(body, "big"), start + length

    if len(der) < 2 or der[0] != 0x30 or der[1] & 0x80 or der[1] != len(der) - 2:
        return None
    first = integer(der, 2)
    second = integer(der, first[1]) if first else None
    if second is None or second[1] != len(der) or max(first[0], second[0]) >= 2**256:
        return None
    return raw_signature(first[0], second[0])


@lru_cache(maxsize=8)
def wycheproof(curve: str, encoding: str = "p1363") -> dict:
    """A Wycheproof file as raw-signature triples with Wycheproof's verdicts: {"keys", "messages",
    "signatures", "valid", "flags", "tc_ids"}. Keys alternate between the group's DER SubjectPublicKeyInfo and
    its bare uncompressed point. In the DER files, signatures that are not strict DER (or whose r or s exceed
    32 bytes) are left out: their flaw is the encoding, which raw r || s does not have. FileNotFoundError
    (naming the environment variable) when the folder is missing."""
    path = VECTORS / WYCHEPROOF_FILES[(curve, encoding)]
    if not path.exists():
        raise FileNotFoundError(f"Wycheproof file {path.name} not found (set ECDSA_VECTORS to its folder)")
    data = json.loads(path.read_text())
    out: dict = {"keys": [], "messages": [], "signatures": [], "valid": [], "flags": [], "tc_ids": []}
    for g, group in enumerate(data["testGroups"]):
        key = bytes.fromhex(group["publicKeyDer"] if g % 2 == 0 else group["publicKey"]["uncompressed"])
        for test in group["tests"]:
            sig = bytes.fromhex(test["sig"])
            if encoding != "p1363":
                sig = der_to_raw(sig)
                if sig is None:
                    continue
            out["keys"].append(key)
            out["messages"].append(bytes.fromhex(test["msg"]))
            out["signatures"].append(sig)
            out["valid"].append(test["result"] != "invalid")  # "acceptable" counts as valid (none here)
            out["flags"].append(tuple(test["flags"]))
            out["tc_ids"].append(test["tcId"])
    out["valid"] = np.array(out["valid"], dtype=bool)
    return out


# --- WebAuthn (Internet Identity devices): P-256 DER signatures in CBOR envelopes, DER-wrapped COSE keys ---------
WEBAUTHN_ORIGIN = "https://identity.ic0.app"  # Internet Identity's origin; its rpId is the host name
# authenticator data: SHA-256(rpId) || flags (user present 0x01 | user verified 0x04) || 4-byte signature count
# (WebAuthn Level 2, section 6.1); 37 bytes without attested credential data or extensions
WEBAUTHN_FLAGS = 0x05


def der_signature(r: int, s: int) -> bytes:
    """The strict DER ECDSA-Sig-Value of (r, s) (X.690 section 10; inverse of der_to_raw)."""
    def integer(v: int) -> bytes:
        body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")  # a leading zero when the top bit is set
        return bytes([0x02, len(body)]) + body

    body = integer(r) + integer(s)
    return bytes([0x30, len(body)]) + body


def client_data_json(message: bytes, origin: str = WEBAUTHN_ORIGIN) -> str:
    """The client data a browser writes for navigator.credentials.get (WebAuthn section 5.8.1)."""
    from .webauthn import challenge

    return json.dumps({"type": "webauthn.get", "challenge": challenge(message), "origin": origin,
                       "crossOrigin": False}, separators=(",", ":"))


@lru_cache(maxsize=4)
def webauthn_batch(count: int, seed: int = 0, high_s: float = 0.5) -> tuple[list, list, list]:
    """`count` valid (DER-wrapped COSE key, message, CBOR envelope) triples as Internet Identity devices send
    them: the message is "\\x0Aic-request" || random 32 bytes, signed by a P-256 authenticator (cryptography,
    RFC 6979 nonces) over authenticator_data || SHA-256(client_data_json); a fraction `high_s` carries s > n/2
    (WebCrypto authenticators produce either)."""
    from .webauthn import cose_key, envelope

    rng = np.random.default_rng(seed)
    n = CURVES["p256"].n
    rp_hash = hashlib.sha256(WEBAUTHN_ORIGIN.split("//")[1].encode()).digest()
    signers = [_signer("p256", int.from_bytes(rng.bytes(32), "big") % (n - 1) + 1)
               for _ in range(min(SIGNERS, max(count, 1)))]
    keys, msgs, envs = [], [], []
    flip = rng.random(count) < high_s
    for i in range(count):
        point, sign = signers[i % len(signers)]
        m = REQUEST_DOMAIN + rng.bytes(32)
        auth = rp_hash + bytes([WEBAUTHN_FLAGS]) + int(rng.integers(1, 2**31)).to_bytes(4, "big")
        client = client_data_json(m)
        r, s = sign(auth + hashlib.sha256(client.encode()).digest())
        s = min(s, n - s)
        keys.append(cose_key(point))
        msgs.append(m)
        envs.append(envelope(auth, client, der_signature(r, n - s if flip[i] else s)))
    return keys, msgs, envs


WEBAUTHN_KINDS = ("valid, low s", "valid, high s", "challenge of another message", "flipped bit in authenticator data",
                  "flipped bit in the origin", "flipped bit in r", "padded challenge", "no 55799 tag",
                  "missing client_data_json", "extra field", "raw r || s instead of DER", "non-minimal DER",
                  "client data not JSON", "truncated envelope", "empty envelope", "COSE alg RS256",
                  "COSE curve P-384", "plain P-256 SubjectPublicKeyInfo", "COSE point off the curve")


def webauthn_correctness_batch(seed: int = 0) -> tuple[list, list, list, np.ndarray, list]:
    """One WebAuthn signature of each kind in WEBAUTHN_KINDS and the verdicts known from the construction (the
    first two valid): (keys, messages, envelopes, valid, kinds)."""
    from .. import cbor
    from .webauthn import COSE_ALG, COSE_CRV, COSE_KTY, COSE_SPKI_ALGORITHM, COSE_X, COSE_Y

    n, p = CURVES["p256"].n, CURVES["p256"].p
    keys, msgs, envs = (list(x) for x in webauthn_batch(len(WEBAUTHN_KINDS), seed + 1, high_s=0.0))
    for i, kind in enumerate(WEBAUTHN_KINDS):
        fields = dict(cbor.decode(envs[i])[2])
        raw = der_to_raw(fields["signature"])
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        point = b"\x04" + cbor.decode(keys[i][19:])[COSE_X] + cbor.decode(keys[i][19:])[COSE_Y]
        if kind == "valid, high s":
            fields["signature"] = der_signature(r, n - s)
        elif kind == "challenge of another message":
            msgs[i] = REQUEST_DOMAIN + bytes(32)
        elif kind == "flipped bit in authenticator data":
            fields["authenticator_data"] = _flip(fields["authenticator_data"], 8 * 32)  # the flags byte
        elif kind == "flipped bit in the origin":
            fields["client_data_json"] = fields["client_data_json"].replace("identity", "identitz")
        elif kind == "flipped bit in r":
            fields["signature"] = der_signature(r ^ 8, s)
        elif kind == "padded challenge":
            fields["client_data_json"] = client_data_json(msgs[i]).replace('","origin', '=","origin')
        elif kind == "raw r || s instead of DER":
            fields["signature"] = raw
        elif kind == "non-minimal DER":
            minimal = der_signature(r, s)[2:]  # INTEGER r, INTEGER s
            padded = bytes([0x02, minimal[1] + 1, 0x00]) + minimal[2:]  # r with one leading zero too many
            fields["signature"] = bytes([0x30, len(padded)]) + padded
        elif kind == "client data not JSON":
            fields["client_data_json"] = fields["client_data_json"][:-1]
        elif kind == "missing client_data_json":
            del fields["client_data_json"]
        elif kind == "extra field":
            fields["extensions"] = b""
        envs[i] = cbor.encode(("tag", cbor.SELF_DESCRIBED_TAG, fields))
        if kind == "no 55799 tag":
            envs[i] = cbor.encode(fields)
        elif kind == "truncated envelope":
            envs[i] = envs[i][:-1]
        elif kind == "empty envelope":
            envs[i] = b""
        elif kind.startswith("COSE") or kind.startswith("plain"):
            cose = {COSE_KTY: 2, COSE_ALG: -7, COSE_CRV: 1, COSE_X: point[1:33], COSE_Y: point[33:]}
            if kind == "COSE alg RS256":
                cose[COSE_ALG] = -257
            elif kind == "COSE curve P-384":
                cose[COSE_CRV] = 2
            elif kind == "COSE point off the curve":
                cose[COSE_Y] = ((int.from_bytes(point[33:], "big") + 1) % p).to_bytes(32, "big")
            bit_string = b"\x00" + cbor.encode(cose)
            bit_string = bytes([0x03, len(bit_string)]) + bit_string
            keys[i] = (spki("p256", point) if kind.startswith("plain") else
                       bytes([0x30, len(COSE_SPKI_ALGORITHM) + len(bit_string)]) + COSE_SPKI_ALGORITHM + bit_string)
    valid = np.array([k.startswith("valid") for k in WEBAUTHN_KINDS])
    return keys, msgs, envs, valid, list(WEBAUTHN_KINDS)
