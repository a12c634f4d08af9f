"""Integers mod L (the order of the Ed25519 base point) at compiled speed: 21-bit limbs in int64, as ref10's
sc_reduce and sc_muladd keep them (SUPERCOP crypto_sign/ed25519/ref10, sc_reduce.c). L = 2^252 + c with
c < 2^125, so 2^252 = -c (mod L): a limb at weight 2^(21 k), k >= 12, folds onto the limbs 12 below, times -c.

Used for the scalars of batch verification's random linear combinations (batch.combination: sums of 128-bit
z_i times 253-bit h_i or S_i) and for h = SHA-512(R || A || M) mod L (prepare.py). Checked against Python
integers (tests/test_zip215_batch.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .reference import L

LIMB_BITS = 21
WIDE_LIMBS = 25  # 525 bits: room for sums of z_i x_i (below 2^384 each) over any batch
Z_LIMBS, X_LIMBS = 7, 13  # 147 bits hold a 128-bit z_i; 273 bits a 256-bit scalar x_i (h_i or S_i)


def signed_limbs(value: int, count: int) -> np.ndarray:
    """(count,) int64 digits d_j in [-2^20, 2^20) with value = sum d_j 2^(21 j) (ValueError if they do not reach)."""
    digits = []
    for _ in range(count):
        d = ((value + (1 << LIMB_BITS - 1)) & ((1 << LIMB_BITS) - 1)) - (1 << LIMB_BITS - 1)
        digits.append(d)
        value = (value - d) >> LIMB_BITS
    if value:
        raise ValueError("value needs more limbs")
    return np.array(digits, dtype=np.int64)


MINUS_C = signed_limbs((1 << 252) - L, 6)  # -c = 2^252 - L: what 2^252 is mod L, six signed limbs
L_LIMBS = np.array([(L >> (LIMB_BITS * j)) & ((1 << LIMB_BITS) - 1) for j in range(13)], dtype=np.int64)


@njit
def limbs21(src, start, nbytes, out):
    """out[j] = bits 21 j .. 21 j + 20 of the little-endian integer src[start:start + nbytes]."""
    for j in range(out.size):
        bit = LIMB_BITS * j
        v = np.int64(0)
        for k in range(4):
            b = (bit >> 3) + k
            if b < nbytes:
                v |= np.int64(src[start + b]) << (8 * k)
        out[j] = (v >> (bit & 7)) & ((1 << LIMB_BITS) - 1)


CARRY_EVERY = 1 << 16  # products added to an accumulator between carries: each adds below 7 * 2^42 to a limb,
                      # so a limb stays below 2^21 + 2^16 * 2^44.9 < 2^63


@njit
def mul_add(acc, a, b):
    """acc += a * b, limb by limb, without carrying (a: Z_LIMBS, b: X_LIMBS limbs below 2^21)."""
    for i in range(a.size):
        for j in range(b.size):
            acc[i + j] += a[i] * b[j]


@njit
def carry(acc):
    """Every limb of acc (non-negative) but the top one below 2^21, the carries moving up."""
    for k in range(acc.size - 1):
        acc[k + 1] += acc[k] >> LIMB_BITS
        acc[k] &= (1 << LIMB_BITS) - 1


@njit
def carry_signed(s, lo, hi):
    """Limbs lo .. hi - 1 into [-2^20, 2^20), their carries moving up into limb hi."""
    for k in range(lo, hi):
        c = (s[k] + (1 << (LIMB_BITS - 1))) >> LIMB_BITS
        s[k + 1] += c
        s[k] -= c << LIMB_BITS


@njit
def fold(s, top, bottom, minus_c):
    """Limbs top down to bottom (each >= 12) onto limbs 12 lower, times -c, and cleared."""
    for k in range(top, bottom - 1, -1):
        t = s[k]
        s[k] = 0
        for j in range(6):
            s[k - 12 + j] += t * minus_c[j]


@njit
def reduce_mod_l(s, minus_c, l_limbs, out):
    """out (32 uint8) = the integer in limbs s (WIDE_LIMBS, int64, carried: every limb below 2^21, so the value
    is below 2^525) mod L, little-endian; s is used up. Folds limbs 24..18, then 18..12, carrying between them (no
    limb leaves 2^48), then limb 12 once more: V = sum_{j<12} s_j 2^(21 j) = x (mod L) with |V| < 2^251.01;
    then W = V + L lies in (0, 2L), and one conditional subtraction of L leaves x mod L. No loop: the work is the
    same for every input."""
    fold(s, 24, 18, minus_c)  # onto limbs 6 .. 17: each below 2^21 + 6 * 2^41
    carry_signed(s, 6, 18)  # limbs 6 .. 17 in [-2^20, 2^20), limb 18 below 2^24
    fold(s, 18, 12, minus_c)  # onto limbs 0 .. 11: each below 2^47
    carry_signed(s, 0, 12)  # limbs 0 .. 11 in [-2^20, 2^20) (their value below 2^251.01), limb 12 below 2^28
    fold(s, 12, 12, minus_c)  # adds below 2^28 * c < 2^153: |V| < 2^251.01 < L, so 0 < V + L < 2L
    for j in range(13):  # W = V + L, as unsigned limbs below 2^21
        s[j] += l_limbs[j]
    for k in range(12):
        s[k + 1] += s[k] >> LIMB_BITS
        s[k] &= (1 << LIMB_BITS) - 1
    d = np.empty(13, np.int64)  # W - L; kept if no borrow is left (W >= L)
    borrow = np.int64(0)
    for k in range(13):
        v = s[k] - l_limbs[k] - borrow
        borrow = np.int64(1) if v < 0 else np.int64(0)
        d[k] = v + (borrow << LIMB_BITS)
    if borrow == 0:
        for k in range(13):
            s[k] = d[k]
    for i in range(32):
        out[i] = 0
    for k in range(13):
        bit = LIMB_BITS * k
        v = s[k] << (bit & 7)
        for b in range(bit >> 3, min(32, (bit >> 3) + 4)):
            out[b] |= np.uint8((v >> (8 * (b - (bit >> 3)))) & 0xFF)


@njit
def _reduce_rows(wide, minus_c, l_limbs, out):
    s = np.empty(WIDE_LIMBS, np.int64)
    for i in range(wide.shape[0]):
        limbs21(wide[i], 0, wide.shape[1], s)
        reduce_mod_l(s, minus_c, l_limbs, out[i])


def reduce_bytes(wide: np.ndarray) -> np.ndarray:
    """(n, 32) uint8: each row of wide ((n, k) uint8, k <= 64, little-endian integers) mod L, little-endian."""
    wide = np.ascontiguousarray(wide, dtype=np.uint8)
    if wide.ndim != 2 or wide.shape[1] > 64:
        raise ValueError("wide must be (n, k) uint8 with k <= 64")
    out = np.empty((wide.shape[0], 32), np.uint8)
    _reduce_rows(wide, MINUS_C, L_LIMBS, out)
    return out
