"""Cutting a packed batch into pieces so that one large buffer occupies every core or GPU thread.

Each buffer is cut into pieces of at most `piece_bytes` (an even number, so Internet-checksum words never
straddle two pieces); an empty buffer still gets one empty piece. Pieces of one buffer are consecutive, in
order, and each knows its buffer: kernels compute one partial checksum per piece and then combine the
partials of each buffer (the CRC shift-combine, zlib's adler32_combine, or a ones'-complement sum).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..packing import Packed


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
COMBINE_FAN_IN = 64  # partials one work-item combines: two levels cover 4096 pieces (16 MiB) per buffer
# with at most 64 serial steps each, and a 64 MiB buffer with 256 steps in the second level


def groups(pcs: Pieces, fan_in: int = COMBINE_FAN_IN) -> tuple[np.ndarray, np.ndarray]:
    """First-level combine segments: each buffer's pieces cut into runs of at most `fan_in`. Returns
    (group_first: ngroups + 1 piece boundaries, item_groups: n + 1 group boundaries per buffer)."""
    per_item = np.diff(pcs.item_pieces)
    ngroups = -(-per_item // fan_in)
    item_groups = np.zeros(per_item.size + 1, dtype=np.int64)
    np.cumsum(ngroups, out=item_groups[1:])
    owner = np.repeat(np.arange(per_item.size, dtype=np.int64), ngroups)
    index_in_item = np.arange(owner.size, dtype=np.int64) - item_groups[owner]
    group_first = np.append(pcs.item_pieces[owner] + index_in_item * fan_in, pcs.count).astype(np.int64)
    return group_first, item_groups


def device_arrays(packed: Packed, piece_bytes: int = DEVICE_PIECE_BYTES,
                  fan_in: int = COMBINE_FAN_IN) -> dict[str, np.ndarray]:
    """Host arrays the device kernels read (kernels/common/checksums.h), all uint64 except `data`; OpenCL
    forbids empty buffers, so `data` holds at least one byte. Combining runs in two levels (pieces -> groups of
    at most `fan_in`, groups -> buffers) when some buffer has more than `fan_in` pieces, else in one."""
    pcs = split(packed, piece_bytes)
    data = packed.data if packed.data.size else np.zeros(1, np.uint8)
    group_first, item_groups = groups(pcs, fan_in)
    as_u64 = lambda a: np.ascontiguousarray(a).view(np.uint64)  # noqa: E731 (offsets are non-negative)
    return {"data": data, "offsets": as_u64(packed.offsets), "start": as_u64(pcs.start), "end": as_u64(pcs.end),
            "item": as_u64(pcs.item), "item_pieces": as_u64(pcs.item_pieces),
            "piece_len": as_u64(pcs.end - pcs.start), "group_first": as_u64(group_first),
            "item_groups": as_u64(item_groups)}


def two_level(arrays: dict[str, np.ndarray]) -> bool:
    """Whether some buffer has more pieces than one work-item combines (then combine in two levels)."""
    return arrays["group_first"].size - 1 > arrays["item_groups"].size - 1


class PiecesStaged:
    """The checksum batch on a device, mixed in before a staged base of measure.staged: the packed data and its
    pieces as inputs, the checksums as output, partials as scratch, the CRC tables as constants (all
    allocated once, here). The backend class adds only its kernels and `launch`: the piece pass, then
    `combine_passes`."""

    index_dtype = np.uint64  # the index arrays' type in the device code
    code_dtype = np.uint32  # the algorithm code's type in the device code

    def __init__(self, algorithm: str, packed: Packed):
        from .tables import ALGORITHM_CODES, device_poly, device_tables

        self.algorithm = self.code_dtype(ALGORITHM_CODES[algorithm])
        self.poly = device_poly(algorithm)
        self.n = packed.count
        inputs, outputs, scratch, self.sizes = device_buffers(packed, self.index_dtype)
        super().__init__(inputs=inputs, outputs=outputs, scratch=scratch, constants={"tables": device_tables()})


def device_buffers(packed: Packed, index_dtype=np.uint64) -> tuple[dict, dict, dict, dict]:
    """What a staged device backend declares (measure.staged): `inputs` (device_arrays, index arrays viewed as
    `index_dtype`), `outputs` (the (n,) uint32 checksums), `scratch` (partials per piece and per group, and
    the lengths the combine passes carry), and `sizes` (pieces, groups, whether combining takes two levels)."""
    arrays = device_arrays(packed)
    inputs = {name: a if name == "data" else a.view(index_dtype) for name, a in arrays.items()}
    npieces, ngroups = arrays["start"].size, arrays["group_first"].size - 1
    outputs = {"out": np.empty(packed.count, np.uint32)}
    scratch = {"partial": ((npieces,), np.uint32), "group": ((ngroups,), np.uint32),
               "group_len": ((ngroups,), index_dtype), "out_len": ((packed.count,), index_dtype)}
    sizes = {"pieces": npieces, "groups": ngroups, "two_level": two_level(arrays)}
    return inputs, outputs, scratch, sizes


def combine_passes(sizes: dict, n: int) -> list[tuple]:
    """The combine launches after the piece pass, as buffer names: (in_len, seg_first, segments, inputs,
    outputs, out_len, finalize). Two levels (pieces -> groups of COMBINE_FAN_IN -> buffers) when some buffer
    has more pieces than one work-item combines, else one."""
    if sizes["two_level"]:
        return [("piece_len", "group_first", sizes["groups"], "partial", "group", "group_len", 0),
                ("group_len", "item_groups", n, "group", "out", "out_len", 1)]
    return [("piece_len", "item_pieces", n, "partial", "out", "out_len", 1)]
