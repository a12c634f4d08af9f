"""The requests a node receives, as bytes on the wire: per workload (counter, ledger, kv) an update and a query,
each a signed CBOR envelope from a stated mix of senders, sealed in a TLS 1.3 record (AES-256-GCM, what rustls
negotiates: docs/REFERENCES.md section 5). The mix and the session length are assumptions, stated here and in
the notebook; every request is valid unless built by `bad_requests`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from .envelope import build
from .senders import KINDS, Sender

# Assumed sender mix (no published breakdown of ingress by signature scheme was found): Internet Identity
# sessions dominate dapp traffic; agents with Ed25519 keys next; ECDSA and raw WebAuthn the rest.
SENDER_MIX = {"ii_session": 0.40, "ed25519": 0.30, "ecdsa_secp256k1": 0.10, "ecdsa_p256": 0.10, "webauthn": 0.10}
REQUESTS_PER_SESSION = 10  # assumed: an II delegation signs this many requests before the session rotates
NOW_NS = 1_765_000_000_000_000_000  # the node's clock in these workloads (a fixed instant in Dec 2025)
EXPIRY_NS = NOW_NS + 4 * 60 * 10**9  # agents set ingress_expiry a few minutes ahead (agent-rs: 4 min)
LEDGER_ACCOUNTS = 1_000  # accounts the ledger workload transfers between
KV_KEYS = 100_000  # keys the kv workload spreads its puts over
KV_VALUE_BYTES = 1_024
TLS_RECORD_BYTES = 16_384  # TLS 1.3 records carry at most 2^14 bytes of plaintext (RFC 8446 section 5.1)
CANISTER_IDS = {"counter": bytes.fromhex("0000000000a0000101"), "ledger": bytes.fromhex("00000000000000020101"),
                "kv": bytes.fromhex("0000000000c000010101")}
WORKLOADS = {  # workload -> {request kind: canister method}
    "counter": {"update": "inc", "query": "read"},
    "ledger": {"update": "transfer", "query": "balance"},
    "kv": {"update": "put", "query": "get"},
}


@dataclass(frozen=True)
class Request:
    """One request as a node receives it: the TLS record(s) carrying the HTTP body, and what built it."""

    workload: str
    kind: str  # "update" | "query"
    sender: str  # the sender kind
    body: bytes  # the HTTP request body: the CBOR envelope
    records: tuple[bytes, ...]  # the body sealed as TLS 1.3 records (AES-256-GCM)


def check_workload(workload: str, kind: str | None = None) -> None:
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; choose one of {', '.join(WORKLOADS)}")
    if kind is not None and kind not in ("update", "query"):
        raise ValueError(f"unknown request kind {kind!r}; choose 'update' or 'query'")


def account(index: int) -> bytes:
    return hashlib.sha256(b"ledger account %d" % index).digest()


def method_arg(workload: str, kind: str, rng: np.random.Generator) -> bytes:
    """The canister argument of one request (the layouts of kernels/requests/canisters/*.c)."""
    if workload == "counter":
        return b""
    if workload == "ledger":
        to = account(int(rng.integers(LEDGER_ACCOUNTS)))
        return to if kind == "query" else to + int(rng.integers(1, 1_000)).to_bytes(8, "little") + \
            (10).to_bytes(8, "little")
    key = int(rng.integers(KV_KEYS)).to_bytes(8, "little")
    return key if kind == "query" else key + rng.bytes(KV_VALUE_BYTES)


def senders(count: int, seed: int = 0, mix: dict | None = None) -> list[Sender]:
    """`count` senders drawn from the mix; II sessions reuse one delegation for REQUESTS_PER_SESSION requests."""
    mix = SENDER_MIX if mix is None else mix
    if set(mix) - set(KINDS) or not np.isclose(sum(mix.values()), 1.0):
        raise ValueError(f"mix must give shares of {', '.join(KINDS)} summing to 1, got {mix}")
    rng = np.random.default_rng([seed, 11])
    kinds = rng.choice(list(mix), size=count, p=list(mix.values()))
    users = rng.integers(0, max(count // REQUESTS_PER_SESSION, 1), size=count)
    return [Sender(str(k), seed=int(u), session=0) for k, u in zip(kinds, users)]


def content(workload: str, kind: str, arg: bytes, nonce: bytes) -> dict:
    """The content map of a call or query (IC spec, "Request: Call" and "Request: Query")."""
    return {"request_type": "call" if kind == "update" else "query", "canister_id": CANISTER_IDS[workload],
            "method_name": WORKLOADS[workload][kind], "arg": arg, "ingress_expiry": EXPIRY_NS, "nonce": nonce}


def seal_records(body: bytes, key: bytes, first_sequence: int = 0) -> tuple[bytes, ...]:
    """`body` as TLS 1.3 application-data records: header 17 03 03 length, AES-256-GCM with the record's
    sequence number XORed into the IV (RFC 8446 section 5.3), the header as associated data."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, records = AESGCM(key), []
    for i, start in enumerate(range(0, max(len(body), 1), TLS_RECORD_BYTES)):
        chunk = body[start:start + TLS_RECORD_BYTES] + b"\x17"  # TLSInnerPlaintext: content, then its type
        header = b"\x17\x03\x03" + (len(chunk) + 16).to_bytes(2, "big")
        records.append(header + aead.encrypt(record_nonce(key, first_sequence + i), chunk, header))
    return tuple(records)


def record_nonce(key: bytes, sequence: int) -> bytes:
    iv = hashlib.sha256(b"iv" + key).digest()[:12]  # the connection's IV (from the key schedule; fixed here)
    return (int.from_bytes(iv, "big") ^ sequence).to_bytes(12, "big")


TLS_KEY = hashlib.sha256(b"client connection key").digest()  # one client connection's AES-256 key


def requests(workload: str, kind: str, count: int, seed: int = 0, mix: dict | None = None) -> list[Request]:
    """`count` valid requests of one workload and kind, each from a sender of the mix, sealed for the node."""
    check_workload(workload, kind)
    rng = np.random.default_rng([seed, 7])
    out = []
    for sender in senders(count, seed, mix):
        body = build(sender, content(workload, kind, method_arg(workload, kind, rng), rng.bytes(8)))
        out.append(Request(workload, kind, sender.kind, body, seal_records(body, TLS_KEY)))
    return out


def random_body_bytes(n: int) -> bytes:
    return os.urandom(n)
