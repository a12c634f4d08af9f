"""Checksums on every backend: published check values, RFC 1071, boundary lengths, combining pieces, differential
fuzzing against an implementation independent of the backend under test (the bitwise reference for the
library; zlib / crc32c / numpy for every other backend), bad input; the textual principal form."""
import functools
import zlib

import crc32c
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels import BackendUnavailable, backends_for
from kernels.checksums import (ALGORITHMS, checksum_batch, checksum_packed, pack, principal_from_text,
                               principal_to_text, reference, tables)
from kernels.checksums import library, numba_cpu
from kernels.checksums.pieces import COMBINE_FAN_IN, DEVICE_PIECE_BYTES, device_arrays, groups, split, two_level

ALL = backend_params("crc32")
# The simulator runs one Python thread per CUDA thread: keep its inputs to a handful of buffers.
FAST = backend_params("crc32", exclude=("numba_cuda",))
# Backends that cut one buffer into pieces (numba_cpu on cores, OpenCL on work-items).
SPLITTING = backend_params("crc32", exclude=("reference", "library", "numba_cuda"))
LIBRARY = {"crc32": zlib.crc32, "crc32c": crc32c.crc32c, "adler32": zlib.adler32, "inet16": library.inet16}


def expected(algorithm, buffers, backend):
    """The values `backend` must reproduce, from an implementation independent of it: the bitwise reference
    for `library` (which calls zlib / crc32c / numpy), and those libraries for every other backend."""
    fn = reference.FUNCTIONS[algorithm] if backend == "library" else LIBRARY[algorithm]
    return np.array([fn(bytes(b)) for b in buffers], dtype=np.uint32).reshape(-1)


# Published check values (docs/REFERENCES.md section 1): Greg Cook's CRC catalogue on ASCII "123456789", and the
# Adler-32 of "Wikipedia" (Wikipedia, "Adler-32").
CHECK = [("crc32", b"123456789", 0xCBF43926), ("crc32c", b"123456789", 0xE3069283),
         ("adler32", b"123456789", 0x091E01DE), ("adler32", b"Wikipedia", 0x11E60398)]
# RFC 1071 section 3: these eight bytes sum to 0xddf2, so the checksum is 0x220d.
RFC1071 = bytes.fromhex("0001f203f4f5f6f7")


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("algorithm, data, value", CHECK, ids=lambda v: v if isinstance(v, str) else None)
def test_published_check_values(backend, algorithm, data, value):
    got = checksum_batch(algorithm, [data], backend=backend)
    assert got.dtype == np.uint32 and got.shape == (1,)
    assert int(got[0]) == value


@pytest.mark.parametrize("backend", ALL)
def test_rfc1071_example_and_odd_length_padding(backend):
    assert int(checksum_batch("inet16", [RFC1071], backend=backend)[0]) == 0x220D
    # Odd length: the last byte is padded with a zero byte, so appending a zero changes nothing.
    odd = checksum_batch("inet16", [RFC1071[:7], RFC1071[:7] + b"\0"], backend=backend)
    assert odd[0] == odd[1] == 0x220D + 0xF7


def test_bitwise_reference_agrees_with_zlib_and_crc32c():
    rng = np.random.default_rng(11)
    for n in (0, 1, 2, 3, 7, 64, 200, 1001):
        b = rng.bytes(n)
        assert reference.crc32(b) == zlib.crc32(b)
        assert reference.crc32c(b) == crc32c.crc32c(b)
        assert reference.adler32(b) == zlib.adler32(b)
        assert reference.inet16(b) == library.inet16(b)


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_lengths_0_to_65(backend, algorithm):
    rng = np.random.default_rng(1)
    lengths = range(66) if backend != "numba_cuda" else (0, 1, 2, 3, 4, 5, 8, 63, 64, 65)
    buffers = [rng.bytes(n) for n in lengths]
    np.testing.assert_array_equal(checksum_batch(algorithm, buffers, backend=backend),
                                  expected(algorithm, buffers, backend))


# Around the numba_cpu fold (64-byte steps, 128-byte minimum, 16-byte tail) and Adler-32 blocks (4096, 5552).
FOLD_LENGTHS = [127, 128, 129, 143, 144, 145, 191, 192, 193, 255, 256, 257, 1023, 4095, 4096, 4097, 5552, 5553,
                11104, 11105]


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_fold_and_block_boundaries(backend, algorithm):
    rng = np.random.default_rng(2)
    lengths = FOLD_LENGTHS if backend != "reference" else FOLD_LENGTHS[:12]
    buffers = [rng.bytes(n) for n in lengths]
    np.testing.assert_array_equal(checksum_batch(algorithm, buffers, backend=backend),
                                  expected(algorithm, buffers, backend))


@pytest.mark.parametrize("backend", [b for b in ("opencl", "numba_cuda", "cupy")])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_device_piece_boundaries(backend, algorithm):
    """Buffers cut into several device pieces (4096 bytes), lengths just around the cuts."""
    reason = backends_for(algorithm)[backend]
    if reason:
        pytest.skip(reason)
    rng = np.random.default_rng(3)
    p = DEVICE_PIECE_BYTES
    lengths = [p - 1, p, p + 1, 2 * p - 1, 2 * p + 1, 3 * p + 7, COMBINE_FAN_IN * p, (COMBINE_FAN_IN + 1) * p + 5,
               (3 * COMBINE_FAN_IN + 2) * p - 1]  # the last three: one and two combine levels
    if backend == "numba_cuda":
        lengths = [p + 1, 2 * p + 3]
    buffers = [rng.bytes(n) for n in lengths]
    np.testing.assert_array_equal(checksum_batch(algorithm, buffers, backend=backend),
                                  expected(algorithm, buffers, backend))


@pytest.mark.parametrize("parallel", [True, False], ids=["all-cores", "one-thread"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("piece_bytes", [2, 6, 64, 130, 4096])
def test_numba_cpu_uneven_pieces(algorithm, piece_bytes, parallel):
    """The same buffers cut into pieces of many sizes (none divides every length) combine to the same value,
    in both builds of the batch loop."""
    rng = np.random.default_rng(piece_bytes)
    buffers = [rng.bytes(int(n)) for n in rng.integers(0, 3000, 12)] + [rng.bytes(4096 * 3 + 5)]
    got = numba_cpu.checksum_packed(algorithm, pack(buffers), piece_bytes=piece_bytes, parallel=parallel)
    np.testing.assert_array_equal(got, expected(algorithm, buffers, "numba_cpu"))


@pytest.mark.parametrize("backend", SPLITTING)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_one_large_buffer_split_and_combined(backend, algorithm):
    """One buffer split across cores (numba_cpu pieces are 1 MiB, device pieces 4 KiB) and combined."""
    buffer = np.random.default_rng(4).bytes(3 * (1 << 20) + 12345)
    got = checksum_batch(algorithm, [buffer, b"x"], backend=backend)
    np.testing.assert_array_equal(got, expected(algorithm, [buffer, b"x"], backend))


def test_crc_combine_uneven_splits():
    """zlib's GF(2) matrix combine (reference) and the x^(8n) mod P combine (kernels) agree with zlib."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(0, 5000))
        data = rng.bytes(n)
        cut = int(rng.integers(0, n + 1))
        a, b = data[:cut], data[cut:]
        for algorithm, fn in (("crc32", zlib.crc32), ("crc32c", crc32c.crc32c)):
            poly = reference.POLYS[algorithm]
            assert reference.crc_combine(poly, fn(a), fn(b), len(b)) == fn(data)
            shifted = tables.multmodp(poly, tables.xpow8n(algorithm, len(b)), fn(a))
            assert shifted ^ fn(b) == fn(data)
        assert reference.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(data)


def test_tables_agree_with_bitwise_crc():
    for algorithm in ("crc32", "crc32c"):
        poly = reference.POLYS[algorithm]
        t = tables.byte_tables(algorithm)
        for b in (0, 1, 0x80, 0xFF, 0x5A):
            assert t[0, b] == reference.crc_raw(poly, b, b"\0")  # eight bitwise steps on register b
            assert t[0, b] == reference.crc_raw(poly, 0, bytes([b]))
            assert t[3, b] == reference.crc_raw(poly, 0, bytes([b]) + b"\0" * 3)
        assert tables.xpow8n(algorithm, 0) == 1 << 31


def test_split_covers_every_byte_once():
    packed = pack([b"", b"abc", bytes(10), b"z" * 7])
    pcs = split(packed, 4)
    assert pcs.item.tolist() == [0, 1, 2, 2, 2, 3, 3]
    assert pcs.item_pieces.tolist() == [0, 1, 2, 5, 7]
    assert (pcs.end - pcs.start).tolist() == [0, 3, 4, 4, 2, 4, 3]
    with pytest.raises(ValueError, match="piece_bytes"):
        split(packed, 3)
    with pytest.raises(ValueError, match="piece_bytes"):
        numba_cpu.checksum_packed("crc32", packed, piece_bytes=3)


def test_numba_cuda_two_level_combine():
    """One buffer of COMBINE_FAN_IN + 1 device pieces through numba_cuda's launches (simulator: about 2 s)."""
    reason = backends_for("crc32")["numba_cuda"]
    if reason:
        pytest.skip(reason)
    buffer = np.random.default_rng(10).bytes((COMBINE_FAN_IN + 1) * DEVICE_PIECE_BYTES + 3)
    assert int(checksum_batch("crc32", [buffer], backend="numba_cuda")[0]) == zlib.crc32(buffer)


def test_combine_groups_cover_every_piece_once():
    pcs = split(pack([b"", bytes(10), bytes(3)]), 2)  # 1, 5 and 2 pieces
    group_first, item_groups = groups(pcs, 2)
    assert group_first.tolist() == [0, 1, 3, 5, 6, 8]
    assert item_groups.tolist() == [0, 1, 4, 5]


@pytest.mark.parametrize("piece_bytes", [2, 4, 10, 1 << 20])
def test_compiled_split_matches_numpy_split(piece_bytes):
    rng = np.random.default_rng(piece_bytes)
    packed = pack([rng.bytes(int(n)) for n in rng.integers(0, 50, 30)] + [b""])
    expected = split(packed, piece_bytes)
    got = numba_cpu._split(packed.offsets, piece_bytes)
    for name, array in zip(("start", "end", "item", "item_pieces"), got):
        np.testing.assert_array_equal(array, getattr(expected, name))


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_batch_gives_empty_uint32_array(backend, algorithm):
    got = checksum_batch(algorithm, [], backend=backend)
    assert got.shape == (0,) and got.dtype == np.uint32


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=20, deadline=None)
@given(buffers=st.lists(st.binary(max_size=400), max_size=30), algorithm=st.sampled_from(ALGORITHMS))
def test_fuzz_against_an_independent_implementation(backend, buffers, algorithm):
    np.testing.assert_array_equal(checksum_batch(algorithm, buffers, backend=backend),
                                  expected(algorithm, buffers, backend))


@pytest.mark.parametrize("backend", ALL)
def test_bytes_like_inputs_give_the_values_of_their_bytes(backend):
    raw = bytes(range(256)) * 2
    buffers = [bytearray(raw[:70]), memoryview(raw)[1:66], memoryview(raw)[::3], np.frombuffer(raw, np.uint8)[5:125],
               raw[:0]]
    flat = [bytes(b) if not isinstance(b, memoryview) else b.tobytes() for b in buffers]
    for algorithm in ALGORITHMS:
        np.testing.assert_array_equal(checksum_batch(algorithm, buffers, backend=backend),
                                      expected(algorithm, flat, backend))


@pytest.mark.parametrize("backend", FAST)
def test_packed_input_gives_the_same_values(backend):
    rng = np.random.default_rng(6)
    buffers = [rng.bytes(int(n)) for n in rng.integers(0, 300, 40)]
    for algorithm in ALGORITHMS:
        np.testing.assert_array_equal(checksum_packed(algorithm, pack(buffers), backend=backend),
                                      expected(algorithm, buffers, backend))


@pytest.mark.parametrize("backend", ["opencl", "numba_cuda", "cupy"])
def test_staged_run_allocates_no_device_memory_after_construction(backend, monkeypatch):
    """Device buffers are allocated once, in the constructor: h2d, kernel and d2h (run twice) allocate
    nothing, so transfer times mean the same on every device API."""
    from kernels.registry import backend_module

    reason = backends_for("crc32")[backend]
    if reason:
        pytest.skip(reason)
    rng = np.random.default_rng(12)
    buffers = [rng.bytes(n) for n in (0, 5, 70, DEVICE_PIECE_BYTES + 1)]
    staged = backend_module("crc32", backend).Staged("crc32", pack(buffers))

    def refuse(*args, **kwargs):
        raise AssertionError("device memory allocated after construction")

    monkeypatch.setattr(staged, "_alloc", refuse)
    if backend == "numba_cuda":
        from numba import cuda

        monkeypatch.setattr(cuda, "to_device", refuse)
        monkeypatch.setattr(cuda, "device_array", refuse)
    elif backend == "opencl":
        import pyopencl

        monkeypatch.setattr(pyopencl, "Buffer", refuse)
    else:
        import cupy

        monkeypatch.setattr(cupy, "empty", refuse)
        monkeypatch.setattr(cupy, "asarray", refuse)
    for _ in range(2):
        np.testing.assert_array_equal(staged.run(), expected("crc32", buffers, backend))


@pytest.mark.parametrize("bad", ["crc16", "CRC32", "", None, 32])
def test_unknown_algorithm_is_value_error(bad):
    with pytest.raises(ValueError, match="unknown algorithm"):
        checksum_batch(bad, [b"abc"], backend="library")


@pytest.mark.parametrize("bad", [[b"ok", "text"], [1, 2], [b"x", None], [np.zeros(3, np.int32)]])
def test_non_bytes_element_is_type_error(bad):
    with pytest.raises(TypeError, match=r"buffers\[\d\]"):
        checksum_batch("crc32", bad, backend="library")


def test_single_bytes_object_is_type_error():
    with pytest.raises(TypeError, match="sequence"):
        checksum_batch("crc32", b"abc", backend="numba_cpu")


def test_unknown_backend_is_value_error():
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        checksum_batch("crc32", [b"abc"], backend="gpu")


def test_unavailable_backend_raises_with_reason():
    missing = [b for b, r in backends_for("crc32").items() if r]
    if not missing:
        pytest.skip("every backend is available on this machine")
    with pytest.raises(BackendUnavailable, match=missing[0]):
        checksum_batch("crc32", [b"abc"], backend=missing[0])


# --- principals -------------------------------------------------------------------------------------------

PRINCIPALS = [
    ("abcd01", "em77e-bvlzu-aq"),  # IC interface specification example
    ("04", "2vxsx-fae"),  # the anonymous principal
    ("", "aaaaa-aa"),  # the management canister
    ("00000000000000010101", "rrkah-fqaaa-aaaaa-aaaaq-cai"),  # canister id 1 (a well-known NNS canister)
]


@pytest.mark.parametrize("raw, text", PRINCIPALS)
def test_principal_examples_print_and_parse(raw, text):
    assert principal_to_text(bytes.fromhex(raw)) == text
    assert principal_from_text(text) == bytes.fromhex(raw)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=29))
def test_principal_round_trip_in_any_case(raw):
    text = principal_to_text(raw)
    assert text == text.lower() and all(len(g) == 5 for g in text.split("-")[:-1])
    assert principal_from_text(text) == raw
    assert principal_from_text(text.upper()) == raw


@pytest.mark.parametrize("text", ["EM77E-BVLZU-AQ", "Em77E-bVlZu-Aq", "em77e-BVLZU-aq"])
def test_principal_text_is_parsed_case_insensitively(text):
    """IC interface specification: "conventionally printed with lower case letters, but parsed
    case-insensitively"; printing stays lower case."""
    assert principal_from_text(text) == bytes.fromhex("abcd01") == principal_from_text("em77e-bvlzu-aq")
    assert principal_to_text(principal_from_text(text)) == "em77e-bvlzu-aq"


@pytest.mark.parametrize("text, message", [
    ("em77e-bvlzu-ab", "checksum|canonical"),  # last character changed
    ("em77f-bvlzu-aq", "checksum"),  # a CRC character changed
    ("em77eb-vlzu-aq", "canonical"),  # grouping moved
    ("em77ebvlzuaq", "canonical"),  # no dashes
    ("EM77E-BVLZU-AB", "checksum|canonical"),  # upper case, last character changed
    ("EM77F-BVLZU-AQ", "checksum"),  # upper case, a CRC character changed
    ("em77e-bvlzu-a\u212a", "Base32"),  # KELVIN SIGN: lower-cases to an ASCII 'k', still not Base32
    ("em77e-bvlzu-aq-", "canonical"),  # trailing dash
    ("em77e-bvlzu-a1", "Base32"),  # '1' is not a Base32 letter
    ("aaa", "Base32|short"),
    ("", "short"),
])
def test_principal_from_text_rejects_corrupted_or_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        principal_from_text(text)


def test_principal_bad_types_and_lengths():
    with pytest.raises(TypeError, match="text"):
        principal_from_text(b"aaaaa-aa")
    with pytest.raises(TypeError, match="raw"):
        principal_to_text("abc")
    with pytest.raises(ValueError, match="at most 29"):
        principal_to_text(bytes(30))
    with pytest.raises(ValueError, match="at most 29"):
        principal_from_text(principal_to_text(bytes(29)).replace("-", "")[:-1] + "aaaaaaaa")


# --- numba_cuda device code compiled for the CPU ---------------------------------------------------------

@functools.cache
def _cpu_build_of_numba_cuda():
    """The numba_cuda device functions compiled with njit, plus a loop standing in for the two launches.
    Numba types integers the same way on the CPU and CUDA targets, so this catches typing errors (say, a
    uint64 index mixed with an int64 that turns into a float) that the simulator, which runs plain Python,
    cannot see; it also runs the exact device code once more on real data."""
    import types as pytypes

    from numba import njit

    from kernels.checksums import numba_cuda

    ns = dict(vars(numba_cuda))
    for name in ("_crc_bytes", "_multmodp", "_xpow8n", "_adler", "_fold16", "_inet_sum", "_piece", "_combine"):
        obj = getattr(numba_cuda, name)
        fn = getattr(obj, "py_func", None) or obj.fn
        ns[name] = njit(pytypes.FunctionType(fn.__code__, ns, name))
    exec("def run(algorithm, poly, data, offsets, start, end, item, item_pieces, tables, partial):\n"
         "    for p in range(start.shape[0]):\n"
         "        _piece(p, algorithm, poly, data, offsets, start, end, item, item_pieces, tables, partial)\n"
         "def combine(algorithm, in_len, seg_first, inp, out, out_len, finalize):\n"
         "    for j in range(out.shape[0]):\n"
         "        _combine(j, algorithm, in_len, seg_first, inp, out, out_len, finalize)\n", ns)
    return njit(ns["run"]), njit(ns["combine"]), numba_cuda


@pytest.mark.parametrize("fan_in", [2, 3, 64], ids=["two-level-2", "two-level-3", "one-level"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_numba_cuda_device_code_types_and_agrees_on_cpu(algorithm, fan_in):
    run, combine, numba_cuda = _cpu_build_of_numba_cuda()
    rng = np.random.default_rng(9)
    buffers = [rng.bytes(n) for n in (0, 1, 5, 64, 4095, 4096, 4097, 9001, 5 * 4096 + 17)]
    host = {k: v if k == "data" else v.view(np.int64)
            for k, v in device_arrays(pack(buffers), fan_in=fan_in).items()}
    code, poly = np.int64(tables.ALGORITHM_CODES[algorithm]), tables.device_poly(algorithm)
    partial = np.empty(host["start"].size, np.uint32)
    run(code, poly, host["data"], host["offsets"], host["start"], host["end"], host["item"], host["item_pieces"],
        tables.device_tables(), partial)
    out, out_len = np.empty(len(buffers), np.uint32), np.empty(len(buffers), np.int64)
    if two_level(host):
        ngroups = host["group_first"].size - 1
        group, group_len = np.empty(ngroups, np.uint32), np.empty(ngroups, np.int64)
        combine(code, host["piece_len"], host["group_first"], partial, group, group_len, np.int64(0))
        combine(code, group_len, host["item_groups"], group, out, out_len, np.int64(1))
    else:
        combine(code, host["piece_len"], host["item_pieces"], partial, out, out_len, np.int64(1))
    assert two_level(host) == (fan_in < 6)
    np.testing.assert_array_equal(out, expected(algorithm, buffers, "numba_cuda"))
    np.testing.assert_array_equal(out_len, [len(b) for b in buffers])


# --- caller-runs scheduling: the call never waits for a helper ------------------------------------------------
@pytest.mark.parametrize("algorithm", ["crc32", "crc32c"])
@pytest.mark.parametrize("stalled", [[0], [1, 2], "all"], ids=["first", "middle", "all"])
def test_caller_computes_pieces_a_stalled_helper_claimed(algorithm, stalled):
    """Pieces a helper claimed but never finished (counter moved past them, done never set) are computed by the
    caller itself: the result is right and the call returns without the helper."""
    rng = np.random.default_rng(1)
    buffers = [rng.bytes(5000), rng.bytes(1), b"", rng.bytes(3000)]
    packed = pack(buffers)
    start, end, item, item_pieces = numba_cpu._split(packed.offsets, 1024)
    first = np.zeros(start.size, np.bool_)
    first[item_pieces[:-1]] = True
    claimed = list(range(start.size)) if stalled == "all" else stalled
    partial = np.zeros(start.size, np.uint32)
    done = np.zeros(start.size, np.int64)
    counter = np.zeros(1, np.int64)
    # a helper that claimed `claimed` and stalled: the counter is past them, nothing of theirs is done
    counter[0] = max(claimed) + 1
    for p in range(max(claimed) + 1):
        if p not in claimed:  # pieces before it that the helper did finish
            partial[p] = numba_cpu._crc_piece(*numba_cpu._CRC_CONSTANTS[algorithm][:2],
                                              np.uint32(0xFFFFFFFF) if first[p] else np.uint32(0), packed.data,
                                              start[p], end[p])
            done[p] = 1
    tab, k, poly, x2n = numba_cpu._CRC_CONSTANTS[algorithm]
    out = np.empty(packed.count, np.uint32)
    numba_cpu._crc_caller(tab, k, poly, x2n, packed.data, start, end, first, item_pieces, partial, done, counter, out)
    np.testing.assert_array_equal(out, expected(algorithm, buffers, "numba_cpu"))


def test_helpers_drop_offers_beyond_the_idle_ones():
    import threading

    from kernels.caller_runs import Helpers

    helpers, gate, ran = Helpers(2), threading.Event(), []
    assert helpers.offer(lambda: (gate.wait(5), ran.append(1)), 5) == 2  # two helpers, both now busy
    assert helpers.offer(lambda: ran.append(2), 1) == 0  # nobody free: dropped, never queued
    gate.set()
    helpers._pool.shutdown(wait=True)
    assert ran == [1, 1]


@pytest.mark.parametrize("scheduling", ["caller-runs", "fork-join"])
def test_read_all_sums_every_word(scheduling):
    data = np.random.default_rng(2).integers(0, 256, 3 * (1 << 20) + 8 * 5, dtype=np.uint8)
    assert numba_cpu.read_all(data, scheduling) == int(data.view(np.uint64).sum(dtype=np.uint64))
    with pytest.raises(ValueError, match="scheduling"):
        numba_cpu.read_all(data, "round-robin")


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c"])
def test_fork_join_crc_kept_for_the_experiment_agrees(algorithm):
    buffers = [np.random.default_rng(6).bytes(3 * (1 << 20) + 77), b"abc"]
    np.testing.assert_array_equal(numba_cpu.crc_fork_join(algorithm, pack(buffers), 1 << 18),
                                  expected(algorithm, buffers, "numba_cpu"))
