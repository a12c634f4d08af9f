"""Ed25519 under ZIP 215 (the IC replica's rules, `rules="zip215"`) on every backend: the 196 published vectors,
Wycheproof, RFC 8032, signatures built to sit where the two rule sets differ (verdicts known from the
construction), differential fuzzing against the pure-Python ZIP 215 reference (bit flips in R, S and A,
non-canonical and small-order encodings made on purpose), bad input, and libsodium's rules on the same inputs."""
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels import BackendUnavailable, devices
from kernels.signatures import check_batch, ed25519_verify_batch, prepare
from kernels.signatures import reference as ref
from kernels.signatures.workloads import (RFC8032, adversarial_batch, signed_batch, small_order_encodings,
                                          zip215_vectors)

ALL = backend_params("ed25519_verify")
KERNELS = backend_params("ed25519_verify", exclude=("reference", "library"))  # checked against the reference
FAST_KERNELS = backend_params("ed25519_verify", exclude=("reference", "library", "numba_cuda"))
# The vectors are committed (tests/vectors); ZIP215_VECTORS / WYCHEPROOF_ED25519 may point elsewhere.
VECTORS = Path(__file__).resolve().parent / "vectors"
ZIP215 = Path(os.environ.get("ZIP215_VECTORS", VECTORS / "zip215_zcash.json"))
WYCHEPROOF = Path(os.environ.get("WYCHEPROOF_ED25519", VECTORS / "wycheproof_ed25519_test.json"))


def verify(backend, keys, msgs, sigs, rules):
    """Verdicts, or None where the backend has no implementation of `rules` (library with zip215)."""
    try:
        return ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules=rules)
    except BackendUnavailable:
        assert backend == "library" and rules == "zip215", f"{backend} must implement {rules}"
        return None


def published_vectors():
    cases = json.loads(ZIP215.read_text())["cases"]
    return ([bytes.fromhex(c["pk"]) for c in cases], [bytes.fromhex(c["msg"]) for c in cases],
            [bytes.fromhex(c["sig"]) for c in cases], np.array([c["zip215_valid"] for c in cases]))


def test_generated_vectors_are_the_published_196():
    keys, msgs, sigs, valid = published_vectors()
    assert len(keys) == 196 and valid.all()
    assert zip215_vectors() == (keys, msgs, sigs)
    assert len(set(small_order_encodings())) == 14


@pytest.mark.parametrize("backend", ALL)
def test_zip215_vectors_accepted_by_zip215_rejected_by_libsodium(backend):
    keys, msgs, sigs = zip215_vectors()
    got = verify(backend, keys, msgs, sigs, "zip215")
    if got is not None:
        assert got.all(), f"{backend} rejects ZIP 215 vectors {np.flatnonzero(~got).tolist()}"
    assert not ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="libsodium").any()
    assert not ed25519_verify_batch(keys, msgs, sigs, backend=backend).any()  # the default is libsodium's


def test_library_has_no_zip215_and_says_why():
    keys, msgs, sigs = zip215_vectors()
    with pytest.raises(BackendUnavailable, match="libsodium.*only its own rules"):
        ed25519_verify_batch(keys[:1], msgs[:1], sigs[:1], backend="library", rules="zip215")


def wycheproof_cases():
    data = json.loads(WYCHEPROOF.read_text())
    rows = [(bytes.fromhex(g["publicKey"]["pk"]), bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]),
             t["result"] == "valid") for g in data["testGroups"] for t in g["tests"]]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], np.array([r[3] for r in rows])


def x_zero_with_sign_bit(encoded: bytes) -> bool:
    """y = 1 or p - 1 (mod p), whose x is 0, with the sign bit set: RFC 8032 decoding fails, ZIP 215's accepts."""
    return len(encoded) >= 32 and encoded[31] >> 7 == 1 and ref.decode_y(encoded[:32]) % ref.P in (1, ref.P - 1)


@lru_cache(maxsize=1)
def wycheproof_zip215_expected():
    """Wycheproof's verdicts, except where R or A encodes x = 0 with the sign bit set: ZIP 215 decodes those (the
    published vectors contain such R and A, all valid), so there the reference decides the equation."""
    keys, msgs, sigs, valid = wycheproof_cases()
    special = np.array([x_zero_with_sign_bit(k) or x_zero_with_sign_bit(s) for k, s in zip(keys, sigs)])
    expected = valid.copy()
    expected[special] = ref.ed25519_verify_batch([keys[i] for i in np.flatnonzero(special)],
                                                 [msgs[i] for i in np.flatnonzero(special)],
                                                 [sigs[i] for i in np.flatnonzero(special)], "zip215")
    return expected, special


def test_wycheproof_differs_from_zip215_only_on_x_zero_with_the_sign_bit():
    keys, msgs, sigs, valid = wycheproof_cases()
    expected, special = wycheproof_zip215_expected()
    got = ed25519_verify_batch(keys, msgs, sigs, backend="reference", rules="zip215")
    np.testing.assert_array_equal(got[~special], valid[~special])
    assert special.sum() >= 1 and (expected[special] != valid[special]).all()  # the case Wycheproof rejects on decoding


@pytest.mark.parametrize("backend", KERNELS)
def test_wycheproof_under_zip215(backend):
    keys, msgs, sigs, _ = wycheproof_cases()
    expected, _ = wycheproof_zip215_expected()
    got = ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="zip215")
    mismatched = np.flatnonzero(got != expected)
    assert mismatched.size == 0, f"{backend} disagrees with Wycheproof (ZIP 215) on cases {mismatched.tolist()}"


@pytest.mark.parametrize("backend", ALL)
def test_rfc8032_under_both_rules(backend):
    keys, msgs, sigs = ([bytes.fromhex(v[i]) for v in RFC8032] for i in (1, 2, 3))
    for rules in ("libsodium", "zip215"):
        got = verify(backend, keys, msgs, sigs, rules)
        if got is not None:
            assert got.all()
            assert not verify(backend, keys, [m + b"!" for m in msgs], sigs, rules).any()


@lru_cache(maxsize=2)
def adversarial(per_kind):
    return adversarial_batch(per_kind, seed=7)


@pytest.mark.parametrize("backend", ALL)
def test_adversarial_batch_verdicts_known_from_the_construction(backend):
    batch = adversarial(2 if backend == "numba_cuda" else 6)
    args = batch["public_keys"], batch["messages"], batch["signatures"]
    for rules in ("libsodium", "zip215"):
        got = verify(backend, *args, rules)
        if got is not None:
            wrong = np.flatnonzero(got != batch[rules])
            assert wrong.size == 0, f"{backend}/{rules}: {[batch['kind'][i] for i in wrong]}"
    differ = batch["zip215"] != batch["libsodium"]
    kinds = {batch["kind"][i] for i in np.flatnonzero(differ)}
    assert "honest" not in kinds and "S + L" not in kinds and len(kinds) == 4  # they differ only where built to


def test_reference_zip215_decoding():
    assert ref.decode_zip215((1 | 1 << 255).to_bytes(32, "little")) == (0, 1, 1, 0)  # x = 0, sign bit set
    assert ref.decode_zip215((ref.P + 1).to_bytes(32, "little")) == (0, 1, 1, 0)  # y = p + 1 = 1
    assert ref.decode_zip215(ref.P.to_bytes(32, "little"))[1] == 0  # y = p = 0: an order-4 point
    assert ref.decode_zip215((2).to_bytes(32, "little")) is None  # y = 2: no curve point
    base = ref.encode(ref.BASE)
    assert ref.decode_zip215(base)[:2] == (ref.B_X, ref.B_Y)
    assert ref.is_identity(ref.scalar_mult(ref.L, ref.BASE)) and not ref.is_identity(ref.BASE)


def test_bad_rules():
    keys, msgs, sigs = signed_batch(2)
    for bad in ("ZIP215", "", None, 215):
        with pytest.raises(ValueError, match="rules"):
            ed25519_verify_batch(keys, msgs, sigs, backend="reference", rules=bad)
    from kernels.signatures import ed25519_verify_prepared

    with pytest.raises(ValueError, match="rules"):
        ed25519_verify_prepared(prepare(*check_batch(keys, msgs, sigs)), backend="numba_cpu", rules="dalek")


@pytest.mark.parametrize("backend", ALL)
def test_empty_batch_and_wrong_lengths_under_zip215(backend):
    got = verify(backend, [], [], [], "zip215")
    if got is None:
        return
    assert got.shape == (0,) and got.dtype == bool
    keys, msgs, sigs = zip215_vectors()
    got = ed25519_verify_batch([keys[0], keys[1][:31], keys[2]], msgs[:3], [sigs[0], sigs[1], sigs[2] + b"\x00"],
                               backend=backend, rules="zip215")
    assert got.tolist() == [True, False, False]


# --- differential fuzzing against the reference ----------------------------------------------------------------

TORSION = [ref.decode_zip215(e) for e in small_order_encodings()[:8]]


def _flip(data: bytes, bit: int) -> bytes:
    return data[:bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1:]


@st.composite
def adversarial_triples(draw):
    """One (key, message, signature): honest, with torsion in A or R, small order, non-canonical, or random
    bytes; then maybe a flipped bit in R, S or A, a flipped sign bit, or S + L."""
    kind = draw(st.sampled_from(["honest", "mixed-key", "torsion-R", "small-order", "non-canonical", "random"]))
    m = draw(st.binary(max_size=80))
    if kind == "random":
        return draw(st.binary(min_size=32, max_size=32)), m, draw(st.binary(min_size=64, max_size=64))
    encodings = small_order_encodings()
    if kind in ("small-order", "non-canonical"):
        pool = encodings[8:] if kind == "non-canonical" else encodings[:8]
        key, r_enc = draw(st.sampled_from(pool)), draw(st.sampled_from(encodings))
        if draw(st.booleans()):
            key, r_enc = r_enc, key
        s = draw(st.sampled_from([0, 1, ref.L - 1, draw(st.integers(0, ref.L - 1))]))
        sig = r_enc + s.to_bytes(32, "little")
    else:
        a, r = draw(st.integers(1, ref.L - 1)), draw(st.integers(1, ref.L - 1))
        big_a, big_r = ref.scalar_mult(a, ref.BASE), ref.scalar_mult(r, ref.BASE)
        j = draw(st.integers(0, 7))
        if kind == "mixed-key":
            big_a = ref.point_add(big_a, TORSION[j])
        elif kind == "torsion-R":
            big_r = ref.point_add(big_r, TORSION[j])
        key, r_enc = ref.encode(big_a), ref.encode(big_r)
        sig = r_enc + ((r + ref.challenge(r_enc, key, m) * a) % ref.L).to_bytes(32, "little")
    how = draw(st.sampled_from(["none", "none", "R", "S", "A", "sign-R", "sign-A", "S+L"]))
    if how == "R":
        sig = _flip(sig, draw(st.integers(0, 255)))
    elif how == "S":
        sig = _flip(sig, 256 + draw(st.integers(0, 255)))
    elif how == "A":
        key = _flip(key, draw(st.integers(0, 255)))
    elif how == "sign-R":
        sig = _flip(sig, 255)
    elif how == "sign-A":
        key = _flip(key, 255)
    elif how == "S+L":
        s = int.from_bytes(sig[32:], "little") + ref.L
        sig = sig[:32] + (s % 2**256).to_bytes(32, "little")
    return key, m, sig


def fuzz_once(backend, triples):
    keys, msgs, sigs = [list(c) for c in zip(*triples)] if triples else ([], [], [])
    for rules in ("zip215", "libsodium"):
        want = ref.ed25519_verify_batch(keys, msgs, sigs, rules)
        np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules=rules), want)


@pytest.mark.parametrize("backend", FAST_KERNELS)
@settings(max_examples=25, deadline=None)
@given(triples=st.lists(adversarial_triples(), max_size=6))
def test_fuzz_both_rules_against_the_reference(backend, triples):
    fuzz_once(backend, triples)


@pytest.mark.skipif(devices.unavailable_reason("numba_cuda") is not None, reason="numba.cuda unavailable")
@settings(max_examples=4, deadline=None)
@given(triples=st.lists(adversarial_triples(), min_size=1, max_size=3))
def test_fuzz_numba_cuda_against_the_reference(triples):
    fuzz_once("numba_cuda", triples)


@settings(max_examples=25, deadline=None)
@given(triples=st.lists(adversarial_triples(), max_size=6))
def test_fuzz_reference_libsodium_rules_against_libsodium(triples):
    """The reference's libsodium mode against libsodium itself on the adversarial inputs (the ZIP 215 mode has
    no independent implementation here: the published vectors and the constructions above check it)."""
    keys, msgs, sigs = [list(c) for c in zip(*triples)] if triples else ([], [], [])
    np.testing.assert_array_equal(ref.ed25519_verify_batch(keys, msgs, sigs, "libsodium"),
                                  ed25519_verify_batch(keys, msgs, sigs, backend="library"))


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
@pytest.mark.parametrize("source,options", [("SOURCE", []), ("SOURCE_FE51", []), ("SOURCE_FE51", ["-D", "ED25519_NO_INT128"])],
                         ids=["radix25.5", "radix51-int128", "radix51-mul_hi"])
def test_every_field_layout_of_the_c_core_under_zip215(source, options):
    """The C core's ZIP 215 kernel in its three field layouts, whichever this OpenCL device would pick."""
    import pyopencl as cl

    from kernels.signatures import opencl

    queue = devices.opencl_queue()
    program = cl.Program(queue.context, Path(getattr(opencl, source)).read_text()).build(
        options=["-I", str(devices.COMMON_DIR), *options])
    batch = adversarial(6)
    keys, msgs, sigs = zip215_vectors()
    staged = opencl.Staged(prepare(*check_batch(keys + batch["public_keys"], msgs + batch["messages"],
                                                sigs + batch["signatures"])), "zip215")
    staged.kernel_fn = cl.Kernel(program, "ed25519_verify_zip215")
    got = staged.run()
    assert got[:196].all()
    np.testing.assert_array_equal(got[196:], batch["zip215"])


# --- the hot path: check and the rules table ---------------------------------------------------------------------

def test_check_covers_both_rules_and_library_zip215_is_unavailable():
    from kernels.signatures import HOT_PATH

    frame = HOT_PATH.check(["library", "numba_cpu"], "smoke")
    assert set(frame.rules) == {"libsodium", "zip215"}
    library_zip215 = frame[(frame.backend == "library") & (frame.rules == "zip215")]
    assert library_zip215.result.str.startswith("unavailable").all() and len(library_zip215) == 5
    numba = frame[frame.backend == "numba_cpu"]
    assert len(numba) == 10 and numba.result.str.startswith("agrees").all()


def test_rules_table_counts(monkeypatch):
    from kernels.signatures import HOT_PATH, numba_cpu

    table = HOT_PATH.rules_table(["reference", "library", "numba_cpu"], "smoke").set_index(["rules", "backend"])
    assert ("zip215", "library") not in table.index
    assert (table.loc["zip215"]["ZIP 215 vectors (of 196)"] == 196).all()
    assert (table.loc["libsodium"]["ZIP 215 vectors (of 196)"] == 0).all()
    assert (table["honest (of 2)"] == 2).all() and (table["S + L (of 2)"] == 0).all()
    assert (table.loc["zip215"]["R with a torsion component (of 2)"] == 2).all()
    assert (table.loc["libsodium"]["R with a torsion component (of 2)"] == 0).all()
    monkeypatch.setattr(numba_cpu, "verify_prepared", lambda prepared, rules="libsodium": np.ones(prepared.count, bool))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.rules_table(["numba_cpu"], "smoke")
