"""ECDSA verification (P-256, secp256k1) on every backend with the IC's rules: Wycheproof's published verdicts,
verdicts known from construction, differential fuzzing against the SEC 1 reference, the high-s rule against
Wycheproof's bitcoin file, malformed elements, empty batches and bad arguments."""
import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import backend_params
from kernels import devices
from kernels.ecdsa import ecdsa_verify_batch, ecdsa_verify_prepared, prepare, reference as ref
from kernels.ecdsa.curves import CURVES, SPKI_PREFIX, check_curve, uncompressed_point
from kernels.ecdsa.workloads import (CORRECTNESS_KINDS, REQUEST_DOMAIN, correctness_batch, der_to_raw, raw_signature,
                                     signed_batch, spki, wycheproof)
from kernels.registry import HOT_PATHS

OPERATION = "ecdsa_verify"
CURVE_NAMES = list(CURVES)
ALL = backend_params(OPERATION)
# The CUDA simulator runs the kernel as Python (about a second per signature): it gets a few items of each set.
FAST = backend_params(OPERATION, exclude=("numba_cuda",))
KERNELS = backend_params(OPERATION, exclude=("reference", "library", "numba_cuda"))
SIMULATED = devices.cuda_simulated()
# indices of the correctness batch the simulator runs: valid low and high s, a flipped r, s = n, an off-curve key
SIMULATOR_KINDS = [CORRECTNESS_KINDS.index(k) for k in ("valid, low s", "valid, high s", "flipped bit in r",
                                                         "s = n", "point off the curve")]


def committed_vectors(curve, encoding):
    """The committed Wycheproof file (tests/vectors): a missing one fails the test, it is never skipped."""
    return wycheproof(curve, encoding)


def oracle(backend, curve, keys, msgs, sigs):
    """Verdicts of an implementation independent of `backend`: the reference, or the library when the
    reference is under test."""
    return ecdsa_verify_batch(curve, keys, msgs, sigs, backend="library" if backend == "reference" else "reference")


# ---- the curves, the encodings and the reference itself ----------------------------------------------------------

@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_curve_constants(curve):
    """G lies on the curve and has order n; the library derives the same G from the secret 1."""
    c = CURVES[curve]
    g = (c.gx, c.gy)
    assert ref.on_curve(c, g)
    assert ref.scalar_mult(c, c.n, g) is None and ref.scalar_mult(c, c.n - 1, g) == (c.gx, c.p - c.gy)
    from kernels.ecdsa.workloads import _signer

    point, _ = _signer(curve, 1)
    assert point == b"\x04" + c.gx.to_bytes(32, "big") + c.gy.to_bytes(32, "big")


@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_spki_prefix_is_what_openssl_writes(curve):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(12345, ec.SECP256R1() if curve == "p256" else ec.SECP256K1()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert der == SPKI_PREFIX[curve] + point == spki(curve, point)
    assert uncompressed_point(CURVES[curve], der) == point[1:] == uncompressed_point(CURVES[curve], point)
    assert ref.decode_public_key(CURVES[curve], der) == (int.from_bytes(point[1:33], "big"),
                                                         int.from_bytes(point[33:], "big"))


def test_der_to_raw_is_strict():
    assert der_to_raw(bytes.fromhex("3006020101020102")) == raw_signature(1, 2)
    assert der_to_raw(bytes.fromhex("300702020080020102")) == raw_signature(128, 2)  # leading zero needed
    assert der_to_raw(bytes.fromhex("30070202000102" + "01")) is None  # non-minimal leading zero
    assert der_to_raw(bytes.fromhex("3006020181020102")) is None  # negative r
    assert der_to_raw(bytes.fromhex("3007020101020102")) is None  # wrong outer length
    assert der_to_raw(bytes.fromhex("300602010102010200")) is None  # trailing byte
    assert der_to_raw(b"") is None and der_to_raw(bytes.fromhex("3000")) is None


@pytest.mark.parametrize("curve", CURVE_NAMES)
@pytest.mark.parametrize("encoding", ["p1363", "der"])
def test_reference_matches_wycheproof(curve, encoding):
    """The oracle itself against the published verdicts: every vector of both encodings."""
    w = committed_vectors(curve, encoding)
    got = ecdsa_verify_batch(curve, w["keys"], w["messages"], w["signatures"], backend="reference")
    wrong = [w["tc_ids"][i] for i in np.nonzero(got != w["valid"])[0]]
    assert not wrong, f"tcIds {wrong}"
    assert 0 < w["valid"].sum() < len(w["valid"])


@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_reference_sign_and_verify_round_trip(curve):
    """The reference's own signer (fixed nonces) against the library: small and large nonces, high s."""
    n = CURVES[curve].n
    key = ref.public_point(curve, 7)
    msgs = [REQUEST_DOMAIN + bytes([i]) * 32 for i in range(4)]
    sigs = [ref.sign(curve, 7, m, k) for m, k in zip(msgs, (1, 2, n - 1, 2**255 + 3))]
    sigs.append(sigs[0][:32] + (n - int.from_bytes(sigs[0][32:], "big")).to_bytes(32, "big"))
    msgs.append(msgs[0])
    keys = [key] * len(sigs)
    assert ecdsa_verify_batch(curve, keys, msgs, sigs, backend="library").all()
    assert ecdsa_verify_batch(curve, keys, msgs, sigs, backend="reference").all()


# ---- every backend -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_correctness_batch(backend, curve):
    """One signature of each kind (valid low and high s, bare SEC 1 key; bit flips; r, s out of range;
    compressed, foreign-curve, trailing-byte, off-curve and unreduced keys; wrong lengths): verdicts known
    from the construction, which the independent oracle confirms."""
    keys, msgs, sigs, valid, kinds = correctness_batch(curve)
    if backend == "numba_cuda" and SIMULATED:
        keys, msgs, sigs = ([x[i] for i in SIMULATOR_KINDS] for x in (keys, msgs, sigs))
        valid, kinds = valid[SIMULATOR_KINDS], [kinds[i] for i in SIMULATOR_KINDS]
    got = ecdsa_verify_batch(curve, keys, msgs, sigs, backend=backend)
    assert got.dtype == bool and got.shape == (len(keys),)
    assert [kinds[i] for i in np.nonzero(got != valid)[0]] == []
    np.testing.assert_array_equal(oracle(backend, curve, keys, msgs, sigs), valid)


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("curve", CURVE_NAMES)
@pytest.mark.parametrize("encoding", ["p1363", "der"])
def test_wycheproof(backend, curve, encoding):
    """Every Wycheproof vector (DER keys and bare points alternate by group; strict-DER signatures as raw)."""
    w = committed_vectors(curve, encoding)
    got = ecdsa_verify_batch(curve, w["keys"], w["messages"], w["signatures"], backend=backend)
    wrong = [(w["tc_ids"][i], w["flags"][i]) for i in np.nonzero(got != w["valid"])[0]]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("backend", FAST)
def test_high_s_is_the_only_difference_from_bitcoin_rules(backend):
    """Wycheproof's bitcoin file marks high s invalid; the IC accepts it. Every difference is a high-s signature
    whose low-s twin is valid, and every low-s verdict matches the file."""
    from kernels.ecdsa import HOT_PATH

    committed_vectors("secp256k1", "bitcoin")
    table = HOT_PATH.high_s_table([backend])
    row = table.iloc[0]
    assert row["accepted only under the IC's rules (all high s)"] >= 1
    assert row["IC rules accept"] == row["Wycheproof (bitcoin rules) accepts"] + \
        row["accepted only under the IC's rules (all high s)"]


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_empty_batch(backend, curve):
    got = ecdsa_verify_batch(curve, [], [], [], backend=backend)
    assert got.shape == (0,) and got.dtype == bool


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_signed_batch_all_valid_and_any_change_invalid(backend, curve):
    """A valid IC-shaped batch (half high s) verifies; with each message changed, none does."""
    keys, msgs, sigs = signed_batch(curve, 9)
    assert ecdsa_verify_batch(curve, keys, msgs, sigs, backend=backend).all()
    assert not ecdsa_verify_batch(curve, keys, [m + b"!" for m in msgs], sigs, backend=backend).any()


def test_bad_arguments():
    keys, msgs, sigs = signed_batch("p256", 2)
    with pytest.raises(ValueError, match="unknown curve"):
        ecdsa_verify_batch("p384", keys, msgs, sigs, backend="library")
    with pytest.raises(ValueError, match="unknown curve"):
        check_curve(None)
    with pytest.raises(ValueError, match="unknown backend"):
        ecdsa_verify_batch("p256", keys, msgs, sigs, backend="fpga")
    with pytest.raises(ValueError, match="same length"):
        ecdsa_verify_batch("p256", keys, msgs[:1], sigs, backend="library")
    with pytest.raises(TypeError):
        ecdsa_verify_batch("p256", [1, 2], msgs, sigs, backend="library")
    with pytest.raises(ValueError, match="raw batches"):
        ecdsa_verify_prepared(prepare("p256", keys, msgs, sigs), backend="library")


def test_bytes_like_inputs_are_accepted():
    keys, msgs, sigs = signed_batch("secp256k1", 3)
    got = ecdsa_verify_batch("secp256k1", [bytearray(k) for k in keys], [memoryview(m) for m in msgs],
                             [np.frombuffer(s, np.uint8) for s in sigs], backend="numba_cpu")
    assert got.all()


# ---- fuzzing against the reference ------------------------------------------------------------------------------

def _mutate(curve, key, msg, sig, kind, where, value):
    """One change to a valid triple (what an attacker controls: every byte)."""
    c = CURVES[curve]
    edges = [0, 1, 2, c.n - 1, c.n, c.n + 1, c.p - c.n, c.p - 1, c.p, 2**256 - 1, c.n // 2, c.n // 2 + 1]
    if kind == "sig byte":
        i = where % len(sig)
        return key, msg, sig[:i] + bytes([sig[i] ^ (value or 1)]) + sig[i + 1:]
    if kind == "key byte":
        i = where % len(key)
        return key[:i] + bytes([key[i] ^ (value or 1)]) + key[i + 1:], msg, sig
    if kind == "msg byte":
        return key, msg + bytes([value]) if where % 2 else msg[1:], sig
    if kind == "r edge":
        return key, msg, raw_signature(edges[where % len(edges)], int.from_bytes(sig[32:], "big"))
    if kind == "s edge":
        return key, msg, raw_signature(int.from_bytes(sig[:32], "big"), edges[where % len(edges)])
    if kind == "high s":
        return key, msg, raw_signature(int.from_bytes(sig[:32], "big"), c.n - int.from_bytes(sig[32:], "big"))
    if kind == "truncate":
        return (key[: where % (len(key) + 1)], msg, sig) if value % 2 else (key, msg, sig[: where % 65])
    return key, msg, sig


MUTATIONS = ["sig byte", "key byte", "msg byte", "r edge", "s edge", "high s", "truncate", "none"]


@pytest.mark.parametrize("backend", [p for p in FAST if p.values[0] != "reference"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(curve=st.sampled_from(CURVE_NAMES), seed=st.integers(0, 3),
       changes=st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 200), st.integers(0, 255)),
                        min_size=1, max_size=6))
def test_fuzz_against_reference(backend, curve, seed, changes):
    keys, msgs, sigs = (list(x) for x in signed_batch(curve, 6, seed))
    for i, (kind, where, value) in enumerate(changes):
        j = i % len(keys)
        keys[j], msgs[j], sigs[j] = _mutate(curve, keys[j], msgs[j], sigs[j], kind, where, value)
    want = ecdsa_verify_batch(curve, keys, msgs, sigs, backend="reference")
    np.testing.assert_array_equal(ecdsa_verify_batch(curve, keys, msgs, sigs, backend=backend), want)


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=15, deadline=None)
@given(curve=st.sampled_from(CURVE_NAMES),
       items=st.lists(st.tuples(st.binary(max_size=100), st.binary(max_size=20), st.binary(max_size=70)),
                      max_size=5))
def test_malformed_elements_are_false_never_an_exception(backend, curve, items):
    """Random bytes as keys and signatures: no exception, and never True (a forgery would need a valid
    signature); a key of the right shape with random coordinates is almost never on the curve."""
    keys, msgs, sigs = ([it[k] for it in items] for k in range(3))
    got = ecdsa_verify_batch(curve, keys, msgs, sigs, backend=backend)
    assert got.shape == (len(items),) and not got.any()


@pytest.mark.parametrize("backend", KERNELS)
@settings(max_examples=10, deadline=None)
@given(curve=st.sampled_from(CURVE_NAMES), secret=st.integers(1, 2**256), nonce=st.integers(1, 2**256),
       message=st.binary(max_size=64), flip_s=st.booleans())
def test_fuzz_reference_signatures(backend, curve, secret, nonce, message, flip_s):
    """Signatures made by the reference's signer from arbitrary secrets and nonces (edge scalars included):
    the kernels accept them, and reject them on another message."""
    n = CURVES[curve].n
    secret, nonce = secret % (n - 1) + 1, nonce % (n - 1) + 1
    try:
        sig = ref.sign(curve, secret, message, nonce)
    except ValueError:
        return
    if flip_s:
        sig = sig[:32] + (n - int.from_bytes(sig[32:], "big")).to_bytes(32, "big")
    key = spki(curve, ref.public_point(curve, secret))
    got = ecdsa_verify_batch(curve, [key, key], [message, message + b"x"], [sig, sig], backend=backend)
    assert got.tolist() == [True, False]


# ---- the kernels' arithmetic ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_montgomery_product_and_split_multiply(curve):
    """mont_mul (CPU build) against Python integers mod p and mod n; madd_split against a * b + c + d."""
    from numba import njit

    from kernels.ecdsa import numba_cpu  # noqa: F401  (builds the CPU core)
    from kernels.ecdsa.numba_core import madd_split
    from kernels.ecdsa.tables import consts, from_limbs, limbs

    c, k = CURVES[curve], consts(curve)
    rng = np.random.default_rng(1)
    mont_mul = numba_cpu.CORES[curve].mont_mul
    mont = njit(lambda a, b, m, minv: mont_mul((a[0], a[1], a[2], a[3]), (b[0], b[1], b[2], b[3]),
                                               (m[0], m[1], m[2], m[3]), minv))
    r_inv = {m: pow(1 << 256, -1, m) for m in (c.p, c.n)}
    for m, minv in ((c.p, k[10, 0]), (c.n, k[10, 1])):
        for x, y in [(0, 0), (m - 1, m - 1), (1, m - 1)] + [tuple(int.from_bytes(rng.bytes(32), "big") % m
                                                                  for _ in range(2)) for _ in range(50)]:
            got = from_limbs(mont(np.array(limbs(x), np.uint64), np.array(limbs(y), np.uint64),
                                  np.array(limbs(m), np.uint64), np.uint64(minv)))
            assert got == x * y * r_inv[m] % m
    for _ in range(200):
        a, b, cc, d = (int.from_bytes(rng.bytes(8), "little") for _ in range(4))
        lo, hi = madd_split(*(np.uint64(v) for v in (a, b, cc, d)))
        assert int(lo) + (int(hi) << 64) == a * b + cc + d


@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_fixed_base_table(curve):
    from kernels.ecdsa.tables import G_ENTRIES, from_limbs, g_table

    c, table = CURVES[curve], g_table(curve)
    r_inv = pow(1 << 256, -1, c.p)
    for i, d in [(0, 1), (0, G_ENTRIES), (5, 77), (31, G_ENTRIES)]:
        want = ref.scalar_mult(c, d << (8 * i), (c.gx, c.gy))
        got = tuple(from_limbs(table[i, d - 1, j]) * r_inv % c.p for j in range(2))
        assert got == want


def test_prepare_layout():
    keys, msgs, sigs = signed_batch("p256", 2)
    p = prepare("p256", keys + [b"junk"], msgs + [b""], sigs + [sigs[0]])
    assert p.words.shape == (3, 5, 4) and p.words.dtype == np.uint64
    assert p.well_formed.tolist() == [True, True, False] and not p.words[2].any()
    from kernels.ecdsa.tables import from_limbs

    assert from_limbs(p.words[0, 2]) == int.from_bytes(hashlib.sha256(msgs[0]).digest(), "big")
    assert from_limbs(p.words[1, 4]) == int.from_bytes(sigs[1][32:], "big")
    assert from_limbs(p.words[0, 0]) == int.from_bytes(keys[0][-64:-32], "big")


# ---- the hot path -------------------------------------------------------------------------------------------------

def test_hot_path_contract():
    from kernels.ecdsa import HOT_PATH

    assert HOT_PATH.operations == HOT_PATHS["kernels.ecdsa"]
    assert set(HOT_PATH.targets()) == {"ecdsa_verify_p256", "ecdsa_verify_secp256k1"}
    pred = HOT_PATH.prediction(cores=2)
    for curve in CURVE_NAMES:
        c = pred["curves"][curve]
        assert c["field_muls"] == sum(c["steps"].values()) > 1500 and c["all_cores"] == pytest.approx(2 * c["one_core"])
    assert pred["curves"]["secp256k1"]["field_muls"] < 0.7 * pred["curves"]["p256"]["field_muls"]  # the endomorphism


def test_check_agrees_and_catches_a_wrong_backend(monkeypatch):
    from kernels.ecdsa import HOT_PATH, numba_cpu

    frame = HOT_PATH.check(["library", "numba_cpu"], "smoke")
    assert len(frame) == 2 * 2 * 3
    assert (frame.result.str.startswith("agrees") | frame.result.str.contains("not found")).all()
    assert frame.check.str.startswith("valid").sum() == 4 and frame.result.str.startswith("agrees").sum() >= 4
    monkeypatch.setattr(numba_cpu, "verify_prepared", lambda p: np.ones(p.count, bool))
    with pytest.raises(AssertionError, match="wrong verdicts"):
        HOT_PATH.check(["numba_cpu"], "smoke")


def test_smoke_target_is_checked():
    from kernels.ecdsa import HOT_PATH

    result = HOT_PATH.targets()["ecdsa_verify_secp256k1"]("smoke")
    assert result.checked and result.candidate in ("numba_cpu", "opencl") and result.ratio > 0
    assert "numba_cpu" in result.candidates
