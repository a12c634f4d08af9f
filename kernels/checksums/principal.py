"""The textual form of an IC principal id (IC interface specification, "Textual representation of
principals"): Grouped(Base32(CRC32(b) ‖ b)), no padding, a dash after every 5 characters, where CRC32 is the
ISO 3309 / zlib CRC of the raw bytes b, written big-endian. Example: 0xABCD01 -> "em77e-bvlzu-aq". The
specification: the text is "conventionally printed with lower case letters, but parsed case-insensitively"
(DFINITY's implementation accepts upper case too), so `principal_to_text` prints lower case and
`principal_from_text` accepts any case."""
from __future__ import annotations

import base64
import binascii
import zlib

MAX_PRINCIPAL_BYTES = 29  # IC interface specification, "Principals": at most 29 bytes
GROUP = 5  # characters between dashes


def principal_to_text(raw: bytes) -> str:
    """The canonical textual form of a principal given as raw bytes (at most 29)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError(f"raw must be bytes-like, got {type(raw).__name__}")
    raw = bytes(raw)
    if len(raw) > MAX_PRINCIPAL_BYTES:
        raise ValueError(f"raw must be at most {MAX_PRINCIPAL_BYTES} bytes, got {len(raw)}")
    body = zlib.crc32(raw).to_bytes(4, "big") + raw
    text = base64.b32encode(body).decode("ascii").rstrip("=").lower()
    return "-".join(text[i:i + GROUP] for i in range(0, len(text), GROUP))


def principal_from_text(text: str) -> bytes:
    """Raw bytes of a textual principal, parsed case-insensitively as the IC specification says; ValueError
    unless the text is otherwise canonical (dashes every 5 characters, no padding) and its CRC-32 matches (the
    IC parses the same way: decode, then re-encode and compare, ignoring case)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.isascii():
        raise ValueError(f"text {text!r} is not Base32: non-ASCII characters")
    lower = text.lower()
    compact = lower.replace("-", "")
    try:
        body = base64.b32decode(compact.upper() + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"text {text!r} is not Base32: {e}") from None
    if len(body) < 4:
        raise ValueError(f"text {text!r} is too short to hold a CRC-32")
    checksum, raw = int.from_bytes(body[:4], "big"), body[4:]
    if len(raw) > MAX_PRINCIPAL_BYTES:
        raise ValueError(f"text {text!r} holds {len(raw)} bytes; a principal has at most {MAX_PRINCIPAL_BYTES}")
    if checksum != zlib.crc32(raw):
        raise ValueError(f"text {text!r} has a wrong checksum: {checksum:08x}, expected {zlib.crc32(raw):08x}")
    canonical = principal_to_text(raw)
    if canonical != lower:
        raise ValueError(f"text {text!r} is not in canonical form (a dash every {GROUP} characters, no padding): "
                         f"expected {canonical!r} (in any case)")
    return raw
