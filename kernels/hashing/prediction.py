"""What SHA-256 should cost before anything is measured: a model from published anchors (kernels/anchors.py),
with the generic transfer bound from kernels/models.py."""
from __future__ import annotations

from .. import anchors
from ..models import transfer_bound_items_per_s

ROUND_OPS = 40  # 32-bit integer operations per compression round (two sigma, ch, maj, five additions)
SCHEDULE_OPS = 15  # per message-schedule word w[16..63]


def sha256_blocks(message_bytes: int) -> int:
    """64-byte blocks SHA-256 compresses for one message (padding adds 9 bytes at least)."""
    return (message_bytes + 9 + 63) // 64


def sha256_prediction(message_bytes: int, cores: int) -> dict:
    """Expected SHA-256 message rates before measuring, from published anchors (a model):
    SHA-NI per core, AVX-512 16-lane multi-buffer per core, the H100's single-block rate, and the PCIe limit."""
    blocks = sha256_blocks(message_bytes)
    padded = 64 * blocks
    gpu_kernel = anchors.SHA256_H100_HASHCAT_HPS / blocks
    pcie = transfer_bound_items_per_s(message_bytes + 8, 32)  # message + its offset in, digest out
    return {
        "message_bytes": message_bytes,
        "cores": cores,
        "padded_bytes": padded,
        "compressions": blocks,
        "integer_ops": blocks * (64 * ROUND_OPS + 48 * SCHEDULE_OPS),
        "bytes_in": message_bytes + 8,
        "bytes_out": 32,
        "shani_one_core": anchors.SHA256_SHANI_ZEN4_BPS_PER_CORE / padded,
        "multibuffer_all_cores": cores * anchors.SHA256_AVX512_MULTIBUFFER_BPS_PER_CORE / padded,
        "h100_kernel": gpu_kernel,
        "pcie_end_to_end_limit": pcie,
        "h100_end_to_end": min(gpu_kernel, pcie),
    }
