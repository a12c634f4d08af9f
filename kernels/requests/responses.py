"""Responses. A query's reply is signed by the node with Ed25519 (replicas sign query responses: IC interface
spec, "Query call"; docs/REFERENCES.md section 5), encoded in CBOR and sealed for the client (TLS 1.3,
AES-256-GCM). An update's reply goes into the certified state (its request status, hashed in certification) and
reaches the client as a read_state response: CBOR-encoded and sealed here; its signature is the round's.
"""
from __future__ import annotations

import hashlib

from .. import cbor
from ..hashing import hash_value
from .stages import Candidate, noop, per_item, rows_for
from .workloads import seal_records

QUERY_RESPONSE_DOMAIN = b"\x0bic-response"  # IC spec, "Query call": what a node signs before the response hash
NODE_KEY_SEED = hashlib.sha256(b"node signing key").digest()


def _node_key():
    from nacl.signing import SigningKey

    return SigningKey(NODE_KEY_SEED)


def query_response(reply: bytes, request_id: bytes, timestamp: int, node_key) -> dict:
    """The signed query response map: {status, reply, signatures: [{timestamp, signature, identity}]}."""
    response = {"status": "replied", "reply": {"arg": reply}, "timestamp": timestamp, "request_id": request_id}
    signature = node_key.sign(QUERY_RESPONSE_DOMAIN + hash_value(response)).signature
    return {"status": "replied", "reply": {"arg": reply},
            "signatures": [{"timestamp": timestamp, "signature": signature, "identity": b"node"}]}


def encode(item, encoder: str = "cbor2") -> bytes:
    if encoder == "cbor2":
        import cbor2

        return b"\xd9\xd9\xf7" + cbor2.dumps(item)
    return cbor.self_described(item)


def stage_rows(workload: str, kind: str, replies: list[bytes], request_ids: list[bytes], repeats: int = 3) -> list:
    """StageRows of the response stage for these replies: signing (queries only), encoding, sealing."""
    from ..bls import workloads as bls_workloads

    key, n = _node_key(), len(replies)
    pairs = list(zip(replies, request_ids))
    rows = []
    if kind == "query":
        rows += rows_for("response signing", "response", workload, kind, [
            Candidate("library", "PyNaCl", per_item(lambda p: query_response(p[0], p[1], 1, key), pairs), n,
                      per_item(noop, pairs))], repeats, note="Ed25519 over the response's representation-"
                                                              "independent hash")
        items = [query_response(r, i, 1, key) for r, i in pairs]
    else:
        certificate = bls_workloads.certificate(0, delegated=False)  # a read_state certificate's shape
        items = [{"certificate": certificate + r} for r in replies]
    rows += rows_for("response encoding", "response", workload, kind, [
        Candidate("library", "cbor2", per_item(encode, items), n, per_item(noop, items)),
        Candidate("suite", "kernels.cbor", per_item(lambda x: encode(x, "suite"), items), n, per_item(noop, items))],
        repeats)
    bodies = [encode(x) for x in items]
    rows += rows_for("response tls encrypt", "response", workload, kind, [
        Candidate("library", "cryptography", per_item(lambda b: seal_records(b, NODE_KEY_SEED), bodies), n,
                  per_item(noop, bodies))], repeats)
    return rows
