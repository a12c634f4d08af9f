"""The HTTP request body of an IC call or query: a CBOR envelope {content, sender_pubkey, sender_sig,
sender_delegation} (IC interface spec, "Envelope" and "Authentication"), built, decoded and validated. Two
decoders: `cbor2` (the library path) and the suite's own `kernels.cbor` (exact for the IC's subset). Every
malformed, oversized or expired envelope is a `Rejection` with a reason, never an exception.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import cbor
from ..hashing import request_id as hash_request_id
from .senders import Sender, self_authenticating

MAX_INGRESS_BYTES = 2 * 1024 * 1024  # 2 MiB per ingress message (dfinity/ic rs/limits; docs/REFERENCES.md s5)
MAX_INGRESS_TTL_NS = 5 * 60 * 10**9  # ingress_expiry at most 5 minutes ahead (IC spec, "Request expiry")
PERMITTED_DRIFT_NS = 60 * 10**9  # clock drift the replica tolerates on top (dfinity/ic rs/limits)
MAX_DELEGATIONS = 20  # IC spec, "Authentication"
ANONYMOUS = b"\x04"  # the anonymous principal (IC spec, "Principals")
DECODERS = ("cbor2", "suite")
SELF_DESCRIBED_HEAD = b"\xd9\xd9\xf7"  # CBOR tag 55799 (RFC 8949 section 3.4.6)


@dataclass(frozen=True)
class Rejection:
    """Why a request was turned away; the pipeline records it and goes on with the next request."""

    stage: str
    reason: str


def build(sender: Sender, content: dict) -> bytes:
    """The signed envelope of `content` (sender filled in from `sender`), tagged 55799 as agents send it."""
    content = dict(content, sender=sender.principal())
    return cbor.self_described({"content": content, **sender.sign(hash_request_id(content))})


def decode(body: bytes, decoder: str = "cbor2") -> dict | Rejection:
    """The envelope map, or a Rejection: not CBOR, not a map, no content map."""
    try:
        if decoder == "cbor2":
            import cbor2

            # the 55799 head (d9 d9 f7) is skipped: cbor2 6 would otherwise return frozen maps for a tagged item
            item = cbor2.loads(body[3:] if body[:3] == SELF_DESCRIBED_HEAD else body)
        elif decoder == "suite":
            item = cbor.untagged(cbor.decode(body))
        else:
            raise ValueError(f"unknown decoder {decoder!r}; choose one of {', '.join(DECODERS)}")
    except ValueError as error:
        if "unknown decoder" in str(error):
            raise
        return Rejection("decode", f"malformed CBOR: {error}")
    except Exception as error:  # noqa: BLE001 - cbor2 raises its own CBORDecodeError family and others
        return Rejection("decode", f"malformed CBOR: {type(error).__name__}: {error}")
    if not isinstance(item, dict) or not isinstance(item.get("content"), dict):
        return Rejection("decode", "the envelope is not a map with a content map")
    return item


def validate(envelope: dict, body_bytes: int, now_ns: int, kind: str) -> Rejection | None:
    """Size, expiry, request type, sender and delegation checks of the replica's ingress validation."""
    content = envelope["content"]
    if body_bytes > MAX_INGRESS_BYTES:
        return Rejection("validate", f"request of {body_bytes} bytes exceeds {MAX_INGRESS_BYTES}")
    expiry = content.get("ingress_expiry")
    if not isinstance(expiry, int) or expiry < now_ns:
        return Rejection("validate", "request expired" if isinstance(expiry, int) else "no ingress_expiry")
    if expiry > now_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS:
        return Rejection("validate", "ingress_expiry too far in the future")
    if content.get("request_type") != {"update": "call", "query": "query"}[kind]:
        return Rejection("validate", f"request_type {content.get('request_type')!r} is not a {kind}")
    for name, typ in (("sender", bytes), ("canister_id", bytes), ("method_name", str), ("arg", bytes)):
        if not isinstance(content.get(name), typ):
            return Rejection("validate", f"content.{name} missing or not {typ.__name__}")
    return _sender_rejection(envelope, now_ns)


def _sender_rejection(envelope: dict, now_ns: int) -> Rejection | None:
    sender, key = envelope["content"]["sender"], envelope.get("sender_pubkey")
    if sender == ANONYMOUS and key is None:
        return None
    if not isinstance(key, bytes) or not isinstance(envelope.get("sender_sig"), bytes):
        return Rejection("validate", "sender_pubkey and sender_sig must be blobs")
    if self_authenticating(key) != sender:
        return Rejection("validate", "sender is not the principal of sender_pubkey")
    delegations = envelope.get("sender_delegation", [])
    if not isinstance(delegations, list) or len(delegations) > MAX_DELEGATIONS:
        return Rejection("validate", f"sender_delegation must be a list of at most {MAX_DELEGATIONS}")
    for link in delegations:
        delegation = link.get("delegation") if isinstance(link, dict) else None
        if not isinstance(delegation, dict) or not isinstance(delegation.get("pubkey"), bytes):
            return Rejection("validate", "malformed delegation")
        if not isinstance(delegation.get("expiration"), int) or delegation["expiration"] < now_ns:
            return Rejection("validate", "delegation expired")
    return None
