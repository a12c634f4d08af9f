"""The BLS notebook's tables, computed from measured rows: per-signature and per-batch costs by backend and
method (written as bls_costs.csv for the node-level estimate), the batch steps, and the per-block consensus
cost per subnet size (the counts of prediction.consensus_verifications times measured costs)."""
from __future__ import annotations

import pandas as pd

from .prediction import consensus_verifications
from .workloads import SUBNET_SIZES

COST_COLUMNS = ["backend", "method", "workload", "batch_size", "phase", "seconds_per_batch",
                "seconds_per_signature", "signatures_per_s", "device"]
BATCH_LIBRARY = "library-batch"  # the batch method on blst's group arithmetic, beside the per-item `library`


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of both methods in one frame: the per-item `library` stays the baseline; the batch method on blst's
    own arithmetic becomes `library-batch` (every other backend runs only one method)."""
    out = frame.copy()
    out.loc[(out.backend == "library") & (out.method == "batch"), "backend"] = BATCH_LIBRARY
    return out


def kind_rows(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One workload kind ("one", "distinct", "certificates"), methods labelled, never mixed with another kind."""
    return labelled(frame[frame.messages == kind])


def costs(frame: pd.DataFrame) -> pd.DataFrame:
    """COST_COLUMNS: seconds per batch and per signature (medians) by backend, method, workload, size, phase."""
    sel = frame[frame.phase.isin(["end_to_end", "kernel"]) & (frame.batch_size > 0)]
    if "step" in sel:
        sel = sel[sel.step.isna()]
    out = sel.assign(seconds_per_batch=sel.time_s_median, seconds_per_signature=sel.time_s_median / sel.batch_size,
                     signatures_per_s=sel.items_per_s)
    order = ["workload", "method", "backend", "batch_size", "phase"]
    return out[COST_COLUMNS].sort_values(order).reset_index(drop=True)


def steps(frame: pd.DataFrame) -> pd.DataFrame:
    """Seconds per step of batch verification (decode, hash_to_curve, msm, pairing) by backend, and shares."""
    table = frame.pivot_table(index="backend", columns="step", values="time_s_median", aggfunc="median")
    table = table[[s for s in ("decode", "hash_to_curve", "msm", "pairing") if s in table.columns]]
    return table.assign(total=table.sum(axis=1))


def _per_signature(cost_rows: pd.DataFrame, backend: str, method: str, size: int) -> float | None:
    """Measured end-to-end seconds per signature on one-message shares at the measured size nearest `size`."""
    sel = cost_rows[(cost_rows.backend == backend) & (cost_rows.method == method) & (cost_rows.phase == "end_to_end")
                    & (cost_rows.workload == "shares-one-message")]
    if sel.empty:
        return None
    nearest = sel.iloc[(sel.batch_size - size).abs().argsort()[:1]]
    return float(nearest.seconds_per_signature.iloc[0])


def consensus(cost_rows: pd.DataFrame) -> pd.DataFrame:
    """Per subnet size: shares per block at the thresholds, and the seconds a node spends verifying them one by
    one with blst against in three batches (one per kind, on one message each) with the best batch backend,
    from the measured per-signature cost at the nearest measured batch size (a derived estimate)."""
    records = []
    batch_backends = sorted(set(cost_rows[cost_rows.method == "batch"].backend))
    for n in SUBNET_SIZES:
        c = consensus_verifications(n)
        kinds = [c["notarization_shares"], c["finalization_shares"], c["random_beacon_shares"]]
        row = {"nodes": n, "f": c["f"], "notarization": kinds[0], "finalization": kinds[1],
               "random beacon": kinds[2], "shares per block": c["shares_at_threshold"]}
        per_item = _per_signature(cost_rows, "library", "per_item", kinds[0])
        row["per-item blst (s/block)"] = None if per_item is None else per_item * sum(kinds)
        best = None
        for backend in batch_backends:
            per = [_per_signature(cost_rows, backend, "batch", k) for k in kinds]
            if all(p is not None for p in per):
                seconds = sum(p * k for p, k in zip(per, kinds))
                if best is None or seconds < best[1]:
                    best = (backend, seconds)
        row["best batch backend"] = (BATCH_LIBRARY if best[0] == "library" else best[0]) if best else ""
        row["batched (s/block)"] = best[1] if best else None
        records.append(row)
    return pd.DataFrame(records)
