"""Ed25519 verification written from RFC 8032 in plain Python, with two sets of acceptance rules.

The arithmetic is RFC 8032 section 5.1 (extended twisted Edwards coordinates, section 5.1.4). Rules:

``rules="libsodium"``: those of libsodium's ``crypto_sign_verify_detached``
(libsodium ``crypto_sign/ed25519/ref10/open.c``), so every backend can be checked against PyNaCl:

1. S must be canonical: S < L;
2. R must not have small order: its y coordinate (sign bit ignored) is not one of ``SMALL_ORDER_Y``;
3. A must be canonically encoded (y < p) and not of small order (same list), and must decode to a point;
4. cofactorless equation: encode([S]B - [h]A) must equal the 32 bytes of R, h = SHA-512(R || A || M) mod L.
   Comparing encodings also rejects a non-canonical R.

``rules="zip215"``: ZIP 215 ("Explicitly Defining and Modifying Ed25519 Validation Rules", Zcash), the rules
of the IC replica's ``ic-ed25519`` crate (dfinity/ic ``packages/ic-ed25519/src/lib.rs``):

1. S must be canonical: S < L;
2. A and R are decoded as RFC 8032 section 5.1.3 says, except that non-canonical encodings are accepted: the
   255-bit y may be >= p (it is reduced mod p), and x = 0 with the sign bit set decodes to x = 0;
   small-order A and R are accepted; an encoding whose y is not the y of a curve point is rejected;
3. k = SHA-512(R || A || M) mod L over the bytes as received (non-canonical bytes included);
4. cofactored equation: [8]([S]B - [k]A - R) must be the identity.

Slow (milliseconds per signature) and readable: the oracle every kernel is tested against.
"""
from __future__ import annotations

import hashlib

import numpy as np

# RFC 8032 section 5.1: field prime, group order, curve constant d, base point.
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)  # RFC 8032 section 5.1.3, sqrt(-1) mod p
B_Y = 4 * pow(5, P - 2, P) % P
B_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202  # RFC 8032 section 5.1

# y coordinates (sign bit ignored, as 255-bit integers) that libsodium's ge25519_has_small_order rejects:
# 0 (order 4), 1 (order 1), the two y of the order-8 points, p - 1 (order 2), and the non-canonical p, p + 1.
Y_ORDER8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
SMALL_ORDER_Y = frozenset({0, 1, Y_ORDER8, P - Y_ORDER8, P - 1, P, P + 1})

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z
IDENTITY: Point = (0, 1, 1, 0)
BASE: Point = (B_X, B_Y, 1, B_X * B_Y % P)


def point_add(p: Point, q: Point) -> Point:
    """RFC 8032 section 5.1.4, addition in extended coordinates (complete: also doubles)."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % P, g * h % P, f * g % P, e * h % P


def scalar_mult(k: int, p: Point) -> Point:
    q = IDENTITY
    while k:
        if k & 1:
            q = point_add(q, p)
        p = point_add(p, p)
        k >>= 1
    return q


def encode(p: Point) -> bytes:
    """RFC 8032 section 5.1.2: y little-endian, the sign of x in the top bit."""
    zinv = pow(p[2], P - 2, P)
    x, y = p[0] * zinv % P, p[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def recover_x(y: int, sign: int) -> int | None:
    """RFC 8032 section 5.1.3 step 2-4: x from y and its sign bit, None if no such point."""
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def decode_y(encoded: bytes) -> int:
    """The 255-bit y field of an encoding (not reduced mod p)."""
    return int.from_bytes(encoded, "little") & ((1 << 255) - 1)


def has_small_order(encoded: bytes) -> bool:
    """libsodium ge25519_has_small_order: the encoding's y (sign ignored) is on the block list."""
    return decode_y(encoded) in SMALL_ORDER_Y


def challenge(r: bytes, a: bytes, message: bytes) -> int:
    """h = SHA-512(R || A || M) as a little-endian integer, mod L (RFC 8032 section 5.1.7 step 2)."""
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % L


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """One verification with libsodium's rules (see the module docstring)."""
    return verify_libsodium(public_key, message, signature)


def verify_libsodium(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """One verification with libsodium's rules (see the module docstring)."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    r, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= L or has_small_order(r):
        return False
    y = decode_y(public_key)
    if y >= P or y in SMALL_ORDER_Y:
        return False
    x = recover_x(y, public_key[31] >> 7)
    if x is None:
        return False
    a = (x, y, 1, x * y % P)
    h = challenge(r, public_key, bytes(message))
    minus_ha = scalar_mult(h, ((P - a[0]) % P, a[1], 1, (P - a[3]) % P))
    return encode(point_add(scalar_mult(s, BASE), minus_ha)) == r


def decode_zip215(encoded: bytes) -> Point | None:
    """ZIP 215 point decoding: RFC 8032 section 5.1.3 without the y < p check (y is reduced mod p), and x = 0
    accepted whatever the sign bit; None when y is not the y of a curve point."""
    y = decode_y(encoded) % P
    x = recover_x(y, 0)
    if x is None:
        return None
    if x and (x & 1) != encoded[31] >> 7:
        x = P - x
    return (x, y, 1, x * y % P)


def is_identity(p: Point) -> bool:
    """x = 0 and y = 1, in projective coordinates: X = 0 and Y = Z."""
    return p[0] % P == 0 and (p[1] - p[2]) % P == 0


def negate(p: Point) -> Point:
    return ((P - p[0]) % P, p[1], p[2], (P - p[3]) % P)


def verify_zip215(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """One verification with ZIP 215's rules (see the module docstring): the IC replica's."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    r_bytes, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    a, r = decode_zip215(public_key), decode_zip215(r_bytes)
    if a is None or r is None:
        return False
    k = challenge(r_bytes, public_key, bytes(message))
    q = point_add(point_add(scalar_mult(s, BASE), scalar_mult(k, negate(a))), negate(r))
    return is_identity(scalar_mult(8, q))


VERIFY = {"libsodium": verify_libsodium, "zip215": verify_zip215}


def ed25519_verify_batch(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes],
                         rules: str = "libsodium") -> np.ndarray:
    """Verdicts for an already checked batch under `rules` ("libsodium" or "zip215"): (n,) bool."""
    verify_one = VERIFY[rules]
    return np.array([verify_one(a, m, s) for a, m, s in zip(public_keys, messages, signatures)], dtype=bool)


def ed25519_batch_verify(public_keys: list[bytes], messages: list[bytes], signatures: list[bytes]) -> np.ndarray:
    """ZIP 215 verdicts by batch verification (kernels/signatures/batch.py), written plainly: structural checks,
    then [8]([sum z_i S_i] B - sum [z_i k_i] A_i - sum [z_i] R_i) = identity by one scalar multiplication per
    term, bisection on failure. The same verdicts as verify_zip215 on every signature (readable, slow)."""
    from .batch import bisect, random_scalars

    n = len(public_keys)
    terms = {}  # index -> (-A, -R, S, k) of the signatures that pass the structural checks
    for i, (a_bytes, m, sig) in enumerate(zip(public_keys, messages, signatures)):
        if len(a_bytes) != PUBLIC_KEY_BYTES or len(sig) != SIGNATURE_BYTES:
            continue
        s = int.from_bytes(sig[32:], "little")
        a, r = decode_zip215(a_bytes), decode_zip215(sig[:32])
        if s < L and a is not None and r is not None:
            terms[i] = (negate(a), negate(r), s, challenge(sig[:32], a_bytes, bytes(m)))

    def passes(part: np.ndarray) -> bool:
        z = random_scalars(part.size)
        total = scalar_mult(sum(zi * terms[i][2] for zi, i in zip(z, part.tolist())) % L, BASE)
        for zi, i in zip(z, part.tolist()):
            minus_a, minus_r, _, k = terms[i]
            total = point_add(point_add(total, scalar_mult(zi * k % L, minus_a)), scalar_mult(zi, minus_r))
        return is_identity(scalar_mult(8, total))

    def single(part: np.ndarray) -> np.ndarray:
        return np.array([verify_zip215(public_keys[i], messages[i], signatures[i]) for i in part.tolist()], dtype=bool)

    verdicts = np.zeros(n, dtype=bool)
    bisect(np.array(sorted(terms), dtype=np.int64), passes, single, verdicts)
    return verdicts
