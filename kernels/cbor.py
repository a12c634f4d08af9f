"""CBOR (RFC 8949), the definite-length subset the IC's envelopes and certificates use: integers, byte and text
strings, arrays, maps (integer, text or byte keys, no duplicates) and tags, a tag read as ("tag", number, item).
Anything else (indefinite lengths, floats, simple values, trailing bytes, truncation, nesting deeper than
MAX_DEPTH) is a ValueError: callers turn malformed input into a False verdict, never an exception."""
from __future__ import annotations

SELF_DESCRIBED_TAG = 55799  # RFC 8949 section 3.4.6: IC envelopes and certificates carry it
MAX_DEPTH = 64  # a deeper nesting is treated as malformed


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def encode(item) -> bytes:
    """Deterministic CBOR of ints, bytes, str, lists, dicts and ("tag", number, item) tuples."""
    if isinstance(item, bool) or item is None:
        raise TypeError("no simple values in this subset")
    if isinstance(item, int):
        return _head(0, item) if item >= 0 else _head(1, -1 - item)
    if isinstance(item, bytes):
        return _head(2, len(item)) + item
    if isinstance(item, str):
        data = item.encode()
        return _head(3, len(data)) + data
    if isinstance(item, list):
        return _head(4, len(item)) + b"".join(map(encode, item))
    if isinstance(item, dict):
        return _head(5, len(item)) + b"".join(encode(k) + encode(v) for k, v in item.items())
    if isinstance(item, tuple) and len(item) == 3 and item[0] == "tag":
        return _head(6, item[1]) + encode(item[2])
    raise TypeError(f"cannot encode {type(item).__name__}")


def self_described(item) -> bytes:
    """`item` tagged 55799, as the IC sends certificates and envelopes."""
    return encode(("tag", SELF_DESCRIBED_TAG, item))


def untagged(item):
    """The item inside a 55799 tag, or `item` itself when it carries none."""
    return item[2] if isinstance(item, tuple) and item[:2] == ("tag", SELF_DESCRIBED_TAG) else item


def decode(data: bytes):
    """The one item in `data`; ValueError for anything outside the subset."""
    data = bytes(data)

    def item(pos: int, depth: int):
        if depth > MAX_DEPTH or pos >= len(data):
            raise ValueError("CBOR truncated or too deep")
        major, extra = data[pos] >> 5, data[pos] & 31
        pos += 1
        if extra < 24:
            value = extra
        elif extra <= 27:
            size = 1 << (extra - 24)
            if pos + size > len(data):
                raise ValueError("CBOR truncated")
            value, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
        else:
            raise ValueError("CBOR indefinite length or reserved value")
        if major == 0:
            return value, pos
        if major == 1:
            return -1 - value, pos
        if major in (2, 3):
            if pos + value > len(data):
                raise ValueError("CBOR string truncated")
            body = data[pos:pos + value]
            return (body if major == 2 else body.decode("utf-8")), pos + value
        if major == 4:
            out = []
            for _ in range(value):
                element, pos = item(pos, depth + 1)
                out.append(element)
            return out, pos
        if major == 5:
            out = {}
            for _ in range(value):
                key, pos = item(pos, depth + 1)
                if not isinstance(key, (int, str, bytes)) or key in out:  # a map or tag as a key: malformed
                    raise ValueError("CBOR bad or duplicate map key")
                out[key], pos = item(pos, depth + 1)
            return out, pos
        if major == 6:
            inner, pos = item(pos, depth + 1)
            return ("tag", value, inner), pos
        raise ValueError("CBOR floats and simple values are not in this subset")

    value, end = item(0, 0)
    if end != len(data):
        raise ValueError("CBOR trailing bytes")
    return value
