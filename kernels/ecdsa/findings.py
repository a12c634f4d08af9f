"""The ECDSA notebook's sentences that depend on the data: the prediction's numbers and the sweep's measured
rates per curve. The argument itself is Markdown in notebooks/08_ecdsa.ipynb."""
from __future__ import annotations

import pandas as pd

from ..analysis import BASELINE, backend_lines, fmt_rate, rate_at, with_speedup
from .hot_path import LIBRARY_NAMES


def curve_rows(frame: pd.DataFrame, curve: str) -> pd.DataFrame:
    """The sweep's rows of one curve (curves are never averaged together)."""
    return frame[frame.curve == curve]


def prediction_markdown(pred: dict) -> str:
    """The prediction's numbers (kernels/ecdsa/prediction.py), before anything is measured."""
    lines = [f"**Prediction (a model: operation counts derived from the kernels' algorithm, rates scaled from the "
             f"lib25519 Ed25519 anchor).** Each verification moves {pred['bytes_in']} bytes in and one verdict byte "
             f"out; a field multiplication is {pred['products_per_mul']['p256']} 64 x 64-bit products for P-256 "
             f"(Montgomery, four limbs) and {pred['products_per_mul']['secp256k1']} for secp256k1 (its p = 2^256 - c "
             "reduces directly)."]
    for curve, c in pred["curves"].items():
        lines.append(f"- {curve}: about {c['field_muls']:,} field multiplications ({c['products']:,} products, "
                     f"{c['vs_ed25519']:.1f}x an Ed25519 verification's); the doublings of u2 Q are "
                     f"{c['steps']['u2 Q: doublings'] / c['field_muls']:.0%} of them. At lib25519's cost per product: "
                     f"{fmt_rate(c['one_core'], ' sig/s')} on one core, {fmt_rate(c['all_cores'], ' sig/s')} on "
                     f"{pred['cores']}.")
    lines.append(f"- A GPU is bound by its arithmetic, not the bus: PCIe alone would allow "
                 f"{fmt_rate(pred['pcie_end_to_end_limit'], ' sig/s')}.")
    return "\n".join(lines)


def sweep_markdown(frame: pd.DataFrame, pred: dict) -> str:
    """Findings of the batch-size sweep, one paragraph per curve, set against the prediction."""
    where = f", {frame.device_tag.iloc[0]}" if "device_tag" in frame else ""
    lines = [f"**Findings (measured, this run{where}).**", ""]
    for curve in dict.fromkeys(frame.curve):
        rows = curve_rows(frame, curve)
        scored = with_speedup(rows)
        biggest = int(scored[scored.backend == BASELINE].batch_size.max())
        at_big = scored[scored.batch_size == biggest]
        base = rate_at(at_big, BASELINE, "end_to_end")
        if base:
            lines.append(f"- **{curve}**: {LIBRARY_NAMES[curve]}, one call per signature, verifies "
                         f"{fmt_rate(base, ' sig/s')} at {biggest:,} signatures; the model's one-core estimate is "
                         f"{fmt_rate(pred['curves'][curve]['one_core'], ' sig/s')}.")
        lines += backend_lines(rows, biggest, "the library", "sig", "Host work (key parsing, SHA-256, limbs)",
                               indent="  ")
    return "\n".join(lines)
