"""Cutting a packed batch into pieces so that one large buffer occupies every core or GPU thread.

Each buffer is cut into pieces of at most `piece_bytes` (an even number, so Internet-checksum words never
straddle two pieces); an empty buffer still gets one empty piece. Pieces of one buffer are consecutive, in
order, and each knows its buffer: kernels compute one partial checksum per piece and then combine the
partials of each buffer (the CRC shift-combine, zlib's adler32_combine, or a ones'-complement sum).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..hashing.packing import Packed


@dataclass(frozen=True)
class Pieces:
    start: np.ndarray  # int64, first byte of each piece in the packed data
    end: np.ndarray  # int64, one past its last byte
    item: np.ndarray  # int64, the buffer it belongs to
    item_pieces: np.ndarray  # int64, n + 1 boundaries: buffer i owns pieces item_pieces[i]:item_pieces[i + 1]

    @property
    def count(self) -> int:
        return int(self.start.size)


def split(packed: Packed, piece_bytes: int) -> Pieces:
    """Pieces of at most `piece_bytes` (positive, even) covering every buffer of `packed`."""
    if piece_bytes <= 0 or piece_bytes % 2:
        raise ValueError(f"piece_bytes={piece_bytes} must be positive and even")
    lengths = packed.lengths
    per_item = np.maximum(1, -(-lengths // piece_bytes))
    item_pieces = np.zeros(packed.count + 1, dtype=np.int64)
    np.cumsum(per_item, out=item_pieces[1:])
    item = np.repeat(np.arange(packed.count, dtype=np.int64), per_item)
    index_in_item = np.arange(item.size, dtype=np.int64) - item_pieces[item]
    start = packed.offsets[item] + index_in_item * piece_bytes
    end = np.minimum(start + piece_bytes, packed.offsets[item + 1])
    return Pieces(start=start, end=end, item=item, item_pieces=item_pieces)


DEVICE_PIECE_BYTES = 4096  # a 64 MiB buffer becomes 16 384 work-items; a typical packet is one piece


def device_arrays(packed: Packed, piece_bytes: int = DEVICE_PIECE_BYTES) -> dict[str, np.ndarray]:
    """Host arrays the device kernels read (kernels/common/checksums.h), all uint64 except `data`; OpenCL
    forbids empty buffers, so `data` holds at least one byte."""
    pcs = split(packed, piece_bytes)
    data = packed.data if packed.data.size else np.zeros(1, np.uint8)
    as_u64 = lambda a: np.ascontiguousarray(a).view(np.uint64)  # noqa: E731 (offsets are non-negative)
    return {"data": data, "offsets": as_u64(packed.offsets), "start": as_u64(pcs.start), "end": as_u64(pcs.end),
            "item": as_u64(pcs.item), "item_pieces": as_u64(pcs.item_pieces)}
