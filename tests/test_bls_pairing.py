"""The BLS12-381 pairing in Numba (kernels/bls/pairing_numba_core.py on the CPU) against py_ecc (the pairing
value and the tower arithmetic) and pyblst (signatures, points): points made by blst, decoded by
kernels.bls.msm.decode_g1/decode_g2(..., backend="numba_cpu")."""
from __future__ import annotations

import random

import numpy as np
from numba import njit
from pyblst import BlstP1Element, BlstP2Element

from kernels.bls import library
from kernels.bls import msm as M
from kernels.bls import pairing_numba_cpu as pc

P, R = M.P, M.R
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"  # the IC's min-sig ciphersuite (basic scheme)
G1_BYTES, G2_BYTES = library.G1_GENERATOR_BYTES, library.G2_GENERATOR_BYTES
G1_ID, G2_ID = bytes([0xC0]) + bytes(47), bytes([0xC0]) + bytes(95)
RNG = random.Random(20101)


def neg(point: bytes) -> bytes:
    """-P for a compressed non-identity point: flip the ZCash sign bit."""
    return bytes([point[0] ^ 0x20]) + point[1:]


def g1_mul(point: bytes, k: int) -> bytes:
    return BlstP1Element.uncompress(point).scalar_mul(k).compress()


def g2_mul(point: bytes, k: int) -> bytes:
    return BlstP2Element.uncompress(point).scalar_mul(k).compress()


def rows(g1_points, g2_points):
    d1 = M.decode_g1(list(g1_points), backend="numba_cpu")
    d2 = M.decode_g2(list(g2_points), backend="numba_cpu")
    return d1.payload, d2.payload


# ---- py_ecc's FQ12 = GF(p)[w] / (w^12 - 2 w^6 + 2) and the tower of pairing_numba_core -----------------------
def to_py_ecc(coeffs):
    """Our 12 coefficients (c_bm = re + im i at w^(2m + b), in row order) as py_ecc's FQ12: i = w^6 - 1, so
    (re + im i) w^k = (re - im) w^k + im w^(k + 6)."""
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    c = [0] * 12
    for s in range(6):
        b, m = divmod(s, 3)
        k, re, im = 2 * m + b, coeffs[2 * s], coeffs[2 * s + 1]
        c[k], c[k + 6] = (re - im) % P, im % P
    return FQ12(c)


def from_py_ecc(x):
    """Inverse of to_py_ecc: re = c_k + c_(k+6), im = c_(k+6)."""
    c = [int(v) for v in x.coeffs]
    out = [0] * 12
    for s in range(6):
        b, m = divmod(s, 3)
        k = 2 * m + b
        out[2 * s], out[2 * s + 1] = (c[k] + c[k + 6]) % P, c[k + 6]
    assert to_py_ecc(out) == x
    return out


def to_row(coeffs) -> np.ndarray:
    """12 ints (row order) as a 72-word Montgomery row."""
    from kernels.bls.msm_numba_core import mont
    return np.array([w for c in coeffs for w in mont(c)], np.uint64)


def random_coeffs():
    return [RNG.randrange(P) for _ in range(12)]


def py_ecc_point(group: str, point: bytes):
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    if group == "g1":
        return decompress_G1(int.from_bytes(point, "big"))
    return decompress_G2((int.from_bytes(point[:48], "big"), int.from_bytes(point[48:], "big")))


# ---- jitted probes of the tower (rows in, rows out) ------------------------------------------------------------
PA = pc.PAIRING
_MUL, _SQ, _INV, _CYC = PA.f12_mul, PA.f12_sq, PA.f12_inv, PA.cyc_sq
_FROB1, _FROB2, _FROB3 = PA.frob1, PA.frob2, PA.frob3
_LOAD, _STORE, _SPARSE = PA.f12_load, PA.f12_store, PA.mul_by_014


@njit
def _unary(op, a, out):
    """out = op(a) for op 0 sq, 1 inv, 2 frob1, 3 frob2, 4 frob3, 5 cyc_sq."""
    x = _LOAD(a, 0)
    if op == 0:
        y = _SQ(x)
    elif op == 1:
        y = _INV(x)
    elif op == 2:
        y = _FROB1(x)
    elif op == 3:
        y = _FROB2(x)
    elif op == 4:
        y = _FROB3(x)
    else:
        y = _CYC(x)
    _STORE(out, 0, y)


@njit
def _sparse(a, b, out):
    """out = a * (b's coefficients c00, c01, c11 only), by the sparse product."""
    x, y = _LOAD(a, 0), _LOAD(b, 0)
    _STORE(out, 0, _SPARSE(x, y[0][0], y[0][1], y[1][1]))


def unary(op: int, coeffs) -> tuple:
    out = np.empty(72, np.uint64)
    _unary(op, to_row(coeffs), out)
    return pc.fp12_ints(out)


def test_tower_arithmetic_matches_py_ecc():
    """Products, squares, inverses and the Frobenius maps of random elements agree with py_ecc's FQ12."""
    a, b = random_coeffs(), random_coeffs()
    fa, fb = to_py_ecc(a), to_py_ecc(b)
    out = np.empty(72, np.uint64)
    pc.mul_rows(to_row(a), to_row(b), out)
    assert to_py_ecc(pc.fp12_ints(out)) == fa * fb
    assert to_py_ecc(unary(0, a)) == fa * fa
    assert to_py_ecc(unary(1, a)) == fa.inv()
    for op, j in ((2, 1), (3, 2), (4, 3)):
        assert to_py_ecc(unary(op, a)) == fa ** (P ** j)


def test_sparse_line_product_and_cyclotomic_square():
    """The sparse product equals the full one with the other coefficients zero; the Granger-Scott square
    equals the square on the cyclotomic subgroup (f^((p^6 - 1)(p^2 + 1))) and not off it."""
    a, b = random_coeffs(), random_coeffs()
    sparse = [b[k] if k in (0, 1, 2, 3, 8, 9) else 0 for k in range(12)]  # c00, c01, c11 (re, im)
    out = np.empty(72, np.uint64)
    _sparse(to_row(a), to_row(b), out)
    assert to_py_ecc(pc.fp12_ints(out)) == to_py_ecc(a) * to_py_ecc(sparse)
    fa = to_py_ecc(a)
    g = fa ** (P ** 6 - 1)
    g = g ** (P ** 2) * g
    coeffs = from_py_ecc(g)
    assert to_py_ecc(unary(5, coeffs)) == g * g
    assert to_py_ecc(unary(5, a)) != fa * fa


# ---- the pairing -----------------------------------------------------------------------------------------------
def test_pairing_of_generators_is_py_ecc_cubed_and_conjugated():
    """e(g1, g2) = py_ecc's pairing(g2, g1)^-3: the cube from the hard part's 3 (p^4 - p^2 + 1) / r, the
    inverse because py_ecc's Miller loop runs over |x| without the conjugation for x < 0; also for [a]g1, [b]g2."""
    from py_ecc.optimized_bls12_381 import pairing
    a, b = RNG.randrange(1, R), RNG.randrange(1, R)
    p_pts, q_pts = [G1_BYTES, g1_mul(G1_BYTES, a)], [G2_BYTES, g2_mul(G2_BYTES, b)]
    g1, g2 = rows(p_pts, q_pts)
    for i in range(2):
        e = pairing(py_ecc_point("g2", q_pts[i]), py_ecc_point("g1", p_pts[i]))
        assert to_py_ecc(pc.pairing_value(g1[i], g2[i])) == (e ** 3).inv()


def test_bilinear_and_non_degenerate():
    a = RNG.randrange(2, R)
    aP, aQ = g1_mul(G1_BYTES, a), g2_mul(G2_BYTES, a)
    a1Q = g2_mul(G2_BYTES, a + 1)
    assert pc.pairing_check(*rows([aP, neg(G1_BYTES)], [G2_BYTES, aQ]))
    assert not pc.pairing_check(*rows([aP, neg(G1_BYTES)], [G2_BYTES, a1Q]))
    assert not pc.pairing_check(*rows([g1_mul(G1_BYTES, a + 1), neg(G1_BYTES)], [G2_BYTES, aQ]))
    g1, g2 = rows([G1_BYTES], [G2_BYTES])
    one = (1,) + (0,) * 11
    assert pc.pairing_value(g1[0], g2[0]) != one
    assert not pc.pairing_check(g1, g2)


def test_bls_signature():
    """pk = sk g2, sig = sk H(m): e(sig, g2) e(-H(m), pk) = 1; a wrong message or key breaks it (pyblst's own
    check agreeing each time)."""
    sk = RNG.randrange(1, R)
    pk = g2_mul(G2_BYTES, sk)
    msg = b"IC block 1234"
    hashed = BlstP1Element.hash_to_group(msg, DST)
    sig = hashed.scalar_mul(sk).compress()
    cases = {(msg, pk): True, (b"IC block 1235", pk): False, (msg, g2_mul(G2_BYTES, sk + 1)): False}
    for (m, key), expected in cases.items():
        h = BlstP1Element.hash_to_group(m, DST)
        blst_says = library.pairing_check(BlstP1Element.uncompress(sig), h, BlstP2Element.uncompress(key))
        assert blst_says == expected
        assert pc.pairing_check(*rows([sig, neg(h.compress())], [G2_BYTES, key])) == expected


def test_identity_and_invalid_rows_contribute_one():
    a = RNG.randrange(2, R)
    good = ([g1_mul(G1_BYTES, a), neg(G1_BYTES)], [G2_BYTES, g2_mul(G2_BYTES, a)])
    bad = ([G1_BYTES], [G2_BYTES])
    extra = ([G1_ID, G1_BYTES, G1_BYTES], [G2_BYTES, G2_ID, G2_BYTES[:-1] + b"\x00"])  # id, id, invalid
    g1, g2 = rows(extra[0], extra[1])
    assert list(g1[:, 12]) == [1, 0, 0] and list(g2[:, 24]) == [0, 1, 2]
    assert pc.pairing_check(*rows(good[0] + extra[0], good[1] + extra[1]))
    assert not pc.pairing_check(*rows(bad[0] + extra[0], bad[1] + extra[1]))
    assert pc.pairing_check(g1, g2)


def test_multi_pair_product_agrees_with_single_pairs():
    """Five pairs: the multi-Miller value is the product of the single Miller values, also when split in two
    ranges and multiplied; the final exponentiation of it is the product of the five pairing values; and
    prod e(a_k g1, b_k g2) = 1 when sum a_k b_k = 0 mod r while each single check fails."""
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    a = [RNG.randrange(1, R) for _ in range(5)]
    b = [RNG.randrange(1, R) for _ in range(4)]
    b.append(-sum(x * y for x, y in zip(a[:4], b)) * pow(a[4], -1, R) % R)
    g1, g2 = rows([g1_mul(G1_BYTES, x) for x in a], [g2_mul(G2_BYTES, y) for y in b])
    state = np.empty((5, pc.STATE_WORDS), np.uint64)
    whole, part1, part2, joined = (np.empty(72, np.uint64) for _ in range(4))
    pc.miller_rows(g1, g2, 0, 5, state, whole)
    pc.miller_rows(g1, g2, 0, 2, state, part1)
    pc.miller_rows(g1, g2, 2, 5, state, part2)
    pc.mul_rows(part1, part2, joined)
    assert np.array_equal(joined, whole)
    single = FQ12.one()
    for i in range(5):
        pc.miller_rows(g1, g2, i, i + 1, state, part1)
        single = single * to_py_ecc(pc.fp12_ints(part1))
    assert to_py_ecc(pc.fp12_ints(whole)) == single
    final = np.empty(72, np.uint64)
    pc.final_rows(whole, final)
    assert pc.is_one(final) and pc.pairing_check(g1, g2)
    values = FQ12.one()
    for i in range(5):
        assert not pc.pairing_check(g1[i:i + 1], g2[i:i + 1])
        values = values * to_py_ecc(pc.pairing_value(g1[i], g2[i]))
    assert values == FQ12.one()
    assert not pc.pairing_check(g1[:4], g2[:4])
