"""The IC interface spec's worked examples, used by the tests and by each notebook's correctness step."""
from __future__ import annotations

from . import hashtree as ht

# IC interface spec, "Certification" / "Example": the tree and its root hash.
SPEC_TREE = ht.fork(
    ht.fork(ht.labeled("a", ht.fork(ht.fork(ht.labeled("x", ht.leaf("hello")), ht.empty()),
                                    ht.labeled("y", ht.leaf("world")))),
            ht.labeled("b", ht.leaf("good"))),
    ht.fork(ht.labeled("c", ht.empty()), ht.labeled("d", ht.leaf("morning"))))
SPEC_TREE_DIGEST = "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"

# IC interface spec, "Request ids" example (REFERENCES.md section 1).
SPEC_REQUEST = {"request_type": "call", "sender": b"\x04", "ingress_expiry": 1685570400000000000,
                "canister_id": bytes.fromhex("00000000000004D2"), "method_name": "hello", "arg": b"DIDL\x00\xfd*"}
SPEC_REQUEST_ID = "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"
