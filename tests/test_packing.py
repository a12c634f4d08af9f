"""Packing ragged batches (shared by every hot path)."""
import numpy as np
import pytest

from kernels.packing import check_messages, pack, pack_equal, pack_rows, unpack


def test_offsets_and_data():
    packed = pack([b"ab", b"", bytearray(b"cde"), memoryview(b"xyzw")[::2], np.frombuffer(b"q", np.uint8)])
    assert packed.offsets.tolist() == [0, 2, 2, 5, 7, 8]
    assert packed.data.tobytes() == b"abcdexzq"
    assert packed.count == 5 and packed.lengths.tolist() == [2, 0, 3, 2, 1]


def test_single_contiguous_buffer_is_not_copied():
    buffer = np.arange(1000, dtype=np.uint8)
    packed = pack([buffer])
    assert np.shares_memory(packed.data, buffer) and packed.offsets.tolist() == [0, 1000]
    raw = bytearray(b"abc")
    assert np.shares_memory(pack([raw]).data, np.frombuffer(raw, np.uint8))


def test_single_strided_buffer_is_copied_in_order():
    assert pack([memoryview(b"abcdef")[::2]]).data.tobytes() == b"ace"


def test_empty_batch():
    packed = pack([])
    assert packed.count == 0 and packed.data.size == 0


def test_pack_equal():
    packed = pack_equal(np.arange(12, dtype=np.uint8), 4)
    assert packed.offsets.tolist() == [0, 4, 8, 12]
    with pytest.raises(ValueError, match="item_size"):
        pack_equal(np.arange(10, dtype=np.uint8), 4)


@pytest.mark.parametrize("bad", [b"abc", "abc", [b"a", 1], 5])
def test_bad_batches(bad):
    with pytest.raises(TypeError):
        pack(bad)


def test_rows_of_a_2d_array_are_packed_without_a_copy():
    rows = np.arange(24, dtype=np.uint8).reshape(4, 6)
    packed = pack(rows)
    assert np.shares_memory(packed.data, rows) and packed.offsets.tolist() == [0, 6, 12, 18, 24]
    strided = np.arange(48, dtype=np.uint8).reshape(4, 12)[:, ::2]  # rows not contiguous: one copy, same bytes
    assert pack_rows(strided).data.tobytes() == strided.tobytes()
    assert pack_rows(np.zeros((3, 0), np.uint8)).offsets.tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("bad", [np.zeros((2, 3), np.int16), np.zeros(5, np.uint8), np.zeros((1, 2, 3), np.uint8)])
def test_pack_rows_rejects_what_is_not_a_2d_uint8_array(bad):
    with pytest.raises(TypeError, match="2-D uint8"):
        pack_rows(bad)


def test_a_packed_batch_passes_through_and_unpacks_to_its_messages():
    messages = [b"ab", b"", b"cde"]
    packed = pack(messages)
    assert pack(packed) is packed
    assert unpack(packed) == messages
    assert unpack(pack([])) == []


def test_a_list_is_checked_without_being_copied():
    messages = [b"x", b"yz"]
    assert check_messages(messages) is messages
    assert check_messages(iter(messages)) == messages  # any other iterable becomes a list
