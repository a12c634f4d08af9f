"""What finding and copying dirty pages should cost before anything is measured (a model on published anchors),
and the dirty ratio at which the IC's write-protect tracking and comparison cost the same (a model on measured
inputs)."""
from __future__ import annotations

from .. import anchors


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
