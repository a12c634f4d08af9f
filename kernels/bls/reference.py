"""BLS12-381 min-sig verification in pure Python with py_ecc, for correctness only (about a second per
signature): RFC 9380 hash-to-curve (BLS12381G1_XMD:SHA-256_SSWU_RO_: expand_message_xmd, SSWU on the
11-isogenous curve, the isogeny, cofactor clearing), ZCash point decompression with the subgroup check
[r]P = O, and the pairing check e(sig, g2) = e(H(m), pk) as one product of Miller loops and one final
exponentiation (IETF BLS signature draft, CoreVerify with the roles of G1 and G2 swapped: min-sig).
"""
from __future__ import annotations

import hashlib

import numpy as np
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381 import G2, curve_order, is_inf, multiply, neg, normalize
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, miller_loop

IDENTITY_G2 = b"\xc0" + bytes(95)  # ZCash encoding of the point at infinity (compressed, infinity flag)


def hash_to_g1(message: bytes, dst: bytes):
    """RFC 9380 hash_to_curve for BLS12381G1_XMD:SHA-256_SSWU_RO_ (py_ecc; projective py_ecc point)."""
    return hash_to_G1(message, dst, hashlib.sha256)


def hash_to_g1_bytes(message: bytes, dst: bytes) -> bytes:
    """hash_to_g1 as 96 bytes x || y, big endian (the form of RFC 9380's test vectors)."""
    x, y = normalize(hash_to_g1(message, dst))
    return int(x).to_bytes(48, "big") + int(y).to_bytes(48, "big")


def in_subgroup(point) -> bool:
    """[r]P is the identity: P lies in the prime-order subgroup."""
    return is_inf(multiply(point, curve_order))


def decode_signature(data: bytes):
    """A 48-byte ZCash-compressed G1 point in the subgroup, or None (wrong length, flags, x >= p, not on the
    curve, not in the subgroup)."""
    if len(data) != 48:
        return None
    try:
        point = decompress_G1(int.from_bytes(data, "big"))
    except ValueError:
        return None
    return point if in_subgroup(point) else None


def decode_public_key(data: bytes):
    """A 96-byte ZCash-compressed G2 point (x_im || x_re) in the subgroup, or None; the identity is None too
    (the IC rejects the identity key)."""
    if len(data) != 96 or data == IDENTITY_G2:
        return None
    try:
        point = decompress_G2((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))
    except ValueError:
        return None
    return point if in_subgroup(point) and not is_inf(point) else None


def verify(public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
    """e(sig, g2) == e(H(m), pk), checked as FE(ML(H(m), pk) * ML(sig, -g2)) == 1."""
    pk, sig = decode_public_key(public_key), decode_signature(signature)
    if pk is None or sig is None:
        return False
    h = hash_to_g1(message, dst)
    if is_inf(sig):  # e(O, g2) = 1: valid only if e(H(m), pk) = 1, i.e. H(m) = O
        return bool(is_inf(h))
    product = miller_loop(pk, h, final_exponentiate=False) * miller_loop(neg(G2), sig, final_exponentiate=False)
    return final_exponentiate(product) == FQ12.one()


def verify_batch(keys: list[bytes], msgs: list[bytes], sigs: list[bytes], dst: bytes) -> np.ndarray:
    return np.array([verify(k, m, s, dst) for k, m, s in zip(keys, msgs, sigs)], dtype=bool)


def compress_g1(point) -> bytes:
    return int(compress_G1(point)).to_bytes(48, "big")


def compress_g2(point) -> bytes:
    z1, z2 = compress_G2(point)
    return int(z1).to_bytes(48, "big") + int(z2).to_bytes(48, "big")
