"""What the checksum hot path should show before anything is measured, and the Smart-NIC / GPU-offload models
that the notebook feeds with measured per-packet times (models that say they are models; anchors cited in
kernels/anchors.py)."""
from __future__ import annotations

import math

from .. import anchors
from ..models import break_even_batch, transfer_bound_items_per_s

# Operations per byte of each checksum's inner loop (derived from the algorithms; docs/REFERENCES.md section 1).
OPS_PER_BYTE = {
    "crc32": "table CRC: one table load, a shift and an xor per byte (slicing-by-8: 8 loads per 8 bytes); "
             "carry-less multiply folding: 2 PCLMULQDQ per 16 bytes (VPCLMULQDQ: 8 per 64 bytes)",
    "crc32c": "as CRC-32 (another polynomial), or one SSE4.2 crc32 instruction per 8 bytes",
    "adler32": "two additions per byte (the sums mod 65521 once per block)",
    "inet16": "half an addition per byte (16-bit words; 64-bit accumulators take 8 bytes per addition)",
}


def nic_offload(packet_bytes: float, cpu_seconds_per_packet: float, line_rate_bps: float,
                overhead_bytes: float = anchors.ETHERNET_OVERHEAD_BYTES) -> dict:
    """What a NIC that checksums packets inline saves the host (a model): at line rate the link carries
    rate / (8 (payload + per-frame overhead)) packets per second, and each would have cost the CPU
    `cpu_seconds_per_packet` (measured); their product is the number of cores kept busy by checksums."""
    if min(packet_bytes, line_rate_bps) <= 0 or cpu_seconds_per_packet < 0:
        raise ValueError("packet size and line rate must be positive, CPU time non-negative")
    packets_per_s = line_rate_bps / (8 * (packet_bytes + overhead_bytes))
    return {"packets_per_s": packets_per_s, "cpu_ns_per_packet": 1e9 * cpu_seconds_per_packet,
            "cores_saved": packets_per_s * cpu_seconds_per_packet}


def fastest_cpu_checksum_bytes_per_s(algorithm: str) -> float:
    """The fastest published one-core rate (anchors): CRC-32C by AVX-512 VPCLMULQDQ folding, which works the
    same for any 32-bit CRC polynomial, hence also CRC-32 (derived); the Internet checksum by SIMD. No anchor
    for Adler-32: NaN."""
    return {"crc32": anchors.CRC32C_AVX512_BPS_PER_CORE, "crc32c": anchors.CRC32C_AVX512_BPS_PER_CORE,
            "inet16": anchors.INET16_SIMD_BPS}.get(algorithm, math.nan)


def gpu_checksum_offload(packet_bytes: float, cpu_bytes_per_s: float,
                         gpu_bytes_per_s: float = anchors.H100_HBM3_COPY_BPS,
                         launch_s: float = anchors.CUDA_LAUNCH_SYNC_S,
                         bus_bytes_per_s: float = anchors.PCIE5_H2D_MEASURED_BPS) -> dict:
    """Offloading packet checksums to a GPU over PCIe (a model): break-even batch of docs/REFERENCES.md section 2
    with packet + 8-byte offset in and a 4-byte checksum out; the GPU is taken to checksum at HBM speed
    (its best case) unless told otherwise. Infinite break-even: the offload never pays at any batch size."""
    if math.isnan(cpu_bytes_per_s):
        return {"break_even_batch": math.nan, "pcie_limit_bytes_per_s": math.nan}
    b_in, b_out = packet_bytes + 8, 4
    n = break_even_batch(launch_s, cpu_bytes_per_s / packet_bytes, gpu_bytes_per_s / packet_bytes, b_in, b_out,
                         bus_bytes_per_s)
    limit = transfer_bound_items_per_s(b_in, b_out) * packet_bytes
    return {"break_even_batch": n, "pcie_limit_bytes_per_s": limit}


def prediction(cores: int = 1, buffer_bytes: int = 64 * 2**20) -> dict:
    """Bytes moved and operations per byte, hence the expected limit, for one buffer of `buffer_bytes` on
    `cores` CPU cores and on a PCIe GPU. Every checksum reads each byte once and writes 4 bytes per buffer, and
    its arithmetic is a fraction of a cycle per byte once vectorised, so the limit is the memory system: the
    CPU's read bandwidth (measured in the notebook), or for a GPU the PCIe bus the bytes must cross first."""
    if cores < 1 or buffer_bytes < 0:
        raise ValueError("cores must be at least 1 and buffer_bytes non-negative")
    published = {a: fastest_cpu_checksum_bytes_per_s(a) for a in OPS_PER_BYTE}
    pcie_bound = transfer_bound_items_per_s(buffer_bytes + 16, 4) * buffer_bytes if buffer_bytes else math.nan
    return {
        "buffer_bytes": buffer_bytes, "cores": cores,
        "bytes_read_per_byte": 1, "bytes_written_per_buffer": 4,
        "ops_per_byte": dict(OPS_PER_BYTE),
        "published_one_core_bytes_per_s": published,  # in cache, the fastest published kernels
        "published_all_cores_bytes_per_s": {a: cores * r for a, r in published.items()},
        "gpu_hbm_bytes_per_s": anchors.H100_HBM3_COPY_BPS,
        "gpu_end_to_end_bound_bytes_per_s": pcie_bound,  # data and offsets in, the checksum out, over PCIe
        "pcie_h2d_bytes_per_s": anchors.PCIE5_H2D_MEASURED_BPS,
        "expected_limit": "memory read bandwidth on the CPU (published kernels outrun one core's DRAM stream); "
                          "the PCIe bus for a GPU end to end",
    }
