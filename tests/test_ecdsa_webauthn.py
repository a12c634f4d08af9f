"""WebAuthn envelopes (Internet Identity devices) on every ECDSA backend: verdicts known from the construction,
an independent check with `cryptography` on the signed data, bit flips anywhere in an envelope or key, random
bytes never raising, CBOR and COSE encodings against the IC interface spec's bytes."""
import hashlib

import numpy as np
import pytest

from kernels import cbor
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import backend_params
from kernels.ecdsa import webauthn as wa
from kernels.ecdsa.workloads import (WEBAUTHN_KINDS, der_signature, der_to_raw, raw_signature, webauthn_batch,
                                     webauthn_correctness_batch)

FAST = backend_params("ecdsa_verify", exclude=("numba_cuda",))
PARSE_FAILURES = ("padded challenge", "no 55799 tag", "missing client_data_json", "extra field",
                  "raw r || s instead of DER", "non-minimal DER", "client data not JSON", "truncated envelope",
                  "empty envelope", "challenge of another message")


def _flip(data: bytes, bit: int) -> bytes:
    return data[:bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1:]


def test_cose_key_prefix_is_the_interface_specs():
    """The IC interface spec ("Web Authentication") gives the DER prefix of a COSE-wrapped key with this OID."""
    key = wa.cose_key(b"\x04" + bytes(range(64)))
    assert key.startswith(bytes.fromhex("305e300c060a2b0601040183b8430101034e00"))
    assert wa.cose_key_point(key) == b"\x04" + bytes(range(64))


def test_der_signature_round_trip():
    for r, s in ((1, 2), (2**255, 2**256 - 1), (0x7F, 0x80)):
        assert der_to_raw(der_signature(r, s)) == raw_signature(r, s)


def test_valid_envelopes_verify_with_cryptography_directly():
    """Independent of the suite's parser and backends: cryptography checks each DER signature over
    authenticator_data || SHA-256(client_data_json) with the key from the COSE map."""
    keys, msgs, envs = webauthn_batch(6, seed=3)
    for key, env in zip(keys, envs):
        fields = cbor.decode(env)[2]
        point = cbor.decode(key[19:])
        public = ec.EllipticCurvePublicNumbers(int.from_bytes(point[-2], "big"), int.from_bytes(point[-3], "big"),
                                               ec.SECP256R1()).public_key()
        data = fields["authenticator_data"] + hashlib.sha256(fields["client_data_json"].encode()).digest()
        public.verify(fields["signature"], data, ec.ECDSA(hashes.SHA256()))
        with pytest.raises(InvalidSignature):
            public.verify(fields["signature"], data + b"\x00", ec.ECDSA(hashes.SHA256()))


def test_parse_failures_are_parse_failures():
    keys, msgs, envs, valid, kinds = webauthn_correctness_batch()
    for kind in PARSE_FAILURES:
        i = kinds.index(kind)
        with pytest.raises((ValueError, UnicodeDecodeError)):
            wa.parse_envelope(msgs[i], envs[i])
    for kind in ("COSE alg RS256", "COSE curve P-384", "plain P-256 SubjectPublicKeyInfo"):
        with pytest.raises(ValueError):
            wa.cose_key_point(keys[kinds.index(kind)])


@pytest.mark.parametrize("backend", FAST)
def test_webauthn_correctness_batch(backend):
    keys, msgs, envs, valid, kinds = webauthn_correctness_batch()
    got = wa.webauthn_verify_batch(keys, msgs, envs, backend=backend)
    assert [k for k, g, w in zip(kinds, got, valid) if g != w] == []
    assert len(kinds) == len(WEBAUTHN_KINDS) and valid.sum() == 2


@pytest.mark.parametrize("backend", FAST)
def test_webauthn_batch_valid_and_empty(backend):
    keys, msgs, envs = webauthn_batch(12, seed=1)
    assert wa.webauthn_verify_batch(keys, msgs, envs, backend=backend).all()
    assert wa.webauthn_verify_batch([], [], [], backend=backend).shape == (0,)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(["envelope", "key"]), item=st.integers(0, 3), bit=st.integers(0, 10**6))
def test_any_bit_flip_is_false(which, item, bit):
    """One flipped bit anywhere in an envelope or key makes that element False and leaves the others True."""
    keys, msgs, envs = (list(x) for x in webauthn_batch(4, seed=2))
    target = envs if which == "envelope" else keys
    target[item] = _flip(target[item], bit % (8 * len(target[item])))
    got = wa.webauthn_verify_batch(keys, msgs, envs, backend="numba_cpu")
    assert got.tolist() == [i != item for i in range(4)]


@settings(max_examples=40, deadline=None)
@given(key=st.binary(max_size=120), env=st.binary(max_size=300), cut=st.integers(0, 400))
def test_random_bytes_never_raise(key, env, cut):
    keys, msgs, envs = webauthn_batch(2, seed=4)
    got = wa.webauthn_verify_batch([key, keys[0], keys[1]], [msgs[0], msgs[0], msgs[1]],
                                   [env, envs[0][:cut], envs[1]], backend="reference")
    assert got.tolist() == [False, cut >= len(envs[0]), True]


def test_bad_arguments():
    with pytest.raises(ValueError):
        wa.webauthn_verify_batch([b""], [], [b""], backend="reference")
    with pytest.raises(TypeError):
        wa.webauthn_verify_batch([1], [b""], [b""], backend="reference")


def test_hot_path_webauthn_check_agrees_and_catches_a_wrong_backend(monkeypatch):
    from kernels.ecdsa import HOT_PATH

    table = HOT_PATH.webauthn_check(["reference", "numba_cpu"])
    assert len(table) == 4 and table.result.str.startswith("agrees").all()
    monkeypatch.setattr(wa, "ecdsa_verify_batch", lambda curve, k, m, s, backend: np.ones(len(k), dtype=bool))
    with pytest.raises(AssertionError, match="wrong verdicts"):
        HOT_PATH.webauthn_check(["numba_cpu"])


def test_a_map_as_a_map_key_is_malformed_not_a_crash():
    # {{}: 1}: a map (0xa1) whose key is an empty map (0xa0), found by the bit-flip fuzzing above
    with pytest.raises(ValueError, match="map key"):
        cbor.decode(bytes([0xA1, 0xA0, 0x01]))
