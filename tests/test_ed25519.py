"""Ed25519 verification on every backend: RFC 8032 and cryptography_vectors known answers, Wycheproof verdicts,
bit flips, differential fuzzing against an independent implementation (the RFC 8032 reference, or libsodium
when the reference itself is under test), bad input, the generated C table, and the hot path (sweeps, check,
target)."""
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from conftest import backend_params
from kernels import BackendUnavailable, devices
from kernels.registry import HOT_PATHS
from kernels.signatures import HOT_PATH, check_batch, ed25519_verify_batch, prepare, tables
from kernels.signatures import reference as ref
from kernels.signatures.workloads import RFC8032  # the published vectors, held once

ALL = backend_params("ed25519_verify")
# The CUDA simulator runs the kernel as Python (~0.1 s per signature here): the known-answer sets run on it
# (ALL); the fuzzing and large-batch tests skip it (FAST).
FAST = backend_params("ed25519_verify", exclude=("numba_cuda",))
# The vectors are committed (tests/vectors); WYCHEPROOF_ED25519 may point elsewhere.
WYCHEPROOF = Path(os.environ.get("WYCHEPROOF_ED25519", Path(__file__).resolve().parent / "vectors"
                                 / "wycheproof_ed25519_test.json"))



def oracle(backend, keys, msgs, sigs):
    """Verdicts of an implementation independent of `backend`: the RFC 8032 reference, or libsodium (PyNaCl)
    when the reference is the backend under test."""
    return ed25519_verify_batch(keys, msgs, sigs, backend="library" if backend == "reference" else "reference")


def signed_batch(n, seed=0, message_bytes=100):
    """n valid (key, message, signature) triples from a few keys, deterministic."""
    rng = np.random.default_rng(seed)
    signers = [SigningKey(rng.bytes(32)) for _ in range(4)]
    keys, msgs, sigs = [], [], []
    for i in range(n):
        sk = signers[i % len(signers)]
        m = rng.bytes(message_bytes)
        keys.append(bytes(sk.verify_key))
        msgs.append(m)
        sigs.append(sk.sign(m).signature)
    return keys, msgs, sigs


def wycheproof_cases():
    data = json.loads(WYCHEPROOF.read_text())
    keys, msgs, sigs, valid = [], [], [], []
    for group in data["testGroups"]:
        pk = bytes.fromhex(group["publicKey"]["pk"])
        for test in group["tests"]:
            keys.append(pk)
            msgs.append(bytes.fromhex(test["msg"]))
            sigs.append(bytes.fromhex(test["sig"]))
            valid.append(test["result"] == "valid")
    return keys, msgs, sigs, np.array(valid)


@pytest.mark.parametrize("backend", ALL)
def test_rfc8032_vectors(backend):
    for sk, pk, msg, sig in RFC8032:  # the vectors themselves, checked against libsodium's signer
        signing = SigningKey(bytes.fromhex(sk))
        assert bytes(signing.verify_key).hex() == pk
        assert signing.sign(bytes.fromhex(msg)).signature.hex() == sig
    keys = [bytes.fromhex(v[1]) for v in RFC8032]
    msgs = [bytes.fromhex(v[2]) for v in RFC8032]
    sigs = [bytes.fromhex(v[3]) for v in RFC8032]
    assert ed25519_verify_batch(keys, msgs, sigs, backend=backend).all()
    wrong = [m + b"!" for m in msgs]
    assert not ed25519_verify_batch(keys, wrong, sigs, backend=backend).any()


@pytest.mark.parametrize("backend", ALL)
def test_cryptography_vectors_sign_input(backend):
    cryptography_vectors = pytest.importorskip("cryptography_vectors", reason="cryptography_vectors not installed "
                                               "(a dev dependency; 56 MB, not carried to GPU machines)")

    with cryptography_vectors.open_vector_file(os.path.join("asymmetric", "Ed25519", "sign.input"), "r") as f:
        rows = [line.strip().split(":") for line in f if line.strip()]
    assert len(rows) == 1024
    if backend in ("reference", "numba_cuda"):
        rows = rows[::16] if backend == "reference" else rows[::32]  # pure Python / the CUDA simulator
    keys = [bytes.fromhex(r[1]) for r in rows]
    msgs = [bytes.fromhex(r[2]) for r in rows]
    sigs = [bytes.fromhex(r[3])[:64] for r in rows]
    assert ed25519_verify_batch(keys, msgs, sigs, backend=backend).all()
    flipped = [m[:-1] + bytes([m[-1] ^ 1]) if m else b"\x00" for m in msgs]
    assert not ed25519_verify_batch(keys, flipped, sigs, backend=backend).any()


@pytest.mark.parametrize("backend", ALL)
def test_wycheproof(backend):
    keys, msgs, sigs, valid = wycheproof_cases()
    got = ed25519_verify_batch(keys, msgs, sigs, backend=backend)
    mismatched = np.flatnonzero(got != valid)
    assert mismatched.size == 0, f"{backend} disagrees with Wycheproof on cases {mismatched.tolist()}"


@lru_cache(maxsize=1)
def small_order_and_edge_inputs():
    """Keys and signatures on libsodium's rejection paths, with a valid triple as the template."""
    keys, msgs, sigs = signed_batch(1, seed=11)
    pk, m, sig = keys[0], msgs[0], sigs[0]
    r, s = sig[:32], int.from_bytes(sig[32:], "little")
    cases = [(pk, m, sig)]
    for enc in tables.SMALL_ORDER:
        e = enc.tobytes()
        cases += [(e, m, sig), (e[:31] + bytes([e[31] | 0x80]), m, sig), (pk, m, e + sig[32:])]
    cases += [
        (pk, m, r + (s + ref.L).to_bytes(32, "little")),  # S + L: same point, non-canonical S
        (pk, m, r + ref.L.to_bytes(32, "little")),  # S = L
        (pk, m, r + (2**256 - 1).to_bytes(32, "little")),
        (ref.P.to_bytes(32, "little"), m, sig), ((ref.P + 5).to_bytes(32, "little"), m, sig),  # y >= p
        ((2**255 - 1).to_bytes(32, "little"), m, sig),
        (bytes([2]) + bytes(31), m, sig),  # y = 2: not on the curve
        (pk[:31] + bytes([pk[31] ^ 0x80]), m, sig),  # the other x
        (pk, m, r[:31] + bytes([r[31] ^ 0x80]) + sig[32:]),
    ]
    # mixed-order key: a valid key plus an order-8 point, libsodium accepts when 8 divides h
    x8 = ref.recover_x(ref.Y_ORDER8, 0)
    a = int.from_bytes(bytes(range(32)), "little") % ref.L
    mixed = ref.point_add(ref.scalar_mult(a, ref.BASE), (x8, ref.Y_ORDER8, 1, x8 * ref.Y_ORDER8 % ref.P))
    mixed_pk = ref.encode(mixed)
    for k in range(1, 400):
        rr = ref.encode(ref.scalar_mult(k, ref.BASE))
        h = ref.challenge(rr, mixed_pk, m)
        if h % 8 == 0:
            cases.append((mixed_pk, m, rr + ((k + h * a) % ref.L).to_bytes(32, "little")))
            break
    return [c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases]


@lru_cache(maxsize=1)
def edge_verdicts():
    """The reference's verdicts on the edge inputs (computed once: pure Python)."""
    return ed25519_verify_batch(*small_order_and_edge_inputs(), backend="reference")


@pytest.mark.parametrize("backend", ALL)
def test_libsodium_rejection_paths(backend):
    keys, msgs, sigs = small_order_and_edge_inputs()
    expected = ed25519_verify_batch(keys, msgs, sigs, backend="library") if backend == "reference" else edge_verdicts()
    assert expected[0] and expected[-1] and not expected[1:-1].any()  # the valid template and the mixed-order key
    np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend=backend), expected)


@pytest.mark.parametrize("backend", ALL)
def test_bit_flips_in_r_s_a_m(backend):
    keys, msgs, sigs = signed_batch(8 if backend in ("reference", "numba_cuda") else 64, seed=3)
    rng = np.random.default_rng(5)
    fk, fm, fs = [], [], []
    for i, (k, m, s) in enumerate(zip(keys, msgs, sigs)):
        where = i % 4  # R, S, A, M in turn
        if where == 0:
            bit = int(rng.integers(256))
            s = bytearray(s); s[bit // 8] ^= 1 << (bit % 8); s = bytes(s)
        elif where == 1:
            bit = 256 + int(rng.integers(256))
            s = bytearray(s); s[bit // 8] ^= 1 << (bit % 8); s = bytes(s)
        elif where == 2:
            bit = int(rng.integers(256))
            k = bytearray(k); k[bit // 8] ^= 1 << (bit % 8); k = bytes(k)
        else:
            bit = int(rng.integers(8 * len(m)))
            m = bytearray(m); m[bit // 8] ^= 1 << (bit % 8); m = bytes(m)
        fk.append(k); fm.append(m); fs.append(s)
    assert not ed25519_verify_batch(fk, fm, fs, backend=backend).any()  # a single flipped bit always breaks it


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_fuzz_against_an_independent_implementation(backend, data):
    n = data.draw(st.integers(0, 6))
    keys, msgs, sigs = signed_batch(n, seed=data.draw(st.integers(0, 2**16)), message_bytes=data.draw(st.integers(0, 200)))
    for i in range(n):  # mutate some elements: random bytes, truncation, extension, a changed message
        how = data.draw(st.sampled_from(["keep", "key", "sig", "msg", "short", "long", "random"]))
        if how == "key":
            keys[i] = data.draw(st.binary(min_size=32, max_size=32))
        elif how == "sig":
            sigs[i] = data.draw(st.binary(min_size=64, max_size=64))
        elif how == "msg":
            msgs[i] = data.draw(st.binary(max_size=120))
        elif how == "short":
            sigs[i] = sigs[i][:data.draw(st.integers(0, 63))]
        elif how == "long":
            keys[i] = keys[i] + data.draw(st.binary(min_size=1, max_size=4))
        elif how == "random":
            keys[i], msgs[i], sigs[i] = (data.draw(st.binary(max_size=40)), data.draw(st.binary(max_size=40)),
                                         data.draw(st.binary(max_size=70)))
    np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend=backend), oracle(backend, keys, msgs, sigs))


@pytest.mark.parametrize("backend", ALL)
def test_empty_batch(backend):
    got = ed25519_verify_batch([], [], [], backend=backend)
    assert got.shape == (0,) and got.dtype == bool


@pytest.mark.parametrize("backend", ALL)
def test_wrong_lengths_are_false_and_bytes_like_inputs(backend):
    keys, msgs, sigs = signed_batch(2, seed=9)
    got = ed25519_verify_batch([bytearray(keys[0]), keys[1][:31]], [memoryview(msgs[0]), msgs[1]],
                               [np.frombuffer(sigs[0], np.uint8), sigs[1]], backend=backend)
    assert got.tolist() == [True, False]


@pytest.mark.parametrize("backend", FAST)
def test_larger_batch_all_valid_with_one_bad(backend):
    n = 16 if backend == "reference" else 300
    keys, msgs, sigs = signed_batch(n, seed=1)
    msgs[n // 2] = msgs[n // 2] + b"x"
    got = ed25519_verify_batch(keys, msgs, sigs, backend=backend)
    assert got.sum() == n - 1 and not got[n // 2]


def test_bad_arguments():
    keys, msgs, sigs = signed_batch(2)
    with pytest.raises(ValueError, match="same length"):
        ed25519_verify_batch(keys, msgs[:1], sigs, backend="library")
    with pytest.raises(TypeError, match="messages"):
        ed25519_verify_batch(keys, [b"a", "text"], sigs, backend="library")
    with pytest.raises(TypeError, match="public_keys"):
        ed25519_verify_batch(b"0" * 32, msgs, sigs, backend="library")
    with pytest.raises(ValueError, match="unknown backend"):
        ed25519_verify_batch(keys, msgs, sigs, backend="gpu")


def test_prepare_challenges_match_reference():
    keys, msgs, sigs = signed_batch(5, seed=4)
    prepared = prepare(*check_batch(keys, msgs, sigs))
    for i in range(5):
        assert int.from_bytes(prepared.challenges[i].tobytes(), "little") == ref.challenge(sigs[i][:32], keys[i], msgs[i])


def test_generated_header_is_up_to_date():
    assert tables.HEADER.read_text() == tables.header_text(), "regenerate: python -m kernels.signatures.tables"


def test_limb_tables_round_trip():
    assert tables.from_limbs(tables.FE_D) == ref.D and tables.from_limbs(tables.FE_SQRTM1) == ref.SQRT_M1
    x, y = ref.B_X, ref.B_Y
    assert tables.from_limbs(tables.BASE_TABLE[0, 0]) == (y + x) % ref.P
    assert all(max(t) < 2**26 for t in tables.BASE_TABLE.reshape(-1, 10).tolist())


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
@pytest.mark.parametrize("source,options", [("SOURCE", []), ("SOURCE_FE51", []), ("SOURCE_FE51", ["-D", "ED25519_NO_INT128"])],
                         ids=["radix25.5", "radix51-int128", "radix51-mul_hi"])
def test_every_field_layout_of_the_c_core(source, options):
    """The C core's three field layouts (GPU radix 2^25.5; CPU radix 2^51 with __int128 or with mul_hi halves),
    whichever this OpenCL device would pick, on Wycheproof and libsodium's rejection paths."""
    import pyopencl as cl

    from kernels.signatures import opencl

    queue = devices.opencl_queue()
    program = cl.Program(queue.context, Path(getattr(opencl, source)).read_text()).build(
        options=["-I", str(devices.COMMON_DIR), *options])
    keys, msgs, sigs, valid = wycheproof_cases()
    ek, em, es = small_order_and_edge_inputs()
    staged = opencl.Staged(prepare(*check_batch(keys + ek, msgs + em, sigs + es)))
    staged.kernel_fn = cl.Kernel(program, "ed25519_verify")
    got = staged.run()
    np.testing.assert_array_equal(got[:len(valid)], valid)
    np.testing.assert_array_equal(got[len(valid):], edge_verdicts())


def test_opencl_splits_a_batch_larger_than_one_device_buffer(monkeypatch):
    if devices.unavailable_reason("opencl") is not None:
        pytest.skip("no OpenCL device")
    from kernels.signatures import opencl

    calls = []
    real = opencl.Staged.run
    monkeypatch.setattr(opencl, "signatures_per_buffer", lambda device: 5)
    monkeypatch.setattr(opencl.Staged, "run", lambda self: calls.append(self.prepared.count) or real(self))
    keys, msgs, sigs = signed_batch(12, seed=6)
    msgs[7] += b"!"
    got = ed25519_verify_batch(keys, msgs, sigs, backend="opencl")
    assert calls == [5, 5, 2]
    assert got.tolist() == [i != 7 for i in range(12)]


# --- the hot path: sweeps, check and target ---------------------------------------------------------------------

def test_hot_path_lists_the_registry_operations_and_sweeps():
    assert HOT_PATH.operations == HOT_PATHS["kernels.signatures"]
    sweeps = HOT_PATH.cases("smoke")
    assert list(sweeps) == ["batch", "zip215", "cache"]
    assert "openssl" in sweeps["batch"].backends and "reference" not in sweeps["cache"].backends
    assert [w.params for w in sweeps["cache"].workloads] == [
        {"trace_messages": 40, "cached": cached, "rules": rules, "method": method}
        for rules, method in (("libsodium", "single"), ("zip215", "batch")) for cached in (False, True)]
    with pytest.raises(ValueError, match="unknown profile"):
        HOT_PATH.cases("fast")


def test_batch_sweep_rows_carry_phases_params_and_single_core_label():
    from kernels.measure import Settings

    frame = HOT_PATH.run_sweep("batch", "smoke", ["library", "numba_cpu"], progress=False,
                               settings=Settings(warmup=0, min_repeats=1, min_seconds=0.0))
    assert set(frame.backend) == {"library", "numba_cpu", "openssl"}
    assert (frame.message_bytes == 100).all() and set(frame.batch_size) == {1, 4, 16}
    numba = frame[frame.backend == "numba_cpu"]
    assert set(numba.phase) == {"pack", "kernel", "end_to_end"}
    assert set(numba[numba.batch_size == 1].device) == {"CPU, 1 core"}  # below SERIAL_BELOW: the calling thread


def test_reference_is_skipped_above_its_limit_with_the_reason():
    from kernels.signatures.hot_path import REFERENCE_MAX_BATCH

    sweep = HOT_PATH.cases("quick")["batch"]
    workload = sweep.workloads[0]
    data = signed_batch(REFERENCE_MAX_BATCH + 1)
    with pytest.raises(BackendUnavailable, match="skipped above"):
        sweep.build("ed25519_verify", "reference", workload, REFERENCE_MAX_BATCH + 1, data)


def test_check_rows_and_a_wrong_backend_fails(monkeypatch):
    frame = HOT_PATH.check(["library", "numba_cpu"], "smoke")
    runs = ~((frame.backend == "library") & (frame.rules == "zip215"))  # libsodium has no ZIP 215 mode
    assert set(frame.backend) == {"library", "numba_cpu"} and frame[runs].result.str.startswith("agrees").all()
    assert frame[~runs].result.str.startswith("unavailable").all()
    from kernels.signatures import library

    monkeypatch.setattr(library, "ed25519_verify_batch", lambda k, m, s, rules="libsodium": np.ones(len(k), dtype=bool))
    with pytest.raises(AssertionError, match="library gives a wrong verdict"):
        HOT_PATH.check(["library"], "smoke")


def test_target_smoke_checks_candidates_and_records_the_openssl_peer(monkeypatch):
    result = HOT_PATH.targets()["ed25519_verify"]("smoke")
    assert result.items == 256 and result.checked and result.peer.startswith("openssl speed -multi")
    assert "numba_cpu" in result.candidates and result.candidate
    from kernels.signatures import numba_cpu

    monkeypatch.setattr(numba_cpu, "verify_prepared", lambda prepared, rules="libsodium": np.ones(prepared.count, dtype=bool))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["ed25519_verify"]("smoke")


def test_prediction_scales_with_cores():
    one, four = HOT_PATH.prediction(cores=1), HOT_PATH.prediction(cores=4)
    assert four["lib25519_all_cores"] == pytest.approx(4 * one["lib25519_one_core"])
    assert one["bytes_in"] == 32 + 64 + 32
