"""SHA-256 on every backend: FIPS 180-4 examples, block-boundary lengths, differential fuzzing, bad input."""
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels import BackendUnavailable, backends_for
from kernels.hashing import pack, sha256_batch, sha256_packed

ALL = backend_params("sha256")
# The simulator runs one Python thread per CUDA thread: keep its inputs to a handful of messages.
FAST = backend_params("sha256", exclude=("numba_cuda",))

# FIPS 180-4 examples (NIST CSRC "Example Values", SHA256.pdf and SHA2_Additional).
FIPS = [
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    (b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
]
BOUNDARY_LENGTHS = [0, 1, 3, 4, 5, 31, 32, 55, 56, 57, 63, 64, 65, 111, 112, 119, 120, 121, 127, 128, 129, 191, 192, 1000]


def hashlib_digests(messages):
    return np.array([np.frombuffer(hashlib.sha256(bytes(m)).digest(), np.uint8) for m in messages]).reshape(-1, 32)


@pytest.mark.parametrize("backend", ALL)
def test_fips_examples(backend):
    got = sha256_batch([m for m, _ in FIPS], backend=backend)
    assert [bytes(row).hex() for row in got] == [h for _, h in FIPS]


@pytest.mark.parametrize("backend", FAST)
def test_million_a(backend):
    if backend == "reference":
        pytest.skip("pure Python: 1 MB takes too long for the suite")
    got = sha256_batch([b"a" * 1_000_000], backend=backend)
    assert bytes(got[0]).hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


@pytest.mark.parametrize("backend", ALL)
def test_block_boundary_lengths(backend):
    rng = np.random.default_rng(7)
    lengths = BOUNDARY_LENGTHS if backend != "numba_cuda" else [0, 55, 56, 64, 119, 120]
    messages = [rng.bytes(n) for n in lengths]
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), hashlib_digests(messages))


@pytest.mark.parametrize("backend", ALL)
def test_empty_batch(backend):
    got = sha256_batch([], backend=backend)
    assert got.shape == (0, 32) and got.dtype == np.uint8


@pytest.mark.parametrize("backend", FAST)
def test_ragged_batch_larger_than_one_lane_group(backend):
    rng = np.random.default_rng(3)
    messages = [rng.bytes(int(n)) for n in rng.integers(0, 400, 100 if backend == "reference" else 1000)]
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), hashlib_digests(messages))


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=25, deadline=None)
@given(messages=st.lists(st.binary(max_size=300), max_size=40))
def test_fuzz_against_hashlib(backend, messages):
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), hashlib_digests(messages))


@pytest.mark.parametrize("backend", ALL)
def test_bytes_like_inputs(backend):
    raw = bytes(range(256)) * 2
    messages = [bytearray(raw[:70]), memoryview(raw)[1:66], memoryview(raw)[::3], np.frombuffer(raw, np.uint8)[5:125],
                raw[:0]]
    expected = hashlib_digests([bytes(memoryview(m).tobytes()) if not isinstance(m, np.ndarray) else m.tobytes()
                                for m in messages])
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), expected)


@pytest.mark.parametrize("backend", FAST)
def test_packed_input_is_not_copied_and_agrees(backend):
    rng = np.random.default_rng(5)
    messages = [rng.bytes(int(n)) for n in rng.integers(0, 200, 50)]
    np.testing.assert_array_equal(sha256_packed(pack(messages), backend=backend), hashlib_digests(messages))


@pytest.mark.parametrize("bad", [[b"ok", "text"], [1, 2], [b"x", None], [np.zeros(3, np.int32)]])
def test_non_bytes_element_is_type_error(bad):
    with pytest.raises(TypeError, match=r"messages\[\d\]"):
        sha256_batch(bad, backend="library")


def test_single_bytes_object_is_type_error():
    with pytest.raises(TypeError, match="sequence"):
        sha256_batch(b"abc", backend="library")


def test_unknown_backend_is_value_error():
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        sha256_batch([b"abc"], backend="gpu")


def test_unavailable_backend_raises_with_reason():
    missing = [b for b, r in backends_for("sha256").items() if r]
    if not missing:
        pytest.skip("every backend is available on this machine")
    with pytest.raises(BackendUnavailable, match=missing[0]):
        sha256_batch([b"abc"], backend=missing[0])
