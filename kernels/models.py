"""Models shared by every hot path that say they are models: offload break-even and bus-bound limits.
A hot path's own prediction (bytes and operations per item) lives in its package (`<hot path>/prediction.py`).

Inputs are either measured by the suite (passed in by the caller) or published anchors (kernels/anchors.py).
"""
from __future__ import annotations

import math

from . import anchors


def break_even_batch(t0_s: float, cpu_items_per_s: float, acc_items_per_s: float, bytes_in: float,
                     bytes_out: float, bus_bytes_per_s: float) -> float:
    """Smallest batch from which offloading wins (docs/REFERENCES.md section 2, derived):
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


# --- node facts (docs/REFERENCES.md sections 1 and 5; the node-level answer is kernels/requests/node.py) -------
NODE_CORES = 32  # Gen-2 node: 2 x AMD EPYC 7313, 16 cores each (IC wiki)
BLOCK_MESSAGES_PER_S = 1_000  # at most 1 000 messages per block, 1 s blocks on app subnets (IC docs)
