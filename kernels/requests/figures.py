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
    """Per workload: the updates/s a node's CPU allows with each accelerator combination (caps lifted), beside
    today's rate (the least of the CPU bound and the caps) and ten times that (the goal)."""
    import matplotlib.pyplot as plt

    workloads = sorted(set(table.workload))
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(1, len(workloads), figsize=(3.2 * len(workloads) + 1.8, 3.4), sharey=True,
                             sharex=True, squeeze=False)
    for ax, workload in zip(axes[0], workloads):
        nodes = node.node_table(table, workload)
        today = nodes.iloc[0]["updates/s under caps"]
        y = range(len(nodes))
        ax.plot(nodes["updates/s, CPU bound"], y, "s", color="#2ca02c", label="CPU bound (caps lifted)")
        ax.axvline(today, color="#1f77b4", ls="-", lw=1, label="today: the least of CPU bound and caps")
        ax.axvline(10 * today, color="#d62728", ls="--", lw=1, label="the goal: 10x today")
        ax.set_yticks(list(y), nodes["accelerators"], fontsize=7)
        ax.set(xscale="log", title=workload, xlabel="updates/s per subnet")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, axis="x", which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save_figure(fig, path)
    return fig
