"""BLS12-381 group kernels (kernels/bls/msm.py): field arithmetic against Python integers, decompression and
msm against published vectors (the ZCash/IETF generators, RFC 9380 hash-to-curve outputs) and the py_ecc
reference, every kernel backend on good and bad encodings, and differential fuzzing against blst."""
from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyblst import BlstP1Element, BlstP2Element

from kernels import devices
from kernels.bls import msm as M
from kernels.registry import BackendUnavailable

P, R = M.P, M.R
# The generators' compressed encodings (draft-irtf-cfrg-pairing-friendly-curves-11, section 4.2.1 and
# appendix C; the ZCash serialization): sign bit 0 for both.
G1 = bytes.fromhex("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")
G2 = bytes.fromhex("93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
                   "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8")
# RFC 9380 appendix J.9.1 / J.10.1: hash_to_curve(msg) under the QUUX test DSTs; x coordinates as published.
RFC9380_G1 = {
    b"": 0x052926ADD2207B76CA4FA57A8734416C8DC95E24501772C814278700EED6D1E4E8CF62D9C09DB0FAC349612B759E79A1,
    b"abc": 0x03567BC5EF9C690C2AB2ECDF6A96EF1C139CC0B2F284DCA0A9A7943388A49A3AEE664BA5379A7655D3C68900BE2F6903}
RFC9380_G2_EMPTY = (0x0141EBFBDCA40EB85B87142E130AB689C673CF60F1A3E98D69335266F30D9B8D4AC44C1038E9DCDD5393FAF5C41FB78A,
                    0x05CB8437535E20ECFFAEF7752BADDF98034139C38452458BAEEFAB379BA13DFF5BF5DD71B72418717047F5B0F37DA03D)
DST = {"g1": b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_",
       "g2": b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"}
ELEMENT = {"g1": BlstP1Element, "g2": BlstP2Element}
SIZE = M.SIZES
DECODE = {"g1": M.decode_g1, "g2": M.decode_g2}
IDENTITY = {g: bytes([0xC0]) + bytes(s - 1) for g, s in SIZE.items()}
KERNELS = ("numba_cpu", "opencl", "numba_cuda", "cupy")
SIMULATED = devices.cuda_simulated()


def backend_param(backend):
    reason = devices.unavailable_reason(backend)
    return pytest.param(backend, marks=[pytest.mark.skip(reason=reason)] if reason else [], id=backend)


ALL = [backend_param(b) for b in M.BACKENDS]
KERNEL_PARAMS = [backend_param(b) for b in KERNELS]


def skip_simulator(backend: str) -> None:
    """The CUDA simulator runs the kernels as Python (about 10 s per G1 point): it gets its own small test,
    test_numba_cuda_simulator; a real GPU runs everything."""
    if backend == "numba_cuda" and SIMULATED:
        pytest.skip("the CUDA simulator runs test_numba_cuda_simulator instead (seconds per point)")


def hashed(group: str, count: int, tag: bytes = b"") -> list[bytes]:
    """Points of the subgroup from blst's hash_to_group (checked against RFC 9380 and py_ecc below)."""
    return [ELEMENT[group].hash_to_group(tag + i.to_bytes(4, "big"), DST[group]).compress() for i in range(count)]


def negate(group: str, encoding: bytes) -> bytes:
    return encoding if encoding == IDENTITY[group] else bytes([encoding[0] ^ 0x20]) + encoding[1:]


# ---- points that are not valid, built from the encoding rules -----------------------------------------------
def _g1_x(x: int, sign: int = 0) -> bytes:
    return (x | (1 << 383) | (sign << 381)).to_bytes(48, "big")


def _g2_x(x_re: int, x_im: int, sign: int = 0) -> bytes:
    return (x_im | (1 << 383) | (sign << 381)).to_bytes(48, "big") + x_re.to_bytes(48, "big")


def _on_curve_g1(x: int) -> bool:
    rhs = (x ** 3 + 4) % P
    return pow(rhs, (P - 1) // 2, P) in (0, 1)


def _on_curve_g2(x_re: int, x_im: int) -> bool:
    """x^3 + 4(1 + i) is a square in GF(p^2) iff its norm is a square in GF(p)."""
    from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2

    v = FQ2([x_re, x_im]) ** 3 + FQ2([4, 4])
    a0, a1 = (int(c) for c in v.coeffs)
    return pow((a0 * a0 + a1 * a1) % P, (P - 1) // 2, P) in (0, 1)


@functools.cache
def off_subgroup(group: str) -> tuple[bytes, bytes]:
    """(an on-curve point outside the subgroup: the first x that lies on the curve, which is in the subgroup
    with probability 1/h; G + T for T = [r]Q a nonzero point of the cofactor's torsion), checked by py_ecc."""
    from py_ecc.optimized_bls12_381 import add, curve_order, is_inf, multiply

    from kernels.bls import msm_reference

    x = 1
    if group == "g1":
        while not _on_curve_g1(x):
            x += 1
        q_enc = _g1_x(x)
    else:
        while not _on_curve_g2(x, 1):
            x += 1
        q_enc = _g2_x(x, 1)
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2

    q = decompress_G1(int.from_bytes(q_enc, "big")) if group == "g1" else decompress_G2(
        (int.from_bytes(q_enc[:48], "big"), int.from_bytes(q_enc[48:], "big")))
    t = multiply(q, curve_order)
    assert not is_inf(t)
    g = msm_reference.decode_one(group, G1 if group == "g1" else G2)
    return q_enc, msm_reference.compress(group, add(g, t))


def bad_encodings(group: str) -> dict[str, bytes]:
    """Named invalid encodings of each kind."""
    size = SIZE[group]
    gen = G1 if group == "g1" else G2
    x_not_on_curve = next(x for x in range(1, 100) if not _on_curve_g1(x)) if group == "g1" else \
        next(x for x in range(1, 100) if not _on_curve_g2(x, 0))
    q, g_plus_t = off_subgroup(group)
    bad = {
        "uncompressed flag": bytes([gen[0] & 0x7F]) + gen[1:],
        "identity with sign": bytes([0xE0]) + bytes(size - 1),
        "identity with x": bytes([0xC0]) + bytes(size - 2) + b"\x01",
        "infinity flag on a point": bytes([gen[0] | 0x40]) + gen[1:],
        "all zero": bytes(size),
        "short": gen[:-1],
        "long": gen + b"\x00",
        "not in subgroup": q,
        "generator plus torsion": g_plus_t,
    }
    if group == "g1":
        bad.update({"x = p": _g1_x(P), "x = 2^381 - 1": _g1_x((1 << 381) - 1),
                    "not on curve": _g1_x(x_not_on_curve)})
    else:
        bad.update({"x_im = p": _g2_x(1, P), "x_re = p": _g2_x(P, 1), "x_re = 2^384 - 1": gen[:48] + bytes([0xFF]) * 48,
                    "flags on x_re": gen[:48] + bytes([gen[48] | 0x80]) + gen[49:],
                    "not on curve": _g2_x(x_not_on_curve, 0)})
    return bad


def good_encodings(group: str) -> list[bytes]:
    gen = G1 if group == "g1" else G2
    return [gen, negate(group, gen), IDENTITY[group]] + hashed(group, 3)


# ---- the field arithmetic of the Numba core, against Python integers -----------------------------------------
@pytest.fixture(scope="module", params=["cpu", "portable"])
def core(request):
    """The CPU core as built here (fp_cpu.py's operations: the assembly product where the CPU has ADX) and the
    portable core the GPU driver compiles (CIOS from 64 x 64-bit products, carries by comparison)."""
    from numba import njit

    from kernels.bls.msm_numba_core import build, madd_i128
    from kernels.bls.msm_numba_cpu import CORE

    return CORE if request.param == "cpu" else build(njit, madd_i128)


def _to(x: int) -> tuple:
    from kernels.bls.msm_numba_core import mont

    return mont(x)


def _from(t) -> int:
    return sum(int(w) << (64 * i) for i, w in enumerate(t)) * pow(M.MONT_R, -1, P) % P


EDGES = [0, 1, 2, P - 1, P - 2, (P - 1) // 2, (P + 1) // 2, M.MONT_R % P, (1 << 380), (1 << 381) % P, (1 << 64) - 1]


def test_fp_ops_match_python_integers(core):
    rng = random.Random(7)
    values = EDGES + [rng.randrange(P) for _ in range(12)]
    for a in values:
        for b in values[:: 3]:
            assert _from(core.fp_mul(_to(a), _to(b))) == a * b % P
            assert _from(core.fp_add(_to(a), _to(b))) == (a + b) % P
            assert _from(core.fp_sub(_to(a), _to(b))) == (a - b) % P
        assert _from(core.fp_sq(_to(a))) == a * a % P
        assert core.fp_sq(_to(a)) == core.fp_mul(_to(a), _to(a))  # fully reduced, as the product
        if a:
            assert _from(core.fp_inv(_to(a))) == pow(a, -1, P)
        ok, root = core.fp_sqrt(_to(a))
        is_square = pow(a, (P - 1) // 2, P) in (0, 1)
        assert ok == is_square
        if ok:
            assert _from(root) ** 2 % P == a


def test_fp2_ops_and_square_roots_match_python_integers(core):
    rng = random.Random(8)
    pairs = [(0, 0), (1, 0), (0, 1), (P - 1, 0), (0, P - 1), (P - 1, P - 1), (4, 4), (2, 0), (3, 0)]
    pairs += [(rng.randrange(P), rng.randrange(P)) for _ in range(8)]
    pairs += [(rng.randrange(P), 0) for _ in range(3)] + [(0, rng.randrange(P)) for _ in range(3)]
    for (a0, a1), (b0, b1) in zip(pairs, pairs[1:] + pairs[:1]):
        c = core.f2_mul((_to(a0), _to(a1)), (_to(b0), _to(b1)))
        assert (_from(c[0]), _from(c[1])) == ((a0 * b0 - a1 * b1) % P, (a0 * b1 + a1 * b0) % P)
        s = core.f2_sq((_to(a0), _to(a1)))
        assert (_from(s[0]), _from(s[1])) == ((a0 * a0 - a1 * a1) % P, 2 * a0 * a1 % P)
    for a0, a1 in pairs:
        # every square has a root; a is a square iff its norm a0^2 + a1^2 is a square in GF(p)
        sq = ((a0 * a0 - a1 * a1) % P, 2 * a0 * a1 % P)
        ok, root = core.f2_sqrt((_to(sq[0]), _to(sq[1])))
        r0, r1 = _from(root[0]), _from(root[1])
        assert ok and ((r0 * r0 - r1 * r1) % P, 2 * r0 * r1 % P) == sq
        ok, _ = core.f2_sqrt((_to(a0), _to(a1)))
        assert ok == (pow((a0 * a0 + a1 * a1) % P, (P - 1) // 2, P) in (0, 1))


@pytest.mark.parametrize("e", [1, 15, 16, 17, 255, 256, (P + 1) // 4, (P - 3) // 4, P - 2, (1 << 381) - 1])
def test_window_digits_recompose_the_exponent(e):
    from kernels.bls.msm_numba_core import window_digits

    digits = window_digits(e)
    assert digits[0] != 0 and all(0 <= d < 16 for d in digits)
    assert sum(d << (4 * k) for k, d in enumerate(reversed(digits))) == e


@settings(max_examples=25, deadline=None)
@given(a0=st.one_of(st.integers(0, P - 1), st.sampled_from(EDGES)), a1=st.integers(0, P - 1),
       a=st.integers(1, P - 1))
def test_fuzz_windowed_exponents_and_fp2_roots(a0, a1, a):
    """The dedicated squaring, the windowed fixed exponents (inverse, square root) and the inverse-free GF(p^2)
    root against Python integers on random and edge elements: every square's root squares back; a non-square
    is reported as one."""
    from kernels.bls.msm_numba_cpu import CORE as core

    assert _from(core.fp_inv(_to(a))) == pow(a, -1, P)
    for v in (a, a0, a1):  # the dedicated squaring
        assert core.fp_sq(_to(v)) == core.fp_mul(_to(v), _to(v)) and _from(core.fp_sq(_to(v))) == v * v % P
    ok, root = core.fp_sqrt(_to(a))
    assert ok == (pow(a, (P - 1) // 2, P) == 1)
    if ok:
        assert _from(root) ** 2 % P == a
    sq = ((a0 * a0 - a1 * a1) % P, 2 * a0 * a1 % P)
    ok, root = core.f2_sqrt((_to(sq[0]), _to(sq[1])))
    r0, r1 = _from(root[0]), _from(root[1])
    assert ok and ((r0 * r0 - r1 * r1) % P, 2 * r0 * r1 % P) == sq
    if pow((a0 * a0 + a1 * a1) % P, (P - 1) // 2, P) == P - 1:  # a non-square
        assert not core.f2_sqrt((_to(a0), _to(a1)))[0]


def test_fp2_root_takes_both_branches(core):
    """f2_sqrt's two cases, t = (a0 + s) / 2 a square (root (y, w)) or not (root (w, y)), each met and right:
    s = sqrt(a0^2 + a1^2) is the root fp_sqrt returns, norm^((p+1)/4)."""
    rng = random.Random(11)
    seen = set()
    while len(seen) < 2:
        b0, b1 = rng.randrange(1, P), rng.randrange(1, P)
        a0, a1 = (b0 * b0 - b1 * b1) % P, 2 * b0 * b1 % P
        s = pow((a0 * a0 + a1 * a1) % P, (P + 1) // 4, P)
        t = (a0 + s) * pow(2, -1, P) % P
        seen.add(pow(t, (P - 1) // 2, P))
        ok, root = core.f2_sqrt((_to(a0), _to(a1)))
        assert ok and {(_from(root[0]), _from(root[1]))} <= {(b0, b1), (P - b0, P - b1)}
    assert seen == {1, P - 1}


def test_subgroup_check_endomorphisms():
    """The constants of Scott's subgroup checks: phi(G1) = [-x^2] G1 and psi(G2) = [x] G2 (py_ecc), and the
    G1 test rejects every point with a component of the cofactor's torsion: h1 = (x - 1)^2 / 3 with
    |x - 1| = 3 * 11 * 10177 * 859267 * 52437899, and on l-torsion phi's eigenvalues are cube roots of unity
    mod l, never -x^2 (that needs x^2 = -1 or r = x^4 - x^2 + 1 = 0 mod l)."""
    import math

    from py_ecc.fields import optimized_bls12_381_FQ as FQ, optimized_bls12_381_FQ2 as FQ2
    from py_ecc.optimized_bls12_381 import G1 as PG1, G2 as PG2, eq, multiply, normalize

    from kernels.bls.msm_numba_core import BETA, CX, CY

    x = M.X
    gx, gy = normalize(PG1)
    assert eq((FQ(BETA) * gx, gy, FQ(1)), multiply(PG1, (-x * x) % R))
    assert pow(BETA, 3, P) == 1 and BETA != 1
    hx, hy = normalize(PG2)
    conj = lambda a: FQ2([a.coeffs[0], -a.coeffs[1]])  # noqa: E731
    assert eq((conj(hx) * FQ2(list(CX)), conj(hy) * FQ2(list(CY)), FQ2([1, 0])), multiply(PG2, x % R))
    primes = [3, 11, 10177, 859267, 52437899]
    assert math.prod(primes) == abs(x - 1) and (x - 1) ** 2 // 3 == 0x396C8C005555E1568C00AAAB0000AAAB
    for ell in primes:
        assert (x * x + 1) % ell and R % ell


# ---- published vectors ---------------------------------------------------------------------------------------
def test_blst_and_py_ecc_agree_with_rfc9380_hash_to_curve():
    """The test points come from blst's hash_to_group: it reproduces RFC 9380's published outputs, and so does
    py_ecc (an independent implementation)."""
    import hashlib

    from py_ecc.bls.hash_to_curve import hash_to_G1, hash_to_G2

    from kernels.bls import msm_reference

    for msg, x in RFC9380_G1.items():
        enc = BlstP1Element.hash_to_group(msg, DST["g1"]).compress()
        assert int.from_bytes(enc, "big") & ((1 << 381) - 1) == x
        assert msm_reference.compress("g1", hash_to_G1(msg, DST["g1"], hashlib.sha256)) == enc
    enc = BlstP2Element.hash_to_group(b"", DST["g2"]).compress()
    assert (int.from_bytes(enc[48:], "big"), int.from_bytes(enc[:48], "big") & ((1 << 381) - 1)) == RFC9380_G2_EMPTY
    assert msm_reference.compress("g2", hash_to_G2(b"", DST["g2"], hashlib.sha256)) == enc


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("group", ["g1", "g2"])
def test_generator_and_known_multiples(backend, group):
    """[1]G = G, [r - 1]G = -G (the sign bit flipped), [r]G is not a scalar (ValueError), [0]G = O, and the
    RFC 9380 point for the empty message times 1."""
    skip_simulator(backend)
    gen = G1 if group == "g1" else G2
    rfc = ELEMENT[group].hash_to_group(b"", DST[group]).compress()
    points = [gen, rfc]
    decoded = DECODE[group](points, backend=backend)
    assert decoded.valid.all()
    assert M.msm(decoded, [1, 0], backend=backend) == gen
    assert M.msm(decoded, [0, 1], backend=backend) == rfc
    assert M.msm(decoded, [0, 0], backend=backend) == IDENTITY[group]
    assert M.msm(decoded, [R - 1, 0], backend=backend) == negate(group, gen)
    assert M.msm(decoded, [2, 0], backend=backend) == M.msm(DECODE[group]([gen], backend="reference"), [2],
                                                            backend="reference")


# ---- decoding: good and bad encodings on every backend -------------------------------------------------------
@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("group", ["g1", "g2"])
def test_decode_validity_masks(backend, group):
    skip_simulator(backend)
    good, bad = good_encodings(group), bad_encodings(group)
    decoded = DECODE[group](good + list(bad.values()), backend=backend)
    assert decoded.n == len(good) + len(bad)
    assert decoded.valid[:len(good)].all()
    assert not decoded.valid[len(good):].any(), [k for k, v in zip(bad, decoded.valid[len(good):]) if v]


def test_decode_of_no_points():
    for backend in ("reference", "library", "numba_cpu"):
        for group in ("g1", "g2"):
            decoded = DECODE[group]([], backend=backend)
            assert decoded.n == 0 and decoded.valid.shape == (0,)
            assert M.msm(decoded, [], backend=backend) == IDENTITY[group]


# ---- msm against the reference -------------------------------------------------------------------------------
def msm_points(group: str, n: int) -> list[bytes]:
    """n points with the cases a bucket meets: repeats (doubling), P and -P (cancelling), the identity."""
    points = hashed(group, n, b"msm")
    if n >= 4:
        points[1] = points[0]
        points[2] = negate(group, points[0])
        points[3] = IDENTITY[group]
    return points


def scalars(n: int, bits: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    values = [rng.getrandbits(bits) % R for _ in range(n)]
    if n >= 7:
        values[4], values[5], values[6] = 0, R - 1, 1
    return values


@functools.cache
def pool(group: str) -> tuple[bytes, ...]:
    return tuple(msm_points(group, 64))


@functools.cache
def expected(group: str, n: int, bits: int) -> bytes:
    """py_ecc for small n; blst (checked against py_ecc at n = 7 in test_library_matches_reference) above."""
    backend = "reference" if n <= 7 else "library"
    return M.msm(DECODE[group](pool(group)[:n], backend=backend), scalars(n, bits, n * bits), backend=backend)


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_library_matches_reference(group):
    for n, bits in ((7, 255), (7, 64)):
        points, values = msm_points(group, n), scalars(n, bits, 1)
        lib = M.msm(DECODE[group](points, backend="library"), values, backend="library")
        ref = M.msm(DECODE[group](points, backend="reference"), values, backend="reference")
        assert lib == ref


@pytest.mark.parametrize("backend", KERNEL_PARAMS)
@pytest.mark.parametrize("group", ["g1", "g2"])
def test_msm_matches_reference(backend, group):
    skip_simulator(backend)
    sizes = [(n, bits) for n in (0, 1, 2, 7, 23, 64) for bits in (64, 128, 255)]
    decoded = DECODE[group](pool(group)[:max(n for n, _ in sizes)], backend=backend)
    for n, bits in sizes:
        sub = M.Decoded(group, decoded.valid[:n], n, decoded.payload[:n], decoded.backend)
        values = scalars(n, bits, n * bits)
        want = expected(group, n, bits)
        assert M.msm(sub, values, backend=backend) == want, (n, bits)
        # the same scalars as limbs
        assert M.msm(sub, M.scalar_limbs(values), backend=backend) == want


@pytest.mark.skipif(not SIMULATED, reason="a real GPU runs the full tests above")
@pytest.mark.parametrize("group", ["g1", "g2"])
def test_numba_cuda_simulator(group):
    """The numba.cuda kernels on the simulator: one full decode (square root and subgroup check), the identity
    and two invalid encodings; msm over the point and the identity with small scalars, against blst."""
    gen = G1 if group == "g1" else G2
    bad = bad_encodings(group)
    points = [gen, IDENTITY[group], bad["uncompressed flag"], bad["short"]]
    decoded = DECODE[group](points, backend="numba_cuda")
    assert decoded.valid.tolist() == [True, True, False, False]
    want = M.msm(DECODE[group](points, backend="library"), [5, 3, 0, 0], backend="library")
    assert M.msm(decoded, [5, 3, 0, 0], backend="numba_cuda") == want
    assert M.msm(decoded, [0, 0, 0, 0], backend="numba_cuda") == IDENTITY[group]


def test_one_call_decodes_and_sums_both_groups_like_the_library():
    """decode_groups and msm_groups on numba_cpu: both groups decoded, invalid points among them, then one G1
    row and three G2 rows summed; a group alone the same way."""
    n = 24
    g1, g2 = hashed("g1", n, b"both"), hashed("g2", n, b"both")
    g1[3], g2[5] = bad_encodings("g1")["uncompressed flag"], off_subgroup("g2")[0]
    requests = [("g1", g1), ("g2", g2)]
    got, want = M.decode_groups(requests, backend="numba_cpu"), M.decode_groups(requests, backend="library")
    for a, b in zip(got, want):
        assert a.valid.tolist() == b.valid.tolist() and a.valid.sum() == n - 1
    rows1 = [[v if ok else 0 for v, ok in zip(scalars(n, 64, 1), got[0].valid)]]
    rows2 = [[v if ok else 0 for v, ok in zip(scalars(n, bits, s), got[1].valid)] for s, bits in ((2, 64), (3, 255))]
    rows2.append([0] * n)
    sums = M.msm_groups([(got[0], rows1), (got[1], rows2)], backend="numba_cpu")
    assert sums == M.msm_groups([(want[0], rows1), (want[1], rows2)], backend="library")
    assert sums[1][-1] == IDENTITY["g2"]
    assert M.msm_groups([(got[1], rows2)], backend="numba_cpu") == [sums[1]]
    with pytest.raises(ValueError, match="one job per group"):
        M.msm_groups([(got[0], rows1), (got[0], rows1)], backend="numba_cpu")
    with pytest.raises(ValueError, match="one request per group"):
        M.decode_groups([("g1", g1), ("g1", g1)], backend="numba_cpu")


def test_threaded_msm_matches_the_library():
    """A call large enough for numba_cpu's threaded kernel (SERIAL_BELOW), 300 G1 points, 64-bit scalars."""
    from kernels.bls.msm_numba_cpu import SERIAL_BELOW

    n = SERIAL_BELOW["msm"] + 44
    points = hashed("g1", n, b"threads")
    values = scalars(n, 64, 3)
    want = M.msm(M.decode_g1(points, backend="library"), values, backend="library")
    assert M.msm(M.decode_g1(points, backend="numba_cpu"), values, backend="numba_cpu") == want


def test_kernel_payloads_are_shared_and_msm_many_is_many_msms():
    points = msm_points("g1", 9)
    decoded = M.decode_g1(points, backend="numba_cpu")
    rows = [scalars(9, 128, s) for s in range(3)] + [[0] * 9]
    want = [M.msm(M.decode_g1(points, backend="library"), row, backend="library") for row in rows]
    assert M.msm_many(decoded, rows, backend="numba_cpu") == want
    if devices.unavailable_reason("opencl") is None:
        assert M.msm_many(decoded, rows, backend="opencl") == want


# ---- the contract's errors -------------------------------------------------------------------------------------
def test_bad_calls_raise():
    q, _ = off_subgroup("g1")
    decoded = M.decode_g1([G1, q, b"short"], backend="numba_cpu")
    assert decoded.valid.tolist() == [True, False, False]
    assert M.msm(decoded, [3, 0, 0], backend="numba_cpu") == M.msm(M.decode_g1([G1], backend="library"), [3])
    with pytest.raises(ValueError, match="invalid point"):
        M.msm(decoded, [3, 1, 0], backend="numba_cpu")
    for bad in ([R, 0, 0], [-1, 0, 0]):
        with pytest.raises(ValueError, match=r"\[0, r\)"):
            M.msm(decoded, bad, backend="numba_cpu")
    with pytest.raises(ValueError, match="scalars for"):
        M.msm(decoded, [1, 0], backend="numba_cpu")
    with pytest.raises(ValueError, match="shape"):
        M.msm(decoded, np.zeros((3, 3), np.uint64), backend="numba_cpu")
    with pytest.raises(ValueError, match="cannot be summed"):
        M.msm(decoded, [1, 0, 0], backend="library")
    with pytest.raises(ValueError, match="unknown backend"):
        M.decode_g1([G1], backend="gpu")
    limbs = np.zeros((3, 4), np.uint64)
    limbs[0] = [1, 0, 0, 0xFFFFFFFFFFFFFFFF]  # above r
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        M.msm(decoded, limbs, backend="numba_cpu")


@pytest.mark.skipif(devices.unavailable_reason("cupy") is None, reason="CuPy runs here")
def test_cupy_says_why_it_cannot_run():
    with pytest.raises(BackendUnavailable, match="cupy"):
        M.decode_g1([G1], backend="cupy")


# ---- differential fuzzing against blst -------------------------------------------------------------------------
FUZZ_BACKENDS = [b for b in ("numba_cpu", "opencl") if devices.unavailable_reason(b) is None]
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(c=st.integers(1, 16), values=st.lists(st.one_of(st.integers(0, R - 1), st.sampled_from([0, 1, R - 1, 1 << 64])),
                                            max_size=6))
def test_signed_digits_recompose_each_scalar(c, values):
    """The msm's signed windows: each digit in (-2^(c-1), 2^(c-1)], and sum d_w 2^(c w) gives the scalar back."""
    digits = M.signed_digits(M.scalar_limbs(values), c)
    assert digits.shape == (len(values), -(-M.scalar_bits(M.scalar_limbs(values)) // c) + 1)
    for s, row in zip(values, digits.tolist()):
        assert sum(d << (c * w) for w, d in enumerate(row)) == s
        assert all(-(1 << (c - 1)) < d <= 1 << (c - 1) for d in row)


@FUZZ
@given(group=st.sampled_from(["g1", "g2"]), data=st.data())
def test_fuzz_decode_agrees_with_blst(group, data):
    """Random encodings (half of them near-valid: a valid point with one byte changed) decode to the same
    validity as blst's, on every CPU kernel backend."""
    size = SIZE[group]
    encodings = []
    for i in range(data.draw(st.integers(0, 4))):
        if data.draw(st.booleans()):
            raw = bytearray(hashed(group, 1, bytes([i]))[0])
            raw[data.draw(st.integers(0, size - 1))] ^= data.draw(st.integers(1, 255))
            encodings.append(bytes(raw))
        else:
            encodings.append(bytes([data.draw(st.sampled_from([0x80, 0xA0, 0xC0, 0x9A, 0x1A]))])
                             + data.draw(st.binary(min_size=size - 1, max_size=size - 1)))
    want = DECODE[group](encodings, backend="library").valid
    for backend in FUZZ_BACKENDS:
        assert (DECODE[group](encodings, backend=backend).valid == want).all(), backend


@FUZZ
@given(group=st.sampled_from(["g1", "g2"]), n=st.integers(0, 5), data=st.data())
def test_fuzz_msm_agrees_with_blst(group, n, data):
    pool = msm_points(group, 6)
    points = [pool[data.draw(st.integers(0, 5))] for _ in range(n)]
    values = [data.draw(st.one_of(st.integers(0, R - 1), st.sampled_from([0, 1, 2, R - 1, R - 2, 1 << 64])))
              for _ in range(n)]
    want = M.msm(DECODE[group](points, backend="library"), values, backend="library")
    for backend in FUZZ_BACKENDS:
        assert M.msm(DECODE[group](points, backend=backend), values, backend=backend) == want, backend


# ---- fp_cpu.py: the CPU's GF(p) product in assembly and its sums as 384-bit LLVM integers --------------------
@pytest.fixture(scope="module", params=[True, False], ids=["adx", "no-adx"])
def cpu_ops(request):
    from kernels.bls import fp_cpu

    if request.param and not fp_cpu.HAS_ADX:
        pytest.skip("this CPU has no BMI2/ADX")
    return fp_cpu.ops(P, request.param)


def _callable(intrinsic):
    from numba import njit

    return njit(lambda a, b: intrinsic(a, b))


@settings(max_examples=60, deadline=None)
@given(a=st.one_of(st.integers(0, P - 1), st.sampled_from(EDGES)),
       b=st.one_of(st.integers(0, P - 1), st.sampled_from(EDGES)))
def test_fuzz_cpu_field_ops_match_python_integers(a, b):
    """fp_cpu's add, sub and (where the CPU has ADX) Montgomery product against Python integers, on raw limbs
    (no Montgomery conversion in between: the product is a b 2^-384 mod p)."""
    from kernels.bls import fp_cpu
    from kernels.bls.msm_numba_core import limbs

    ops = _fuzz_ops()
    value = lambda t: sum(int(w) << (64 * i) for i, w in enumerate(t))  # noqa: E731
    assert value(ops["add"](limbs(a), limbs(b))) == (a + b) % P
    assert value(ops["sub"](limbs(a), limbs(b))) == (a - b) % P
    if fp_cpu.HAS_ADX:
        assert value(ops["mul"](limbs(a), limbs(b))) == a * b * pow(M.MONT_R, -1, P) % P


@functools.cache
def _fuzz_ops():
    from kernels.bls import fp_cpu

    ops = fp_cpu.ops(P, fp_cpu.HAS_ADX)
    return {k: _callable(getattr(ops, k)) for k in ("add", "sub", "mul") if getattr(ops, k) is not None}


def test_cpu_field_ops_on_edges(cpu_ops):
    from kernels.bls.msm_numba_core import limbs

    value = lambda t: sum(int(w) << (64 * i) for i, w in enumerate(t))  # noqa: E731
    add, sub = _callable(cpu_ops.add), _callable(cpu_ops.sub)
    mul = _callable(cpu_ops.mul) if cpu_ops.mul is not None else None
    for a in EDGES:
        for b in EDGES:
            assert value(add(limbs(a), limbs(b))) == (a + b) % P
            assert value(sub(limbs(a), limbs(b))) == (a - b) % P
            if mul is not None:
                assert value(mul(limbs(a), limbs(b))) == a * b * pow(M.MONT_R, -1, P) % P


def test_adx_path_follows_cpu_flags_and_environment(monkeypatch):
    """The assembly uses mulx, adcx and adox; KERNELS_BLS_ADX=0 switches it off; no ADX, no assembly."""
    from kernels.bls import fp_cpu

    text = fp_cpu.assembly()
    assert all(op in text for op in ("mulxq", "adcxq", "adoxq"))
    monkeypatch.setenv(fp_cpu.DISABLE_ENV, "0")
    assert not fp_cpu.enabled()
    monkeypatch.delenv(fp_cpu.DISABLE_ENV)
    assert fp_cpu.enabled() == fp_cpu.HAS_ADX
    monkeypatch.setattr(fp_cpu, "HAS_ADX", False)
    assert not fp_cpu.enabled()


@pytest.mark.parametrize("chain", [True, False], ids=["naf-chains", "pippenger"])
def test_msm_groups_sums_both_groups_in_one_call(chain, monkeypatch):
    """numba_cpu's fused msm of a batch (msm_numba_cpu.msm_groups: G1 and G2 rows in one kernel, by NAF chains
    or by Pippenger) equals the library's per-group sums, with rows of different scalar sizes and an all-zero
    row."""
    from kernels.bls import msm_numba_cpu

    monkeypatch.setattr(msm_numba_cpu, "prefers_chain", lambda decoded, rows, terms: chain)
    rng = random.Random(5)
    g1 = hashed("g1", 5) + [G1]
    g2 = hashed("g2", 5) + [G2]
    rows1 = [[rng.randrange(1 << 64) for _ in g1]]
    rows2 = [[rng.randrange(1 << 128) for _ in g2], [rng.randrange(1 << 8) for _ in g2], [0] * len(g2)]
    got = M.msm_groups([(M.decode_g1(g1, backend="numba_cpu"), rows1), (M.decode_g2(g2, backend="numba_cpu"), rows2)],
                       backend="numba_cpu")
    want = M.msm_groups([(M.decode_g1(g1, backend="library"), rows1), (M.decode_g2(g2, backend="library"), rows2)],
                        backend="library")
    assert got == want


# ---- NAF chains (msm_numba_cpu) and the operation counts that choose them ---------------------------------------
@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.one_of(st.integers(0, R - 1), st.sampled_from([0, 1, 2, 3, R - 1, (1 << 130) - 1])),
                       max_size=6))
def test_naf_terms_recompose_each_scalar(values):
    """msm.naf_terms: digits +-1 with no two exponents of a scalar adjacent, by descending exponent, summing
    back to each scalar."""
    exponent, point, negative = M.naf_terms(M.scalar_limbs(values))
    assert (np.diff(exponent) <= 0).all()
    got = [0] * len(values)
    for e, i, neg in zip(exponent.tolist(), point.tolist(), negative.tolist()):
        got[i] += -(1 << e) if neg else 1 << e
    assert got == values
    for i in range(len(values)):
        mine = exponent[point == i]
        assert (np.diff(mine) <= -2).all()


def test_operation_counts_pick_chains_for_few_points_and_pippenger_for_many():
    """The model (msm.chain_ops, msm.pippenger_ops) behind msm_numba_cpu.prefers_chain: 23 dense 64-bit scalars
    and any number of sparse batch scalars by chains, 1000 dense 128-bit scalars by Pippenger."""
    from kernels.bls.batch import sparse_scalars
    from kernels.bls.msm_numba_cpu import prefers_chain

    rng = random.Random(8)
    for n, limbs, chain in ((23, M.scalar_limbs(scalars(23, 64, 1)), True),
                            (1000, sparse_scalars(1000), True),
                            (1000, M.scalar_limbs([rng.getrandbits(128) for _ in range(1000)]), False)):
        decoded = M.Decoded("g1", np.ones(n, bool), n, None, "numba_cpu")
        assert prefers_chain(decoded, [limbs], [M.naf_terms(limbs)]) == chain, n
    assert M.chain_ops(np.array([5, 3, 0], np.int32)) == 3 * M.MADD_OPS + 5 * M.DBL_OPS
    assert M.chain_ops(np.zeros(0, np.int32)) == M.pippenger_ops(10, 0) == 0


def test_chain_tasks_split_rows_and_balance_bins():
    """A row's terms split by point ranges cover every term once, each part by descending exponent; the bins
    (LPT) hold every task, the largest first."""
    from kernels.bls.batch import sparse_scalars
    from kernels.bls.msm_numba_cpu import _bins, _row_tasks

    exponent, point, _ = M.naf_terms(sparse_scalars(40))
    for threads in (1, 2, 3, 8):
        parts = _row_tasks(exponent, point, threads)
        assert 1 <= len(parts) <= threads
        assert sorted(np.concatenate(parts).tolist()) == list(range(exponent.size))
        assert all((np.diff(exponent[p]) <= 0).all() for p in parts)
    few = _row_tasks(exponent[point < 2], point[point < 2], 8)  # 24 additions: not worth a second chain
    assert len(few) == 1
    tasks = [((1, k, k + 1, 0), ops) for k, ops in enumerate([5, 9, 4, 4, 1])]
    order, bins = _bins(tasks, 2)
    assert bins.tolist() == [0, 2, 5] and sorted(order[:, 1].tolist()) == list(range(5))
    assert order[:, 1].tolist() == [1, 3, 0, 2, 4]  # loads 9 + 4 and 5 + 4 + 1


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_chains_on_sparse_batch_scalars_match_the_library(group):
    """Sparse batch scalars over 23 points, with the identity, an invalid point (scalar 0) and a point repeated
    and negated among them (the chain's additions then double and cancel): numba_cpu's chains, split across
    threads, against the library."""
    from kernels.bls.batch import sparse_scalars

    points = hashed(group, 20, b"chain")
    points += [IDENTITY[group], points[0], negate(group, points[1])]
    points[7] = bad_encodings(group)["uncompressed flag"]
    limbs = sparse_scalars(len(points))
    limbs[7] = 0
    limbs[20] = limbs[0]
    limbs[21] = limbs[1]
    got = M.msm(M.decode_groups([(group, points)], backend="numba_cpu")[0], limbs, backend="numba_cpu")
    want = M.msm(M.decode_groups([(group, points)], backend="library")[0], limbs, backend="library")
    assert got == want


# ---- one-core calls and the helper thread (numba_cpu): threads=1, start_groups, start_decode_sum ----------------
def test_calls_on_one_core_and_on_the_helper_match_the_library():
    """decode_groups and msm_groups with threads=1, and msm_groups begun on the helper thread (start_groups),
    give what the library gives; a backend without a helper computes start_groups at once."""
    from kernels.bls.batch import sparse_scalars

    g1, g2 = hashed("g1", 7, b"one core"), hashed("g2", 7, b"one core")
    requests = [("g1", g1), ("g2", g2)]
    got = M.decode_groups(requests, backend="numba_cpu", threads=1)
    want = M.decode_groups(requests, backend="library")
    assert [d.valid.tolist() for d in got] == [d.valid.tolist() for d in want] == [[True] * 7] * 2
    rows1, rows2 = [sparse_scalars(7)], [sparse_scalars(7), M.scalar_limbs(scalars(7, 64, 2))]
    expected = M.msm_groups([(want[0], rows1), (want[1], rows2)], backend="library")
    assert M.msm_groups([(got[0], rows1), (got[1], rows2)], backend="numba_cpu", threads=1) == expected
    assert M.start_groups([(got[0], rows1), (got[1], rows2)], backend="numba_cpu")() == expected
    assert M.start_groups([(want[0], rows1), (want[1], rows2)], backend="library")() == expected
    assert M.starts_groups("numba_cpu") and not M.starts_groups("library")


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_start_decode_sum_skips_invalid_points_and_splits_with_the_caller(group):
    """start_decode_sum: the decode's validity and the sums over the valid points (an invalid point, the identity
    and a short encoding count as zero terms), the same whichever share of the points the caller takes, on
    numba_cpu and on the library."""
    from kernels.bls.batch import sparse_scalars

    points = hashed(group, 9, b"split")
    points[2] = bad_encodings(group)["uncompressed flag"]
    points[5] = IDENTITY[group]
    points[7] = points[7][:-1]
    rows = [sparse_scalars(9), sparse_scalars(9)]
    valid = [i not in (2, 7) for i in range(9)]
    good = M.decode_groups([(group, [p if ok else hashed(group, 1)[0] for p, ok in zip(points, valid)])],
                           backend="library")[0]
    want = M.msm_many(good, [np.where(np.array(valid)[:, None], r, 0).astype(np.uint64) for r in rows],
                      backend="library")
    for backend, shares in (("library", (0,)), ("numba_cpu", (0, 1, 4, 9, 20))):
        for share in shares:
            decoded, sums = M.start_decode_sum(group, points, rows, backend=backend, caller_share=share)()
            assert decoded.valid.tolist() == valid and sums == want, (backend, share)
    decoded, sums = M.start_decode_sum(group, [], [np.zeros((0, 4), np.uint64)], backend="numba_cpu")()
    assert decoded.n == 0 and sums == [IDENTITY[group]]
    with pytest.raises(ValueError, match="scalars for"):
        M.start_decode_sum(group, points, [rows[0][:3]], backend="numba_cpu")
