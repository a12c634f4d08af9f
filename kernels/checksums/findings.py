"""The checksum notebook's prose and figures, formatted from measured rows and the models (never typed by hand)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .. import anchors
from ..analysis import BACKEND_ORDER, BASELINE, fmt_rate, with_speedup

GPU_BACKENDS = ("numba_cuda", "cupy")
# What bounds each CPU implementation's inner loop when it stays below the memory bandwidth.
LOOP_LIMITS = {
    ("library", "crc32"): "zlib's table-driven loop on one core",
    ("library", "adler32"): "zlib's byte-at-a-time sums on one core",
    ("library", "crc32c"): "one chain of SSE4.2 crc32 instructions on one core",
    ("library", "inet16"): "numpy's byte-swapping view and sum on one core",
    "opencl": "PoCL running the shared C core one scalar loop per work-item, no carry-less multiply",
    "reference": "pure Python",
}
LIBRARY_NAMES = {"crc32": "zlib.crc32", "crc32c": "crc32c.crc32c", "adler32": "zlib.adler32", "inet16": "numpy (RFC 1071)"}


def prediction_markdown(cores: int) -> str:
    """Bytes and operations per byte of each checksum, and the limit that predicts."""
    return "\n".join([
        "**Prediction (before measuring).** Every checksum reads each byte once and writes 4 bytes per buffer. "
        "Per byte: CRC with tables is one table load, a shift and an xor (slicing-by-8: 8 loads per 8 bytes); CRC "
        "by carry-less multiply is 2 PCLMULQDQ per 16 bytes (VPCLMULQDQ: 8 per 64 bytes); Adler-32 is two additions; "
        "the Internet checksum half an addition (16-bit words). So arithmetic is a fraction of a cycle per byte once "
        "vectorised, and the limit is the memory system:",
        f"- the fastest published CPU kernels run faster than one core can read DRAM: CRC-32C "
        f"{fmt_rate(anchors.CRC32C_AVX512_BPS_PER_CORE, 'B/s')} per core (corsix/fast-crc32, in cache), the Internet "
        f"checksum {fmt_rate(anchors.INET16_SIMD_BPS, 'B/s')} (s2n-quic): on {cores} cores a buffer in DRAM should "
        "run at the machine's read bandwidth (measured below), and faster where it sits in cache;",
        "- zlib's CRC-32 and Adler-32 are scalar loops (a few B/cycle): a vector kernel should beat them several "
        "times on one core and more on all;",
        f"- a GPU reads HBM at {fmt_rate(anchors.H100_HBM3_COPY_BPS, 'B/s')} (H100 copy), but the data must first "
        f"cross PCIe at {fmt_rate(anchors.PCIE5_H2D_MEASURED_BPS, 'B/s')}: end to end a GPU cannot beat the bus, and "
        "a CPU kernel near memory speed is not far below it. Small buffers (64 B) are dominated by per-call costs.",
    ])


def plot_bandwidth(frame: pd.DataFrame, memory: dict, path: str | Path | None = None, phase: str = "kernel"):
    """GB/s against buffer size, one panel per algorithm, one colour per backend; the dotted line is this
    machine's measured read bandwidth on all cores. Backends without a `phase` row use end_to_end."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = frame[frame.workload.str.startswith("buffers-")]
    kernel = rows[rows.phase == phase]
    e2e = rows[(rows.phase == "end_to_end") & ~rows.backend.isin(set(kernel.backend))]
    sel = pd.concat([kernel, e2e]).assign(gbps=lambda f: f.bytes_per_s / 1e9)
    order = [b for b in BACKEND_ORDER if b in set(sel.backend)]
    grid = sns.relplot(data=sel, x="bytes_per_item", y="gbps", hue="backend", hue_order=order, col="operation",
                       col_wrap=2, kind="line", marker="o", height=3.0, aspect=1.4)
    for ax in grid.axes.flat:
        ax.axhline(memory["read_bytes_per_s"] / 1e9, color="black", ls=":", lw=1)
        ax.set(xscale="log", yscale="log", xlabel="buffer size (bytes)", ylabel="GB/s")
        ax.grid(True, which="major", alpha=0.3)
    grid.figure.suptitle(f"Checksum throughput ({phase}, else end to end); dotted: measured memory read", y=1.02)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        grid.figure.savefig(path, dpi=120, bbox_inches="tight")
    return grid.figure


def bandwidth_table(frame: pd.DataFrame, memory: dict) -> pd.DataFrame:
    """Per algorithm and backend: GB/s at the largest buffer (kernel, else end to end), its share of the
    measured CPU read bandwidth (CPU backends) or of the H100 SXM HBM3 peak (GPU backends, data on the device),
    and the speedup over the library at that size."""
    rows = with_speedup(frame[frame.workload.str.startswith("buffers-")])
    biggest = rows.bytes_per_item.max()
    rows = rows[rows.bytes_per_item == biggest]
    out = []
    for (algorithm, backend), sel in rows.groupby(["operation", "backend"]):
        row = sel[sel.phase == "kernel"] if (sel.phase == "kernel").any() else sel[sel.phase == "end_to_end"]
        r = row.iloc[0]
        gpu = backend in GPU_BACKENDS
        out.append({"algorithm": algorithm, "backend": backend, "phase": r.phase, "GB/s": r.bytes_per_s / 1e9,
                    "share of memory read": math.nan if gpu else r.bytes_per_s / memory["read_bytes_per_s"],
                    "share of HBM peak": r.bytes_per_s / anchors.H100_HBM3_SPEC_BPS if gpu else math.nan,
                    "x library": r.speedup})
    table = pd.DataFrame(out)
    table["backend"] = pd.Categorical(table.backend, [b for b in BACKEND_ORDER if b in set(table.backend)])
    return table.sort_values(["algorithm", "backend"]).reset_index(drop=True)


def sweep_markdown(frame: pd.DataFrame, memory: dict) -> str:
    """Findings of the buffer-size sweep against the prediction."""
    table = bandwidth_table(frame, memory)
    biggest = int(frame[frame.workload.str.startswith("buffers-")].bytes_per_item.max())
    read = memory["read_bytes_per_s"]
    lines = [f"**Findings (measured, this run, {frame.device_tag.iloc[0]}).** Memory read bandwidth "
             f"{fmt_rate(read, 'B/s')} (all cores {fmt_rate(memory['read_all_cores_bytes_per_s'], 'B/s')}, one thread "
             f"{fmt_rate(memory['read_one_thread_bytes_per_s'], 'B/s')}); one-core copy "
             f"{fmt_rate(memory['copy_one_core_bytes_per_s'], 'B/s')}. A kernel can exceed it where its buffer sits "
             "in cache.", ""]
    for algorithm, sel in table.groupby("algorithm", sort=False):
        best = sel.loc[sel["GB/s"].idxmax()]
        lib = sel[sel.backend == BASELINE]
        lib_text = f"{LIBRARY_NAMES[algorithm]} {lib['GB/s'].iloc[0]:.3g} GB/s" if not lib.empty else "no library row"
        share = (f"{best['share of HBM peak']:.0%} of the H100 HBM3 peak" if best.backend in GPU_BACKENDS
                 else f"{best['share of memory read']:.0%} of the read bandwidth")
        lines.append(f"- {algorithm} on one {biggest:,}-byte buffer: best `{best.backend}` ({best.phase}) at "
                     f"{best['GB/s']:.3g} GB/s, {share} and {best['x library']:.2f}x the library ({lib_text}).")
    small = with_speedup(frame[(frame.workload == "buffers-64B") & (frame.phase == "end_to_end")])
    if not small.empty:
        best = small.loc[small.bytes_per_s.idxmax()]
        lines.append(f"- 64-byte buffers, end to end: best `{best.backend}` ({best.operation}) at "
                     f"{best.bytes_per_s / 1e9:.3g} GB/s: small buffers are bound by per-buffer costs (a Python call, "
                     "or packing the list), not by the checksum.")
    cpu = table[~table.backend.isin(GPU_BACKENDS)]
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
                 "for its slowest thread, and on a shared VM other tenants hold cores (compare the one-thread "
                 "figure of the target below). ")
    else:
        text += "On a shared VM other tenants can also hold cores a multi-threaded kernel waits for."
    lines += ["", text]
    return "\n".join(lines)


def workloads_markdown(frame: pd.DataFrame) -> str:
    """Who wins each IC / NIC workload end to end."""
    rows = with_speedup(frame[(frame.phase == "end_to_end") & ~frame.workload.str.startswith("buffers-")])
    lines = ["**IC and NIC workloads (end to end, measured).**", ""]
    for (workload, algorithm), sel in rows.groupby(["workload", "operation"], sort=False):
        best = sel.loc[sel.bytes_per_s.idxmax()]
        lines.append(f"- {workload}, {algorithm} ({int(best.batch_size):,} buffers of {best.bytes_per_item:,.0f} B "
                     f"average): best `{best.backend}` at {best.bytes_per_s / 1e9:.3g} GB/s, {best.speedup:.2f}x the "
                     "library.")
    return "\n".join(lines)


def _batch(n: float) -> str:
    if math.isnan(n):
        return "n/a"
    if math.isinf(n):
        return "never"
    return "under 1 packet" if n < 1 else f"{n:,.0f} packets"


def smart_nic_markdown(table: pd.DataFrame) -> str:
    """The Smart-NIC and GPU-offload answer, from bench.smart_nic_table."""
    top = table[table.line_rate_gbps == table.line_rate_gbps.max()]
    worst, cheap = top.loc[top.cores_saved.idxmax()], top.loc[top.cores_saved.idxmin()]
    rate = f"{worst.line_rate_gbps:.0f} Gb/s"
    lines = [f"**Smart-NIC answer (a model on this run's measured CPU times).** At {rate}, with the fastest CPU code "
             f"measured here, the costliest case is {worst.algorithm} on {worst.packet} packets "
             f"(`{worst.best_cpu_backend}`, {worst.best_ns_per_packet:.3g} ns per packet at "
             f"{worst.packets_per_s / 1e6:.3g} M packets/s): {worst.cores_saved:.2f} cores that an inline NIC would "
             f"free; the cheapest is {cheap.algorithm} on {cheap.packet} packets, {cheap.cores_saved:.3f} cores. "
             f"Called once per packet from Python (the library rows) the same work costs up to "
             f"{top.cores_saved_library.max():.1f} cores: per-call overhead, not checksum arithmetic. A Gen-2 IC node "
             "has 2 x 10 Gb/s and 32 cores: at 10 Gb/s the figures are a tenth of these."]
    published = table[table.gpu_break_even_published.notna()]
    never = published.gpu_break_even_published.apply(math.isinf).sum()
    best_finite = table[table.gpu_break_even_best.apply(math.isfinite)]
    text = (f"**GPU offload over PCIe.** Against the fastest published CPU kernels the break-even batch is never "
            f"reached in {never} of {len(published)} cases with an anchor (no anchor for Adler-32): one core "
            f"checksums faster than PCIe moves the bytes ({fmt_rate(anchors.PCIE5_H2D_MEASURED_BPS, 'B/s')} host to "
            "device), so a GPU does not pay for checksums whatever the batch. ")
    if len(best_finite):
        pick = best_finite.loc[best_finite.gpu_break_even_best.idxmin()]
        text += (f"With this machine's own best kernels it is finite in {len(best_finite)} of {len(table)} cases "
                 f"(e.g. {pick.algorithm} on {pick.packet}: {_batch(pick.gpu_break_even_best)}), because those "
                 "kernels run below the bus rate per core here; the same arithmetic says a better CPU kernel, not a "
                 "GPU, is the fix. ")
    else:
        text += "With this machine's own best kernels it is never reached either. "
    text += ("The GPU would also add a PCIe round trip of latency to every packet, and only an inline NIC, which "
             "sees the bytes anyway, saves CPU time without moving them again.")
    lines.append(text)
    return "\n\n".join(lines)


def plot_smart_nic(table: pd.DataFrame, path: str | Path | None = None):
    """Cores an inline NIC checksum offload frees, by line rate, per algorithm and packet size."""
    import seaborn as sns

    grid = sns.catplot(data=table, x="line_rate_gbps", y="cores_saved", hue="packet", col="algorithm", kind="bar",
                       height=3.0, aspect=0.9)
    grid.set_axis_labels("line rate (Gb/s)", "CPU cores freed")
    for ax in grid.axes.flat:
        ax.set_yscale("log")
    grid.figure.suptitle("Inline NIC checksum offload: CPU cores freed at line rate (model on measured times)", y=1.04)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        grid.figure.savefig(path, dpi=120, bbox_inches="tight")
    return grid.figure


def target_markdown(result: dict) -> str:
    verdict = "met" if result["met"] else "not met"
    parts = [f"**Target {result['target']} (best CPU kernel >= {result['goal_ratio']:.0f}x `{result['baseline']}` on one "
             f"{result['buffer_bytes'] / 2**20:.0f} MiB buffer): {verdict}.** Baseline "
             f"{fmt_rate(result['baseline_bytes_per_s'], 'B/s')}."]
    for backend in ("numba_cpu", "opencl"):
        if f"{backend}_kernel_ratio" in result:
            parts.append(f"`{backend}`: {fmt_rate(result[f'{backend}_bytes_per_s'], 'B/s')}, "
                         f"{result[f'{backend}_kernel_ratio']:.2f}x (end to end {result[f'{backend}_end_to_end_ratio']:.2f}x).")
        elif backend in result:
            parts.append(f"`{backend}`: {result[backend]}.")
    if "numba_cpu_one_thread_kernel_ratio" in result:
        parts.append(f"`numba_cpu` on one thread: {fmt_rate(result['numba_cpu_one_thread_bytes_per_s'], 'B/s')}, "
                     f"{result['numba_cpu_one_thread_kernel_ratio']:.2f}x.")
    parts.append(f"Best: `{result['best']}`, {result['best_ratio']:.2f}x.")
    return " ".join(parts)
