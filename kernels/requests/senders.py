"""Who signs a request, and the checks a node runs for it (IC interface spec, "Authentication";
docs/REFERENCES.md section 1, Signatures). Five sender kinds: Ed25519, ECDSA P-256, ECDSA secp256k1, WebAuthn
(P-256 in a CBOR envelope), and an Internet-Identity-style session: a canister signature (a BLS certificate
whose tree holds /sig/<H(seed)>/<H(message)>) delegates to an Ed25519 session key that signs the request.
`Sender.sign` produces the envelope's authentication fields; `checks` lists the signature checks, by scheme, that
verifying them takes; `verify_checks` runs them on the library path (one at a time) or the best path (batched).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .. import cbor
from ..bls import certificate as bls_certificate
from ..bls import workloads as bls_workloads
from ..ecdsa import workloads as ecdsa_workloads
from ..ecdsa.curves import CURVES
from ..hashing import hashtree, hash_value

REQUEST_DOMAIN = b"\x0Aic-request"  # IC spec, "Authentication": what a sender signs before the request id
DELEGATION_DOMAIN = b"\x1Aic-request-auth-delegation"  # IC spec: before the hash of a delegation map
CANISTER_SIG_DOMAIN = b"\x1aic-canister-sig"  # IC spec, "Canister signatures"
ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")  # RFC 8410 SubjectPublicKeyInfo prefix
# IC spec, "Canister signatures": DER SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.56387.1.2 }, BIT STRING }
CANISTER_SIG_OID = bytes.fromhex("300c060a2b0601040183b8430102")
SCHEMES = ("ed25519", "ecdsa_p256", "ecdsa_secp256k1", "webauthn", "bls")  # signature checks by scheme
KINDS = ("ed25519", "ecdsa_p256", "ecdsa_secp256k1", "webauthn", "ii_session")  # sender kinds


def self_authenticating(der_key: bytes) -> bytes:
    """The principal of a key: SHA-224(DER key) || 0x02 (IC spec, "Principals")."""
    return hashlib.sha224(der_key).digest() + b"\x02"


def _der_bit_string(body: bytes) -> bytes:
    inner = b"\x00" + body
    return b"\x03" + _der_length(len(inner)) + inner


def _der_length(n: int) -> bytes:
    return bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2, "big")


def canister_sig_key(canister_id: bytes, seed: bytes) -> bytes:
    """DER public key of a canister signature: the BIT STRING holds len(canister id) || canister id || seed."""
    body = CANISTER_SIG_OID + _der_bit_string(bytes([len(canister_id)]) + canister_id + seed)
    return b"\x30" + _der_length(len(body)) + body


def parse_canister_sig_key(der: bytes) -> tuple[bytes, bytes]:
    """(canister id, seed) from a canister-signature DER key; ValueError when it is not one."""
    if len(der) < 2 + len(CANISTER_SIG_OID) + 4 or der[0] != 0x30:
        raise ValueError("not a DER canister-signature key")
    head = 3 if der[1] == 0x81 else 2 if der[1] < 128 else 4
    rest = der[head:]
    if not rest.startswith(CANISTER_SIG_OID) or rest[len(CANISTER_SIG_OID)] != 0x03:
        raise ValueError("not a canister-signature key (OID)")
    bits = rest[len(CANISTER_SIG_OID) + 1:]
    skip = 1 if bits[0] < 128 else 1 + (bits[0] & 0x7F)
    body = bits[skip + 1:]
    if not body or body[0] > len(body) - 1:
        raise ValueError("canister-signature key: bad canister id length")
    return body[1:1 + body[0]], body[1 + body[0]:]


# --- the signers ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _ed25519(seed: int):
    from nacl.signing import SigningKey

    key = SigningKey(hashlib.sha256(b"ed25519 sender %d" % seed).digest())
    return ED25519_SPKI + bytes(key.verify_key), key


@lru_cache(maxsize=64)
def _ecdsa(curve: str, seed: int):
    secret = int.from_bytes(hashlib.sha256(b"ecdsa sender %s %d" % (curve.encode(), seed)).digest(), "big")
    point, sign = ecdsa_workloads._signer(curve, secret % (CURVES[curve].n - 1) + 1)
    return point, sign


CANISTER_ID = bytes.fromhex("00000000000000070101")  # Internet Identity's canister id (rdmx6-jaaaa-aaaaa-aaadq-cai)
II_SUBNET = 0  # the delegation certificate of subnet 0 (kernels.bls.workloads.delegation)


def canister_signature(seed: bytes, message: bytes, subnet: int = II_SUBNET) -> bytes:
    """A canister signature on `message` (IC spec, "Canister signatures"): CBOR {certificate, tree}, where the
    canister's tree holds /sig/<H(seed)>/<H(message)> and the certificate (delegated to a subnet, as a canister's
    are) certifies /canister/<id>/certified_data = the tree's root."""
    tree = hashtree.labeled(b"sig", hashtree.labeled(hashlib.sha256(seed).digest(),
                                                     hashtree.labeled(hashlib.sha256(message).digest(),
                                                                      hashtree.leaf(b""))))
    certified = hashtree.labeled(b"canister", hashtree.labeled(CANISTER_ID, hashtree.labeled(
        b"certified_data", hashtree.leaf(hashtree.digest(tree)))))
    signer = (100, subnet)  # the subnet's key in kernels.bls.workloads.delegation (seed + 100, subnet)
    cert = bls_workloads.build_certificate(hashtree.fork(certified, hashtree.labeled(b"time", hashtree.leaf(
        b"\x80\x80\x80\x80\x80\x80\x80\x80\x01"))), signer, bls_workloads.delegation(subnet))
    return cbor.self_described({"certificate": cert, "tree": bls_certificate.tree_to_cbor(tree)})


@dataclass(frozen=True)
class Sender:
    """One sender: its kind and seed. `session` > 0 gives II sessions their own delegation (one per session)."""

    kind: str
    seed: int = 0
    session: int = 0
    expiration: int = 2**63 - 1  # the delegation's expiration (ns since the epoch)

    def public_key(self) -> bytes:
        if self.kind == "ed25519":
            return _ed25519(self.seed)[0]
        if self.kind in ("ecdsa_p256", "ecdsa_secp256k1"):
            curve = self.kind.removeprefix("ecdsa_")
            return ecdsa_workloads.spki(curve, _ecdsa(curve, self.seed)[0])
        if self.kind == "webauthn":
            from ..ecdsa.webauthn import cose_key

            return cose_key(_ecdsa("p256", 1000 + self.seed)[0])
        if self.kind == "ii_session":
            return canister_sig_key(CANISTER_ID, b"user %d" % self.seed)
        raise ValueError(f"unknown sender kind {self.kind!r}; choose one of {', '.join(KINDS)}")

    def principal(self) -> bytes:
        return self_authenticating(self.public_key())

    def sign(self, request_id: bytes) -> dict:
        """The envelope's sender_pubkey, sender_sig and (II sessions) sender_delegation for a request id."""
        message = REQUEST_DOMAIN + request_id
        if self.kind == "ii_session":
            return _ii_session_fields(self, message)
        return {"sender_pubkey": self.public_key(), "sender_sig": self._sign(message)}

    def _sign(self, message: bytes) -> bytes:
        if self.kind == "ed25519":
            return _ed25519(self.seed)[1].sign(message).signature
        if self.kind in ("ecdsa_p256", "ecdsa_secp256k1"):
            r, s = _ecdsa(self.kind.removeprefix("ecdsa_"), self.seed)[1](message)
            return ecdsa_workloads.raw_signature(r, s)
        return _webauthn_envelope(self.seed, message)


def _webauthn_envelope(seed: int, message: bytes) -> bytes:
    from ..ecdsa.webauthn import envelope

    rp_hash = hashlib.sha256(ecdsa_workloads.WEBAUTHN_ORIGIN.split("//")[1].encode()).digest()
    auth = rp_hash + bytes([ecdsa_workloads.WEBAUTHN_FLAGS]) + (1).to_bytes(4, "big")
    client = ecdsa_workloads.client_data_json(message)
    r, s = _ecdsa("p256", 1000 + seed)[1](auth + hashlib.sha256(client.encode()).digest())
    return envelope(auth, client, ecdsa_workloads.der_signature(r, s))


@lru_cache(maxsize=256)
def _ii_delegation(seed: int, session: int, expiration: int) -> dict:
    """The delegation of session `session` of user `seed`: the session key, signed by the user's canister key."""
    session_key = _ed25519(10_000 + 97 * seed + session)[0]
    delegation = {"pubkey": session_key, "expiration": expiration}
    signed = DELEGATION_DOMAIN + hash_value(delegation)
    return {"delegation": delegation, "signature": canister_signature(b"user %d" % seed, signed)}


def _ii_session_fields(sender: Sender, message: bytes) -> dict:
    signed = _ii_delegation(sender.seed, sender.session, sender.expiration)
    session_signer = _ed25519(10_000 + 97 * sender.seed + sender.session)[1]
    return {"sender_pubkey": sender.public_key(), "sender_delegation": [signed],
            "sender_sig": session_signer.sign(message).signature}


# --- the checks a request needs ---------------------------------------------------------------------------------

@dataclass
class Checks:
    """Signature checks by scheme: (key, message, signature) triples and, per triple, the request it belongs to.
    `malformed` holds the requests whose authentication fields could not even be parsed."""

    triples: dict = field(default_factory=lambda: {s: [] for s in SCHEMES})
    owners: dict = field(default_factory=lambda: {s: [] for s in SCHEMES})
    canister_sigs: list = field(default_factory=list)  # (owner, parsed canister signature, signed message)
    malformed: set = field(default_factory=set)

    def add(self, scheme: str, owner: int, triple: tuple) -> None:
        self.triples[scheme].append(triple)
        self.owners[scheme].append(owner)

    def count(self) -> int:
        return sum(map(len, self.triples.values()))


def _scheme_of(der_key: bytes) -> str:
    if der_key.startswith(ED25519_SPKI) and len(der_key) == 44:
        return "ed25519"
    for curve in ("p256", "secp256k1"):
        if der_key.startswith(ecdsa_workloads.SPKI_PREFIX[curve]):
            return "ecdsa_" + curve
    if der_key[:1] == b"\x30" and CANISTER_SIG_OID in der_key[:24]:
        return "canister"
    return "webauthn"  # a DER-wrapped COSE key; a malformed one fails its check


def add_checks(checks: Checks, owner: int, envelope: dict, request_id: bytes) -> None:
    """Append the checks one envelope needs: each delegation's signature by the previous key, then the request's
    signature by the last key (IC spec, "Authentication"). Malformed fields mark the request malformed."""
    try:
        key = envelope["sender_pubkey"]
        for link in envelope.get("sender_delegation", []):
            delegation = link["delegation"]
            _add_one(checks, owner, key, DELEGATION_DOMAIN + hash_value(delegation), link["signature"])
            key = delegation["pubkey"]
        _add_one(checks, owner, key, REQUEST_DOMAIN + request_id, envelope["sender_sig"])
    except (KeyError, TypeError, ValueError, AttributeError):
        checks.malformed.add(owner)


def _add_one(checks: Checks, owner: int, key: bytes, message: bytes, signature: bytes) -> None:
    scheme = _scheme_of(key)
    if scheme == "canister":
        canister_id, seed = parse_canister_sig_key(key)
        checks.canister_sigs.append((owner, canister_id, seed, message, signature))
        return
    checks.add(scheme, owner, (key, message, signature))


# A canister signature's trees have a few nodes: hashed one node at a time with hashlib (the level-batched
# hashtree.digest pays a fixed cost per level that only pays off on large trees).
SMALL_TREE_ROOT = hashtree.digest_recursive


def canister_sig_certificate(canister_id: bytes, seed: bytes, message: bytes, signature: bytes):
    """The certificate a canister signature needs checked, when its tree is right: the signature's tree holds
    /sig/<H(seed)>/<H(message)> and the certificate certifies /canister/<id>/certified_data = that tree's root.
    None when the signature is malformed or its tree does not match (the BLS check is then not needed)."""
    try:
        item = decode_cbor(signature)
        tree = bls_certificate.tree_from_cbor(item["tree"])
        path = [b"sig", hashlib.sha256(seed).digest(), hashlib.sha256(message).digest()]
        if bls_certificate.lookup(tree, path) != b"":
            return None
        parsed = bls_certificate.parse(item["certificate"], root_of=SMALL_TREE_ROOT, decode=decode_cbor)
        certified = bls_certificate.lookup(parsed.tree, [b"canister", canister_id, b"certified_data"])
        return parsed if certified == SMALL_TREE_ROOT(tree) else None
    except Exception:  # noqa: BLE001 - malformed CBOR (cbor2's own errors), wrong shapes: the signature fails
        return None


def decode_cbor(data: bytes):
    """CBOR with cbor2 (the library path), the 55799 tag skipped; nested items as plain dicts, lists and bytes."""
    import cbor2

    return cbor2.loads(data[3:] if data[:3] == b"\xd9\xd9\xf7" else data)


def expand_canister_sigs(checks: Checks) -> list:
    """Turn each canister signature into its BLS checks (the certificate's, then its delegation's); returns the
    owners whose canister signature failed before any BLS check (bad tree or malformed)."""
    failed = []
    root = bls_workloads.root_key()
    for owner, canister_id, seed, message, signature in checks.canister_sigs:
        cert = canister_sig_certificate(canister_id, seed, message, signature)
        if cert is None:
            failed.append(owner)
            continue
        for triple in bls_certificate.checks(cert, root):
            checks.add("bls", owner, triple)
    checks.canister_sigs.clear()
    return failed


def verify_scheme(scheme: str, triples: list, path: str) -> np.ndarray:
    """(n,) bool for one scheme's triples: `path` "library" checks one at a time with the library a node would
    call from Python; "best" runs the suite's batched CPU kernels (numba_cpu; ZIP-215 batch for Ed25519)."""
    from .. import bls, ecdsa, signatures
    from ..ecdsa.webauthn import webauthn_verify_batch

    if not triples:
        return np.zeros(0, dtype=bool)
    keys, msgs, sigs = (list(t) for t in zip(*triples))
    best = path == "best"
    if scheme == "ed25519":
        keys = [k[len(ED25519_SPKI):] if k.startswith(ED25519_SPKI) else k for k in keys]
        return signatures.ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu" if best else "library",
                                               rules="zip215" if best else "libsodium",
                                               method="batch" if best else "single")
    if scheme.startswith("ecdsa_"):
        return ecdsa.ecdsa_verify_batch(scheme.removeprefix("ecdsa_"), keys, msgs, sigs,
                                        backend="numba_cpu" if best else "library")
    if scheme == "webauthn":
        return webauthn_verify_batch(keys, msgs, sigs, backend="numba_cpu" if best else "library")
    if scheme == "bls":
        return bls.bls12381_verify_batch(keys, msgs, sigs, backend="numba_cpu" if best else "library")
    raise ValueError(f"unknown scheme {scheme!r}")
