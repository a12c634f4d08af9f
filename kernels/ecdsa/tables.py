"""Constants of the ECDSA kernels, computed from the curve parameters (curves.py) when first imported:
Montgomery constants for the field (mod p) and the group order (mod n), with R = 2^256 and 64-bit limbs
(Montgomery, "Modular multiplication without trial division", Math. Comp. 1985), and the fixed-base table
of G: TABLE[i][d - 1] = [d * 256^i] G in affine coordinates, Montgomery form, so that u1 G is one mixed
addition per nonzero byte of u1 and no doubling (a fixed-window comb; Hankerson, Menezes and
Vanstone, "Guide to Elliptic Curve Cryptography", section 3.3.1): the C core's for both curves, the Numba
kernel's for P-256 (its secp256k1 path takes G's odd multiples instead, numba_core.kernel_g_table). Every
array is least significant limb first.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import reference as ref
from .curves import CURVES, Curve

R = 1 << 256
G_WINDOW = 8  # bits per digit of u1: 32 mixed additions from a table of 32 x 255 points (510 KiB per curve)
G_DIGITS = 256 // G_WINDOW
G_ENTRIES = (1 << G_WINDOW) - 1
Q_WINDOW = 4  # bits per digit of u2 (P-256, the C core): Q's multiples 1..15, 64 additions, 252 doublings
Q_DIGITS = 256 // Q_WINDOW


def limbs(x: int) -> list[int]:
    """x < 2^256 as four 64-bit limbs, least significant first."""
    return [(x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)]


def from_limbs(words) -> int:
    return sum(int(w) << (64 * i) for i, w in enumerate(words))


def mont_inv64(m: int) -> int:
    """-m^-1 mod 2^64: the factor of the word-by-word Montgomery reduction (m odd)."""
    return (-pow(m, -1, 1 << 64)) % (1 << 64)


def to_mont(x: int, m: int) -> int:
    return x * R % m


def special_c(curve: Curve) -> int:
    """c when p = 2^256 - c with c < 2^40 (secp256k1: 2^32 + 977), else 0: the kernels then reduce with one
    64 x 40-bit product per Montgomery round instead of a 64 x 256-bit one."""
    c = R - curve.p
    return c if c < 1 << 40 else 0


# rows of CONSTS[curve] (uint64, (ROWS, 4)): what the C kernels read (the Numba kernels freeze the same numbers)
ROW_P, ROW_N, ROW_R2P, ROW_R2N, ROW_ONE_P, ROW_ONE_N, ROW_A, ROW_B, ROW_N_MINUS_2, ROW_P_MINUS_N, ROW_INV = range(11)


@lru_cache(maxsize=None)
def consts(curve_name: str) -> np.ndarray:
    """(11, 4) uint64: p, n, R^2 mod p, R^2 mod n, R mod p, R mod n, a R mod p, b R mod p, n - 2, p - n, and
    [-p^-1 mod 2^64, -n^-1 mod 2^64, a == 0, special_c(p)]."""
    c: Curve = CURVES[curve_name]
    rows = [c.p, c.n, R * R % c.p, R * R % c.n, R % c.p, R % c.n, to_mont(c.a, c.p), to_mont(c.b, c.p), c.n - 2,
            c.p - c.n]
    out = [limbs(v) for v in rows] + [[mont_inv64(c.p), mont_inv64(c.n), int(c.a == 0), special_c(c)]]
    return np.array(out, dtype=np.uint64)


@lru_cache(maxsize=None)
def g_table(curve_name: str) -> np.ndarray:
    """(G_DIGITS, G_ENTRIES, 2, 4) uint64: [d * 256^i] G for i < 32 and 1 <= d <= 255, affine, Montgomery
    form (computed once, about a tenth of a second per curve)."""
    c = CURVES[curve_name]
    numbers = []
    base = (c.gx, c.gy)
    for _ in range(G_DIGITS):
        point = base
        for _ in range(G_ENTRIES):
            numbers += [to_mont(point[0], c.p), to_mont(point[1], c.p)]
            point = ref.point_add(c, point, base)
        base = point  # [256 * 256^i] G
    raw = b"".join(x.to_bytes(32, "little") for x in numbers)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(G_DIGITS, G_ENTRIES, 2, 4)
