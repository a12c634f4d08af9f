"""The whole-requests figures: where an update's and a query's CPU goes, stage group by stage group, on the
library and best paths; and each accelerator combination's requests/s against the 10x goal. One fixed colour
per stage group in every figure.
"""
from __future__ import annotations

import pandas as pd

from ..analysis import save_figure
from . import node

GROUP_COLOURS = {"ingress": "#1f77b4", "gossip": "#ff7f0e", "block": "#2ca02c", "execution": "#d62728",
                 "persistence": "#9467bd", "certification": "#8c564b", "response": "#e377c2"}


def plot_stage_groups(table: pd.DataFrame, path=None):
    """Stacked bars: µs of CPU per request per node, by stage group, for every (workload, kind, path)."""
    import matplotlib.pyplot as plt

    sel = table[table.group != "reference"]
    wide = sel.pivot_table(index=["workload", "request_kind", "path"], columns="group",
                           values="core_s_per_request", aggfunc="sum").fillna(0.0) * 1e6
    wide = wide[[g for g in GROUP_COLOURS if g in wide.columns]]
    labels = [f"{w} {k} ({p})" for w, k, p in wide.index]
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.32 * len(wide)))
    left = pd.Series(0.0, index=wide.index)
    for group in wide.columns:
        ax.barh(labels, wide[group], left=left, color=GROUP_COLOURS[group], label=group)
        left += wide[group]
    ax.set(xlabel="µs of CPU per request per node (measured)", title="Where a request's CPU goes, by stage group")
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def plot_combinations(table: pd.DataFrame, path=None):
    """Updates/s relative to today's node for each accelerator combination, under the caps and with them lifted,
    per workload, beside the 10x goal."""
    import matplotlib.pyplot as plt

    workloads = sorted(set(table.workload))
    fig, axes = plt.subplots(1, len(workloads), figsize=(3.2 * len(workloads) + 1.5, 3.4), sharey=True,
                             squeeze=False)
    for ax, workload in zip(axes[0], workloads):
        nodes = node.node_table(table, workload)
        y = range(len(nodes))
        ax.plot(nodes["updates/s vs today"], y, "o", color="#1f77b4", label="under today's caps")
        ax.plot(nodes["updates/s vs today, caps lifted"], y, "s", color="#ff7f0e", mfc="none",
                label="caps lifted (CPU bound)")
        ax.axvline(10.0, color="#d62728", ls="--", lw=1, label="the goal: 10x")
        ax.set_yticks(list(y), nodes["accelerators"], fontsize=7)
        ax.set(xscale="log", title=workload, xlabel="updates/s relative to today")
        ax.grid(True, axis="x", which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save_figure(fig, path)
    return fig
