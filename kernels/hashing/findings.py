"""The hashing notebook's data-dependent sentences: the prediction's numbers and what the measured rows show.
The argument itself (what the phases mean, why the limits are what they are) is Markdown in the notebook."""
from __future__ import annotations

import pandas as pd

from ..analysis import BASELINE, crossover, fmt_rate, fmt_time, with_speedup
from ..registry import BACKEND_TABLE, backend_order, packed_input

UNITS = {"hashtree": "tree nodes", "request_id": "requests", "manifest_chunks": "chunks", "sha256": "messages"}


def prediction_markdown(pred: dict) -> str:
    """The prediction's numbers (hot_path.prediction()), before anything is measured."""
    return "\n".join([
        f"**Prediction for {pred['message_bytes']}-byte messages (a model from published anchors).** Each pads to "
        f"{pred['padded_bytes']} bytes: {pred['compressions']} compression(s), about {pred['integer_ops']:,} "
        f"32-bit integer operations; {pred['bytes_in']} bytes in (message and offset), {pred['bytes_out']} out.",
        f"- one core with SHA-NI: about {fmt_rate(pred['shani_one_core'], ' msg/s')} of hashing work;",
        f"- AVX-512 multi-buffer on all {pred['cores']} cores: up to "
        f"{fmt_rate(pred['multibuffer_all_cores'], ' msg/s')};",
        f"- an H100: {fmt_rate(pred['h100_kernel'], ' msg/s')} on the device, capped end to end by PCIe Gen5 at "
        f"{fmt_rate(pred['pcie_end_to_end_limit'], ' msg/s')}.",
    ])


def _kernel_backends(frame: pd.DataFrame) -> list[str]:
    present = set(frame.backend)
    return [b for b in backend_order() if b in present and b in BACKEND_TABLE and packed_input(b)]


def sweep_markdown(frame: pd.DataFrame, pred: dict) -> str:
    """Findings of the batch-size sweep, set against the prediction."""
    rows = with_speedup(frame)
    biggest = int(rows.batch_size.max())
    at_big = rows[rows.batch_size == biggest]
    device = f", {frame.device_tag.iloc[0]}" if "device_tag" in frame else ""
    lines = [f"**Findings (measured, this run{device}).**", ""]
    base = at_big[(at_big.backend == BASELINE) & (at_big.phase == "end_to_end")]
    if not base.empty:
        lines.append(f"- The production loop (`{BASELINE}`) hashes {fmt_rate(base.items_per_s.iloc[0], ' msg/s')} at "
                     f"{biggest:,} messages of {pred['message_bytes']} B.")
    for backend in _kernel_backends(frame):
        sel = at_big[at_big.backend == backend].set_index("phase")
        if sel.empty:
            continue
        parts = [f"{phase.replace('_', '-')} {fmt_rate(sel.loc[phase, 'items_per_s'], ' msg/s')} "
                 f"({sel.loc[phase, 'speedup']:.2f}x {BASELINE})" for phase in ("kernel", "end_to_end")
                 if phase in sel.index]
        wins_kernel = crossover(frame, backend, "kernel")
        wins_e2e = crossover(frame, backend, "end_to_end")
        where = (f"it beats {BASELINE} end to end from {int(wins_e2e):,} messages" if wins_e2e is not None
                 else f"end to end it does not beat {BASELINE} within the sweep")
        if wins_kernel is not None:
            where += f" (kernel-only from {int(wins_kernel):,})"
        lines.append(f"- `{backend}` ({sel.device.iloc[0]}) at {biggest:,}: " + ", ".join(parts) + f"; {where}.")
        if "pack" in sel.index and "end_to_end" in sel.index:
            share = sel.loc["pack", "time_s_median"] / sel.loc["end_to_end", "time_s_median"]
            lines.append(f"  Packing takes {fmt_time(sel.loc['pack', 'time_s_median'])}, {share:.0%} of its "
                         "end-to-end time.")
        if "kernel" in sel.index:
            anchor = "h100_kernel" if BACKEND_TABLE[backend].api == "cuda" else "multibuffer_all_cores"
            name = "H100 hashcat" if anchor == "h100_kernel" else f"AVX-512 multi-buffer ({pred['cores']} cores)"
            lines.append(f"  Kernel-only it reaches {sel.loc['kernel', 'items_per_s'] / pred[anchor]:.1%} of the "
                         f"{name} anchor ({fmt_rate(pred[anchor], ' msg/s')}).")
    return "\n".join(lines)


def workloads_markdown(frame: pd.DataFrame) -> str:
    """Findings of the IC workloads: who wins each and by how much, end to end."""
    rows = with_speedup(frame[frame.phase == "end_to_end"])
    lines = ["**IC workloads (end to end, measured).**", ""]
    for workload, sel in rows.groupby("workload", sort=False):
        best = sel.loc[sel.items_per_s.idxmax()]
        base = sel[sel.backend == BASELINE]
        unit = UNITS.get(best.operation, "items")
        base_rate = fmt_rate(base.items_per_s.iloc[0], f" {unit}/s") if not base.empty else "not measured"
        lines.append(f"- {workload} ({best.operation}, {int(best.batch_size):,} {unit} per call): best is "
                     f"`{best.backend}` at {fmt_rate(best.items_per_s, f' {unit}/s')}, {best.speedup:.2f}x "
                     f"{BASELINE} ({base_rate}).")
    return "\n".join(lines)


def inputs_markdown(forms: pd.DataFrame, peer: pd.DataFrame) -> str:
    """What each input form costs (a Python list, a 2-D array, a packed buffer), end to end at the largest batch,
    against the hashlib loop on the list, and the peer binary's rate measured beside it (timed by openssl)."""
    rows = forms[forms.phase == "end_to_end"]
    biggest = int(rows.batch_size.max())
    rows = rows[rows.batch_size == biggest]
    base = rows[(rows.backend == BASELINE) & (rows.input == "list")]
    lines = [f"**Input forms at {biggest:,} messages (end to end, measured).**", ""]
    base_rate = float(base.items_per_s.iloc[0]) if not base.empty else float("nan")
    if not base.empty:
        lines.append(f"- The hashlib loop on the Python list: {fmt_rate(base_rate, ' msg/s')}.")
    if not peer.empty:
        p = peer.iloc[0]
        lines.append(f"- Peer `{p.peer_command}` ({p.peer_version}; {p.device}), timed by openssl itself in its own "
                     f"processes, not interleaved: {fmt_rate(p.items_per_s, ' msg/s')}.")
    for backend in _kernel_backends(rows):
        sel = rows[rows.backend == backend].set_index("input")
        parts = [f"{form} {fmt_rate(sel.loc[form, 'items_per_s'], ' msg/s')} ({sel.loc[form, 'items_per_s'] / base_rate:.2f}x "
                 "the hashlib loop" + (f", {sel.loc[form, 'items_per_s'] / peer.items_per_s.iloc[0]:.2f}x the peer"
                                       if not peer.empty else "") + ")"
                 for form in ("list", "rows", "packed") if form in sel.index]
        lines.append(f"- `{backend}`: " + "; ".join(parts) + ".")
        if {"list", "packed"} <= set(sel.index):
            cost = 1 / sel.loc["list", "items_per_s"] - 1 / sel.loc["packed", "items_per_s"]
            lines.append(f"  The Python list costs {fmt_time(cost * biggest)} per batch over the packed form "
                         f"({cost * 1e9:.0f} ns per message): checking, measuring and joining the `bytes` objects.")
    return "\n".join(lines)
