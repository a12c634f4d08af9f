"""The BLS notebook's sentences that depend on the data: the prediction's numbers, the sweep's measured rates
per workload kind against the model, the steps' shares and the consensus cost per block. The argument itself
is Markdown in notebooks/09_bls.ipynb."""
from __future__ import annotations

import pandas as pd

from ..analysis import fmt_rate, fmt_time, with_speedup
from .tables import BATCH_LIBRARY, kind_rows

KIND_NAMES = {"one": "shares on one message", "distinct": "distinct messages",
              "certificates": "a stream of certificates (with delegation)"}


def prediction_markdown(pred: dict) -> str:
    """The model's numbers (prediction.py): blst's primitive costs measured in this process, composed."""
    c = pred["costs"]
    s23, d1000 = pred["shares_23"], pred["distinct_1000"]
    return "\n".join([
        f"**Prediction (a model composed from blst's primitive costs, measured in this process).** One verification "
        f"costs {fmt_time(pred['per_item_s'])}: two Miller loops ({fmt_time(c['miller_loop'])} each) and a final "
        f"exponentiation ({fmt_time(c['final_exp'])}) are {pred['pairing_share']:.0%} of it; decoding the signature "
        f"and key takes {fmt_time(c['decode_g1'])} and {fmt_time(c['decode_g2'])}, hashing to G1 "
        f"{fmt_time(c['hash_to_g1'])}.",
        f"- 23 shares on one message: {fmt_time(s23['per_item_s'])} one by one, {fmt_time(s23['one_message_s'])} "
        f"batched with blst's per-point scalar multiplications as the MSM: {s23['one_message_speedup']:.1f}x. As "
        f"n grows the batch tends to {pred['one_message_limit']:.1f}x; with a free MSM, decoding alone bounds it "
        f"at {pred['one_message_limit_free_msm']:.1f}x"
        + (": the issue's 5x needs decoding faster than blst's, not only a faster MSM."
           if pred["one_message_limit_free_msm"] < 5 else
           ": the issue's 5x needs an MSM well below blst's per-point cost."),
        f"- 1 000 distinct messages: {fmt_time(d1000['per_item_s'])} one by one, {fmt_time(d1000['distinct_s'])} "
        f"batched ({d1000['distinct_speedup']:.1f}x; limit {pred['distinct_limit']:.1f}x): one Miller loop per item "
        "remains, so the final exponentiation and one Miller loop are all a batch saves"
        + (": the issue's 2x needs more than the batch identity (a faster Miller loop or a multi-pairing)."
           if pred["distinct_limit"] < 2 else "."),
    ])


def sweep_markdown(frame: pd.DataFrame, pred: dict) -> str:
    """One paragraph per workload kind: the per-item library rate at the largest batch, each batch backend's rate
    and speedup, the best against the model."""
    where = f", {frame.device_tag.iloc[0]}" if "device_tag" in frame else ""
    lines = [f"**Findings (measured, this run{where}).**", ""]
    for kind in dict.fromkeys(frame.messages):
        rows = with_speedup(kind_rows(frame, kind))
        e2e = rows[rows.phase == "end_to_end"]
        base = e2e[e2e.backend == "library"]
        if base.empty:
            continue
        biggest = int(base.batch_size.max())
        at = e2e[e2e.batch_size == biggest]
        lines.append(f"- **{KIND_NAMES[kind]}** at {biggest:,}: blst one by one verifies "
                     f"{fmt_rate(float(base[base.batch_size == biggest].items_per_s.iloc[0]), ' sig/s')}.")
        for _, r in at[at.backend != "library"].sort_values("speedup", ascending=False).iterrows():
            label = "batch on blst's arithmetic" if r.backend == BATCH_LIBRARY else f"batch on `{r.backend}`"
            lines.append(f"  - {label}: {fmt_rate(r.items_per_s, ' sig/s')} end to end ({r.speedup:.2f}x).")
    model = pred["shares_23"]["one_message_speedup"], pred["distinct_1000"]["distinct_speedup"]
    lines.append(f"- The model expected {model[0]:.1f}x for 23 shares on one message and {model[1]:.1f}x for "
                 "1 000 distinct messages with blst's arithmetic; where a kernel backend does better or worse, its "
                 "decode and MSM steps (below) say why.")
    return "\n".join(lines)


def steps_markdown(table: pd.DataFrame, batch_size: int) -> str:
    """Where a batch's time goes per backend (the steps sweep)."""
    lines = [f"**Steps of one batch of {batch_size} shares (measured).**"]
    for backend, r in table.iterrows():
        parts = ", ".join(f"{step} {r[step] / r.total:.0%}" for step in table.columns if step != "total")
        lines.append(f"- `{backend}`: {fmt_time(r.total)} in all; {parts}.")
    return "\n".join(lines)


def consensus_markdown(table: pd.DataFrame) -> str:
    """Per-block consensus verification time per subnet size (a derived estimate from measured costs)."""
    lines = ["**Consensus shares per block (derived: the thresholds times measured costs).**"]
    for _, r in table.iterrows():
        if r["per-item blst (s/block)"] is None or pd.isna(r["per-item blst (s/block)"]):
            continue
        text = (f"- {r.nodes} nodes (f = {r.f}): {r['shares per block']} shares per block at the thresholds cost "
                f"{fmt_time(r['per-item blst (s/block)'])} one by one")
        if r["best batch backend"]:
            text += (f", {fmt_time(r['batched (s/block)'])} in three one-message batches on "
                     f"`{r['best batch backend']}`")
        lines.append(text + ".")
    return "\n".join(lines)
