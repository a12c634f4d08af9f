"""CBOR (kernels.cbor), the subset the IC's WebAuthn envelopes and certificates use: RFC 8949 examples,
round trips, and strictness (malformed input is a ValueError, which callers turn into a False verdict)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import cbor


@pytest.mark.parametrize("item, hexed", [(0, "00"), (23, "17"), (24, "1818"), (1000, "1903e8"), (-1, "20"),
                                         (-1000, "3903e7"), (b"", "40"), (b"\x01\x02\x03\x04", "4401020304"),
                                         ("IETF", "6449455446"), ([1, [2, 3]], "8201820203"),
                                         ({1: 2, 3: 4}, "a201020304"), (("tag", 1, 1363896240), "c11a514b67b0")])
def test_rfc_8949_appendix_a_examples(item, hexed):
    assert cbor.encode(item).hex() == hexed and cbor.decode(bytes.fromhex(hexed)) == item


def test_self_described_tag_wraps_and_unwraps():
    data = cbor.self_described({"a": b""})
    assert data[:3] == bytes.fromhex("d9d9f7")  # RFC 8949 section 3.4.6
    assert cbor.untagged(cbor.decode(data)) == {"a": b""} and cbor.untagged([1]) == [1]


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.integers(-2**64, 2**64 - 1) | st.binary(max_size=40) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                    | st.tuples(st.just("tag"), st.integers(0, 2**16), inner),
                    max_leaves=12))
def test_round_trip(item):
    assert cbor.decode(cbor.encode(item)) == item


@pytest.mark.parametrize("data", ["", "9fff", "f5", "f6", "f93c00", "a1010101" + "02", "a201010102", "5f", "58",
                                  "4200", "8201", "a1a00101", "a1c00101"],
                         ids=["empty", "indefinite", "true", "null", "float", "trailing", "duplicate key",
                              "indefinite bytes", "cut head", "cut string", "cut array", "map as key", "tag as key"])
def test_rejects_what_is_outside_the_subset(data):
    with pytest.raises(ValueError):
        cbor.decode(bytes.fromhex(data))


def test_rejects_nesting_deeper_than_the_limit():
    assert cbor.decode(bytes([0x81] * cbor.MAX_DEPTH + [0x00]))
    with pytest.raises(ValueError):
        cbor.decode(bytes([0x81] * (cbor.MAX_DEPTH + 1) + [0x00]))
