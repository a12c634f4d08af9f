"""Models shared by every hot path that say they are models: offload break-even and bus-bound limits.
A hot path's own prediction (bytes and operations per item) lives in its package (`<hot path>/prediction.py`).

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


# --- node-level estimate (Amdahl) ----------------------------------------------------------------------------

# The per-request CPU budget of a saturated node, derived from sourced limits (REFERENCES.md section 1): a
# subnet finalises at most 1 000 messages per 1 s block and every node executes every message; a Gen-2 node has
# 2 x 16 cores. At the block limit each update request may use 32 core-seconds / 1 000 = 32 ms of core time.
NODE_CORES = 32  # Gen-2 node: 2 x AMD EPYC 7313, 16 cores each (IC wiki)
BLOCK_MESSAGES_PER_S = 1_000  # at most 1 000 messages per block, 1 s blocks on app subnets (IC docs)
UPDATE_BUDGET_S = NODE_CORES / BLOCK_MESSAGES_PER_S  # derived: 32 ms of core time per update at saturation


def amdahl(costs: dict[str, float], rest_s: float, factors: dict[str, float]) -> float:
    """Requests per second relative to today: (rest + sum of costs) / (rest + sum of cost / factor), where a
    factor is how much faster a hot path's per-request work becomes (missing: 1, infinite: removed)."""
    before = rest_s + sum(costs.values())
    after = rest_s + sum(c / factors.get(name, 1.0) for name, c in costs.items())
    return before / after


def node_estimate(costs: dict[str, float], rest_s: float, accelerators: dict[str, dict[str, float]]) -> list[dict]:
    """Every combination of accelerators (each a {hot path: speedup factor}); where two speed up the same hot
    path the better one counts, except the cache (`multiplies=True` entries named "caching"), which removes
    checks and so multiplies with whatever runs the misses. A factor below 1 counts as 1: a node keeps today's
    path where an accelerator is slower. Rows sorted by the relative request rate."""
    from itertools import combinations

    names = list(accelerators)
    rows = []
    for k in range(len(names) + 1):
        for combo in combinations(names, k):
            factors: dict[str, float] = {}
            for name in combo:
                if name == "caching":
                    continue
                for path, f in accelerators[name].items():
                    factors[path] = max(factors.get(path, 1.0), f, 1.0)
            if "caching" in combo:
                for path, f in accelerators["caching"].items():
                    factors[path] = factors.get(path, 1.0) * max(f, 1.0)
            rows.append({"accelerators": " + ".join(combo) or "none (today's CPU node)",
                         "relative requests per second": amdahl(costs, rest_s, factors),
                         "bound if every hot path vanished": (rest_s + sum(costs.values())) / rest_s})
    return sorted(rows, key=lambda r: r["relative requests per second"])
