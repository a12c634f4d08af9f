"""The BLS12-381 pairing in Numba on the CPU: pairing_numba_core.py compiled with njit over the field core of
msm_numba_cpu.py, with nogil entry points (a caller may split the pairs of a multi-Miller loop among threads
and multiply the partial products with `mul_rows`).

    pairing_check(g1_rows, g2_rows) -> bool   # prod_i e(P_i, Q_i) == 1, serial, on the calling thread
    pairing_value(g1_row, g2_row) -> tuple    # e(P, Q) as 12 ints, the order of pairing_numba_core's rows

The rows are decoded points (kernels.bls.msm.decode_g1 / decode_g2(..., backend="numba_cpu").payload); a pair
with a point flagged as the identity or invalid contributes 1. e(P, Q) is the cube of the optimal-ate pairing
with exponent (p^12 - 1) / r (see pairing_numba_core: the hard part of Hayashida, Hayasaka and Teruya).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .msm import LIMBS, MONT_R, P
from .msm_numba_cpu import CORE
from .pairing_numba_core import FP12_WORDS, STATE_WORDS, build_pairing

PAIRING = build_pairing(njit, CORE)
_MILLER, _FINAL = PAIRING.miller_loop_rows, PAIRING.final_exponentiation  # module globals: Numba resolves
_MUL, _IS_ONE = PAIRING.fp12_mul_rows, PAIRING.is_one_row  # functions, not namespaces
R_INV = pow(MONT_R, -1, P)


@njit(nogil=True)
def miller_rows(g1, g2, start, end, state, out):
    """The multi-Miller loop over the pairs [start, end) into out (72 words); state: (n, 36) scratch."""
    _MILLER(g1, g2, start, end, state, out)


@njit(nogil=True)
def final_rows(row_in, row_out):
    _FINAL(row_in, row_out)


@njit(nogil=True)
def mul_rows(a_row, b_row, out_row):
    _MUL(a_row, b_row, out_row)


@njit(nogil=True)
def is_one(row):
    return _IS_ONE(row)


@njit(nogil=True)
def _check(g1, g2, state, f, e):
    _MILLER(g1, g2, 0, g1.shape[0], state, f)
    _FINAL(f, e)
    return _IS_ONE(e)


def _rows(g1_rows, g2_rows) -> tuple[np.ndarray, np.ndarray]:
    g1, g2 = np.ascontiguousarray(g1_rows, np.uint64), np.ascontiguousarray(g2_rows, np.uint64)
    if g1.ndim != 2 or g2.ndim != 2 or g1.shape[0] != g2.shape[0] or g1.shape[1] < 13 or g2.shape[1] < 25:
        raise ValueError("g1_rows (n, 13) and g2_rows (n, 25) decoded rows, as many of each")
    return g1, g2


def pairing_check(g1_rows, g2_rows) -> bool:
    """True when prod_i e(g1_rows[i], g2_rows[i]) == 1 (one multi-Miller loop, one final exponentiation)."""
    g1, g2 = _rows(g1_rows, g2_rows)
    state = np.empty((g1.shape[0], STATE_WORDS), np.uint64)
    f, e = np.empty(FP12_WORDS, np.uint64), np.empty(FP12_WORDS, np.uint64)
    return bool(_check(g1, g2, state, f, e))


def fp12_ints(row) -> tuple:
    """The 12 GF(p) coefficients of a 72-word row, out of Montgomery form, in the row's order: c00, c01, c02,
    c10, c11, c12 (c_bm the coefficient of w^(2m + b)), each re then im."""
    words = [int(w) for w in row]
    return tuple(sum(words[6 * c + k] << (64 * k) for k in range(LIMBS)) * R_INV % P for c in range(12))


def pairing_value(g1_row, g2_row) -> tuple:
    """e(P, Q) for one decoded G1 row and one decoded G2 row, as fp12_ints."""
    g1, g2 = _rows(np.asarray(g1_row)[None, :], np.asarray(g2_row)[None, :])
    state = np.empty((1, STATE_WORDS), np.uint64)
    f, e = np.empty(FP12_WORDS, np.uint64), np.empty(FP12_WORDS, np.uint64)
    miller_rows(g1, g2, 0, 1, state, f)
    final_rows(f, e)
    return fp12_ints(e)
