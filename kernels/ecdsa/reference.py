"""ECDSA verification written from the standards, in plain Python integers: slow and readable, the oracle.

Verification is SEC 1 v2 section 4.1.4 (= FIPS 186-5 section 6.4.2) with the IC's encodings (IC interface
spec, "Signatures"): e = SHA-256(message) as a big-endian integer (both curves have 256-bit n, so no
truncation); the signature is raw r || s (32 bytes each, big-endian); the key is a DER SubjectPublicKeyInfo
(RFC 5480) or a SEC 1 uncompressed point 0x04 || x || y, validated as SEC 1 section 3.2.2.1 says (both
coordinates below p, on the curve; cofactor 1, so no subgroup check). High s is accepted, as the replica does
on both curves (secp256k1 through an explicit "with malleability" verification).
"""
from __future__ import annotations

import hashlib

import numpy as np

from .curves import CURVES, ID_EC_PUBLIC_KEY, Curve

Point = tuple[int, int] | None  # affine (x, y); None is the point at infinity


def on_curve(curve: Curve, point: Point) -> bool:
    if point is None:
        return False
    x, y = point
    return (y * y - (x * x * x + curve.a * x + curve.b)) % curve.p == 0


def point_add(curve: Curve, p1: Point, p2: Point) -> Point:
    """P1 + P2 in affine coordinates (SEC 1 section 2.2.1), every special case included."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    p = curve.p
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None  # P + (-P); also doubling a point with y = 0
        slope = (3 * x1 * x1 + curve.a) * pow(2 * y1, -1, p) % p  # doubling
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (slope * slope - x1 - x2) % p
    return x3, (slope * (x1 - x3) - y1) % p


def scalar_mult(curve: Curve, k: int, point: Point) -> Point:
    """[k]P by double-and-add from the most significant bit."""
    acc: Point = None
    for bit in bin(k)[2:] if k > 0 else "":
        acc = point_add(curve, acc, acc)
        if bit == "1":
            acc = point_add(curve, acc, point)
    return acc


def _der_tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, contents, next position) of one DER element at `pos`; ValueError if it is not DER (X.690 section
    10.1: lengths in the shortest form; a key of these curves needs no long form)."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, length = data[pos], data[pos + 1]
    if length & 0x80:
        raise ValueError("long-form length: not the DER of an EC key on a 256-bit curve")
    end = pos + 2 + length
    if end > len(data):
        raise ValueError("truncated")
    return tag, data[pos + 2:end], end


def _der_oid(contents: bytes) -> tuple[int, ...]:
    arcs, value = [], 0
    for i, byte in enumerate(contents):
        if value == 0 and byte == 0x80:
            raise ValueError("non-minimal OID arc")
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
        elif i == len(contents) - 1:
            raise ValueError("truncated OID")
    if not arcs:
        raise ValueError("empty OID")
    first = arcs[0]
    return (min(first // 40, 2), first - 40 * min(first // 40, 2), *arcs[1:])


def double_scalar_mult(curve: Curve, k1: int, p1: Point, k2: int, p2: Point) -> Point:
    """[k1]P1 + [k2]P2 with one chain of doublings (Shamir's trick; Hankerson, Menezes and Vanstone,
    "Guide to Elliptic Curve Cryptography", algorithm 3.48 with w = 1)."""
    both = point_add(curve, p1, p2)
    acc: Point = None
    for i in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
        acc = point_add(curve, acc, acc)
        bits = (k1 >> i & 1, k2 >> i & 1)
        acc = point_add(curve, acc, {(1, 0): p1, (0, 1): p2, (1, 1): both}.get(bits))
    return acc


def decode_public_key(curve: Curve, key: bytes) -> Point:
    """The point of a SEC 1 uncompressed key (65 bytes, 0x04 || x || y) or of a DER SubjectPublicKeyInfo
    { { id-ecPublicKey, namedCurve }, BIT STRING uncompressed point } (RFC 5480); None when the encoding is not
    one of these, names another curve, or the point is not a valid public key (SEC 1 section 3.2.2.1)."""
    try:
        if key[:1] == b"\x30":
            tag, spki, end = _der_tlv(key, 0)
            if tag != 0x30 or end != len(key):
                return None
            tag, algorithm, pos = _der_tlv(spki, 0)
            if tag != 0x30:
                return None
            tag, bits, pos = _der_tlv(spki, pos)
            if tag != 0x03 or pos != len(spki) or bits[:1] != b"\x00":
                return None
            tag, oid, apos = _der_tlv(algorithm, 0)
            tag2, params, apos = _der_tlv(algorithm, apos) if tag == 0x06 else (0, b"", 0)
            if tag != 0x06 or tag2 != 0x06 or apos != len(algorithm):
                return None
            if _der_oid(oid) != ID_EC_PUBLIC_KEY or _der_oid(params) != curve.oid:
                return None
            key = bits[1:]
    except ValueError:
        return None
    if len(key) != 65 or key[0] != 0x04:  # SEC 1 section 2.3.4: only the uncompressed form (the IC's)
        return None
    x, y = int.from_bytes(key[1:33], "big"), int.from_bytes(key[33:], "big")
    if x >= curve.p or y >= curve.p or not on_curve(curve, (x, y)):
        return None
    return x, y


def verify(curve_name: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """SEC 1 section 4.1.4: True when `signature` (raw r || s) is a valid ECDSA signature by `public_key` on
    SHA-256(`message`); high s accepted."""
    curve = CURVES[curve_name]
    q = decode_public_key(curve, bytes(public_key))
    if q is None or len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    n = curve.n
    if not (1 <= r < n and 1 <= s < n):  # step 1
        return False
    e = int.from_bytes(hashlib.sha256(bytes(message)).digest(), "big")  # steps 2-3: the hash, 256 bits
    w = pow(s, -1, n)  # step 4
    u1, u2 = e * w % n, r * w % n
    point = double_scalar_mult(curve, u1, (curve.gx, curve.gy), u2, q)  # step 5: u1 G + u2 Q
    if point is None:
        return False
    return point[0] % n == r  # steps 6-8


def ecdsa_verify_batch(curve: str, public_keys: list[bytes], messages: list[bytes],
                       signatures: list[bytes]) -> np.ndarray:
    """One verification per signature: (n,) bool."""
    return np.fromiter((verify(curve, k, m, s) for k, m, s in zip(public_keys, messages, signatures)), dtype=bool,
                       count=len(public_keys))


def sign(curve_name: str, secret: int, message: bytes, nonce: int) -> bytes:
    """A raw r || s signature with a given nonce (SEC 1 section 4.1.3): for building test inputs (edge-case
    scalars, high s) only, never for keys that matter; ValueError for a nonce that gives r = 0 or s = 0."""
    curve = CURVES[curve_name]
    n = curve.n
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    point = scalar_mult(curve, nonce % n, (curve.gx, curve.gy))
    if point is None:
        raise ValueError("nonce is a multiple of n")
    r = point[0] % n
    s = pow(nonce, -1, n) * (e + r * secret) % n
    if r == 0 or s == 0:
        raise ValueError("r or s is zero; pick another nonce")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def public_point(curve_name: str, secret: int) -> bytes:
    """The SEC 1 uncompressed point 0x04 || x || y of [secret]G."""
    curve = CURVES[curve_name]
    x, y = scalar_mult(curve, secret, (curve.gx, curve.gy))
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
