"""Published known answers: FIPS 180-4's SHA-256 examples and the IC interface spec's worked examples, used by
the tests and by the hot path's correctness check."""
from __future__ import annotations

from . import hashtree as ht

# IC interface spec, "Certification" / "Example": the tree and its root hash.
SPEC_TREE = ht.fork(
    ht.fork(ht.labeled("a", ht.fork(ht.fork(ht.labeled("x", ht.leaf("hello")), ht.empty()),
                                    ht.labeled("y", ht.leaf("world")))),
            ht.labeled("b", ht.leaf("good"))),
    ht.fork(ht.labeled("c", ht.empty()), ht.labeled("d", ht.leaf("morning"))))
SPEC_TREE_DIGEST = "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"

# IC interface spec, "Request ids" example (docs/REFERENCES.md section 1).
SPEC_REQUEST = {"request_type": "call", "sender": b"\x04", "ingress_expiry": 1685570400000000000,
                "canister_id": bytes.fromhex("00000000000004D2"), "method_name": "hello", "arg": b"DIDL\x00\xfd*"}
SPEC_REQUEST_ID = "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"

# FIPS 180-4 examples (NIST CSRC "Example Values", SHA256.pdf and SHA2_Additional): (message, digest).
FIPS_VECTORS = (
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    (b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    # SHA2_Additional.pdf, SHA-256 #1 to #9: short messages and the padding boundaries 55 / 56 / 57 / 64 bytes.
    (bytes([0xBD]), "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b"),
    (bytes.fromhex("c98c8e55"), "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504"),
    (bytes(55), "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"),
    (bytes(56), "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"),
    (bytes(57), "65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785"),
    (bytes(64), "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"),
    (bytes(1000), "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53"),
    (b"\x41" * 1000, "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4"),
    (b"\x55" * 1005, "f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0"),
)
# FIPS 180-4 / NIST "one million repetitions of 'a'".
MILLION_A_DIGEST = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
