"""Energy across the result tables: joules per operation, the energy-side break-even, measured beside modeled,
and the sensitivity of the suite's conclusions to each model assumption (energy_sensitivity.csv).

Everything here reads the tables a run wrote (results/<device-tag>/*.csv and its run-<id>.json); the model is
the one in kernels/measure/energy.py with the assumptions recorded by that run.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import BASELINE, _lines, fmt_rate, save_figure
from .measure.energy import METHODS, EnergyModel, default_model, row_device
from .measure.results import COLUMNS, _atomic_write
from .registry import BACKEND_TABLE, backend_order

SENSITIVITY_CSV = "energy_sensitivity.csv"
GPU_CHECK_CSV = "energy_model_check.csv"
FACTORS = (0.5, 2.0)
ACCELERATOR_APIS = ("numba", "opencl", "cuda")  # candidates set against the library baseline
DERIVED = ("series", "point", "ops_per_j", "modeled_j_per_item")  # columns added here, not workload parameters


# --- reading a results folder ------------------------------------------------------------------------------------
def load_tables(out_dir: str | Path) -> pd.DataFrame:
    """Every measured-row table of a results folder (targets, sensitivity and other tables left out)."""
    frames = []
    for path in sorted(Path(out_dir).glob("*.csv")):
        frame = pd.read_csv(path)
        if set(COLUMNS) <= set(frame.columns):
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def run_model(out_dir: str | Path) -> tuple[EnergyModel, int]:
    """(the energy model of the newest run in the folder, that machine's logical cores); this machine's model
    when the folder has no run record."""
    for path in sorted(Path(out_dir).glob("run-*.json"), reverse=True):
        record = json.loads(path.read_text())
        assumptions = record.get("energy_model", {}).get("assumptions")
        if assumptions:
            return EnergyModel.from_dict(assumptions), int(record.get("cpu", {}).get("logical_cores") or 1)
    return default_model(), os.cpu_count() or 1


def assumption_table(model: EnergyModel) -> pd.DataFrame:
    return pd.DataFrame([{"assumption": n, "value": f"{a['value']:.4g}", "unit": a["unit"], "source": a["source"]}
                         for n, a in model.as_dict().items()])


def _params(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in COLUMNS and c not in DERIVED]


def _value(v) -> str:
    """A parameter as a reader writes it: 65536, not 65536.0 or 6.5536e+04."""
    return str(int(v)) if isinstance(v, float) and v.is_integer() else f"{v:g}" if isinstance(v, float) else str(v)


def _with_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `series` (workload and its parameters) and `point` (series and batch size): what is compared."""
    params = _params(frame)

    def label(row) -> str:
        extra = [f"{c}={_value(row[c])}" for c in params if pd.notna(row[c]) and row[c] != ""]
        return " ".join([str(row["workload"]), *extra])

    out = frame.copy()
    out["series"] = out.apply(label, axis=1) if len(out) else pd.Series(dtype=str)
    out["point"] = out["series"] + " x" + out["batch_size"].astype(str) if len(out) else pd.Series(dtype=str)
    return out


def with_energy(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry energy (a method and a value), with operations per joule."""
    sel = frame[frame.energy_method.isin(METHODS) & frame.energy_j_per_item.notna()].copy()
    return sel.assign(ops_per_j=1.0 / sel.energy_j_per_item.where(sel.energy_j_per_item > 0))


# --- the model over the tables ----------------------------------------------------------------------------------
def modeled_j_per_item(frame: pd.DataFrame, model: EnergyModel, logical_cores: int) -> pd.Series:
    """The model's J/item for every row with an energy method (NaN for compile and fault rows), from the row's
    own time, batch, bytes, backend and device."""
    def one(row) -> float:
        if row["energy_method"] not in METHODS:
            return float("nan")
        kind, cores = row_device(row["backend"], row["device"], logical_cores)
        return model.j_per_item(kind, row["phase"], row["time_s_median"], int(row["batch_size"]),
                                float(row["bytes_per_item"]), cores)

    return frame.apply(one, axis=1) if len(frame) else pd.Series(dtype=float)


def remodeled(frame: pd.DataFrame, model: EnergyModel, logical_cores: int) -> pd.DataFrame:
    """The frame with its modeled rows' energy recomputed under `model` (measured rows keep their energy)."""
    out = frame.copy()
    modeled = out.energy_method == "modeled"
    out.loc[modeled, "energy_j_per_item"] = modeled_j_per_item(out[modeled], model, logical_cores)
    return out


# --- conclusions and their sensitivity --------------------------------------------------------------------------
def _accelerator(backend: str) -> bool:
    row = BACKEND_TABLE.get(backend)
    return row is not None and row.api in ACCELERATOR_APIS


def conclusions(frame: pd.DataFrame) -> dict[tuple, str]:
    """The energy conclusions of a set of tables, end to end, point by point (operation, workload, batch):
    ("best", op, point) -> the backend with the fewest joules per item; ("trade", op, point, backend) -> how an
    accelerator backend fares against the library baseline on time and on energy."""
    rows = _with_points(with_energy(frame[frame.phase == "end_to_end"]))
    found: dict[tuple, str] = {}
    for (op, point), group in rows.groupby(["operation", "point"], sort=True):
        if group.backend.nunique() >= 2:
            found[("best", op, point)] = group.loc[group.energy_j_per_item.idxmin(), "backend"]
        base = group[group.backend == BASELINE]
        if base.empty:
            continue
        t0, e0 = base.time_s_median.iloc[0] / max(base.batch_size.iloc[0], 1), base.energy_j_per_item.iloc[0]
        for r in group[group.backend.map(_accelerator)].itertuples():
            time_wins = r.time_s_median / max(r.batch_size, 1) < t0
            energy_wins = r.energy_j_per_item < e0
            found[("trade", op, point, r.backend)] = (f"{'wins' if time_wins else 'loses'} on time, "
                                                      f"{'wins' if energy_wins else 'loses'} on energy")
    return found


def _summary(found: dict[tuple, str]) -> str:
    best = pd.DataFrame([(k[1], v) for k, v in found.items() if k[0] == "best"], columns=["op", "backend"])
    parts = []
    for op, group in best.groupby("op", sort=True):
        top = group.backend.value_counts()
        parts.append(f"{op}: {top.index[0]} ({top.iloc[0]}/{len(group)} points)")
    trade = [k for k, v in found.items() if k[0] == "trade" and v == "wins on time, loses on energy"]
    text = "most energy-efficient end to end: " + ("; ".join(parts) or "no point with two backends")
    return text + f". An accelerator wins on time but loses on energy at {len(trade)} point(s)" + (
        ": " + ", ".join(f"{k[3]} on {k[1]} {k[2]}" for k in trade[:3]) + (" ..." if len(trade) > 3 else "")
        if trade else "")


def _flips(base: dict[tuple, str], other: dict[tuple, str]) -> list[str]:
    return [f"{k[1]} {k[2]}{' ' + k[3] if len(k) > 3 else ''}: {base[k]} -> {other.get(k, 'none')}"
            for k in base if other.get(k) != base[k]]


def energy_sensitivity(frame: pd.DataFrame, model: EnergyModel, logical_cores: int,
                       factors=FACTORS) -> pd.DataFrame:
    """Each assumption halved and doubled: does any conclusion flip (which backend is most energy-efficient at
    each point; where an accelerator wins on time but loses on energy)? Columns: assumption, factor,
    conclusion, changed. The first row is the baseline with its conclusions."""
    base = conclusions(remodeled(frame, model, logical_cores))
    records = [{"assumption": "baseline", "factor": 1.0, "conclusion": _summary(base), "changed": False}]
    for name in EnergyModel.names():
        for factor in factors:
            flips = _flips(base, conclusions(remodeled(frame, model.scaled(name, factor), logical_cores)))
            text = (f"{len(flips)} of {len(base)} conclusions flip: " + "; ".join(flips[:3])
                    + (" ..." if len(flips) > 3 else "")) if flips else "no conclusion changes"
            records.append({"assumption": name, "factor": factor, "conclusion": text, "changed": bool(flips)})
    return pd.DataFrame(records, columns=["assumption", "factor", "conclusion", "changed"])


def write_energy_sensitivity(out_dir: str | Path) -> pd.DataFrame:
    """energy_sensitivity.csv in the results folder, from its tables and its run's model."""
    model, cores = run_model(out_dir)
    table = energy_sensitivity(load_tables(out_dir), model, cores)
    _atomic_write(Path(out_dir) / SENSITIVITY_CSV, lambda f: table.to_csv(f, index=False))
    return table


# --- what a reader looks at -------------------------------------------------------------------------------------
def _main_series(rows: pd.DataFrame) -> pd.DataFrame:
    """Per operation, the workload series with the most batch sizes (a sweep's main line)."""
    keep = []
    for _, group in rows.groupby("operation", sort=False):
        counts = group.groupby("series").batch_size.nunique()
        keep.append(group[group.series == counts.idxmax()])
    return pd.concat(keep) if keep else rows


def energy_table(frame: pd.DataFrame, phase: str = "end_to_end") -> pd.DataFrame:
    """Per operation and backend, at the largest batch of the operation's main series: joules per operation,
    operations per joule and the method."""
    rows = _with_points(with_energy(frame[frame.phase == phase]))
    if rows.empty:
        return pd.DataFrame(columns=["operation", "workload", "backend", "batch", "J/op", "ops/J", "method"])
    rows = _main_series(rows)
    rows = rows[rows.batch_size == rows.groupby("operation").batch_size.transform("max")]
    order = {b: i for i, b in enumerate(backend_order())}
    rows = rows.assign(_o=rows.backend.map(lambda b: order.get(b, 99))).sort_values(["operation", "_o"])
    return pd.DataFrame({"operation": rows.operation, "workload": rows.series, "backend": rows.backend,
                         "batch": rows.batch_size.map(lambda b: f"{int(b):,}"),
                         "J/op": rows.energy_j_per_item.map(lambda v: fmt_rate(v, "J")),
                         "ops/J": rows.ops_per_j.map(lambda v: fmt_rate(v, "")),
                         "method": rows.energy_method}).reset_index(drop=True)


def _crossover(batches: np.ndarray, wins: np.ndarray) -> float | None:
    """Smallest batch from which `wins` holds at every larger measured batch (None if not at the largest)."""
    if not len(wins) or not wins[-1]:
        return None
    return float(batches[0] if wins.all() else batches[len(wins) - np.argmin(wins[::-1])])


def break_even(frame: pd.DataFrame, model: EnergyModel, logical_cores: int) -> pd.DataFrame:
    """Per operation, workload series and accelerator backend: from which batch it beats the library baseline
    end to end on time, on energy, and on energy with a GPU's idle power counted for the time it works."""
    rows = _with_points(with_energy(frame[frame.phase == "end_to_end"]))
    records = []
    for (op, series), group in rows.groupby(["operation", "series"], sort=True):
        base = group[group.backend == BASELINE].set_index("batch_size")
        for backend in [b for b in backend_order() if b in set(group.backend) and _accelerator(b)]:
            cand = group[group.backend == backend].set_index("batch_size").sort_index()
            cand = cand[cand.index.isin(base.index)]
            if cand.empty:
                continue
            b = base.loc[cand.index]
            kind = row_device(backend, cand.device.iloc[0], logical_cores)[0]
            idle = model.gpu_idle_w.value * cand.time_s_median / cand.index.clip(lower=1) if kind == "GPU" else 0.0
            per_item = lambda r: r.time_s_median / r.index.to_series().clip(lower=1)  # noqa: E731
            batches = cand.index.to_numpy()
            time_wins = (per_item(cand) < per_item(b)).to_numpy()
            energy_wins = (cand.energy_j_per_item < b.energy_j_per_item).to_numpy()
            idle_wins = (cand.energy_j_per_item + idle < b.energy_j_per_item).to_numpy()
            fmt = lambda x: "never" if x is None else f"{int(x):,}"  # noqa: E731
            records.append({"operation": op, "workload": series, "backend": backend, "device": kind,
                            "wins on time from": fmt(_crossover(batches, time_wins)),
                            "wins on energy from": fmt(_crossover(batches, energy_wins)),
                            "with idle power": fmt(_crossover(batches, idle_wins)) if kind == "GPU" else "n/a (CPU)",
                            "time wins, energy loses at": int((time_wins & ~energy_wins).sum()),
                            "points": len(batches)})
    return pd.DataFrame(records)


def measured_vs_modeled(frame: pd.DataFrame, model: EnergyModel, logical_cores: int) -> pd.DataFrame:
    """Rows measured by a meter, with the model's figure for the same row beside and the model's error."""
    rows = frame[frame.energy_method.isin(("measured-nvml", "measured-rapl"))].copy()
    if rows.empty:
        return pd.DataFrame(columns=["operation", "backend", "workload", "batch_size", "phase", "energy_method",
                                     "measured_j_per_item", "modeled_j_per_item", "model_over_measured"])
    rows["modeled_j_per_item"] = modeled_j_per_item(rows, model, logical_cores)
    rows = rows.rename(columns={"energy_j_per_item": "measured_j_per_item"})
    rows["model_over_measured"] = rows.modeled_j_per_item / rows.measured_j_per_item.where(rows.measured_j_per_item > 0)
    return rows[["operation", "backend", "workload", "batch_size", "phase", "energy_method", "measured_j_per_item",
                 "modeled_j_per_item", "model_over_measured"]].reset_index(drop=True)


def gpu_checks(results_root: str | Path) -> pd.DataFrame:
    """The committed GPU energy checks (scripts/gpu_check.sh writes results/<gpu-tag>/energy_model_check.csv)."""
    frames = [pd.read_csv(p).assign(device_tag=p.parent.name) for p in sorted(Path(results_root).glob(f"*/{GPU_CHECK_CSV}"))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["device_tag", "gpu", "operation", "backend", "workload", "batch_size", "phase", "measured_j_per_item",
                 "modeled_j_per_item", "model_over_measured"])


def example_breakdown(frame: pd.DataFrame, model: EnergyModel, logical_cores: int) -> pd.DataFrame:
    """The model's components for one end-to-end row per backend of the first operation measured (largest batch
    of its main series): where the modeled joules go."""
    rows = _with_points(frame[(frame.phase == "end_to_end") & (frame.energy_method == "modeled")])
    if rows.empty:
        return pd.DataFrame()
    rows = _main_series(rows[rows.operation == rows.operation.iloc[0]])
    rows = rows[rows.batch_size == rows.batch_size.max()]
    records = []
    for r in rows.itertuples():
        kind, cores = row_device(r.backend, r.device, logical_cores)
        b = model.breakdown(kind, r.phase, r.time_s_median, int(r.batch_size), float(r.bytes_per_item), cores)
        items = max(int(r.batch_size), 1)
        records.append({"operation": r.operation, "backend": r.backend, "batch": f"{items:,}",
                        "bytes moved": f"{r.bytes_per_item * items:,.0f}",
                        "core J/op": b.core_j / items, "DRAM J/op": b.dram_j / items, "PCIe J/op": b.pcie_j / items,
                        "GPU J/op": b.gpu_j / items, "total J/op": b.total_j / items,
                        "movement share": b.movement_j / b.total_j if b.total_j else float("nan")})
    return pd.DataFrame(records)


def plot_energy(frame: pd.DataFrame, path: str | Path | None = None, operations: list[str] | None = None):
    """Joules per item against batch size, one panel per operation swept over at least three batch sizes (its
    main series), kernel and end to end, each backend in its fixed colour; None when there is nothing to draw."""
    import matplotlib.pyplot as plt

    rows = _with_points(with_energy(frame[frame.phase.isin(("kernel", "end_to_end"))]))
    if operations:
        rows = rows[rows.operation.isin(operations)]
    rows = _main_series(rows)
    sizes = rows.groupby("operation").batch_size.nunique()
    ops = [op for op in dict.fromkeys(rows.operation) if sizes[op] >= 3]  # a line needs a few batch sizes
    if not ops:
        return None
    cols = min(2, len(ops))
    nrows = (len(ops) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(7.5, 2.9 * nrows), squeeze=False)
    legend: dict = {}
    for ax, op in zip(axes.flat, ops):
        sel = rows[rows.operation == op]
        _lines(ax, sel.drop(columns=["workload"]).assign(workload=sel.series), "batch_size", "energy_j_per_item",
               band=False)
        ax.set(xscale="log", yscale="log", xlabel="batch size (items)", ylabel="joules per item")
        ax.set_title(f"{op}: {sel.workload.iloc[0]}", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        legend.update(zip(labels, handles))
        if ax.get_legend():
            ax.get_legend().remove()
    for ax in list(axes.flat)[len(ops):]:
        ax.set_visible(False)
    # one legend for every panel, below them: per-panel legends are unreadable at page width
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    legend_in = 0.22 * ((len(legend) + 2) // 3) + 0.15  # inches the legend needs below the panels
    fig.set_size_inches(7.5, 2.9 * nrows + legend_in)
    fig.tight_layout(rect=(0, legend_in / (2.9 * nrows + legend_in), 1, 1))
    save_figure(fig, path)
    return fig


def findings(frame: pd.DataFrame, sensitivity: pd.DataFrame, breakeven: pd.DataFrame,
             comparison: pd.DataFrame) -> str:
    """Findings formatted from this run's tables (no sentence true on one machine only)."""
    rows = with_energy(frame)
    if rows.empty:
        return ("No result table in this folder carries energy yet: run the hot-path notebooks (01-04) first, "
                "as `make run` does.")
    methods = rows.energy_method.value_counts()
    parts = ["Rows by method: " + ", ".join(f"{m} {n:,}" for m, n in methods.items()) + "."]
    first = sensitivity.conclusion.iloc[0]
    parts.append(first[0].upper() + first[1:] + ("" if first.endswith(".") else "."))
    flips = sensitivity[sensitivity.changed]
    if flips.empty:
        parts.append("No conclusion flips when any single model assumption is halved or doubled.")
    else:
        parts.append("Conclusions that depend on the model: " + ", ".join(
            f"{r.assumption} x{r.factor:g}" for r in flips.itertuples()) + " flip at least one (table below).")
    if not breakeven.empty:
        trade = breakeven[breakeven["time wins, energy loses at"] > 0]
        parts.append(f"{len(trade)} of {len(breakeven)} accelerator series win on time but lose on energy at some "
                     "batch size" + (": " + ", ".join(f"{r.backend} on {r.operation}" for r in
                                                      trade.drop_duplicates(["operation", "backend"]).itertuples())
                                     if len(trade) else "") + ".")
    if comparison.empty:
        parts.append("No meter could be read in this run, so every figure is modeled; the committed GPU checks "
                     "(below, where present) set NVML measurements beside the model.")
    else:
        ratio = comparison.model_over_measured.dropna()
        if len(ratio):
            parts.append(f"Where a meter read the same case, the model gave {ratio.min():.2g}x to {ratio.max():.2g}x "
                         f"the measured energy (median {ratio.median():.2g}x, {len(ratio)} rows).")
    return " ".join(parts)


def meters_markdown() -> str:
    """Which meters this machine has, or why not (the reason each figure below is measured or modeled)."""
    from .measure.meters import meter_status

    lines = []
    for key, label in (("rapl", "RAPL (CPU package and DRAM)"), ("nvml", "NVML (GPU board)")):
        s = meter_status()[key]
        lines.append(f"- **{label}**: " + (f"read here ({s.get('meter')}, {', '.join(s.get('domains', [])) or s.get('gpu', '')})"
                                          if s["available"] else f"not available: {s['reason']}"))
    return "\n".join(lines)
