"""BLS12-381 min-sig verification as a node does it today on a CPU: blst through pyblst, one signature at a
time (the per-share loop the targets compare against).

pyblst's `uncompress` is blst's `blst_p1_uncompress` / `blst_p2_uncompress` (ZCash encoding, x < p, on the
curve) followed by `blst_p1_in_g1` / `blst_p2_in_g2` (the subgroup check), raising ValueError otherwise
(OpShin/pyblst src/lib.rs); it accepts the identity, which the IC rejects as a key, so that is checked here.
`hash_to_group(msg, dst)` is blst_hash_to_g1 (RFC 9380, BLS12381G1_XMD:SHA-256_SSWU_RO_), `final_verify(a, b)`
is blst_fp12_finalverify: FE(a) == FE(b).
"""
from __future__ import annotations

import numpy as np
from pyblst import BlstP1Element, BlstP2Element, final_verify, miller_loop

# The generator of G2, ZCash-compressed (draft-irtf-cfrg-pairing-friendly-curves-11, section 4.2.1, point g2);
# tests check it against py_ecc's G2.
G2_GENERATOR_BYTES = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8")
G2_GENERATOR = BlstP2Element.uncompress(G2_GENERATOR_BYTES)
G1_GENERATOR_BYTES = bytes.fromhex(  # the generator g1 of G1, ZCash-compressed (same source)
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")
IDENTITY_G2 = b"\xc0" + bytes(95)


def decode_public_key(data: bytes) -> BlstP2Element | None:
    """The key as a blst point (canonical, on the curve, in the subgroup, not the identity), or None."""
    if len(data) != 96 or data == IDENTITY_G2:
        return None
    try:
        return BlstP2Element.uncompress(data)
    except ValueError:
        return None


def decode_signature(data: bytes) -> BlstP1Element | None:
    if len(data) != 48:
        return None
    try:
        return BlstP1Element.uncompress(data)
    except ValueError:
        return None


def pairing_check(signature: BlstP1Element, hashed: BlstP1Element, public_key: BlstP2Element) -> bool:
    """e(sig, g2) == e(H(m), pk): two Miller loops and one final exponentiation."""
    return final_verify(miller_loop(signature, G2_GENERATOR), miller_loop(hashed, public_key))


def verify(public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
    pk, sig = decode_public_key(public_key), decode_signature(signature)
    if pk is None or sig is None:
        return False
    return pairing_check(sig, BlstP1Element.hash_to_group(message, dst), pk)


def verify_batch(keys: list[bytes], msgs: list[bytes], sigs: list[bytes], dst: bytes) -> np.ndarray:
    return np.array([verify(k, m, s, dst) for k, m, s in zip(keys, msgs, sigs)], dtype=bool)
