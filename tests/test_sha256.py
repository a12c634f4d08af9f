"""SHA-256 on every backend against FIPS 180-4 / NIST known answers and the `reference` backend (never a
backend against itself): block-boundary lengths, differential fuzzing, bytes-like and packed inputs, bad input."""
import shutil

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


# --- numba_cpu's three paths (SHA-NI lanes, 16 vector lanes, scalar), each forced ---------------------------------
def path_params():
    """Every numba_cpu path; the SHA-NI one is skipped, with the reason, on a CPU without the instructions."""
    return [pytest.param(p, id=p, marks=[pytest.mark.skip(reason=r)] if (r := numba_cpu.path_unavailable_reason(p))
                         else []) for p in numba_cpu.PATHS]


PATHS = path_params()


@pytest.mark.parametrize("path", PATHS)
def test_path_matches_nist_vectors(path):
    got = numba_cpu.sha256_packed(pack([m for m, _ in FIPS_VECTORS]), path)
    assert hexes(got) == [h for _, h in FIPS_VECTORS]
    assert bytes(numba_cpu.sha256_packed(pack([b"a" * 1_000_000]), path)[0]).hex() == MILLION_A_DIGEST


@pytest.mark.parametrize("path", PATHS)
def test_path_on_every_block_boundary_matches_reference(path):
    """Every length 0..200 (tails of one and two padded blocks, 55/56, 64, 119/120, 128, 183/184) in groups of
    every lane count, and the same batch reversed so that lanes of one group end at different blocks."""
    rng = np.random.default_rng(11)
    messages = [rng.bytes(n) for n in range(201)]
    expected = reference.sha256_batch(messages)
    np.testing.assert_array_equal(numba_cpu.sha256_packed(pack(messages), path), expected)
    np.testing.assert_array_equal(numba_cpu.sha256_packed(pack(messages[::-1]), path), expected[::-1])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("count", [1, 3, 4, 5, 17, 300])
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "all-cores"])
def test_path_serial_and_parallel_builds_and_partial_groups(path, count, parallel, monkeypatch):
    """Counts below, at and above a lane group, on the serial build and (threshold lowered) the all-core one:
    against hashlib (an oracle independent of the kernels; the reference agrees with hashlib in the check)."""
    import hashlib

    monkeypatch.setattr(numba_cpu, "SERIAL_BELOW_BLOCKS", 0 if parallel else 1 << 40)
    assert numba_cpu.threads(pack([b"x"] * count), path) == (None if parallel else 1)
    rng = np.random.default_rng(count)
    messages = [rng.bytes(int(n)) for n in rng.integers(0, 150, count)]
    expected = np.array([np.frombuffer(hashlib.sha256(m).digest(), np.uint8) for m in messages])
    np.testing.assert_array_equal(numba_cpu.sha256_packed(pack(messages), path), expected)


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=20, deadline=None)
@given(messages=st.lists(st.binary(max_size=260), max_size=30))
def test_path_fuzz_against_reference(path, messages):
    np.testing.assert_array_equal(numba_cpu.sha256_packed(pack(messages), path), reference.sha256_batch(messages))


@pytest.mark.skipif(numba_cpu.path_unavailable_reason("sha_ni") is not None, reason="no SHA-NI on this CPU")
def test_sha_ni_clears_the_upper_vector_state_before_its_sse_instructions():
    """Where Numba targets AVX, the SHA-NI kernel's machine code runs vzeroupper ahead of its first sha256rnds2
    (legacy SSE after dirty 256/512-bit state costs a state transition: 14 us a message on a Xeon VM); without
    AVX there is nothing to clear."""
    from numba import njit, typeof
    from numba.core.registry import cpu_target

    from kernels.hashing import sha_ni

    compress = sha_ni.compress_intrinsic(2)

    @njit
    def one_block(state, blocks):
        compress(state, blocks)

    signature = (typeof(np.zeros(16, np.uint32)), typeof(np.zeros(2, np.int64)))
    one_block.compile(signature)  # compiled, never run: the block addresses would be made up
    text = one_block.inspect_asm(signature)
    first = text.index("sha256rnds2")
    assert ("vzeroupper" in text[:first]) == sha_ni.target_has_avx(cpu_target.target_context)


def test_default_path_follows_the_cpu_flags(monkeypatch):
    assert numba_cpu.default_path() in numba_cpu.PATHS
    monkeypatch.setattr(numba_cpu, "cpu_info", lambda: {"flags": ["avx2"]})
    assert numba_cpu.default_path() == "lanes16"
    assert "no SHA-NI" in numba_cpu.path_unavailable_reason("sha_ni")
    with pytest.raises(BackendUnavailable, match="sha_ni"):
        numba_cpu.sha256_packed(pack([b"abc"]), "sha_ni")
    monkeypatch.setattr(numba_cpu, "cpu_info", lambda: {"flags": []})
    assert numba_cpu.default_path() == "scalar"
    # the public call follows the forced fallback and still agrees with the reference
    assert hexes(sha256_batch([b"abc"], backend="numba_cpu")) == [reference.sha256(b"abc").hex()]
    with pytest.raises(ValueError, match="unknown path"):
        numba_cpu.path_unavailable_reason("avx9")


# --- inputs read where they lie: 2-D arrays and packed buffers -------------------------------------------------
@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("k", [0, 1, 55, 56, 64, 65, 128])
def test_two_d_array_rows_match_reference(backend, k):
    rows = np.random.default_rng(k).integers(0, 256, (37, k), dtype=np.uint8)
    expected = reference.sha256_batch([r.tobytes() for r in rows])
    np.testing.assert_array_equal(sha256_batch(rows, backend=backend), expected)
    # rows that are not C-contiguous (every other column of a wider array) are copied once, then hashed
    wide = np.repeat(rows, 2, axis=1)
    np.testing.assert_array_equal(sha256_batch(wide[:, ::2], backend=backend), expected)


def test_two_d_array_is_read_without_a_copy(monkeypatch):
    rows = np.random.default_rng(0).integers(0, 256, (20, 64), dtype=np.uint8)
    seen = {}
    real = numba_cpu.sha256_packed

    def spy(packed, path=None):
        seen["shares"] = np.shares_memory(packed.data, rows)
        return real(packed, path)

    monkeypatch.setattr(numba_cpu, "sha256_packed", spy)
    sha256_batch(rows, backend="numba_cpu")
    assert seen == {"shares": True}


@pytest.mark.parametrize("bad", [np.zeros((3, 4), np.int32), np.zeros((2, 2, 2), np.uint8)])
def test_arrays_that_are_not_2d_uint8_are_type_errors(bad):
    with pytest.raises(TypeError, match="messages"):
        sha256_batch(bad, backend="numba_cpu")


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
    assert set(one.device) == {"CPU, 1 core"}  # a small batch runs on the serial kernel


def test_input_forms_are_workloads_of_their_own():
    frame = HOT_PATH.run_sweep("sha256_inputs", "smoke", ["library", "numba_cpu"], settings=FAST_SETTINGS,
                               progress=False)
    assert set(frame.input) == {"list", "rows", "packed"} and set(frame.batch_size) == {256}
    assert set(frame.workload) == {"random-64B-list", "random-64B-rows", "random-64B-packed"}
    numba_rows = frame[frame.backend == "numba_cpu"]
    assert set(numba_rows.phase) == {"pack", "kernel", "end_to_end"}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not on PATH")
def test_peer_row_records_openssl_with_its_provenance():
    frame = HOT_PATH.run_sweep("sha256_peer", "smoke", [], settings=FAST_SETTINGS, progress=False)
    (row,) = frame.to_dict("records")
    assert row["backend"] == "openssl" and row["phase"] == "end_to_end" and row["items_per_s"] > 1e4
    assert row["peer_command"].startswith("openssl speed -mr -multi") and "-bytes 64 sha256" in row["peer_command"]
    assert row["peer_version"].startswith("OpenSSL") and row["peer_timed_by"] == "openssl"


def test_peer_row_is_absent_with_the_reason_without_openssl(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    frame = HOT_PATH.run_sweep("sha256_peer", "smoke", [], settings=FAST_SETTINGS, progress=False)
    assert frame.empty and "not on PATH" in capsys.readouterr().out


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
    assert result.goal_ratio == 3.0
    assert set(result.candidates) | set(result.unavailable) == {"numba_cpu", "opencl"}
    assert "numba_cpu" in result.candidates and result.candidates["numba_cpu"]["ratio"] > 0


def test_sha256_rows_target_times_the_array_and_packed_forms():
    result = HOT_PATH.targets()["sha256_rows"]("smoke")
    assert result.goal_ratio == 6.0 and result.checked and result.interleaved
    assert set(result.candidates) == {"numba_cpu (2-D array)", "numba_cpu (Packed)"}
    assert result.candidates["numba_cpu (2-D array)"]["kernel_ratio"] > 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not on PATH")
def test_openssl_target_is_marked_not_interleaved_and_checked():
    result = HOT_PATH.targets()["sha256_openssl"]("smoke")
    assert result.goal_ratio == 1.5 and result.checked and not result.interleaved
    assert result.baseline.startswith("openssl speed -multi") and result.peer_items_per_s == result.baseline_items_per_s
    assert result.ratio == pytest.approx(result.candidate_items_per_s / result.peer_items_per_s)
    assert result.row()["interleaved"] is False


def test_openssl_target_without_openssl_says_why(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = HOT_PATH.targets()["sha256_openssl"]("smoke")
    assert not result.met and "not on PATH" in result.unavailable["numba_cpu"]


def test_sha256_target_rejects_a_wrong_candidate(monkeypatch):
    monkeypatch.setattr(numba_cpu, "sha256_packed", lambda packed: np.zeros((packed.count, 32), np.uint8))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["sha256"]("smoke")


@pytest.mark.parametrize("message_bytes, blocks", [(0, 1), (55, 1), (56, 2), (64, 2), (119, 2), (120, 3)])
def test_prediction_counts_padded_blocks(message_bytes, blocks):
    pred = HOT_PATH.prediction(message_bytes, cores=2)
    assert pred["compressions"] == blocks and pred["padded_bytes"] == 64 * blocks
    assert pred["bytes_in"] == message_bytes + 8 and pred["bytes_out"] == 32
