"""Models that say they are models: offload break-even, roofline-style limits, node-level what-ifs.

Inputs are either measured by the suite (passed in by the caller) or published anchors (kernels/anchors.py).
"""
from __future__ import annotations

import math

from . import anchors


def break_even_batch(t0_s: float, cpu_items_per_s: float, acc_items_per_s: float, bytes_in: float,
                     bytes_out: float, bus_bytes_per_s: float) -> float:
    """Smallest batch from which offloading wins (REFERENCES.md section 2, derived):
    n* = t0 / (1/R_cpu - 1/R_acc - (b_in + b_out)/W). Infinite when the denominator is <= 0: then the
    accelerator never pays, whatever the batch (e.g. checksums over PCIe: one CPU core beats the bus)."""
    if min(cpu_items_per_s, acc_items_per_s, bus_bytes_per_s) <= 0:
        raise ValueError("rates and bandwidth must be positive")
    saving_per_item = 1 / cpu_items_per_s - 1 / acc_items_per_s - (bytes_in + bytes_out) / bus_bytes_per_s
    return math.inf if saving_per_item <= 0 else t0_s / saving_per_item


def transfer_bound_items_per_s(bytes_in: float, bytes_out: float, h2d_bytes_per_s: float = anchors.PCIE5_H2D_MEASURED_BPS,
                               d2h_bytes_per_s: float = anchors.PCIE5_D2H_MEASURED_BPS) -> float:
    """Items per second an offload cannot exceed end to end when inputs and outputs cross the bus
    (serialised copies; defaults: measured PCIe Gen5 x16 figures)."""
    return 1 / (bytes_in / h2d_bytes_per_s + bytes_out / d2h_bytes_per_s)


def sha256_blocks(message_bytes: int) -> int:
    """64-byte blocks SHA-256 compresses for one message (padding adds 9 bytes at least)."""
    return (message_bytes + 9 + 63) // 64


def sha256_prediction(message_bytes: int, cores: int) -> dict:
    """Expected SHA-256 message rates before measuring, from published anchors (a model):
    SHA-NI per core, AVX-512 16-lane multi-buffer per core, the H100's single-block rate, and the PCIe limit."""
    padded = 64 * sha256_blocks(message_bytes)
    gpu_kernel = anchors.SHA256_H100_HASHCAT_HPS / sha256_blocks(message_bytes)
    pcie = transfer_bound_items_per_s(message_bytes + 8, 32)  # message + its offset in, digest out
    return {
        "padded_bytes": padded,
        "compressions": sha256_blocks(message_bytes),
        "shani_one_core": anchors.SHA256_SHANI_ZEN4_BPS_PER_CORE / padded,
        "multibuffer_all_cores": cores * anchors.SHA256_AVX512_MULTIBUFFER_BPS_PER_CORE / padded,
        "h100_kernel": gpu_kernel,
        "pcie_end_to_end_limit": pcie,
        "h100_end_to_end": min(gpu_kernel, pcie),
    }


def tracking_break_even_dirty_ratio(fault_s_per_page: float, protect_s_per_page: float,
                                    compare_s_per_page: float) -> float:
    """Dirty ratio below which write-protect tracking is cheaper than comparing with the previous image.
    Per round and page, tracking costs protect + r * fault (every page re-protected, each dirty page faults
    once); comparing costs `compare` whatever r (a model on measured inputs):
    r* = (compare - protect) / fault, clipped to [0, 1]."""
    if fault_s_per_page <= 0:
        raise ValueError("fault_s_per_page must be positive")
    return min(1.0, max(0.0, (compare_s_per_page - protect_s_per_page) / fault_s_per_page))


def persistence_prediction(heap_bytes: int, dirty_ratio: float, page_size: int = 4096) -> dict:
    """Bytes each way of finding and copying dirty pages moves, before measuring (a model):
    - numpy baseline `(a != b).reshape(-1, ps).any(1)`: reads both images, writes a bool per byte, reads it
      back: 4 bytes of traffic per byte of memory; a fused kernel reads both images only: 2 bytes; so a
      memory-bound kernel can be up to 2x faster from traffic alone, more where numpy is compute-bound;
    - numpy fancy-index copy gathers into a temporary, then scatters: 4 bytes per byte copied; a direct
      page copy 2 bytes: up to 2x where memory-bound (less where the pages stay in cache);
    - on an H100, the compare runs at the HBM anchor, but both images must cross PCIe first unless they
      already live on the device."""
    npages = heap_bytes // page_size
    dirty = int(round(dirty_ratio * npages))
    compare_bytes = 2 * heap_bytes
    return {
        "heap_bytes": heap_bytes, "pages": npages, "dirty_pages": dirty,
        "baseline_detect_bytes": 4 * heap_bytes, "kernel_detect_bytes": compare_bytes,
        "baseline_copy_bytes": 4 * dirty * page_size, "kernel_copy_bytes": 2 * dirty * page_size,
        "traffic_ratio_detect": 2.0, "traffic_ratio_copy": 2.0,
        "h100_detect_s": compare_bytes / anchors.H100_HBM3_COPY_BPS,
        "pcie_h2d_s": compare_bytes / anchors.PCIE5_H2D_MEASURED_BPS,
        "ic_memory_copy_instructions_per_mib": anchors.IC_MEMORY_COPY_BASE_INSTRUCTIONS
        + anchors.IC_MEMORY_COPY_INSTRUCTIONS_PER_BYTE * 2**20,
    }


# --- checksums: Smart-NIC inline offload and GPU offload (issue 5) -----------------------------------------

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
    """Offloading packet checksums to a GPU over PCIe (a model): break-even batch of REFERENCES.md section 2
    with packet + 8-byte offset in and a 4-byte checksum out; the GPU is taken to checksum at HBM speed
    (its best case) unless told otherwise. Infinite break-even: the offload never pays at any batch size."""
    if math.isnan(cpu_bytes_per_s):
        return {"break_even_batch": math.nan, "pcie_limit_bytes_per_s": math.nan}
    b_in, b_out = packet_bytes + 8, 4
    n = break_even_batch(launch_s, cpu_bytes_per_s / packet_bytes, gpu_bytes_per_s / packet_bytes, b_in, b_out,
                         bus_bytes_per_s)
    limit = transfer_bound_items_per_s(b_in, b_out) * packet_bytes
    return {"break_even_batch": n, "pcie_limit_bytes_per_s": limit}


ED25519_FIELD_MULS = 3_100  # derived: ~253 doublings x 7 + ~86 window additions x 8 + decompression + inversion
ED25519_KERNEL_BYTES_IN = 32 + 64 + 32  # public key, signature, h = SHA-512(R || A || M) mod L (host-computed)
ED25519_ASSUMED_CPU_HZ = 3.0e9  # to turn lib25519's cycle count into a rate (an assumption, stated where used)


def ed25519_prediction(cores: int) -> dict:
    """Expected Ed25519 verification rates before measuring, from published anchors (a model).

    CPU: lib25519's 95 k cycles per verification at an assumed 3 GHz, per core; Firedancer's AVX-512 34 us.
    GPU: Solana's 300 k/s on a GTX 1080 Ti, doubled by splitting kernels (perf-libs 77), scaled to an H100 by
    32-bit multiply-add throughput (SMs x IMAD/clock x clock): a rough, derived estimate."""
    per_core = ED25519_ASSUMED_CPU_HZ / anchors.ED25519_LIB25519_CYCLES
    imad_1080 = anchors.GTX1080TI_SMS * anchors.PASCAL_IMAD32_PER_SM_CLK * anchors.GTX1080TI_BOOST_HZ
    imad_h100 = anchors.H100_SXM_SMS * anchors.HOPPER_IMAD32_PER_SM_CLK * anchors.H100_SXM_BOOST_HZ
    h100 = anchors.ED25519_GTX1080TI_VPS * 2 * imad_h100 / imad_1080
    return {
        "field_muls": ED25519_FIELD_MULS,
        "products_radix25": ED25519_FIELD_MULS * 100,  # 10 x 10 limb products per multiplication
        "products_radix51": ED25519_FIELD_MULS * 25,
        "bytes_in": ED25519_KERNEL_BYTES_IN,
        "lib25519_one_core": per_core,
        "lib25519_all_cores": per_core * cores,
        "firedancer_one_core": 1 / anchors.ED25519_FIREDANCER_AVX512_S,
        "dalek_batch_one_core": 1 / anchors.ED25519_DALEK_BATCH256_S,
        "h100_kernel": h100,
        "pcie_end_to_end_limit": transfer_bound_items_per_s(ED25519_KERNEL_BYTES_IN, 1),
        "gpu_crossover_batch": anchors.ED25519_GPU_CROSSOVER_BATCH,
    }
