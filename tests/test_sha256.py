"""SHA-256 on every backend against FIPS 180-4 / NIST known answers and the `reference` backend (never a
backend against itself): block-boundary lengths, differential fuzzing, bytes-like and packed inputs, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels import BackendUnavailable, backends_for, registry
from kernels.hashing import HOT_PATH, numba_cpu, pack, reference, sha256_batch, sha256_packed
from kernels.measure import Settings
from kernels.hashing.spec_examples import FIPS_VECTORS, MILLION_A_DIGEST

ALL = backend_params("sha256")
# The simulator runs one Python thread per CUDA thread: keep its inputs to a handful of messages.
FAST = backend_params("sha256", exclude=("numba_cuda",))
# Everything but the oracle itself: checked against `reference`.
NOT_REFERENCE = backend_params("sha256", exclude=("reference",))
FAST_NOT_REFERENCE = backend_params("sha256", exclude=("reference", "numba_cuda"))
BOUNDARY_LENGTHS = [0, 1, 3, 4, 5, 31, 32, 55, 56, 57, 63, 64, 65, 111, 112, 119, 120, 121, 127, 128, 129, 191, 192, 1000]


def hexes(digests):
    return [bytes(row).hex() for row in digests]


@pytest.mark.parametrize("backend", ALL)
def test_fips_known_answers(backend):
    got = sha256_batch([m for m, _ in FIPS_VECTORS], backend=backend)
    assert hexes(got) == [h for _, h in FIPS_VECTORS]


@pytest.mark.parametrize("backend", FAST)
def test_million_a_known_answer(backend):
    if backend == "reference":
        pytest.skip("pure Python: 1 MB takes too long for the suite")
    got = sha256_batch([b"a" * 1_000_000], backend=backend)
    assert bytes(got[0]).hex() == MILLION_A_DIGEST


@pytest.mark.parametrize("backend", NOT_REFERENCE)
def test_block_boundary_lengths_match_reference(backend):
    rng = np.random.default_rng(7)
    lengths = BOUNDARY_LENGTHS if backend != "numba_cuda" else [0, 55, 56, 64, 119, 120]
    messages = [rng.bytes(n) for n in lengths]
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), reference.sha256_batch(messages))


@pytest.mark.parametrize("backend", ALL)
def test_empty_batch_is_an_empty_array(backend):
    got = sha256_batch([], backend=backend)
    assert got.shape == (0, 32) and got.dtype == np.uint8


@pytest.mark.parametrize("backend", FAST_NOT_REFERENCE)
def test_ragged_batch_of_several_lane_groups_matches_reference(backend):
    rng = np.random.default_rng(3)
    messages = [rng.bytes(int(n)) for n in rng.integers(0, 400, 300)]
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), reference.sha256_batch(messages))


@pytest.mark.parametrize("backend", FAST_NOT_REFERENCE)
@settings(max_examples=25, deadline=None)
@given(messages=st.lists(st.binary(max_size=300), max_size=40))
def test_fuzz_against_reference(backend, messages):
    np.testing.assert_array_equal(sha256_batch(messages, backend=backend), reference.sha256_batch(messages))


@pytest.mark.parametrize("backend", ALL)
def test_bytes_like_inputs_hash_their_bytes(backend):
    raw = bytes(range(256)) * 2
    messages = [bytearray(raw[:70]), memoryview(raw)[1:66], memoryview(raw)[::3], np.frombuffer(raw, np.uint8)[5:125],
                raw[:0]]
    as_bytes = [raw[:70], raw[1:66], raw[::3], raw[5:125], b""]
    expected = [reference.sha256(m).hex() for m in as_bytes]
    assert hexes(sha256_batch(messages, backend=backend)) == expected


@pytest.mark.parametrize("backend", FAST)
def test_packed_batch_matches_reference(backend):
    rng = np.random.default_rng(5)
    messages = [rng.bytes(int(n)) for n in rng.integers(0, 200, 50)]
    expected = [reference.sha256(m).hex() for m in messages]
    assert hexes(sha256_packed(pack(messages), backend=backend)) == expected
    assert hexes(sha256_batch(pack(messages), backend=backend)) == expected


def test_one_buffer_packed_without_copy_hashes_like_reference():
    buffer = np.frombuffer(bytes(range(256)) * 4, np.uint8)
    packed = pack([buffer])
    assert np.shares_memory(packed.data, buffer)
    assert bytes(sha256_packed(packed, backend="numba_cpu")[0]).hex() == reference.sha256(buffer.tobytes()).hex()


@pytest.mark.parametrize("bad", [[b"ok", "text"], [1, 2], [b"x", None], [np.zeros(3, np.int32)]])
def test_non_bytes_element_is_type_error_naming_it(bad):
    with pytest.raises(TypeError, match=r"messages\[\d\]"):
        sha256_batch(bad, backend="library")


def test_single_bytes_object_is_type_error():
    with pytest.raises(TypeError, match="sequence"):
        sha256_batch(b"abc", backend="library")


def test_unknown_backend_is_value_error():
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        sha256_batch([b"abc"], backend="gpu")


def test_unavailable_backend_raises_with_reason():
    missing = {b: r for b, r in backends_for("sha256").items() if r}
    if not missing:
        pytest.skip("every backend is available on this machine")
    backend, reason = next(iter(missing.items()))
    with pytest.raises(BackendUnavailable, match=backend) as err:
        sha256_batch([b"abc"], backend=backend)
    assert reason in str(err.value)


# --- staged device backends ---------------------------------------------------------------------------------
STAGED = [p for p in ALL if registry.staged(p.values[0])]


@pytest.mark.parametrize("backend", STAGED)
def test_staged_backend_allocates_once_and_reruns_right(backend):
    messages = [bytes([i]) * i for i in range(40)]
    staged = registry.backend_module("sha256", backend).Staged(pack(messages))
    buffers = {name: id(buf) for name, buf in staged.dev.items()}
    expected = [reference.sha256(m).hex() for m in messages]
    assert hexes(staged.run()) == expected
    assert hexes(staged.run()) == expected
    assert {name: id(buf) for name, buf in staged.dev.items()} == buffers


# --- the hot path: sweeps, target, prediction -----------------------------------------------------------------
FAST_SETTINGS = Settings(warmup=0, min_repeats=1, min_seconds=0.0, energy_seconds=0.0)


def test_hot_path_operations_are_the_registry_line():
    assert HOT_PATH.operations == registry.HOT_PATHS["kernels.hashing"]
    assert registry.hot_path("sha256") is HOT_PATH


def test_sha256_sweep_phases_per_backend_and_message_bytes_column():
    frame = HOT_PATH.run_sweep("sha256", "smoke", ["library", "numba_cpu"], settings=FAST_SETTINGS, progress=False)
    phases = frame.groupby("backend").phase.apply(set).to_dict()
    assert phases == {"library": {"end_to_end"}, "numba_cpu": {"pack", "kernel", "end_to_end"}}
    assert set(frame.message_bytes) == {64} and set(frame.batch_size) == {1, 16, 256}
    one = frame[(frame.backend == "numba_cpu") & (frame.batch_size == 1)]
    assert set(one.device) == {"CPU, 1 core"}  # one lane group runs on the serial kernel


@pytest.mark.skipif(backends_for("sha256")["opencl"] is not None, reason="no OpenCL device")
def test_sha256_sweep_times_opencl_transfers_apart():
    sweep = HOT_PATH.sha256_sweep([HOT_PATH.cases("smoke")["sha256"].workloads[0]], [16])
    (case,) = list(sweep.cases(["opencl"]))
    assert list(case.phases) == ["pack", "h2d", "kernel", "d2h", "end_to_end"]


def test_reference_above_its_byte_cap_is_unavailable_with_reason():
    (item,) = list(HOT_PATH.cli_cases("sha256", ["reference"], [4096], 64))
    assert isinstance(item, BackendUnavailable) and "65,536 bytes" in str(item)


def test_cli_bench_is_sha256_only():
    with pytest.raises(ValueError, match="hashtree runs in the notebook"):
        HOT_PATH.cli_cases("hashtree", ["library"], [1], 64)


def test_unknown_profile_is_value_error():
    with pytest.raises(ValueError, match="unknown profile"):
        HOT_PATH.cases("huge")
    with pytest.raises(ValueError, match="unknown profile"):
        HOT_PATH.targets()["sha256"]("huge")


def test_sha256_target_is_interleaved_and_checked():
    result = HOT_PATH.targets()["sha256"]("smoke")
    assert result.items == 2**12 and result.checked and result.interleaved and result.repeats >= 5
    assert set(result.candidates) | set(result.unavailable) == {"numba_cpu", "opencl"}
    assert "numba_cpu" in result.candidates and result.candidates["numba_cpu"]["ratio"] > 0


def test_sha256_target_rejects_a_wrong_candidate(monkeypatch):
    monkeypatch.setattr(numba_cpu, "sha256_packed", lambda packed: np.zeros((packed.count, 32), np.uint8))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["sha256"]("smoke")


@pytest.mark.parametrize("message_bytes, blocks", [(0, 1), (55, 1), (56, 2), (64, 2), (119, 2), (120, 3)])
def test_prediction_counts_padded_blocks(message_bytes, blocks):
    pred = HOT_PATH.prediction(message_bytes, cores=2)
    assert pred["compressions"] == blocks and pred["padded_bytes"] == 64 * blocks
    assert pred["bytes_in"] == message_bytes + 8 and pred["bytes_out"] == 32
