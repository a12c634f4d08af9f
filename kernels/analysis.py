"""Turning result rows into what a reader looks at: speedups, crossover points, compact tables, figures.

Shared by every notebook; hot-path packages add their own findings text on top (e.g. kernels/hashing/findings.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .registry import BACKENDS, backend_order, colour

BASELINE = "library"


def fmt_rate(value: float, unit: str = "/s") -> str:
    """3 significant digits with k/M/G prefixes: 6.98 M/s."""
    if value is None or not np.isfinite(value):
        return "n/a"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def fmt_number(value: float) -> str:
    """A number in SI with three significant digits and no exponent: 8.13 M, 0.47, 12.5 µ."""
    if value is None or not np.isfinite(value):
        return "n/a"
    value = float(f"{value:.3g}")  # round first, so 999.7 is written 1 k, not 1e+03
    if value == 0 or 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}"
    return f"{value / 1e-12:.3g} p"


def fmt_unit(value: float, unit: str) -> str:
    """A quantity with an SI prefix chosen so that three significant digits stay in [1, 1000): 27.4 mJ,
    25.7 GB/s, 340 µJ (fmt_number keeps 0.0274 without a prefix, which reads badly before a unit)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if value == 0:
        return f"0 {unit}"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"),
                           (1e-9, "n")):
        if abs(float(f"{value:.3g}")) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value / 1e-12:.3g} p{unit}"


def fmt_time(seconds: float) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    for factor, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def with_speedup(frame: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """Add `speedup`: items/s over the baseline's end-to-end items/s on the same operation, workload and batch."""
    keys = ["operation", "workload", "batch_size"]
    base = frame[(frame.backend == baseline) & (frame.phase == "end_to_end")][keys + ["items_per_s"]]
    base = base.rename(columns={"items_per_s": "baseline_items_per_s"})
    out = frame.merge(base, on=keys, how="left")
    return out.assign(speedup=out.items_per_s / out.baseline_items_per_s)


def crossover(frame: pd.DataFrame, backend: str, phase: str, baseline: str = BASELINE) -> float | None:
    """Smallest batch size from which `backend` (this phase) beats the baseline end to end at every larger
    measured size; None if it never does within the sweep."""
    rows = with_speedup(frame)
    rows = rows[(rows.backend == backend) & (rows.phase == phase)].sort_values("batch_size")
    if rows.empty or baseline == backend:
        return None
    wins = rows.speedup.to_numpy() >= 1.0
    if not wins[-1]:
        return None
    first = len(wins) - np.argmin(wins[::-1]) if not wins.all() else 0
    return float(rows.batch_size.iloc[first])


def rate_at(rows: pd.DataFrame, backend: str, phase: str) -> float | None:
    """items_per_s of a backend's phase among `rows` (one batch size), or None when it did not run."""
    row = rows[(rows.backend == backend) & (rows.phase == phase)]
    return None if row.empty else float(row.items_per_s.iloc[0])


def backend_lines(frame: pd.DataFrame, biggest: int, baseline: str, unit: str, host_work: str,
                  indent: str = "") -> list[str]:
    """Findings lines, one per packed-input backend at batch `biggest`: its kernel and end-to-end rates with the
    speedup over `baseline` (the library), the batch from which it wins end to end, and the host work's
    (`pack` phase) share of end to end."""
    from .registry import packed_input

    rows = with_speedup(frame)
    at_big = rows[rows.batch_size == biggest]
    lines = []
    for backend in (b for b in BACKENDS if packed_input(b)):
        sel = at_big[at_big.backend == backend]
        if sel.empty:
            continue
        parts = [f"{phase.replace('_', '-')} {fmt_rate(r.items_per_s.iloc[0], f' {unit}/s')} "
                 f"({r.speedup.iloc[0]:.2f}x {baseline})"
                 for phase in ("kernel", "end_to_end") if not (r := sel[sel.phase == phase]).empty]
        wins = crossover(frame, backend, "end_to_end")
        verdict = (f"it beats {baseline} end to end from {int(wins):,} {unit}s" if wins is not None
                   else f"end to end it does not beat {baseline} within the sweep")
        lines.append(f"{indent}- `{backend}` ({sel.device.iloc[0]}) at {biggest:,}: " + ", ".join(parts)
                     + f"; {verdict}.")
        pack, e2e = sel[sel.phase == "pack"], sel[sel.phase == "end_to_end"]
        if not pack.empty and not e2e.empty:
            lines.append(f"{indent}  {host_work}: {fmt_time(pack.time_s_median.iloc[0])}, "
                         f"{pack.time_s_median.iloc[0] / e2e.time_s_median.iloc[0]:.0%} of end to end.")
    return lines


def crossover_table(frame: pd.DataFrame, phases=("kernel", "end_to_end")) -> pd.DataFrame:
    """Per backend and phase: where it starts to win, and its best speedup over the baseline."""
    rows = with_speedup(frame)
    records = []
    for backend in [b for b in backend_order() if b in set(rows.backend) and b != BASELINE]:
        for phase in phases:
            sel = rows[(rows.backend == backend) & (rows.phase == phase)]
            if sel.empty:
                continue
            best = sel.loc[sel.speedup.idxmax()] if sel.speedup.notna().any() else None
            wins = crossover(frame, backend, phase)
            records.append({"backend": backend, "phase": phase,
                            "wins from batch": "never" if wins is None else f"{int(wins):,}",
                            "best speedup": "n/a" if best is None else f"{best.speedup:.3g}x",
                            "at batch": "" if best is None else f"{int(best.batch_size):,}"})
    return pd.DataFrame(records)


def compact_table(frame: pd.DataFrame, value: str = "items_per_s", phases=("kernel", "end_to_end")) -> pd.DataFrame:
    """Batch sizes as rows, one column per backend and phase, rates with k/M/G prefixes (unit in the caption)."""
    sel = frame[frame.phase.isin(phases)]
    table = sel.pivot_table(index="batch_size", columns=["backend", "phase"], values=value, aggfunc="median")
    order = [(b, p) for b in backend_order() for p in phases if (b, p) in table.columns]
    table = table[order]
    table.columns = [f"{b} {p.replace('end_to_end', 'e2e')}" for b, p in order]
    table.index = [f"{i:,}" for i in table.index]
    return table.rename_axis("batch").map(lambda v: fmt_rate(v, ""))


def hue(frame: pd.DataFrame) -> dict:
    """seaborn arguments giving each backend its fixed colour from the backend table, in table order."""
    order = [b for b in backend_order() if b in set(frame.backend)]
    order += sorted(set(frame.backend) - set(order))
    return {"hue_order": order, "palette": {b: colour(b) for b in order}}


def show_source(obj, max_lines: int = 40) -> None:
    """Display the source of a function or class from its module (the notebooks show the reference's and the
    kernel's core this way, never a copy typed into the notebook)."""
    import inspect

    from IPython.display import Markdown, display

    obj = getattr(obj, "py_func", obj)  # a Numba dispatcher: the Python function it compiles
    lines = inspect.getsource(obj).splitlines()
    more = len(lines) - max_lines
    text = "\n".join(lines[:max_lines]) + (f"\n# ... {more} more lines" if more > 0 else "")
    where = f"{obj.__module__}.{obj.__qualname__}"
    display(Markdown(f"`{where}`:\n\n```python\n{text}\n```"))


def save_figure(fig, path: str | Path | None) -> None:
    """Save a figure (PNG, 120 dpi) where the notebook asks, creating the folder."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")


PHASE_STYLE = {"end_to_end": "-", "kernel": "--", "pack": ":", "h2d": "-.", "d2h": "-."}
MARKERS = "osD^vP*X"


def _rate_band(rows: pd.DataFrame, y: str) -> tuple[pd.Series, pd.Series]:
    """The measured p25/p75 of a rate column (a rate is items / time, so p75 of the time gives the low end)."""
    scale = rows[y] * rows.time_s_median
    return scale / rows.time_s_p75, scale / rows.time_s_p25


def _lines(ax, frame: pd.DataFrame, x: str, y: str, band: bool = True) -> None:
    """One line per (backend, phase) in the backend's fixed colour and the phase's line style, with a band from
    the measured p25/p75; a line per operation and workload too when the frame holds several (never averaged)."""
    extra = [c for c in ("operation", "workload") if frame[c].nunique() > 1]
    groups = frame.groupby(["backend", "phase", *extra], sort=False)
    order = {b: i for i, b in enumerate(backend_order())}
    for n, (key, rows) in enumerate(sorted(groups, key=lambda g: (order.get(g[0][0], 99), g[0][1:]))):
        backend, phase, *rest = key
        rows = rows.sort_values(x)
        label = " ".join([backend, phase.replace("end_to_end", "end to end"), *map(str, rest)])
        marker = MARKERS[rest and (hash(tuple(rest)) % len(MARKERS)) or 0]
        ax.plot(rows[x], rows[y], color=colour(backend), ls=PHASE_STYLE.get(phase, "-"), marker=marker, ms=4,
                label=label)
        if band and {"time_s_p25", "time_s_p75"} <= set(rows.columns):
            lo, hi = _rate_band(rows, y)
            ax.fill_between(rows[x], lo, hi, color=colour(backend), alpha=0.15, lw=0)
    ax.legend(fontsize=7, ncol=2 if len(groups) > 6 else 1)


def plot_throughput(frame: pd.DataFrame, title: str, path: str | Path | None = None, y: str = "items_per_s",
                    ylabel: str = "items per second", phases=("kernel", "end_to_end")):
    """Throughput against batch size, log-log: one colour per backend (the backend table's), one line style per
    phase, bands from the measured p25/p75."""
    import matplotlib.pyplot as plt

    sel = frame[frame.phase.isin(phases)]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    _lines(ax, sel, "batch_size", y)
    ax.set(xscale="log", yscale="log", xlabel="batch size (items)", ylabel=ylabel, title=title)
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, path)
    return fig


def plot_speedup(frame: pd.DataFrame, title: str, path: str | Path | None = None, phases=("kernel", "end_to_end")):
    """Speedup over the library baseline (end to end) against batch size; the line at 1 is break-even."""
    import matplotlib.pyplot as plt

    rows = with_speedup(frame)
    rows = rows[rows.phase.isin(phases) & (rows.backend != BASELINE)]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    _lines(ax, rows, "batch_size", "speedup", band=False)
    ax.axhline(1.0, color="black", lw=1, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="batch size (items)", ylabel=f"speedup over {BASELINE} (end to end)",
           title=title)
    ax.grid(True, which="major", alpha=0.3)
    save_figure(fig, path)
    return fig


def dot_panel(ax, table: pd.DataFrame, xlabel: str, log: bool = True, colours: dict | None = None,
              title: str | None = None, legend: bool = True) -> None:
    """One panel of a dot plot: a row per index entry, a dot per column (series), offset so they do not hide each
    other. Dots, not bars: a bar's length means nothing on a log axis, and dots compare across series at a glance."""
    import matplotlib.pyplot as plt

    rows, series = [str(i) for i in table.index], list(table.columns)
    step = 0.7 / max(len(series), 1)
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, name in enumerate(series):
        pos = [i + (k - (len(series) - 1) / 2) * step for i in range(len(rows))]
        ax.plot(table[name].to_numpy(dtype=float), pos, "o", ms=6, label=str(name),
                color=(colours or {}).get(name, palette[k % len(palette)]))
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set(xscale="log" if log else "linear", xlabel=xlabel)
    if not log:
        ax.set_xlim(0, 1.08 * float(np.nanmax(table.to_numpy(dtype=float))) or 1.0)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize=8, loc="best")


def plot_workloads(frame: pd.DataFrame, title: str, path: str | Path | None = None, y: str = "items_per_s",
                   ylabel: str = "items per second"):
    """Each workload's end-to-end rate per backend as a dot with its p25-p75 whisker, log scale (dots, not bars:
    a bar's length means nothing on a log axis). Operations are kept apart, never averaged."""
    import matplotlib.pyplot as plt

    sel = frame[frame.phase == "end_to_end"].copy()
    if sel.operation.nunique() > 1:
        sel["workload"] = sel.operation + " " + sel.workload
    workloads = list(dict.fromkeys(sel.workload))
    backends = [b for b in backend_order() if b in set(sel.backend)] + sorted(set(sel.backend) - set(backend_order()))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.28 * len(workloads) * max(1, len(backends)) ** 0.5))
    step = 0.8 / max(len(backends), 1)
    for k, backend in enumerate(backends):
        rows = sel[sel.backend == backend]
        pos = [workloads.index(w) + (k - (len(backends) - 1) / 2) * step for w in rows.workload]
        lo, hi = _rate_band(rows, y)
        ax.errorbar(rows[y], pos, xerr=[rows[y] - lo, hi - rows[y]], fmt="o", ms=5, color=colour(backend),
                    label=backend, capsize=2)
    ax.set_yticks(range(len(workloads)), workloads, fontsize=8)
    ax.invert_yaxis()
    ax.set(xscale="log", xlabel=ylabel, title=title)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    save_figure(fig, path)
    return fig


def phase_breakdown(frame: pd.DataFrame, batch_size: int) -> pd.DataFrame:
    """Median time of each phase per backend at one batch size (where does the time go?)."""
    sel = frame[frame.batch_size == batch_size]
    table = sel.pivot_table(index="backend", columns="phase", values="time_s_median", aggfunc="median")
    order = [b for b in backend_order() if b in table.index]
    cols = [p for p in ("compile", "pack", "h2d", "kernel", "d2h", "end_to_end") if p in table.columns]
    return table.reindex(order)[cols].map(fmt_time)


def backends_table(operation: str) -> pd.DataFrame:
    """Which backend runs `operation` here, and the reason where one does not."""
    from .registry import backends_for

    return pd.DataFrame([{"backend": b, "runs here": r is None, "reason": r or ""}
                         for b, r in backends_for(operation).items()])


def backends_matrix() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every operation x backend: 'yes', 'simulator', or a note like 'no (2)'; and the notes' full reasons."""
    from . import devices
    from .registry import OPERATIONS, backends_for

    notes: dict[str, str] = {}
    table = {}
    for operation in OPERATIONS:
        row = {}
        for backend, reason in backends_for(operation).items():
            if reason is None:
                row[backend] = "simulator" if backend == "numba_cuda" and devices.cuda_simulated() else "yes"
            else:
                key = next((k for k, v in notes.items() if v == reason), None) or f"no ({len(notes) + 1})"
                notes[key] = reason
                row[backend] = key
        table[operation] = row
    reasons = pd.DataFrame({"reason": notes}).rename_axis("note")
    return pd.DataFrame(table).T[list(BACKENDS)].rename_axis("operation"), reasons


def backend_table() -> pd.DataFrame:
    """The backend table as a reader sees it: each backend's API, input form, staging, timer, colour, and the
    device it runs on here (read from the device: an OpenCL GPU is a GPU), or why it does not run."""
    from . import devices
    from .registry import BACKEND_TABLE

    records = []
    for name, row in BACKEND_TABLE.items():
        reason = devices.unavailable_reason(name)
        device = devices.describe(name) if reason is None else None
        records.append({"backend": name, "API": row.api, "input": row.input_form, "staged": row.staged,
                        "timer": row.timer, "colour": row.colour,
                        "device here": f"{device.kind}: {device.label}" if device else f"unavailable: {reason}"})
    return pd.DataFrame(records)


LONG_TABLE_ROWS = 20  # a table with more body rows goes to the PDF's appendix (it stays in place in JupyterLab)
WRAP_AT = 28  # characters: a wider cell wraps within its column in the PDF


UNITS = {"s": "s", "ms": "ms", "us": "µs", "ns": "ns", "j": "J", "w": "W", "bytes": "B", "gbps": "Gbit/s",
         "gib": "GiB", "mib": "MiB", "gb": "GB", "hz": "Hz"}


def header_words(name: str) -> str:
    """A snake_case column name in words with its unit: `per_round_s` -> `per round (s)`, `items_per_s` ->
    `items/s`, `energy_j_per_round` -> `energy (J/round)`; a name that is already words is kept."""
    if "_" not in name or " " in name:
        return name
    tokens = name.split("_")
    at = next((i for i, t in enumerate(tokens) if i > 0 and t.lower() in UNITS), None)
    if at is None:
        return " ".join(tokens)
    unit, before, after = UNITS[tokens[at].lower()], tokens[:at], tokens[at + 1:]
    if before[-1] == "per" and len(before) > 1:  # items_per_s
        return " ".join(before[:-1]) + "/" + unit + (" " + " ".join(after) if after else "")
    if after[:1] == ["per"] and len(after) > 1:  # energy_j_per_round
        return " ".join(before) + f" ({unit}/{' '.join(after[1:])})"
    return " ".join(before + after) + f" ({unit})"


def _cell(value) -> str:
    """A table cell: floats and large integers in SI (fmt_number), the rest as text, missing as empty."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else fmt_number(value)
    if isinstance(value, (int, np.integer)):
        return fmt_number(value) if abs(value) >= 100_000 else str(value)
    return "" if pd.isna(value) is True else str(value)


def _column_width(header: str, cells: list[str]) -> int:
    """The width a column asks for, in characters: its longest data cell up to WRAP_AT (longer ones wrap), and
    room for its longest unbreakable word, header included, with a margin for a proportional font and the
    column gap (so identifiers such as `ed25519_verify_zip215_batch` do not run into the next column). A header
    wraps at its spaces, so only its longest word counts."""
    longest_word = max((len(w) for c in [header, *cells] for w in c.split()), default=0)
    return max(3, -(-longest_word * 13 // 10) + 2, min(max((len(c) for c in cells), default=0), WRAP_AT))


def markdown_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A pipe table (renders in JupyterLab and, through pandoc, in the PDF). The separator's dashes are
    proportional to each column's width: pandoc sizes the PDF's columns from them when a table is wide."""
    frame = frame.reset_index() if index else frame
    cells = [[header_words(str(c)) for c in frame.columns]] + [[_cell(v) for v in row]
                                                             for row in frame.itertuples(index=False)]
    cells = [[c.replace("|", "\\|") for c in row] for row in cells]
    widths = [_column_width(cells[0][i], [row[i] for row in cells[1:]]) for i in range(len(cells[0]))]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("-" * w for w in widths) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def show(frame: pd.DataFrame, index: bool = True, caption: str | None = None) -> None:
    """Display a table as Markdown, so it reads the same in JupyterLab and in the PDF. A table longer than
    LONG_TABLE_ROWS is marked for the appendix: the PDF (report.merged_notebook) moves it there and leaves a
    pointer in its place."""
    from IPython.display import Markdown, display

    text = markdown_table(frame, index=index)
    metadata = {"appendix": {"rows": len(frame), "caption": caption or ""}} if len(frame) > LONG_TABLE_ROWS else {}
    display(Markdown(f"{text}\n\n{caption}" if caption else text), metadata=metadata)


def environment_markdown(fp: dict) -> str:
    """What this machine is, in a few lines (from measure.fingerprint())."""
    cpu, gpu = fp["cpu"], fp["gpu"]
    lines = [
        f"- **Device tag** `{fp['device_tag']}` (results go to `results/{fp['device_tag']}/`), commit `{fp['git_commit']}`.",
        f"- **CPU** {cpu['model_name']} (vendor {cpu['vendor']}, family {cpu['family']}, model {cpu['model']}), "
        f"{cpu['logical_cores']} logical cores, {fp['memory_gib']} GiB; Numba uses {fp['numba_threads']} threads.",
        f"- **CPU features that matter here:** {', '.join(cpu['key_flags']) or 'none of the listed'}.",
        f"- **GPU** {gpu['name'] + ', driver ' + gpu['driver'] + ', ' + gpu['memory'] if gpu else 'none'}.",
        f"- **OpenCL devices** {'; '.join(fp['opencl_devices']) or 'none'}.",
        f"- **Platform** {fp['platform']}; " + ", ".join(f"{k} {v}" for k, v in fp["versions"].items()) + ".",
    ]
    return "\n".join(lines)
