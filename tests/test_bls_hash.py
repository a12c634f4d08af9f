"""Hash-to-curve for BLS12-381 G1 in Numba (kernels/bls/hash_numba_core.py, hash_numba_cpu.py): RFC 9380
appendix J.9.1 vectors (u0, u1, Q0, Q1 and P), blst and py_ecc as oracles (random messages, SHA-256 block
boundaries, a hypothesis differential), the exceptional inputs of the map (u = 0, Q0 = -Q1) and bad input."""
from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit
from py_ecc.bls.hash import expand_message_xmd as ecc_expand
from py_ecc.bls.hash_to_curve import clear_cofactor_G1, hash_to_field_FQ, map_to_curve_G1
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.optimized_bls12_381 import add as ecc_add, normalize
from pyblst import BlstP1Element

from kernels.bls import hash_numba_core as H
from kernels.bls.hash_numba_cpu import HASH, compress, hash_rows, hash_to_g1
from kernels.bls.msm import MONT_R, P
from kernels.bls.msm_numba_cpu import CORE
from kernels.bls.workloads import RFC9380_G1_DST, RFC9380_G1_VECTORS, compress_xy

IC_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
# RFC 9380 appendix J.9.1 (BLS12381G1_XMD:SHA-256_SSWU_RO_, DST RFC9380_G1_DST): u[0], u[1] and
# Q0 = map_to_curve(u[0]), Q1 = map_to_curve(u[1]) (x, y), for msg = "" and "abc".
RFC9380_G1_STEPS = {
    b"": ((0x0BA14BD907AD64A016293EE7C2D276B8EAE71F25A4B941EECE7B0D89F17F75CB3AE5438A614FB61D6835AD59F29C564F,
           0x019B9BD7979F12657976DE2884C7CCE192B82C177C80E0EC604436A7F538D231552F0D96D9F7BABE5FA3B19B3FF25AC9),
          ((0x11A3CCE7E1D90975990066B2F2643B9540FA40D6137780DF4E753A8054D07580DB3B7F1F03396333D4A359D1FE3766FE,
            0x0EEAF6D794E479E270DA10FDAF768DB4C96B650A74518FC67B04B03927754BAC66F3AC720404F339ECDCC028AFA091B7),
           (0x160003AAF1632B13396DBAD518EFFA00FFF532F604DE1A7FC2082FF4CB0AFA2D63B2C32DA1BEF2BF6C5CA62DC6B72F9C,
            0x0D8BB2D14E20CF9F6036152ED386D79189415B6D015A20133ACB4E019139B94E9C146AAAD5817F866C95D609A361735E))),
    b"abc": ((0x0D921C33F2BAD966478A03CA35D05719BDF92D347557EA166E5BBA579EEA9B83E9AFA5C088573C2281410369FBD32951,
              0x003574A00B109ADA2F26A37A91F9D1E740DFFD8D69EC0C35E1E9F4652C7DBA61123E9DD2E76C655D956E2B3462611139),
             ((0x125435ADCE8E1CBD1C803E7123F45392DC6E326D292499C2C45C5865985FD74FE8F042ECDEEEC5ECAC80680D04317D80,
               0x0E8828948C989126595EE30E4F7C931CBD6F4570735624FD25AEF2FA41D3F79CFB4B4EE7B7E55A8CE013AF2A5BA20BF2),
              (0x11DEF93719829ECDA3B46AA8C31FC3AC9C34B428982B898369608E4F042BABEE6C77AB9218AAD5C87BA785481EFF8AE4,
               0x0007C9CEF122CCF2EFD233D6EB9BFC680AA276652B0661F4F820A653CEC1DB7FF69899F8E52B8E92B025A12C822A6CE6))),
}
BOUNDARY_LENGTHS = (0, 1, 55, 56, 63, 64, 65, 119, 120)  # SHA-256 pads to 64-byte blocks (+ 9 bytes at least)
_MAP_ONE, _ISO, _INV = HASH.sswu, HASH.iso_map, CORE.fp_inv
_TO_MONT, _MUL, _SQ, _IS_ZERO = CORE.fp_to_mont, CORE.fp_mul, CORE.fp_sq, CORE.fp_is_zero


def _int(words) -> int:
    return sum(int(w) << (64 * k) for k, w in enumerate(words))


def _raw(x: int) -> np.ndarray:
    return np.array([(x >> (64 * k)) & ((1 << 64) - 1) for k in range(6)], np.uint64)


def _from_mont(words) -> int:
    return _int(words) * pow(MONT_R, -1, P) % P


@njit
def _map_to_curve(u_raw, out):
    """map_to_curve(u) (SSWU and the isogeny, no cofactor) as affine Montgomery x, y; False at infinity."""
    u = _TO_MONT((u_raw[0], u_raw[1], u_raw[2], u_raw[3], u_raw[4], u_raw[5]))
    xn, xd, y = _MAP_ONE(u)
    X, Y, Z = _ISO(xn, xd, y)
    if _IS_ZERO(Z):
        return False
    zi = _INV(Z)
    zi2 = _SQ(zi)
    x, y = _MUL(X, zi2), _MUL(Y, _MUL(zi2, zi))
    for k in range(6):
        out[k] = x[k]
        out[6 + k] = y[k]
    return True


def _blst(messages, dst=IC_DST) -> list[bytes]:
    return [BlstP1Element.hash_to_group(m, dst).compress() for m in messages]


def _ecc_point(u0: int, u1: int) -> tuple[int, int] | None:
    """py_ecc's hash_to_curve after the field hash: clear_cofactor(map(u0) + map(u1)), affine, or None."""
    p = clear_cofactor_G1(ecc_add(map_to_curve_G1(FQ(u0)), map_to_curve_G1(FQ(u1))))
    if p[2] == FQ.zero():
        return None
    x, y = normalize(p)
    return x.n, y.n


def _row_point(u0: int, u1: int) -> np.ndarray:
    u = np.stack([_raw(u0), _raw(u1)])[None]
    out = np.zeros((1, 13), np.uint64)
    hash_rows(u, out, 0, 1)
    return out[0]


def test_hash_to_field_rfc9380_vectors():
    u = H.hash_to_field(list(RFC9380_G1_STEPS), RFC9380_G1_DST)
    assert u.shape == (2, 2, 6) and u.dtype == np.uint64
    for row, (us, _) in zip(u, RFC9380_G1_STEPS.values()):
        assert (_int(row[0]), _int(row[1])) == us


def test_hash_to_field_against_py_ecc():
    rng = random.Random(7)
    messages = [rng.randbytes(n) for n in (0, 3, 64, 200)]
    dsts = (IC_DST, b"", bytes(255))
    for dst in dsts:
        u = H.hash_to_field(messages, dst)
        for msg, row in zip(messages, u):
            assert [_int(r) for r in row] == [f.n for f in hash_to_field_FQ(msg, 2, dst, hashlib.sha256)]
    assert H.expand_message_xmd(b"abc", IC_DST, 300) == ecc_expand(b"abc", IC_DST, 300, hashlib.sha256)


def test_map_to_curve_rfc9380_vectors():
    out = np.zeros(12, np.uint64)
    for us, qs in RFC9380_G1_STEPS.values():
        for u, (qx, qy) in zip(us, qs):
            assert _map_to_curve(_raw(u), out)
            assert (_from_mont(out[:6]), _from_mont(out[6:])) == (qx, qy)


def test_hash_to_g1_rfc9380_vectors():
    rows = hash_to_g1([m for m, _, _ in RFC9380_G1_VECTORS], RFC9380_G1_DST)
    assert rows.shape == (len(RFC9380_G1_VECTORS), 13) and rows.dtype == np.uint64
    for row, enc, (_, x, y) in zip(rows, compress(rows), RFC9380_G1_VECTORS):
        assert row[12] == 0
        assert _from_mont(row[:6]) == int.from_bytes(x, "big")
        assert _from_mont(row[6:12]) == int.from_bytes(y, "big")
        assert enc == compress_xy(x, y)


def test_agrees_with_blst_at_block_boundaries():
    rng = random.Random(11)
    messages = [rng.randbytes(n) for n in BOUNDARY_LENGTHS] + [bytes(64), b"\xff" * 120]
    assert compress(hash_to_g1(messages, IC_DST)) == _blst(messages)


def test_agrees_with_blst_on_random_messages_and_dsts():
    rng = random.Random(12)
    messages = [rng.randbytes(rng.randrange(300)) for _ in range(24)]
    assert compress(hash_to_g1(messages, IC_DST)) == _blst(messages)
    dst = bytes(rng.randrange(256) for _ in range(255))  # the longest DST allowed
    assert compress(hash_to_g1(messages[:4], dst)) == _blst(messages[:4], dst)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=4))
def test_differential_against_blst(messages):
    assert compress(hash_to_g1(messages, IC_DST)) == _blst(messages)


def test_exceptional_inputs_against_py_ecc():
    """u = 0 takes SSWU's exceptional branch (tv2 = 0), u0 = u1 the doubling in Q0 + Q1; u1 = -u0 maps to
    -Q0, so the sum is the identity."""
    u = random.Random(5).randrange(P)
    for u0, u1 in ((0, u), (u, 0), (0, 0), (1, 2)):
        row, expect = _row_point(u0, u1), _ecc_point(u0, u1)
        assert expect is not None and row[12] == 0
        assert (_from_mont(row[:6]), _from_mont(row[6:12])) == expect
    for u0 in (u, 1):
        row = _row_point(u0, P - u0)
        assert _ecc_point(u0, P - u0) is None
        assert row[12] == 1 and not row[:12].any()
        assert compress(row[None]) == [bytes([0xC0]) + bytes(47)]


def test_bad_input_and_empty_batch():
    with pytest.raises(ValueError):
        H.hash_to_field([b"abc"], bytes(256))
    with pytest.raises(ValueError):
        hash_to_g1([b"abc"], bytes(256))
    assert hash_to_g1([], IC_DST).shape == (0, 13)
    assert H.hash_to_field([], IC_DST).shape == (0, 2, 6)
    bad = np.zeros((1, 13), np.uint64)
    bad[0, 12] = 2
    with pytest.raises(ValueError):
        compress(bad)


def test_numba_cuda_hash_matches_rfc9380_and_blst():
    """hash_numba_cuda (the same core as device functions, one thread per message) on a GPU, or on the CUDA
    simulator with fewer messages (two seconds each there): RFC 9380 J.9.1, blst on other messages, an empty
    batch."""
    from kernels import devices

    reason = devices.unavailable_reason("numba_cuda")
    if reason:
        pytest.skip(reason)
    from kernels.bls.msm import hash_to_g1 as on

    vectors = RFC9380_G1_VECTORS[:1] if devices.cuda_simulated() else RFC9380_G1_VECTORS
    rows = on([m for m, _, _ in vectors], RFC9380_G1_DST, backend="numba_cuda")
    assert compress(rows) == [compress_xy(x, y) for _, x, y in vectors]
    messages = [b"ic"] if devices.cuda_simulated() else [random.Random(5).randbytes(n) for n in range(100)]
    assert compress(on(messages, IC_DST, backend="numba_cuda")) == _blst(messages)
    assert on([], IC_DST, backend="numba_cuda").shape == (0, 13)


def test_check_table_runs_the_hash_kernels_on_rfc9380():
    """The hot path's check table gains a row per hash kernel that can run here (numba_cpu always, opencl with
    a device; numba_cuda and cupy only on a GPU, never the simulator)."""
    from kernels import devices
    from kernels.bls.hot_path import BlsHotPath
    from kernels.bls.msm import HASH_MODULES

    rows = BlsHotPath.hash_to_curve_rows(list(HASH_MODULES))
    want = ["numba_cpu"] + (["opencl"] if devices.unavailable_reason("opencl") is None else [])
    assert [r["backend"] for r in rows][:len(want)] == want and all(r["result"] == "agrees" for r in rows)
    assert [r["backend"] for r in BlsHotPath.hash_to_curve_rows(["library"])] == ["library"]


@pytest.mark.parametrize("backend", ["opencl", "cupy"])
def test_c_core_hash_matches_rfc9380_and_blst(backend):
    """g1_hash of kernels/common/bls12_381_hash.h through OpenCL (PoCL here) or CuPy (on a GPU): RFC 9380 J.9.1,
    blst at block-boundary lengths and on random messages under two DSTs, the numba_cpu kernel row for row, and
    an empty batch; without the device it says why."""
    from kernels import devices
    from kernels.bls.msm import hash_to_g1 as on
    from kernels.registry import BackendUnavailable

    if devices.unavailable_reason(backend):
        with pytest.raises(BackendUnavailable, match=backend):
            on([b"abc"], IC_DST, backend=backend)
        pytest.skip(devices.unavailable_reason(backend))
    rows = on([m for m, _, _ in RFC9380_G1_VECTORS], RFC9380_G1_DST, backend=backend)
    assert compress(rows) == [compress_xy(x, y) for _, x, y in RFC9380_G1_VECTORS]
    rng = random.Random(13)
    messages = [rng.randbytes(n) for n in BOUNDARY_LENGTHS] + [rng.randbytes(rng.randrange(300)) for _ in range(20)]
    got = on(messages, IC_DST, backend=backend)
    assert compress(got) == _blst(messages)
    assert (got == on(messages, IC_DST, backend="numba_cpu")).all() and (got == hash_to_g1(messages, IC_DST)).all()
    assert compress(on(messages[:3], b"another DST", backend=backend)) == _blst(messages[:3], b"another DST")
    assert on([], IC_DST, backend=backend).shape == (0, 13)
    with pytest.raises(ValueError, match="no hash-to-curve kernel"):
        on([b"abc"], IC_DST, backend="library")
