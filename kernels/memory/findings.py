"""The Wasm-memory notebook's data-dependent sentences, tables and figures, formatted from measured rows.

Workload parameters are columns of the rows (pattern, dirty_ratio, page_size, heap_bytes, pinned, layout, ...),
never parsed back from names. The argument itself (what the phases mean, how the kernels work) is Markdown in
notebooks/03_wasm_memory.ipynb.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import registry
from ..analysis import fmt_rate, save_figure, fmt_time, hue
from . import workloads as wl
from .prediction import tracking_break_even_dirty_ratio


def gbps(value: float) -> str:
    return fmt_rate(value, "B/s")


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A parameter column, or NaN where no row of the frame has it."""
    return frame[name] if name in frame else pd.Series(np.nan, index=frame.index)


def _fresh(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with a fresh index: frames concatenated by the notebook repeat index labels."""
    return frame.reset_index(drop=True)


def _pinned(frame: pd.DataFrame) -> pd.Series:
    return _col(frame, "pinned").eq(True)


def _cuda(frame: pd.DataFrame) -> pd.Series:
    return frame.backend.map(lambda b: b in registry.BACKEND_TABLE and registry.BACKEND_TABLE[b].api == "cuda")


def label(frame: pd.DataFrame) -> pd.Series:
    """A short name per row from the workload and its parameters: "round sparse", "pattern stack 64 KiB"."""
    parts = [frame.workload.astype(str)]
    if "pattern" in frame:
        parts.append(frame.pattern.fillna("").astype(str))
    if "page_size" in frame:
        parts.append(frame.page_size.map(lambda v: f"{int(v) >> 10} KiB" if v == v and v != wl.OS_PAGE_BYTES else ""))
    if "pinned" in frame:
        parts.append(_pinned(frame).map({True: "pinned", False: ""}))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep=" ")
    return joined.str.split().str.join(" ")


def stream_bps(frame: pd.DataFrame) -> float:
    """The STREAM-like host copy bandwidth measured in this run (numpy; bytes read + written per second)."""
    frame = _fresh(frame)
    rows = frame[(frame.workload == "stream-copy") & (frame.backend == "numpy")]
    return float(rows.bytes_per_s.max()) if not rows.empty else float("nan")


# --- prediction -----------------------------------------------------------------------------------------------

def prediction_markdown(pred: dict) -> str:
    heap = pred["heap_bytes"] / 2**20
    return "\n".join([
        f"**Prediction (a model, before measuring).** A {heap:g} MiB heap is {pred['pages']:,} pages of 4 KiB; "
        f"at 2 % dirty, {pred['dirty_pages']:,} of them changed.",
        f"- Detection by comparison must read both images: {pred['kernel_detect_bytes'] / 2**20:g} MiB for a fused "
        f"kernel. The numpy baseline also writes a bool per byte and reads it back "
        f"({pred['baseline_detect_bytes'] / 2**20:g} MiB), so a memory-bound kernel should win by at least "
        f"{pred['traffic_ratio_detect']:.0f}x from traffic alone.",
        f"- Copying the dirty pages moves {pred['kernel_copy_bytes'] / 2**20:.3g} MiB (read + write); numpy's "
        f"fancy-index copy gathers into a temporary first ({pred['baseline_copy_bytes'] / 2**20:.3g} MiB): up to "
        f"{pred['traffic_ratio_copy']:.0f}x where memory-bound, near 1x when the pages fit in cache.",
        f"- On an H100 the compare itself would take {fmt_time(pred['h100_detect_s'])} at the measured HBM copy "
        f"anchor, but moving both images over PCIe Gen5 takes {fmt_time(pred['pcie_h2d_s'])}.",
        f"- In Wasm, `memory.copy` of 1 MiB is charged {pred['ic_memory_copy_instructions_per_mib']:,} instructions.",
    ])


# --- figures ----------------------------------------------------------------------------------------------------

def plot_bandwidth(frame: pd.DataFrame, x: str, title: str, path=None, stream: float | None = None,
                   phases=("kernel", "end_to_end"), xlabel: str | None = None, logx: bool = True):
    """Bytes per second (read + written) against `x`, one fixed colour per backend, one style per phase, with the
    STREAM-like copy bandwidth of this run as a dotted line."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sel = frame[frame.phase.isin(phases)]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    sns.lineplot(data=sel, x=x, y="bytes_per_s", hue="backend", style="phase", markers=True, ax=ax, **hue(sel))
    if stream and np.isfinite(stream):
        ax.axhline(stream, color="black", ls=":", lw=1)
        ax.annotate("STREAM-like copy", (0.01, stream), xycoords=("axes fraction", "data"), va="bottom", fontsize=8)
    ax.set(xscale="log" if logx else "linear", yscale="log", xlabel=xlabel or x, ylabel="bytes per second",
           title=title)
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, path)
    return fig


def plot_share_of_stream(frame: pd.DataFrame, stream: float, title: str, path=None):
    """Each backend's best bandwidth per workload (kernel or end to end) as a share of the STREAM-like copy."""
    frame = _fresh(frame)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sel = frame[frame.phase.isin(["kernel", "end_to_end"])]
    best = sel.assign(label=label(sel)).groupby(["label", "backend"], as_index=False).bytes_per_s.max()
    best["share"] = best.bytes_per_s / stream
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    sns.barplot(data=best, x="label", y="share", hue="backend", ax=ax, **hue(best))
    ax.axhline(1.0, color="black", ls=":", lw=1)
    ax.set(ylabel="share of the STREAM-like copy bandwidth", xlabel="", title=title)
    ax.tick_params(axis="x", rotation=20)
    save_figure(fig, path)
    return fig


def plot_tracking(table: pd.DataFrame, title: str, path=None):
    """Seconds per page of one round against the dirty ratio: faults (protect + ratio x fault) against each
    compare backend (flat); where the lines cross is the break-even."""
    import matplotlib.pyplot as plt

    ratios = np.linspace(0, 0.3, 61)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    if not table.empty:
        first = table.iloc[0]
        ax.plot(ratios * 100, first.protect_s_per_page + ratios * first.fault_s_per_page,
                color=registry.colour("mprotect"), lw=2, label="write-protect faults (the IC)")
    for rec in table.itertuples():
        ax.plot(ratios * 100, np.full_like(ratios, rec.compare_s_per_page), color=registry.colour(rec.backend),
                ls="--" if rec.phase == "end_to_end" else ":", label=f"compare: {rec.backend} ({rec.phase})")
    ax.set(yscale="log", xlabel="dirty pages per round (%)", ylabel="seconds per page of memory", title=title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, path)
    return fig


def plot_round_cost(cost: pd.DataFrame, title: str, path=None):
    """Detection + copy per round, stacked, for each path."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * max(len(cost), 1)))
    if not cost.empty:
        ax.barh(cost.path, cost.detect_s, label="detect")
        ax.barh(cost.path, cost.copy_s, left=cost.detect_s, label="copy dirty pages")
        ax.legend(fontsize=8)
    ax.set(xscale="log", xlabel="seconds per round", title=title)
    save_figure(fig, path)
    return fig


# --- tables -----------------------------------------------------------------------------------------------------

def phase_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Median time of each phase per (workload, backend) of the staged backends: where the time goes, pageable
    against pinned."""
    frame = _fresh(frame)
    sel = frame[frame.backend.map(lambda b: b in registry.BACKEND_TABLE and registry.staged(b))]
    if sel.empty:
        return pd.DataFrame()
    sel = sel.assign(workload=label(sel))
    table = sel.pivot_table(index=["workload", "backend"], columns="phase", values="time_s_median", aggfunc="median")
    cols = [p for p in ("h2d", "kernel", "d2h", "end_to_end") if p in table.columns]
    return table[cols].map(fmt_time)


def bandwidth_table(frame: pd.DataFrame, stream: float) -> pd.DataFrame:
    """Best bandwidth per workload and backend (kernel or end to end), and its share of the copy bandwidth."""
    frame = _fresh(frame)
    sel = frame[frame.phase.isin(["kernel", "end_to_end"])]
    sel = sel.assign(workload=label(sel))
    best = sel.loc[sel.groupby(["workload", "backend"]).bytes_per_s.idxmax()]
    order = {b: i for i, b in enumerate(registry.backend_order())}
    best = best.assign(_order=best.backend.map(order)).sort_values(["workload", "_order"])
    return pd.DataFrame({"workload": best.workload, "backend": best.backend, "phase": best.phase,
                         "bandwidth": best.bytes_per_s.map(gbps),
                         "of STREAM copy": (best.bytes_per_s / stream).map("{:.0%}".format)})


def _detection_at_two_percent(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame.operation == "dirty_pages") & (frame.workload == "dirty-ratio")
                 & np.isclose(_col(frame, "dirty_ratio").astype(float), wl.TARGET_DIRTY_RATIO)]


def tracking_vs_compare(frame: pd.DataFrame) -> pd.DataFrame:
    """Per backend: seconds per page to find dirty pages by comparing (the dirty-ratio sweep at 2 %), the
    write-protect fault and re-protect costs, and the dirty ratio below which faults are cheaper."""
    frame = _fresh(frame)
    faults = frame[frame.backend == "mprotect"].set_index("workload")
    if faults.empty:
        return pd.DataFrame()
    fault = 1 / faults.loc["write-protect-fault", "items_per_s"]
    protect = 1 / faults.loc["mprotect-all", "items_per_s"]
    sel = _detection_at_two_percent(frame)
    sel = sel[sel.phase.isin(["end_to_end", "kernel"])]
    records = []
    for (backend, phase), rows in sel.groupby(["backend", "phase"]):
        compare = 1 / float(rows.items_per_s.iloc[0])
        records.append({"backend": backend, "phase": phase, "compare_s_per_page": compare,
                        "fault_s_per_page": fault, "protect_s_per_page": protect,
                        "break_even_dirty_ratio": tracking_break_even_dirty_ratio(fault, protect, compare)})
    return pd.DataFrame(records)


def round_cost(frame: pd.DataFrame, heap_bytes: int) -> pd.DataFrame:
    """What one round's persistence costs on each path, for a heap of `heap_bytes` with the IC's per-round
    shape (1.83 % dirty, sparse): detection (compare, or protect + faults) plus copying the dirty pages,
    from the measured per-page rates (linear in pages: a model on measured inputs)."""
    frame = _fresh(frame)
    npages = heap_bytes // wl.OS_PAGE_BYTES
    dirty = wl.round_dirty_pages(heap_bytes)
    det = _detection_at_two_percent(frame)
    cp = frame[(frame.operation == "copy_pages") & (frame.workload == "round") & (_col(frame, "pattern") == "sparse")
               & ~_pinned(frame)]
    cp = cp[cp.batch_size == cp.batch_size.max()]
    faults = frame[frame.backend == "mprotect"].set_index("workload")

    def per_item(rows, backend, phase):
        r = rows[(rows.backend == backend) & (rows.phase == phase)]
        return 1 / float(r.items_per_s.iloc[0]) if not r.empty else None

    records = []
    for backend in [b for b in registry.backend_order() if b in set(det.backend)]:
        for phase in ("end_to_end", "kernel"):
            d, c = per_item(det, backend, phase), per_item(cp, backend, phase)
            if d is not None and c is not None:
                records.append({"path": f"compare on {backend} ({phase})", "detect_s": d * npages,
                                "copy_s": c * dirty})
    if not faults.empty:
        copy = per_item(cp, "numba_cpu", "end_to_end") or per_item(cp, "library", "end_to_end")
        if copy is not None:
            detect = (npages / faults.loc["mprotect-all", "items_per_s"]
                      + dirty / faults.loc["write-protect-fault", "items_per_s"])
            records.append({"path": "write-protect faults (the IC)", "detect_s": detect, "copy_s": copy * dirty})
    out = pd.DataFrame(records)
    if not out.empty:
        out["round_s"] = out.detect_s + out.copy_s
        out["heap_bytes"], out["dirty_pages"] = heap_bytes, dirty
    return out


# --- findings ---------------------------------------------------------------------------------------------------

def dirty_markdown(frame: pd.DataFrame, stream: float) -> str:
    frame = _fresh(frame)
    size = frame[(frame.workload == "heap-size") & ~_pinned(frame)]
    lines = ["**Findings: detection (measured, this run).**", ""]
    if not size.empty:
        biggest = size.heap_bytes.max()
        at = size[size.heap_bytes == biggest]
        base = at[(at.backend == "library") & (at.phase == "end_to_end")]
        if not base.empty:
            b = base.iloc[0]
            lines.append(f"- numpy compares a {biggest / 2**20:g} MiB heap in {fmt_time(b.time_s_median)} "
                         f"({gbps(b.bytes_per_s)} of both images, {b.bytes_per_s / stream:.0%} of the copy bandwidth).")
            for rec in at[(at.backend != "library") & at.phase.isin(["kernel", "end_to_end"])].itertuples():
                lines.append(f"- `{rec.backend}` {rec.phase.replace('_', '-')} ({rec.device}): "
                             f"{fmt_time(rec.time_s_median)}, {gbps(rec.bytes_per_s)} "
                             f"({rec.bytes_per_s / stream:.0%} of the copy bandwidth), "
                             f"{b.time_s_median / rec.time_s_median:.2f}x numpy.")
        if (size.phase.isin(["kernel", "end_to_end"]) & (size.bytes_per_s > stream)).any():
            lines.append("- Shares above 100 % are not an error: a compare only reads, and reading streams faster "
                         "than a copy, which also writes (and first reads every destination line it writes).")
    ratio = frame[(frame.workload == "dirty-ratio") & (frame.phase == "end_to_end") & (frame.backend == "numba_cpu")]
    if len(ratio) > 1:
        clean = ratio[ratio.dirty_ratio == 0].time_s_median
        full = ratio[ratio.dirty_ratio == ratio.dirty_ratio.max()].time_s_median
        if not clean.empty and not full.empty:
            gain = clean.iloc[0] / full.iloc[0]
            lines.append(f"- Early exit: with every page dirty the Numba kernel takes {fmt_time(full.iloc[0])}, "
                         f"against {fmt_time(clean.iloc[0])} with none ({gain:.2f}x): dirty pages are "
                         + ("cheaper, as early exit predicts." if gain >= 1 else
                            "not cheaper: stopping mid-page did not pay in this run."))
    pattern = frame[(frame.workload == "pattern") & (frame.phase == "end_to_end") & (frame.backend == "numba_cpu")]
    if not pattern.empty:
        spread = pattern.bytes_per_s.max() / pattern.bytes_per_s.min()
        lines.append(f"- Patterns and page sizes change the Numba kernel's bandwidth by at most {spread:.2f}x at "
                     "2 % dirty.")
    return "\n".join(lines)


def copy_markdown(frame: pd.DataFrame, stream: float) -> str:
    frame = _fresh(frame)
    lines = [f"**Findings: page copies (measured).** The STREAM-like copy (`np.copyto` of the whole heap) runs at "
             f"{gbps(stream)} (read + write) in this run.", ""]
    rounds = frame[(frame.workload == "round") & (frame.phase == "end_to_end") & ~_pinned(frame)]
    sparse = rounds[rounds.pattern == "sparse"] if not rounds.empty else rounds
    if not sparse.empty:
        biggest = sparse.batch_size.max()
        at = sparse[sparse.batch_size == biggest]
        base = at[at.backend == "library"]
        for rec in at.itertuples():
            vs = f", {base.time_s_median.iloc[0] / rec.time_s_median:.2f}x numpy" if not base.empty else ""
            lines.append(f"- {biggest:,} sparse pages ({biggest * rec.page_size / 2**20:.3g} MiB), `{rec.backend}`: "
                         f"{gbps(rec.bytes_per_s)}, {rec.bytes_per_s / stream:.0%} of the copy bandwidth{vs}.")
        cpu = sparse[sparse.backend == "numba_cpu"]
        if cpu.batch_size.nunique() > 1:
            lo, hi = cpu.loc[cpu.batch_size.idxmin()], cpu.loc[cpu.batch_size.idxmax()]
            lines.append(f"- `numba_cpu` copies {lo.batch_size:,} pages at {gbps(lo.bytes_per_s)} "
                         f"({lo.bytes_per_s / stream:.0%} of the copy bandwidth) and {hi.batch_size:,} pages at "
                         f"{gbps(hi.bytes_per_s)} ({hi.bytes_per_s / stream:.0%}).")
    gpu = frame[_cuda(frame) & (frame.workload == "stream-copy") & (frame.phase == "kernel")]
    if not gpu.empty:
        from ..anchors import H100_HBM3_SPEC_BPS

        for rec in gpu.itertuples():
            lines.append(f"- `{rec.backend}` device-to-device copy on {rec.device}: {gbps(rec.bytes_per_s)}, "
                         f"{rec.bytes_per_s / H100_HBM3_SPEC_BPS:.0%} of the H100 HBM3 spec (3.35 TB/s).")
    return "\n".join(lines)


def pcie_markdown(frame: pd.DataFrame) -> str:
    """h2d of both images in the heap-size sweep (pageable and pinned) against the PCIe anchors."""
    frame = _fresh(frame)
    from ..anchors import PCIE5_H2D_MEASURED_BPS

    rows = frame[_cuda(frame) & (frame.operation == "dirty_pages") & (frame.phase == "h2d")
                 & (frame.workload == "heap-size")]
    if rows.empty:
        opencl = frame[frame.backend == "opencl"].device
        where = f" The OpenCL transfers above ran on `{opencl.iloc[0]}`." if not opencl.empty else ""
        return ("**PCIe.** No CUDA backend was timed in this run." + where
                + " `scripts/gpu_check.sh` measures h2d/d2h (pageable and pinned) on a GPU machine.")
    lines = [f"**PCIe (measured).** Moving both images to the GPU, against the measured Gen5 anchor "
             f"({gbps(PCIE5_H2D_MEASURED_BPS)} h2d):", ""]
    for rec in rows.assign(pinned=_pinned(rows)).sort_values(["backend", "pinned", "batch_size"]).itertuples():
        moved = rec.batch_size * rec.bytes_per_item
        lines.append(f"- {moved / 2**20:g} MiB, `{rec.backend}`, {'pinned' if rec.pinned else 'pageable'}: "
                     f"{fmt_time(rec.time_s_median)}, {gbps(rec.bytes_per_s)} "
                     f"({rec.bytes_per_s / PCIE5_H2D_MEASURED_BPS:.0%} of the anchor).")
    return "\n".join(lines)


def move_markdown(frame: pd.DataFrame) -> str:
    """memory.copy and memory.fill at the largest size: every path against wasmtime's `kernel` phase."""
    frame = _fresh(frame)
    lines = ["**Findings: `memory.copy` (measured; wasmtime's `kernel` phase, the instruction repeated inside one "
             "Wasm call, is the reference).**", ""]
    wasm = frame.backend == "wasmtime"
    e2e = frame[(~wasm & (frame.phase == "end_to_end")) | (wasm & (frame.phase == "kernel"))]
    if e2e.empty:
        return "\n".join(lines)
    biggest = e2e.batch_size.max()
    for layout in ("forward-overlap", "backward-overlap", "disjoint", "fill"):
        at = e2e[(e2e.layout == layout) & (e2e.batch_size == biggest)]
        if at.empty:
            continue
        ref = at[at.backend == "wasmtime"]
        parts = []
        for rec in at.sort_values("bytes_per_s", ascending=False).itertuples():
            vs = (f" ({rec.bytes_per_s / ref.bytes_per_s.iloc[0]:.2f}x wasmtime)"
                  if not ref.empty and rec.backend != "wasmtime" else "")
            parts.append(f"`{rec.backend}` {gbps(rec.bytes_per_s)}{vs}")
        lines.append(f"- {layout}, {int(biggest):,} bytes: " + ", ".join(parts) + ".")
    calls = frame[wasm & (frame.batch_size == frame.batch_size.min())].pivot_table(
        index="workload", columns="phase", values="time_s_median")
    if {"kernel", "end_to_end"} <= set(calls.columns):
        overhead = float((calls.end_to_end - calls.kernel).median())
        lines.append(f"- Calling into Wasm from Python costs about {fmt_time(overhead)} per call in this run "
                     "(wasmtime's `end_to_end` minus `kernel` at the smallest size).")
    fwd = e2e[(e2e.layout == "forward-overlap") & (e2e.batch_size == biggest)].set_index("backend")
    if {"numba_cpu", "wasmtime"} <= set(fwd.index):
        lines.append(f"- The Numba kernel runs overlapping forward moves at "
                     f"{fwd.bytes_per_s['numba_cpu'] / fwd.bytes_per_s['wasmtime']:.2f}x wasmtime's speed.")
    return "\n".join(lines)


def tracking_markdown(table: pd.DataFrame, cost: pd.DataFrame, cost_ic: pd.DataFrame) -> str:
    if table.empty:
        return "**Faults vs compare.** Fault timing did not run in this run (the reason is printed above)."
    first = table.iloc[0]
    lines = [f"**Findings: the IC's tracking vs comparison (measured).** A write-protect fault costs "
             f"{fmt_time(first.fault_s_per_page)} per page; re-protecting the heap costs "
             f"{fmt_time(first.protect_s_per_page)} per page.", ""]
    for rec in table.itertuples():
        lines.append(f"- Comparing on `{rec.backend}` ({rec.phase}) costs {fmt_time(rec.compare_s_per_page)} per page: "
                     f"faults are cheaper below {rec.break_even_dirty_ratio:.1%} dirty pages per round, "
                     "comparison above.")
    for what, c in (("this run's heap", cost), ("a 4 GiB heap (scaled linearly)", cost_ic)):
        if not c.empty:
            best = c.loc[c.round_s.idxmin()]
            lines.append(f"- One round's persistence for {what} ({int(c.dirty_pages.iloc[0]):,} dirty pages, "
                         f"the IC's 1.83 % shape): cheapest is {best.path} at {fmt_time(best.round_s)}; "
                         + ", ".join(f"{r.path} {fmt_time(r.round_s)}" for r in c.itertuples() if r.path != best.path)
                         + ".")
    return "\n".join(lines)
