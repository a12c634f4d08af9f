"""The two curves of the IC's ECDSA ingress signatures, with their sources: short Weierstrass curves
y^2 = x^3 + a x + b over GF(p), cofactor 1, a base point G of prime order n.

- P-256 (secp256r1, prime256v1): NIST SP 800-186 section 3.2.1.3 (FIPS 186-5 refers to it); SEC 2 v2 section 2.4.2.
- secp256k1: SEC 2 v2 ("Recommended Elliptic Curve Domain Parameters", 2010) section 2.4.1.

Object identifiers for the SubjectPublicKeyInfo wrapping (RFC 5480 section 2.1.1 and 2.2): id-ecPublicKey
1.2.840.10045.2.1, prime256v1 1.2.840.10045.3.1.7, secp256k1 1.3.132.0.10; the key is the SEC 1 (section
2.3.3) uncompressed point 0x04 || x || y inside a BIT STRING.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    name: str  # the API's curve name
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int
    oid: tuple[int, ...]  # the named curve's object identifier


P256 = Curve(
    "p256",
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,  # 2^256 - 2^224 + 2^192 + 2^96 - 1
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,  # -3 mod p
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    oid=(1, 2, 840, 10045, 3, 1, 7),
)

SECP256K1 = Curve(
    "secp256k1",
    p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F,  # 2^256 - 2^32 - 977
    a=0,
    b=7,
    n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    gx=0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    gy=0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    oid=(1, 3, 132, 0, 10),
)

CURVES: dict[str, Curve] = {c.name: c for c in (P256, SECP256K1)}
ID_EC_PUBLIC_KEY = (1, 2, 840, 10045, 2, 1)  # RFC 5480 section 2.1.1
SIGNATURE_BYTES = 64  # raw r || s, 32 bytes each, big-endian (IC interface spec, "Signatures")
POINT_BYTES = 65  # SEC 1 uncompressed point: 0x04 || x || y


def check_curve(curve: str) -> Curve:
    """The curve's parameters, or ValueError naming the choices."""
    if not isinstance(curve, str) or curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r}; choose one of {', '.join(map(repr, CURVES))}")
    return CURVES[curve]


def _der_oid(oid: tuple[int, ...]) -> bytes:
    """DER encoding of an OBJECT IDENTIFIER (X.690 section 8.19): tag, length, base-128 arcs."""
    body = bytes([40 * oid[0] + oid[1]])
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(chunk))
    return bytes([0x06, len(body)]) + body


def spki_prefix(curve: Curve) -> bytes:
    """The DER bytes that precede 0x04 || x || y in the curve's SubjectPublicKeyInfo (RFC 5480): DER is a
    unique encoding, so a key with an uncompressed point is exactly this prefix and the 65-byte point."""
    algorithm = _der_oid(ID_EC_PUBLIC_KEY) + _der_oid(curve.oid)
    algorithm = bytes([0x30, len(algorithm)]) + algorithm
    bit_string = bytes([0x03, POINT_BYTES + 1, 0x00])  # no unused bits
    body_len = len(algorithm) + len(bit_string) + POINT_BYTES
    return bytes([0x30, body_len]) + algorithm + bit_string


def uncompressed_point(curve: Curve, key: bytes) -> bytes | None:
    """x || y (64 bytes) of a key given as a DER SubjectPublicKeyInfo or a 65-byte SEC 1 uncompressed point
    on `curve`'s OID; None for any other form (compressed or hybrid points, another curve, trailing bytes).
    Whether the point lies on the curve is the verifier's check."""
    if len(key) == POINT_BYTES:
        return key[1:] if key[0] == 0x04 else None
    prefix = SPKI_PREFIX[curve.name]
    if len(key) == len(prefix) + POINT_BYTES and key.startswith(prefix) and key[len(prefix)] == 0x04:
        return key[len(prefix) + 1:]
    return None


SPKI_PREFIX = {name: spki_prefix(c) for name, c in CURVES.items()}
