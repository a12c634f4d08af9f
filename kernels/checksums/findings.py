"""The checksum notebook's sentences, tables and figures that depend on the data: formatted from measured rows,
the prediction and the models, never typed by hand. The argument itself is Markdown in the notebook."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .. import anchors, devices
from ..analysis import BASELINE, fmt_rate, hue, save_figure, with_speedup
from ..registry import backend_order
from .prediction import fastest_cpu_checksum_bytes_per_s, gpu_checksum_offload, nic_offload

# What bounds each CPU implementation's inner loop when it stays below the memory bandwidth.
LOOP_LIMITS = {
    ("library", "crc32"): "zlib's table-driven loop on one core",
    ("library", "adler32"): "zlib's byte-at-a-time sums on one core",
    ("library", "crc32c"): "one chain of SSE4.2 crc32 instructions on one core",
    ("library", "inet16"): "numpy's byte-swapping view and sum on one core",
    "opencl": "the shared C core, one scalar loop per work-item, no carry-less multiply",
    "reference": "pure Python",
}
LIBRARY_NAMES = {"crc32": "zlib.crc32", "crc32c": "crc32c.crc32c", "adler32": "zlib.adler32", "inet16": "numpy (RFC 1071)"}


def _kind(backend: str) -> str:
    """The kind of device a backend ran on ("CPU", "GPU", ...), read from the device."""
    return devices.describe(backend).kind


def _tag(frame: pd.DataFrame) -> str:
    return str(frame.device_tag.iloc[0]) if "device_tag" in frame and len(frame) else "this run"


def prediction_markdown(pred: dict) -> str:
    """The prediction's numbers (kernels.checksums.prediction): published rates against the bus and HBM."""
    one = pred["published_one_core_bytes_per_s"]
    return "\n".join([
        f"- Fastest published one-core kernels (in cache): CRC-32C {fmt_rate(one['crc32c'], 'B/s')}, the Internet "
        f"checksum {fmt_rate(one['inet16'], 'B/s')}; on {pred['cores']} cores "
        f"{fmt_rate(pred['published_all_cores_bytes_per_s']['crc32c'], 'B/s')} for CRC-32C, more than a DRAM stream "
        "delivers: expect the measured memory read bandwidth (below) for buffers in DRAM.",
        f"- A GPU reads HBM at {fmt_rate(pred['gpu_hbm_bytes_per_s'], 'B/s')}, but a {pred['buffer_bytes']:,}-byte "
        f"buffer must first cross PCIe at {fmt_rate(pred['pcie_h2d_bytes_per_s'], 'B/s')}: end to end at most "
        f"{fmt_rate(pred['gpu_end_to_end_bound_bytes_per_s'], 'B/s')}.",
        f"- Expected limit: {pred['expected_limit']}.",
    ])


def _size_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.buffer_bytes.notna()] if "buffer_bytes" in frame else frame.iloc[0:0]


def plot_bandwidth(frame: pd.DataFrame, memory: dict, path: str | Path | None = None, phase: str = "kernel"):
    """GB/s against buffer size, one panel per algorithm, the backend table's colour per backend; the dotted line
    is the measured memory read bandwidth. Backends without a `phase` row use end_to_end."""
    import seaborn as sns

    rows = _size_rows(frame)
    kernel = rows[rows.phase == phase]
    e2e = rows[(rows.phase == "end_to_end") & ~rows.backend.isin(set(kernel.backend))]
    sel = pd.concat([kernel, e2e]).assign(gbps=lambda f: f.bytes_per_s / 1e9)
    grid = sns.relplot(data=sel, x="buffer_bytes", y="gbps", col="operation", col_wrap=2, kind="line",
                       marker="o", height=2.6, aspect=1.2, hue="backend", **hue(sel))  # 7.5 in wide with the legend
    for ax in grid.axes.flat:
        ax.axhline(memory["read_bytes_per_s"] / 1e9, color="black", ls=":", lw=1)
        ax.set(xscale="log", yscale="log", xlabel="buffer size (bytes)", ylabel="GB/s")
        ax.grid(True, which="major", alpha=0.3)
    grid.figure.suptitle(f"Checksum throughput ({phase}, else end to end); dotted: measured memory read", y=1.02)
    save_figure(grid.figure, path)
    return grid.figure


def bandwidth_table(frame: pd.DataFrame, memory: dict) -> pd.DataFrame:
    """Per algorithm and backend: GB/s at the largest buffer (kernel, else end to end), its share of the
    measured read bandwidth (CPU devices) or of the H100 SXM HBM3 peak (GPUs, data on the device), and the
    speedup over the library on the same algorithm and buffers."""
    rows = with_speedup(_size_rows(frame))
    rows = rows[rows.buffer_bytes == rows.buffer_bytes.max()]
    out = []
    for (algorithm, backend), sel in rows.groupby(["operation", "backend"]):
        row = sel[sel.phase == "kernel"] if (sel.phase == "kernel").any() else sel[sel.phase == "end_to_end"]
        r = row.iloc[0]
        gpu = _kind(backend) == "GPU"
        out.append({"algorithm": algorithm, "backend": backend, "phase": r.phase, "GB/s": r.bytes_per_s / 1e9,
                    "share of memory read": math.nan if gpu else r.bytes_per_s / memory["read_bytes_per_s"],
                    "share of H100 HBM peak": r.bytes_per_s / anchors.H100_HBM3_SPEC_BPS if gpu else math.nan,
                    "x library": r.speedup})
    table = pd.DataFrame(out)
    table["backend"] = pd.Categorical(table.backend, [b for b in backend_order() if b in set(table.backend)])
    return table.sort_values(["algorithm", "backend"]).reset_index(drop=True)


def sweep_markdown(frame: pd.DataFrame, memory: dict) -> str:
    """Findings of the buffer-size sweep against the prediction (every comparison within one algorithm)."""
    table = bandwidth_table(frame, memory)
    sizes = _size_rows(frame)
    biggest = int(sizes.buffer_bytes.max())
    read = memory["read_bytes_per_s"]
    lines = [f"**Findings (measured, {_tag(frame)}).** Memory read bandwidth {fmt_rate(read, 'B/s')} (all cores "
             f"{fmt_rate(memory['read_all_cores_bytes_per_s'], 'B/s')}, one thread "
             f"{fmt_rate(memory['read_one_thread_bytes_per_s'], 'B/s')}); one-core copy "
             f"{fmt_rate(memory['copy_one_core_bytes_per_s'], 'B/s')}. A kernel can exceed it where its buffer sits "
             "in cache.", ""]
    for algorithm, sel in table.groupby("algorithm", sort=False, observed=True):
        best = sel.loc[sel["GB/s"].idxmax()]
        lib = sel[sel.backend == BASELINE]
        lib_text = f"{LIBRARY_NAMES[algorithm]} {lib['GB/s'].iloc[0]:.3g} GB/s" if not lib.empty else "no library row"
        share = (f"{best['share of H100 HBM peak']:.0%} of the H100 HBM3 peak" if _kind(best.backend) == "GPU"
                 else f"{best['share of memory read']:.0%} of the read bandwidth")
        lines.append(f"- {algorithm} on one {biggest:,}-byte buffer: best `{best.backend}` ({best.phase}) at "
                     f"{best['GB/s']:.3g} GB/s, {share} and {best['x library']:.2f}x the library ({lib_text}).")
    smallest = int(sizes.buffer_bytes.min())
    small = with_speedup(sizes[(sizes.buffer_bytes == smallest) & (sizes.phase == "end_to_end")])
    if not small.empty:
        for algorithm, sel in small.groupby("operation", sort=False):
            best = sel.loc[sel.bytes_per_s.idxmax()]
            lines.append(f"- {algorithm} on {int(best.batch_size):,} buffers of {smallest:,} bytes, end to end: best "
                         f"`{best.backend}` at {best.bytes_per_s / 1e9:.3g} GB/s, {best.speedup:.2f}x the library.")
        lines.append("  Small buffers are bound by per-buffer costs (a Python call, or packing the list), not by "
                     "the checksum.")
    cpu = table[[_kind(b) == "CPU" for b in table.backend]]
    near = cpu[cpu["share of memory read"] >= 0.5]
    far = cpu[(cpu["share of memory read"] < 0.5) & (cpu.backend != "reference")]

    def names(rows: pd.DataFrame, why: bool = False) -> str:
        return ", ".join(f"`{b}` {a} ({x:.0%}{': ' + LOOP_LIMITS.get((b, a), LOOP_LIMITS.get(b, '')) if why else ''})"
                         for b, a, x in zip(rows.backend, rows.algorithm, rows["share of memory read"]))

    loop_bound = far[far.backend != "numba_cpu"]
    threaded = far[far.backend == "numba_cpu"]
    text = "Against the prediction (memory-bound once vectorised): "
    text += (f"{names(near)} reach at least half of the measured read bandwidth; " if len(near)
             else "no CPU backend reaches half of the measured read bandwidth; ")
    if len(loop_bound):
        text += f"{names(loop_bound, why=True)} stay below it, bound by their inner loop instead. "
    if len(threaded):
        text += (f"{names(threaded)} stay below it although their loops are vectorised: a multi-threaded loop waits "
                 "for its slowest thread, so a core busy with other work holds it back (compare the one-thread "
                 "candidate of the target below). ")
    lines += ["", text]
    return "\n".join(lines)


def workloads_markdown(frame: pd.DataFrame) -> str:
    """Who wins each IC / NIC workload end to end, per algorithm."""
    rows = with_speedup(frame[frame.phase == "end_to_end"])
    lines = ["**IC and NIC workloads (end to end, measured).**", ""]
    for (workload, algorithm), sel in rows.groupby(["workload", "operation"], sort=False):
        best = sel.loc[sel.bytes_per_s.idxmax()]
        lines.append(f"- {workload}, {algorithm} ({int(best.batch_size):,} buffers of {best.bytes_per_item:,.0f} B "
                     f"average): best `{best.backend}` at {best.bytes_per_s / 1e9:.3g} GB/s, {best.speedup:.2f}x the "
                     "library.")
    return "\n".join(lines)


# --- the Smart-NIC and GPU-offload answer ------------------------------------------------------------------

def smart_nic_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm, packet size and line rate: the CPU time per packet measured here (the library called once
    per packet, and the fastest CPU backend on the batch), the cores an inline NIC checksum would free at line
    rate (prediction.nic_offload), and the GPU-offload break-even batch over PCIe (gpu_checksum_offload) with
    the library's rate, the best CPU rate measured here, and the fastest published CPU rate."""
    if "packet" not in frame:
        return pd.DataFrame()
    rows = frame[(frame.phase == "end_to_end") & frame.packet.notna() & (frame.backend != "reference")]
    rows = rows[[_kind(b) == "CPU" for b in rows.backend]]
    out = []
    for (algorithm, packet), sel in rows.groupby(["operation", "packet"], sort=False):
        size = float(sel.buffer_bytes.iloc[0])
        lib = sel[sel.backend == BASELINE]
        lib_s = float(lib.time_s_median.iloc[0] / lib.batch_size.iloc[0]) if not lib.empty else math.nan
        best = sel.loc[sel.bytes_per_s.idxmax()]
        best_s = size / float(best.bytes_per_s)
        for rate in anchors.LINE_RATES_BPS:
            nic = nic_offload(size, best_s, rate)
            out.append({
                "algorithm": algorithm, "packet": packet, "packet_bytes": int(size), "line_rate_gbps": rate / 1e9,
                "packets_per_s": nic["packets_per_s"],
                "library_ns_per_packet": 1e9 * lib_s,
                "cores_saved_library": nic_offload(size, lib_s, rate)["cores_saved"] if lib_s == lib_s else math.nan,
                "best_cpu_backend": best.backend, "best_ns_per_packet": 1e9 * best_s, "cores_saved": nic["cores_saved"],
                "gpu_break_even_library": gpu_checksum_offload(size, size / lib_s)["break_even_batch"],
                "gpu_break_even_best": gpu_checksum_offload(size, size / best_s)["break_even_batch"],
                "gpu_break_even_published": gpu_checksum_offload(
                    size, fastest_cpu_checksum_bytes_per_s(algorithm))["break_even_batch"],
                "gpu_pcie_limit_gbps": 8 * gpu_checksum_offload(size, size / best_s)["pcie_limit_bytes_per_s"] / 1e9,
            })
    return pd.DataFrame(out)


def _batch(n: float) -> str:
    if math.isnan(n):
        return "n/a"
    if math.isinf(n):
        return "never"
    return "under 1 packet" if n < 1 else f"{n:,.0f} packets"


def smart_nic_markdown(table: pd.DataFrame) -> str:
    """The Smart-NIC and GPU-offload answer, from smart_nic_table."""
    top = table[table.line_rate_gbps == table.line_rate_gbps.max()]
    worst, cheap = top.loc[top.cores_saved.idxmax()], top.loc[top.cores_saved.idxmin()]
    rate, low = top.line_rate_gbps.iloc[0], table.line_rate_gbps.min()
    lines = [f"**Smart-NIC answer (a model on this run's measured CPU times).** At {rate:.0f} Gb/s, with the fastest "
             f"CPU code measured, the costliest case is {worst.algorithm} on {worst.packet} packets "
             f"(`{worst.best_cpu_backend}`, {worst.best_ns_per_packet:.3g} ns per packet at "
             f"{worst.packets_per_s / 1e6:.3g} M packets/s): {worst.cores_saved:.2f} cores that an inline NIC would "
             f"free; the cheapest is {cheap.algorithm} on {cheap.packet} packets, {cheap.cores_saved:.3f} cores. "
             f"Called once per packet from Python (the library rows) the same work costs up to "
             f"{top.cores_saved_library.max():.1f} cores: per-call overhead, not checksum arithmetic. At {low:.0f} Gb/s "
             f"the figures are {low / rate:.2g} of these."]
    published = table[table.gpu_break_even_published.notna()]
    never = published.gpu_break_even_published.apply(math.isinf).sum()
    best_finite = table[table.gpu_break_even_best.apply(math.isfinite)]
    text = (f"**GPU offload over PCIe.** Against the fastest published CPU kernels the break-even batch is never "
            f"reached in {never} of {len(published)} cases with an anchor (no anchor for Adler-32)"
            + (": one core checksums faster than PCIe moves the bytes "
               f"({fmt_rate(anchors.PCIE5_H2D_MEASURED_BPS, 'B/s')} host to device), so a GPU does not pay for "
               "checksums whatever the batch. " if never == len(published) else ". "))
    if len(best_finite):
        pick = best_finite.loc[best_finite.gpu_break_even_best.idxmin()]
        text += (f"With the best CPU kernels measured in this run it is finite in {len(best_finite)} of {len(table)} "
                 f"cases (e.g. {pick.algorithm} on {pick.packet}: {_batch(pick.gpu_break_even_best)}), because those "
                 "kernels ran below the bus rate per core; the same arithmetic says a better CPU kernel, not a GPU, "
                 "is the fix. ")
    else:
        text += "With the best CPU kernels measured in this run it is never reached either. "
    lines.append(text)
    return "\n\n".join(lines)


def plot_smart_nic(table: pd.DataFrame, path: str | Path | None = None):
    """Cores an inline NIC checksum offload frees, by line rate, per algorithm and packet size (lines with
    markers on log axes, one panel per algorithm in a 2 x 2 grid, readable at page width)."""
    import matplotlib.pyplot as plt

    algorithms = list(dict.fromkeys(table.algorithm))
    cols = 2
    fig, axes = plt.subplots((len(algorithms) + cols - 1) // cols, cols, figsize=(7.5, 2.6 * ((len(algorithms) + 1) // 2)),
                             sharex=True, sharey=True, squeeze=False)
    for ax, algorithm in zip(axes.flat, algorithms):
        rows = table[table.algorithm == algorithm]
        for packet, line in rows.groupby("packet", sort=False):
            line = line.sort_values("line_rate_gbps")
            ax.plot(line.line_rate_gbps, line.cores_saved, "o-", label=packet)
        ax.set(xscale="log", yscale="log", title=algorithm)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes.flat[len(algorithms):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("line rate (Gbit/s)")
    for ax in axes[:, 0]:
        ax.set_ylabel("CPU cores freed")
    axes.flat[0].legend(title="packet", fontsize=8)
    fig.suptitle("Inline NIC checksum offload: CPU cores freed at line rate (model on measured times)")
    fig.tight_layout()
    save_figure(fig, path)
    return fig


# --- why an all-core kernel can lose to a one-thread library -------------------------------------------------

def scheduling_markdown(table: pd.DataFrame) -> str:
    """Findings of hot_path.scheduling_experiment: each scheduling against the crc32c package, as found and with
    one core kept busy; every comparison formatted from the rows."""
    def get(condition: str, variant: str, column: str) -> float:
        return float(table[(table.condition == condition) & (table.variant == variant)][column].iloc[0])

    lines = ["**Why an all-core kernel can lose to the one-thread `crc32c` package (measured, this run).**", ""]
    for condition, words in (("as found", "the machine as found"),
                             ("one core busy", "one core kept busy by a spinning process")):
        parts = [f"`{v}` {get(condition, v, 'GB/s'):.3g} GB/s ({get(condition, v, 'x crc32c package'):.2f}x)"
                 for v in ("caller-runs (all cores)", "fork-join (all cores)", "fork-join, 256 KiB pieces",
                           "one thread")]
        lines.append(f"- With {words}: the package {get(condition, 'crc32c package', 'GB/s'):.3g} GB/s; "
                     + ", ".join(parts) + ".")
    fj_found, fj_busy = (get(c, "fork-join (all cores)", "x crc32c package") for c in ("as found", "one core busy"))
    cr_busy = get("one core busy", "caller-runs (all cores)", "x crc32c package")
    one_busy = get("one core busy", "one thread", "x crc32c package")
    small_busy = get("one core busy", "fork-join, 256 KiB pieces", "x crc32c package")
    verdict = ("falls below the package" if fj_busy < 1 else "stays above the package")
    lines += ["", f"A fork-join loop (`prange`) returns only when every thread of the pool has checked in. With one "
              f"core busy the fork-join kernel {verdict} ({fj_busy:.2f}x, against {fj_found:.2f}x as found), and "
              f"smaller pieces do not change that ({small_busy:.2f}x): the call waits for a thread that the operating "
              f"system has not scheduled, not for its share of the work. The caller-runs kernel never waits for a "
              f"helper (it computes a claimed, unfinished piece itself), so with one core busy it keeps "
              f"{cr_busy:.2f}x, against {one_busy:.2f}x for one thread alone. An earlier run on a 2-core VM recorded "
              f"the fork-join kernel at 0.81x the package; its rows hold no record of the other core's load, and "
              f"this experiment reproduces that condition on purpose."]
    return "\n".join(lines)


def bound_markdown(table: pd.DataFrame, memory: dict) -> str:
    """What bounds each CPU checksum at the largest buffer: its share of the one-thread and all-core read
    bandwidth measured in this run."""
    cpu = table[[_kind(b) == "CPU" and b != "reference" for b in table.backend]]
    one, every = memory["read_one_thread_bytes_per_s"], memory["read_all_cores_bytes_per_s"]
    lines = [f"**Shares of the read bandwidth (measured in this run: one thread {fmt_rate(one, 'B/s')}, all "
             f"{memory.get('threads', '')} cores {fmt_rate(every, 'B/s')}).**", ""]
    for algorithm, backend, gbps in zip(cpu.algorithm, cpu.backend, cpu["GB/s"]):
        rate = gbps * 1e9
        if rate >= 0.8 * every:
            bound = "the all-core read bandwidth: memory-bound"
        elif rate >= 0.8 * one:
            bound = "one thread's read stream (more threads would add bandwidth where cores are free)"
        else:
            bound = LOOP_LIMITS.get((backend, algorithm), LOOP_LIMITS.get(backend, "its inner loop"))
        lines.append(f"- {algorithm} `{backend}`: {rate / one:.0%} of one thread's read, {rate / every:.0%} of "
                     f"all cores'; bound by {bound}.")
    return "\n".join(lines)
