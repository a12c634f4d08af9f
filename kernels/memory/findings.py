"""The Wasm-memory notebook's figures and prose, formatted from measured rows (never typed by hand)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import BACKEND_ORDER, fmt_rate, fmt_time
from . import bench

ORDER = BACKEND_ORDER + [bench.WASMTIME, bench.FAULTS]


def _order(frame: pd.DataFrame) -> list[str]:
    return [b for b in ORDER if b in set(frame.backend)]


def _save(fig, path) -> None:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")


def gbps(value: float) -> str:
    return fmt_rate(value, "B/s")


# --- parsing the workload names the bench writes ------------------------------------------------------------

def with_params(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `sweep`, `pattern`, `dirty_pct`, `page_kib`, `heap_mib` (dirty_pages) parsed from the workload name."""
    pat = re.compile(r"^(size|pattern|ratio)-(\w+)-([\d.]+)%-(\d+)KiB-([\d.]+)MiB")
    parsed = [pat.match(w) for w in frame.workload]
    return frame.assign(
        sweep=[m.group(1) if m else None for m in parsed], pattern=[m.group(2) if m else None for m in parsed],
        dirty_pct=[float(m.group(3)) if m else np.nan for m in parsed],
        page_kib=[int(m.group(4)) if m else np.nan for m in parsed],
        heap_mib=[float(m.group(5)) if m else np.nan for m in parsed],
        pinned=frame.workload.str.endswith("-pinned"))


def stream_bps(frame: pd.DataFrame, backend: str = "library") -> float:
    """The STREAM-like copy bandwidth measured in this run (bytes read + written per second)."""
    rows = frame[frame.workload.str.startswith("stream-copy") & (frame.backend == backend)]
    return float(rows.bytes_per_s.max()) if not rows.empty else float("nan")


# --- prediction ------------------------------------------------------------------------------------------------

def prediction_markdown(pred: dict) -> str:
    heap = pred["heap_bytes"] / 2**20
    return "\n".join([
        f"**Prediction (a model, before measuring).** A {heap:g} MiB heap is {pred['pages']:,} pages of 4 KiB; "
        f"at 2 % dirty, {pred['dirty_pages']:,} of them changed.",
        f"- Detection by comparison must read both images: {pred['kernel_detect_bytes'] / 2**20:g} MiB for a fused "
        f"kernel. The numpy baseline also writes a bool per byte and reads it back "
        f"({pred['baseline_detect_bytes'] / 2**20:g} MiB), so a memory-bound kernel should win by at least "
        f"{pred['traffic_ratio_detect']:.0f}x from traffic alone, and by more where numpy's two passes are not "
        "bandwidth-bound. Early exit only helps dirty pages: at 2 % it saves almost nothing, so the kernel runs at "
        "the memory's read bandwidth.",
        f"- Copying the dirty pages moves {pred['kernel_copy_bytes'] / 2**20:.3g} MiB (read + write); numpy's "
        f"fancy-index copy gathers into a temporary first ({pred['baseline_copy_bytes'] / 2**20:.3g} MiB): up to "
        f"{pred['traffic_ratio_copy']:.0f}x where memory-bound, near 1x when the pages fit in cache.",
        f"- On an H100 the compare itself would take {fmt_time(pred['h100_detect_s'])} at the measured HBM copy "
        f"anchor, but moving both images over PCIe Gen5 takes {fmt_time(pred['pcie_h2d_s'])}: a GPU helps only if "
        "the memory already lives there.",
        "- The IC's own method costs a fault per first write to a page plus re-protecting the heap each round; "
        "it wins when few pages are dirty, comparison wins when many are. The break-even is measured below.",
        f"- In Wasm, `memory.copy` of 1 MiB is charged {pred['ic_memory_copy_instructions_per_mib']:,} instructions "
        "(100 + 1 per byte): its real cost is a memmove, which every CPU path should run near the copy bandwidth.",
    ])


# --- figures ---------------------------------------------------------------------------------------------------

def plot_bandwidth(frame: pd.DataFrame, x: str, title: str, path=None, stream: float | None = None,
                   phases=("kernel", "end_to_end"), xlabel: str | None = None, logx: bool = True):
    """Bytes per second (read + written) against `x`, one colour per backend, one style per phase, with the
    STREAM-like copy bandwidth as a dotted line."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sel = frame[frame.phase.isin(phases)]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    sns.lineplot(data=sel, x=x, y="bytes_per_s", hue="backend", style="phase", markers=True, ax=ax,
                 hue_order=_order(sel))
    if stream and np.isfinite(stream):
        ax.axhline(stream, color="black", ls=":", lw=1)
        ax.annotate("STREAM-like copy", (0.01, stream), xycoords=("axes fraction", "data"), va="bottom", fontsize=8)
    ax.set(xscale="log" if logx else "linear", yscale="log", xlabel=xlabel or x, ylabel="bytes per second",
           title=title)
    ax.grid(True, which="major", alpha=0.3)
    _save(fig, path)
    return fig


def plot_share_of_stream(frame: pd.DataFrame, stream: float, title: str, path=None):
    """Each backend's best bandwidth per workload as a share of the STREAM-like copy (end to end / kernel)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sel = frame[frame.phase.isin(["kernel", "end_to_end"])]
    best = sel.groupby(["workload", "backend"], as_index=False).bytes_per_s.max()
    best["share"] = best.bytes_per_s / stream
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    sns.barplot(data=best, x="workload", y="share", hue="backend", hue_order=_order(best), ax=ax)
    ax.axhline(1.0, color="black", ls=":", lw=1)
    ax.set(ylabel="share of the STREAM-like copy bandwidth", xlabel="", title=title)
    ax.tick_params(axis="x", rotation=20)
    _save(fig, path)
    return fig


def plot_tracking(table: pd.DataFrame, title: str, path=None):
    """Seconds per page of one round against the dirty ratio: faults (protect + ratio x fault) against each
    compare backend (flat); where the lines cross is the break-even."""
    import matplotlib.pyplot as plt

    ratios = np.linspace(0, 0.3, 61)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    first = table.iloc[0]
    ax.plot(ratios * 100, first.protect_s_per_page + ratios * first.fault_s_per_page, color="black", lw=2,
            label="write-protect faults (the IC)")
    for rec in table.itertuples():
        ax.plot(ratios * 100, np.full_like(ratios, rec.compare_s_per_page), ls="--",
                label=f"compare: {rec.backend} ({rec.phase})")
    ax.set(yscale="log", xlabel="dirty pages per round (%)", ylabel="seconds per page of memory", title=title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    _save(fig, path)
    return fig


def plot_round_cost(cost: pd.DataFrame, title: str, path=None):
    """Detection + copy per round, stacked, for each path."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * max(len(cost), 1)))
    ax.barh(cost.path, cost.detect_s, label="detect")
    ax.barh(cost.path, cost.copy_s, left=cost.detect_s, label="copy dirty pages")
    ax.set(xscale="log", xlabel="seconds per round", title=title)
    ax.legend(fontsize=8)
    _save(fig, path)
    return fig


# --- tables ----------------------------------------------------------------------------------------------------

def phase_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Median time of each phase per (workload, backend): where the time goes, pageable vs pinned."""
    sel = frame[frame.backend.isin(bench.STAGED)]
    if sel.empty:
        return pd.DataFrame()
    table = sel.pivot_table(index=["workload", "backend"], columns="phase", values="time_s_median", aggfunc="median")
    cols = [p for p in ("h2d", "kernel", "d2h", "end_to_end") if p in table.columns]
    return table[cols].map(fmt_time)


def bandwidth_table(frame: pd.DataFrame, stream: float) -> pd.DataFrame:
    """Best bandwidth per workload and backend (kernel or end to end), and its share of the copy bandwidth."""
    sel = frame[frame.phase.isin(["kernel", "end_to_end"])]
    best = sel.loc[sel.groupby(["workload", "backend"]).bytes_per_s.idxmax()]
    return pd.DataFrame({"workload": best.workload, "backend": best.backend, "phase": best.phase,
                         "bandwidth": best.bytes_per_s.map(gbps),
                         "of STREAM copy": (best.bytes_per_s / stream).map("{:.0%}".format)})


# --- findings --------------------------------------------------------------------------------------------------

def _best(frame: pd.DataFrame, workload_prefix: str, backend: str, phase: str = "end_to_end") -> pd.Series | None:
    rows = frame[frame.workload.str.startswith(workload_prefix) & (frame.backend == backend) & (frame.phase == phase)]
    return None if rows.empty else rows.loc[rows.bytes_per_s.idxmax()]


def dirty_markdown(frame: pd.DataFrame, stream: float) -> str:
    rows = with_params(frame)
    size = rows[(rows.sweep == "size") & ~rows.pinned]
    biggest = size.heap_mib.max()
    at = size[size.heap_mib == biggest]
    lines = [f"**Findings: detection (measured, this run, {frame.device_tag.iloc[0] if 'device_tag' in frame else 'here'}).**",
             ""]
    base = at[(at.backend == "library") & (at.phase == "end_to_end")]
    if not base.empty:
        b = base.iloc[0]
        lines.append(f"- numpy compares a {biggest:g} MiB heap in {fmt_time(b.time_s_median)} "
                     f"({gbps(b.bytes_per_s)} of both images, {b.bytes_per_s / stream:.0%} of the copy bandwidth).")
        for backend in ("numba_cpu", "opencl", "numba_cuda", "cupy"):
            for phase in ("kernel", "end_to_end"):
                r = at[(at.backend == backend) & (at.phase == phase)]
                if not r.empty:
                    r = r.iloc[0]
                    lines.append(f"- `{backend}` {phase.replace('_', '-')}: {fmt_time(r.time_s_median)}, "
                                 f"{gbps(r.bytes_per_s)} ({r.bytes_per_s / stream:.0%} of the copy bandwidth), "
                                 f"{b.time_s_median / r.time_s_median:.2f}x numpy.")
    ratio = rows[(rows.sweep == "ratio") & (rows.phase == "end_to_end") & (rows.backend == "numba_cpu")]
    if len(ratio) > 1:
        clean = ratio[ratio.dirty_pct == 0].time_s_median
        full = ratio[ratio.dirty_pct == ratio.dirty_pct.max()].time_s_median
        if not clean.empty and not full.empty:
            gain = clean.iloc[0] / full.iloc[0]
            text = (f"- Early exit: with every page dirty the Numba kernel takes {fmt_time(full.iloc[0])}, against "
                    f"{fmt_time(clean.iloc[0])} with none ({gain:.2f}x). ")
            if gain >= 1:
                text += "Each dirty page stops at its first differing 512-byte chunk, so dirty pages are cheaper."
            else:
                text += ("Stopping mid-page does not pay here, most likely because it breaks the sequential stream "
                         "the hardware prefetcher follows (every page then starts cold), which costs more than the "
                         "bytes skipped. At the IC's 2 % it makes no difference either way.")
            lines.append(text)
    fast = size[(size.phase.isin(["kernel", "end_to_end"])) & (size.bytes_per_s > stream)]
    if not fast.empty:
        lines.append("- Shares above 100 % are not an error: a compare only reads, and reading streams faster than "
                     "a copy, which also writes (and first reads every destination line it writes).")
    pattern = rows[(rows.sweep == "pattern") & (rows.phase == "end_to_end") & (rows.backend == "numba_cpu")]
    if not pattern.empty:
        spread = pattern.bytes_per_s.max() / pattern.bytes_per_s.min()
        lines.append(f"- Patterns and page sizes (sparse / clustered / stack, 4 KiB / 64 KiB) change the Numba "
                     f"kernel's bandwidth by at most {spread:.2f}x: at 2 % dirty, detection cost is the clean pages.")
    return "\n".join(lines)


def copy_markdown(frame: pd.DataFrame, stream: float) -> str:
    lines = [f"**Findings: page copies (measured).** The STREAM-like copy (`np.copyto` of the whole heap) runs at "
             f"{gbps(stream)} (read + write) on this machine.", ""]
    rounds = frame[frame.workload.str.startswith("round-") & (frame.phase == "end_to_end")]
    if not rounds.empty:
        biggest = rounds.batch_size.max()
        at = rounds[(rounds.batch_size == biggest) & rounds.workload.str.contains("sparse")]
        base = at[at.backend == "library"]
        for rec in at.itertuples():
            vs = f", {base.time_s_median.iloc[0] / rec.time_s_median:.2f}x numpy" if not base.empty else ""
            lines.append(f"- {biggest:,} sparse pages ({biggest * 4096 / 2**20:.3g} MiB), `{rec.backend}`: "
                         f"{gbps(rec.bytes_per_s)}, {rec.bytes_per_s / stream:.0%} of the copy bandwidth{vs}.")
    cpu = rounds[(rounds.backend == "numba_cpu") & rounds.workload.str.contains("sparse")]
    if cpu.batch_size.nunique() > 1:
        lo, hi = cpu.loc[cpu.batch_size.idxmin()], cpu.loc[cpu.batch_size.idxmax()]
        lines.append(f"- `numba_cpu` copies {lo.batch_size:,} pages at {gbps(lo.bytes_per_s)} "
                     f"({lo.bytes_per_s / stream:.0%} of the copy bandwidth) and {hi.batch_size:,} pages at "
                     f"{gbps(hi.bytes_per_s)} ({hi.bytes_per_s / stream:.0%}): small rounds are dominated by the call "
                     "or stay in cache, large ones stream from DRAM.")
    gpu = frame[frame.backend.isin(bench.GPU) & frame.workload.str.startswith("stream-copy")]
    for rec in gpu.itertuples():
        from ..anchors import H100_HBM3_SPEC_BPS

        lines.append(f"- `{rec.backend}` device-to-device copy: {gbps(rec.bytes_per_s)}, "
                     f"{rec.bytes_per_s / H100_HBM3_SPEC_BPS:.0%} of the H100 HBM3 spec (3.35 TB/s).")
    return "\n".join(lines)


def pcie_markdown(frame: pd.DataFrame) -> str:
    """h2d of both images in the dirty-page size sweep (pageable and pinned) against the PCIe anchors."""
    from ..anchors import PCIE5_H2D_MEASURED_BPS

    rows = frame[frame.backend.isin(bench.GPU) & (frame.operation == "dirty_pages") & (frame.phase == "h2d")
                 & frame.workload.str.startswith("size-")]
    if rows.empty:
        return ("**PCIe.** No GPU in this run: the transfer phases above are the OpenCL CPU device's memcpys. "
                "`scripts/gpu_check.sh` measures h2d/d2h (pageable and pinned) on a GPU machine.")
    lines = [f"**PCIe (measured).** Moving both images to the GPU, against the measured Gen5 anchor "
             f"({gbps(PCIE5_H2D_MEASURED_BPS)} h2d):", ""]
    for rec in rows.sort_values(["backend", "batch_size"]).itertuples():
        moved = rec.batch_size * rec.bytes_per_item
        lines.append(f"- {rec.workload}, `{rec.backend}`: {fmt_time(rec.time_s_median)} for {moved / 2**20:g} MiB, "
                     f"{gbps(rec.bytes_per_s)} ({rec.bytes_per_s / PCIE5_H2D_MEASURED_BPS:.0%} of the anchor).")
    return "\n".join(lines)


def move_markdown(frame: pd.DataFrame) -> str:
    lines = ["**Findings: `memory.copy` (measured; wasmtime is the production reference: its `kernel` phase, the "
             "instruction repeated inside one Wasm call, is used below).**", ""]
    wasm = frame.backend == bench.WASMTIME
    e2e = frame[(~wasm & (frame.phase == "end_to_end")) | (wasm & (frame.phase == "kernel"))]
    biggest = e2e.batch_size.max()
    for layout in ("forward-overlap", "backward-overlap", "disjoint", "fill"):
        at = e2e[e2e.workload.str.startswith(layout) & (e2e.batch_size == biggest)]
        if at.empty:
            continue
        ref = at[at.backend == bench.WASMTIME]
        parts = []
        for rec in at.sort_values("bytes_per_s", ascending=False).itertuples():
            vs = (f" ({rec.bytes_per_s / ref.bytes_per_s.iloc[0]:.2f}x wasmtime)"
                  if not ref.empty and rec.backend != bench.WASMTIME else "")
            parts.append(f"`{rec.backend}` {gbps(rec.bytes_per_s)}{vs}")
        lines.append(f"- {layout}, {bench._mib(int(biggest))}: " + ", ".join(parts) + ".")
    calls = frame[wasm & (frame.batch_size == frame.batch_size.min())].pivot_table(
        index="workload", columns="phase", values="time_s_median")
    if {"kernel", "end_to_end"} <= set(calls.columns):
        overhead = float((calls.end_to_end - calls.kernel).median())
        lines.append(f"- Calling into Wasm from Python costs about {fmt_time(overhead)} per call here (wasmtime's "
                     "`end_to_end` minus `kernel` at the smallest size): inside a canister there is no such call.")
    lines.append("")
    lines.append("wasmtime executes `memory.copy` and `memory.fill` as libcalls into its runtime (wasmtime "
                 "`runtime/vm/libcalls.rs`), which move the whole range in one bulk operation; numpy's slice "
                 "assignment is the same kind of library call. They are the bar for any CPU path.")
    fwd = e2e[e2e.workload.str.startswith("forward-overlap") & (e2e.batch_size == biggest)].set_index("backend")
    if {"numba_cpu", bench.WASMTIME} <= set(fwd.index):
        slower = fwd.bytes_per_s[bench.WASMTIME] / fwd.bytes_per_s["numba_cpu"]
        lines.append(f"The Numba kernel (256-byte chunks through a bounce buffer, in the direction of the move) "
                     f"runs at {1 / slower:.2f}x wasmtime's speed here.")
        lines.append("On the CPU every path meets the same copy bandwidth, so the room above wasmtime is small; an "
                     "offload would first have to move the whole memory (the device rows' end-to-end times).")
    return "\n".join(lines)


def tracking_markdown(table: pd.DataFrame, cost: pd.DataFrame, cost_ic: pd.DataFrame) -> str:
    if table.empty:
        return "**Faults vs compare.** Fault timing did not run here."
    first = table.iloc[0]
    lines = [f"**Findings: the IC's tracking vs comparison (measured).** A write-protect fault costs "
             f"{fmt_time(first.fault_s_per_page)} per page (enter the kernel, deliver SIGSEGV, run the handler, "
             f"mprotect the page, return); re-protecting the heap costs {fmt_time(first.protect_s_per_page)} per page.",
             ""]
    for rec in table.itertuples():
        lines.append(f"- Comparing on `{rec.backend}` ({rec.phase}) costs {fmt_time(rec.compare_s_per_page)} per page: "
                     f"faults are cheaper below {rec.break_even_dirty_ratio:.1%} dirty pages per round, "
                     "comparison above.")
    for label, c in (("this run's heap", cost), ("a 4 GiB heap (scaled linearly)", cost_ic)):
        if not c.empty:
            best = c.loc[c.round_s.idxmin()]
            lines.append(f"- One round's persistence for {label} ({int(c.dirty_pages.iloc[0]):,} dirty pages, "
                         f"the IC's 1.83 % shape): cheapest is {best.path} at {fmt_time(best.round_s)}; "
                         + ", ".join(f"{r.path} {fmt_time(r.round_s)}" for r in c.itertuples() if r.path != best.path)
                         + ".")
    lines.append("")
    lines.append("Comparison also needs the previous image of every page (the IC keeps it in its page map) and "
                 "reads all of it every round, while faults touch only what was written. Fault costs depend on the "
                 "kernel and on virtualisation (this run's machine is tagged above): the break-even moves with them.")
    return "\n".join(lines)


def target_markdown(dirty: dict, copy: dict) -> str:
    def verdict(r):
        return "met" if r["met"] else "not met"

    lines = [f"**Target 1 (dirty_pages >= {dirty['goal_ratio']:.0f}x `{dirty['baseline']}` on "
             f"{dirty['heap_bytes'] / 2**20:g} MiB, {dirty['dirty_ratio']:.0%} dirty): {verdict(dirty)}.** Baseline "
             f"{fmt_time(dirty['baseline_s'])} ({gbps(dirty['baseline_bytes_per_s'])})."]
    for backend in ("numba_cpu", "opencl"):
        if f"{backend}_ratio" in dirty:
            lines.append(f"`{backend}` {dirty[f'{backend}_ratio']:.2f}x ({gbps(dirty[f'{backend}_bytes_per_s'])}).")
        elif backend in dirty:
            lines.append(f"`{backend}`: {dirty[backend]}.")
    lines.append("")
    lines.append(f"**Target 2 (copy_pages >= {copy['goal_ratio']}x numpy fancy-index copy, {copy['pages']:,} pages "
                 f"of a {copy['heap_bytes'] / 2**20:g} MiB heap): {verdict(copy)}.** STREAM-like copy "
                 f"{gbps(copy['stream_copy_bytes_per_s'])}; numpy {gbps(copy['baseline_bytes_per_s'])} "
                 f"({copy['baseline_share_of_stream']:.0%} of it).")
    for backend in ("numba_cpu", "opencl"):
        if f"{backend}_ratio" in copy:
            lines.append(f"`{backend}` {copy[f'{backend}_ratio']:.2f}x, {gbps(copy[f'{backend}_bytes_per_s'])} "
                         f"({copy[f'{backend}_share_of_stream']:.0%} of the measured copy bandwidth).")
    if "small_numba_cpu_ratio" in copy:
        lines.append(f"At {copy['small_pages']:,} pages (2 %, cache-resident) `numba_cpu` is "
                     f"{copy['small_numba_cpu_ratio']:.2f}x numpy.")
    return " ".join(lines)
