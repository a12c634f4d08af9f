"""What BLS verification should cost before the sweep: per-block verification counts of consensus (a model
of the IC's thresholds) and a cost model of per-item against batch verification composed from the costs of
blst's primitives, measured here once in this process (a model fed by measurements, and it says so).

Per item (the library loop): decode sig (G1: square root, subgroup check) + decode key (G2) + H(m) + 2 Miller
loops + 1 final exponentiation. A batch of n shares on one message: n (decode sig + decode key) + H(m) + an MSM
in G1 and one in G2 over n points (64-bit scalars) + 2 Miller loops + 1 final exponentiation. n distinct
messages: n (decode sig + decode key + H(m) + r H(m) + 1 Miller loop) + an MSM in G1 + 1 Miller loop + 1 final
exponentiation. The MSM is modelled as the library's per-point scalar multiplication (pyblst multiplies by a
full 255-bit scalar whatever its size): the accelerated MSM backends are measured, not modelled.
"""
from __future__ import annotations

import time

from pyblst import BlstP1Element, BlstP2Element, final_verify, miller_loop

from . import IC_DST
from .library import G2_GENERATOR
from .workloads import CONSENSUS_KINDS, SUBNET_SIZES, faults, shares_needed

AGGREGATES_PER_BLOCK = 3  # one combined notarization, finalization and random-beacon signature per block


def consensus_verifications(n_nodes: int) -> dict:
    """Per-block BLS verifications a node of an n-node subnet performs (IC consensus: every share is verified
    when it arrives; notarization and finalization need n - f shares, the random beacon f + 1; each kind then
    has one combined signature). `*_shares` are the thresholds (the least a node must verify); `shares_all`
    counts a share from every node; every share of a kind is on one message (batchable to two pairings)."""
    if not isinstance(n_nodes, int) or n_nodes < 1:
        raise ValueError("n_nodes must be a positive integer")
    counts = {f"{kind}_shares": shares_needed(kind, n_nodes) for kind in CONSENSUS_KINDS}
    threshold_total = sum(counts.values())
    return {"n_nodes": n_nodes, "f": faults(n_nodes), **counts, "aggregates": AGGREGATES_PER_BLOCK,
            "shares_at_threshold": threshold_total, "shares_all": len(CONSENSUS_KINDS) * n_nodes,
            "verifications_at_threshold": threshold_total + AGGREGATES_PER_BLOCK,
            "messages_per_kind": 1}


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def primitive_costs(repeats: int = 15) -> dict:
    """Seconds per blst primitive, measured here (medians of `repeats`): decode_g1, decode_g2, hash_to_g1,
    scalar_mul_g1, scalar_mul_g2, miller_loop, final_exp (final_verify of two Miller loop values)."""
    h = BlstP1Element.hash_to_group(b"\x0dic-state-root" + bytes(32), IC_DST)
    k = G2_GENERATOR.scalar_mul(12345)
    h_bytes, k_bytes = h.compress(), k.compress()
    ml = miller_loop(h, k)
    return {
        "decode_g1": _median_time(lambda: BlstP1Element.uncompress(h_bytes), repeats),
        "decode_g2": _median_time(lambda: BlstP2Element.uncompress(k_bytes), repeats),
        "hash_to_g1": _median_time(lambda: BlstP1Element.hash_to_group(bytes(45), IC_DST), repeats),
        "scalar_mul_g1": _median_time(lambda: h.scalar_mul(2**64 - 59), repeats),
        "scalar_mul_g2": _median_time(lambda: k.scalar_mul(2**64 - 59), repeats),
        "miller_loop": _median_time(lambda: miller_loop(h, k), repeats),
        "final_exp": _median_time(lambda: final_verify(ml, ml), repeats),
    }


def cost_model(n: int, costs: dict) -> dict:
    """Seconds for n verifications: per item, batched on one message, batched on distinct messages (all valid:
    no bisection), from primitive costs; and the ratios."""
    c = costs
    decode = c["decode_g1"] + c["decode_g2"]
    per_item = n * (decode + c["hash_to_g1"] + 2 * c["miller_loop"] + c["final_exp"])
    one_message = (n * (decode + c["scalar_mul_g1"] + c["scalar_mul_g2"]) + c["hash_to_g1"] + 2 * c["decode_g1"]
                   + c["decode_g2"] + 2 * c["miller_loop"] + c["final_exp"])
    distinct = (n * (decode + c["hash_to_g1"] + 2 * c["scalar_mul_g1"] + c["miller_loop"]) + c["decode_g1"]
                + c["miller_loop"] + c["final_exp"])
    return {"n": n, "per_item_s": per_item, "one_message_s": one_message, "distinct_s": distinct,
            "one_message_speedup": per_item / one_message, "distinct_speedup": per_item / distinct}


def bls_prediction(costs: dict | None = None) -> dict:
    """The model for the issue's two targets (23 shares on one message, 1 000 distinct messages), the limits as
    n grows (the decoding and per-point MSM work that stays per item), and the consensus counts per subnet."""
    costs = costs or primitive_costs()
    c = costs
    decode = c["decode_g1"] + c["decode_g2"]
    per_item = decode + c["hash_to_g1"] + 2 * c["miller_loop"] + c["final_exp"]
    return {
        "costs": costs,
        "per_item_s": per_item,
        "pairing_share": (2 * c["miller_loop"] + c["final_exp"]) / per_item,
        "shares_23": cost_model(23, costs),
        "distinct_1000": cost_model(1000, costs),
        "one_message_limit": per_item / (decode + c["scalar_mul_g1"] + c["scalar_mul_g2"]),
        "one_message_limit_free_msm": per_item / decode,
        "distinct_limit": per_item / (decode + c["hash_to_g1"] + 2 * c["scalar_mul_g1"] + c["miller_loop"]),
        "consensus": [consensus_verifications(n) for n in SUBNET_SIZES],
    }
