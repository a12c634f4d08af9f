"""Packing ragged batches (shared by every hot path)."""
import numpy as np
import pytest

from kernels.packing import pack, pack_equal


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
