"""secp256k1's endomorphism (Gallant, Lambert and Vanstone, "Faster point multiplication on elliptic curves
with efficient endomorphisms", CRYPTO 2001): phi(x, y) = (beta x, y) is the point [lambda] (x, y), so
k Q = k1 Q + k2 phi(Q) with k = k1 + k2 lambda (mod n) and |k1|, |k2| < 2^128 halves the doublings of a
scalar multiplication. The constants, with their sources (each is also checked by tests/test_ecdsa.py):

- lambda, beta: the cube roots of unity mod n and mod p that pair up for this G (SEC 2 v2 section 2.4.1 gives
  the curve; the pair is the one libsecp256k1 uses, src/scalar_impl.h `secp256k1_const_lambda` and
  src/field_impl.h / group_impl.h `secp256k1_const_beta`): lambda^3 = 1 mod n, beta^3 = 1 mod p,
  phi(G) = [lambda] G.
- the decomposition: libsecp256k1's `secp256k1_scalar_split_lambda` (src/scalar_impl.h, after Hankerson,
  Menezes and Vanstone, "Guide to Elliptic Curve Cryptography", algorithm 3.74, with the division by n
  replaced by a multiplication by g / 2^384): c1 = round(k g1 / 2^384), c2 = round(k g2 / 2^384),
  k2 = c1 (-b1) + c2 (-b2) mod n, k1 = k - k2 lambda mod n. libsecp256k1's comment bounds both halves below
  0xa2a8918ca85bafe22016d0b917e4dd77 < 2^128 as signed numbers (k mod n, or n minus it).
"""
from __future__ import annotations

from .curves import SECP256K1

N, P = SECP256K1.n, SECP256K1.p
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72  # libsecp256k1 scalar_impl.h
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE  # libsecp256k1 field/group_impl.h
MINUS_B1 = 0xE4437ED6010E88286F547FA90ABFE4C3  # -b1 mod n, libsecp256k1 scalar_impl.h
MINUS_B2 = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE8A280AC50774346DD765CDA83DB1562C  # -b2 mod n, same place
G1 = 0x3086D221A7D46BCDE86C90E49284EB153DAA8A1471E8CA7FE893209A45DBB031  # round(2^384 b2 / n), same place
G2 = 0xE4437ED6010E88286F547FA90ABFE4C4221208AC9DF506C61571B4AE8AC47F71  # round(2^384 (-b1) / n), same place
HALF_BOUND = 0xA2A8918CA85BAFE22016D0B917E4DD77  # libsecp256k1's bound on |k1|, |k2| (exclusive)
SHIFT = 384

WNAF_WIDTH = 5  # u2's halves: odd digits -15..15 over 8 odd multiples of Q and of phi(Q), built per signature
G_WNAF_WIDTH = 10  # u1's halves: odd digits up to 511 over G_ENTRIES precomputed multiples of G and of phi(G)
G_ENTRIES = 1 << (G_WNAF_WIDTH - 2)  # 256 odd multiples per point: 16 KiB each (numba_core.kernel_g_table)
WNAF_LEN = 130  # digits of a wNAF of a number below 2^129 (the halves are below 2^128)


def mul_shift_round(k: int, g: int) -> int:
    """round(k g / 2^384): the product's bits from 384 up, plus bit 383."""
    return (k * g >> SHIFT) + (k * g >> (SHIFT - 1) & 1)


def split(k: int) -> tuple[int, int]:
    """(k1, k2) mod n with k1 + k2 lambda = k (mod n), each k mod n or n minus a number below HALF_BOUND."""
    c1, c2 = mul_shift_round(k, G1), mul_shift_round(k, G2)
    k2 = (c1 * MINUS_B1 + c2 * MINUS_B2) % N
    return (k - k2 * LAMBDA) % N, k2


def signed(k: int) -> int:
    """k mod n as a signed number: k, or k - n when k is above n / 2."""
    return k - N if k > N // 2 else k


def wnaf(k: int, width: int = WNAF_WIDTH) -> list[int]:
    """The width-w non-adjacent form of k >= 0, least significant digit first: every nonzero digit odd and
    below 2^(w - 1) in absolute value, followed by at least w - 1 zeros (Hankerson et al., algorithm 3.35)."""
    digits = []
    while k:
        d = 0
        if k & 1:
            d = k & ((1 << width) - 1)
            if d >= 1 << (width - 1):
                d -= 1 << width
            k -= d
        digits.append(d)
        k >>= 1
    return digits
