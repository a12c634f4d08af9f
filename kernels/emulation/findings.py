"""Tables, figures and the sentences of notebooks 05 and 06 whose content depends on the data (the argument
itself is Markdown in the notebooks). Every emulated figure is labelled so."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import dot_panel, fmt_time, save_figure
from ..registry import colour
from .validation import RATIO_BOUNDS, usable_models


def validation_markdown(table: pd.DataFrame) -> str:
    """Which models passed (every row within the bounds) and which did not, with the worst ratio of each."""
    usable = usable_models(table)
    lines = [f"{int(table.within.sum())} of {len(table)} predictions lie within "
             f"{RATIO_BOUNDS[0]}-{RATIO_BOUNDS[1]}x of the measurement."]
    for model, ok in usable.items():
        rows = table[table.model == model]
        worst = rows.loc[(np.log(rows.ratio)).abs().idxmax()]
        verdict = "used for conclusions" if ok else "NOT used for conclusions"
        lines.append(f"- `{model}`: {len(rows)} rows, ratios {rows.ratio.min():.2f}-{rows.ratio.max():.2f} "
                     f"(worst: {worst.workload}): {verdict}.")
    return "\n".join(lines)


def plot_validation(table: pd.DataFrame, path: str | Path | None = None):
    """Predicted against measured seconds, log-log, with the diagonal and the accepted band."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5))
    for model, rows in table.groupby("model", sort=False):
        ax.scatter(rows.measured_s, rows.predicted_s, label=model, s=36)
    lo, hi = table[["predicted_s", "measured_s"]].min().min() / 2, table[["predicted_s", "measured_s"]].max().max() * 2
    xs = np.geomspace(lo, hi, 10)
    ax.plot(xs, xs, color="black", lw=1)
    ax.fill_between(xs, xs * RATIO_BOUNDS[0], xs * RATIO_BOUNDS[1], color="grey", alpha=0.2,
                    label=f"{RATIO_BOUNDS[0]}-{RATIO_BOUNDS[1]}x")
    ax.set(xscale="log", yscale="log", xlabel="measured or published (s)", ylabel="model (s)",
           title="Emulator validation: model against measurement")
    ax.legend(fontsize=8)
    save_figure(fig, path)
    return fig


def crash_table(trials) -> pd.DataFrame:
    return pd.DataFrame([{"seed": t.seed, "killed at event": f"{t.kill_at} of {t.events}", "killed": t.killed,
                          "pages reported durable": len(t.durable), "newer than reported": t.newer_than_durable,
                          "slots rejected (torn or old)": t.rejected, "violations": len(t.violations)}
                         for t in trials])


def crash_markdown(trials) -> str:
    killed = sum(t.killed for t in trials)
    bad = sum(len(t.violations) for t in trials)
    rejected = sum(t.rejected for t in trials)
    return (f"{len(trials)} trials, {killed} children killed mid-checkpoint; {rejected} torn or stale slots were "
            f"rejected by the manifest check; {bad} violations (a page lost, torn, or older than reported durable).")


def device_table(measured: pd.DataFrame, emulated: pd.DataFrame) -> pd.DataFrame:
    """Seconds per step: measured on this machine's DRAM (best backend) beside each emulated device."""
    m = measured[(measured.phase == "end_to_end") & (measured.step != "delta-copy")]
    m = m.groupby(["pattern", "step"]).time_s_median.min()
    e = emulated.pivot_table(index=["pattern", "step"], columns="device", values="time_s_median")
    table = e.assign(**{"DRAM, this machine (measured)": m}).map(fmt_time)
    return table[["DRAM, this machine (measured)"] + [c for c in table.columns if c != "DRAM, this machine (measured)"]]


def plot_strategies(costs: pd.DataFrame, path: str | Path | None = None):
    """Per strategy and dirty pattern: amortised seconds per round, recovery seconds, bytes written per interval
    (dot plots, one panel per quantity, stacked so each is readable at page width)."""
    import matplotlib.pyplot as plt

    panels = (("per_round_amortised_s", "seconds per round (checkpoint amortised)", False),
              ("recovery_s", "recovery seconds (excluding replay)", False),
              ("bytes_written_per_interval", "bytes written per 500 rounds (wear), log scale", True))
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, 1.2 + 1.1 * len(panels) * costs.pattern.nunique() ** 0.5))
    for ax, (column, label, log) in zip(axes, panels):
        table = costs.pivot_table(index="pattern", columns="strategy", values=column)
        dot_panel(ax, table, label, log=log, legend=ax is axes[0])
    fig.suptitle("Orthogonal persistence three ways (DRAM measured; PMem, CXL, NVMe emulated)")
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def persistence_markdown(costs: pd.DataFrame, usable: dict) -> str:
    """The sentences that depend on the numbers: per pattern, the cost per round and per checkpoint of PMem
    against DRAM + NVMe, and the wear; none from a device model that failed validation."""
    if not usable.get("optane-6", False):
        return "- The six-DIMM Optane model failed validation in this run: no conclusion is drawn from it."
    lines = []
    for pattern, rows in costs.groupby("pattern", sort=False):
        base = rows[rows.strategy == "dram+nvme"].iloc[0]
        pmem = rows[rows.strategy == "pmem"].iloc[0]
        ratio = pmem.per_round_amortised_s / base.per_round_amortised_s
        wear = pmem.bytes_written_per_interval / base.bytes_written_per_interval
        lines.append(f"- **{pattern}**: per round (checkpoint amortised) DRAM+NVMe "
                     f"{fmt_time(base.per_round_amortised_s)}, PMem {fmt_time(pmem.per_round_amortised_s)} "
                     f"({ratio:.2f}x); a checkpoint {fmt_time(base.per_checkpoint_s)} against "
                     f"{fmt_time(pmem.per_checkpoint_s)}; recovery {fmt_time(base.recovery_s)} plus the replay of up "
                     f"to 499 rounds against {fmt_time(pmem.recovery_s)} and no replay; PMem writes {wear:.1f}x the "
                     "bytes NVMe does per 500 rounds (every round's pages, hot pages again and again, instead of "
                     "their union).")
    if not usable.get("cxl", False):
        lines.append("- The CXL model failed validation in this run: its rows are shown but not used for conclusions.")
    return "\n".join(lines)


def plot_near_memory(table: pd.DataFrame, path: str | Path | None = None):
    """Seconds per operation: best CPU kernel (measured), PIM resident and with transfers (emulated), GPU model."""
    import matplotlib.pyplot as plt

    columns = {"cpu s/op (measured)": ("CPU, best kernel (measured)", colour("numba_cpu")),
               "pim s/op resident (emulated)": ("PIM, data resident (emulated)", colour("emulated_pim")),
               "pim s/op with transfers (emulated)": ("PIM, with host transfers (emulated)", "#e7969c"),
               "gpu s/op end to end (modeled)": ("H100, end to end over PCIe (modeled)", colour("cupy"))}
    dots = table.set_axis([f"{h} ({o})" for h, o in zip(table["hot path"], table["operation"])], axis=0)
    dots = dots[list(columns)].rename(columns={c: label for c, (label, _) in columns.items()})
    fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.55 * len(dots)))
    dot_panel(ax, dots, "seconds per operation", colours={label: col for label, col in columns.values()},
              title="Near-memory processing per hot path")
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def near_memory_markdown(table: pd.DataFrame) -> str:
    """Per hot path: how much faster or slower the emulated PIM system is than the best CPU kernel measured here,
    with and without transfers, the energy, and the CPU cores it equals (linear scaling of the CPU assumed)."""
    lines = []
    for d in table.to_dict("records"):
        speed = d["pim speedup resident"]
        verdict = "faster" if speed > 1 else "slower"
        lines.append(f"- `{d['hot path']}`: the emulated PIM system is {max(speed, 1 / speed):.3g}x {verdict} per "
                     f"{d['operation']} than the best CPU kernel measured here ({d['cpu backend (measured)']}) with "
                     f"the data resident (speedup {speed:.3g}x; {d['pim speedup with transfers']:.3g}x with host "
                     "transfers); "
                     f"energy {d['pim J/op resident (modeled)']:.3g} J against {d['cpu J/op (modeled)']:.3g} J "
                     f"(both modeled). That equals about {speed * d['cpu cores']:.3g} cores of this CPU on this "
                     "workload, if the CPU kernel scaled linearly.")
    return "\n".join(lines)


def ed25519_table(fits: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"32x32 multiply (instructions)": f["mul32_instructions"],
                          "instructions per verify": f"{f['instructions_per_verify']:.3g}",
                          "multiplies' share": f"{f['multiply_share']:.0%}",
                          "verifies/s per DPU": f"{f['verifies_per_s_per_bank']:.3g}",
                          "verifies/s, whole system": f"{f['verifies_per_s_system']:.3g}",
                          "equals CPU cores (lib25519, 3 GHz)": f"{f['system_equals_cpu_cores']:.3g}",
                          "WRAM per tasklet (B)": f["wram_per_tasklet_bytes"],
                          "tasklets that fit in WRAM": f["tasklets_in_wram"]} for f in fits])


def prediction_tables(prediction: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hot path's prediction as two tables: per device, one 4 KiB page and one 64-byte write persisted;
    per PIM kernel, instructions, MRAM bytes and one DPU's seconds per operation (all modeled)."""
    devices = pd.DataFrame([{"device": name, "persist one 4 KiB page": fmt_time(d["page_persist_s"]),
                             "persist one 64 B write": fmt_time(d["small_write_persist_s"]),
                             "media bytes for a 64 B write": d["small_write_media_bytes"]}
                            for name, d in prediction["devices"].items()])
    kernels = pd.DataFrame([{"kernel": name, "instructions per op": f"{k['instructions']:,}",
                             "MRAM bytes per op": f"{k['mram_bytes']:,}",
                             "one DPU, full pipeline": fmt_time(k["bank_s"])}
                            for name, k in prediction["pim_kernels"].items()])
    return devices, kernels
