"""The node-level answer built on measured whole requests: CPU per update and per query (the sum of their
stages), requests per second per node as the least of the CPU bound (each stage over the threads that run it)
and the protocol's caps, each accelerator combination's effect, a validation table against published figures,
and one server against a 13-node subnet. Every figure says whether it is measured, modeled or published; the
caps and thread counts are docs/REFERENCES.md section 5's.
"""
from __future__ import annotations

from itertools import combinations

import pandas as pd

from ..measure.energy import GENERIC_WATTS_PER_CORE

# --- the caps (published: dfinity/ic rs/limits, rs/config; docs/REFERENCES.md section 5) ------------------------
BLOCK_MESSAGES = 1_000  # ingress messages per block
NOTARY_DELAY_S = 0.3  # initial notary delay: the block rate stays below 1 / notary delay
EXECUTION_THREADS = 4  # scheduler_cores
QUERY_THREADS = 4  # query execution threads per node
INSTRUCTIONS_PER_ROUND_PER_THREAD = 7e9
NODE_CORES = 32  # Gen-2 node: 2 x 16 cores (IC wiki)
CERTIFICATION_THREADS = 1  # the state tree is hashed on one background thread (dfinity/ic PR 8464)
OTHER_THREADS = NODE_CORES - EXECUTION_THREADS - QUERY_THREADS - CERTIFICATION_THREADS  # assumed: the rest
SUBNET_NODES = 13
WATTS_PER_CORE = GENERIC_WATTS_PER_CORE[0]  # assumed, the same for every machine (no meter on these VMs)

# --- published anchors (docs/REFERENCES.md section 5) -------------------------------------------------------------
PUBLISHED = {
    "subnet updates/s (counter, 13 nodes, mainnet parameters)": 1_200.0,
    "node queries/s (counter)": 7_025.0,
    "ICRC-1 ledger transfer, instructions": 1.22e6,
    "per-round state hashing on mainnet (s)": 0.09,  # 80-100 ms, PR 8464 (measured in a system test)
}

# Which thread pool runs each stage group of an update / a query (the replica's threading; REFERENCES s5).
UPDATE_POOLS = {"execution": "execution", "persistence": "execution", "certification": "certification",
                "ingress": "other", "gossip": "other", "block": "other", "response": "other"}
QUERY_POOLS = {"execution": "query", "response": "query", "ingress": "other"}
POOL_THREADS = {"execution": EXECUTION_THREADS, "query": QUERY_THREADS, "certification": CERTIFICATION_THREADS,
                "other": OTHER_THREADS}

# Accelerators: which stages each removes or replaces (a stage it names goes to zero CPU, the bound of offload).
NETWORK_STAGES = ("tls decrypt", "gossip aead", "gossip packets", "response tls encrypt")
ACCELERATORS = {
    "best CPU paths": "measured: each stage's best measured path (batched numba_cpu kernels, GSO, ...)",
    "Smart NIC": "modeled bound: TLS/QUIC and packet work leave the CPU (" + ", ".join(NETWORK_STAGES) + ")",
    "GPU signatures": "modeled bound (no GPU run): every signature check leaves the CPU; latency adds batching",
}


def stage_costs(table: pd.DataFrame, workload: str, kind: str, path: str = "library") -> pd.DataFrame:
    """The stages of one request (group "reference" rows excluded) on one path."""
    sel = table[(table.workload == workload) & (table.request_kind == kind) & (table.path == path)
                & (table.group != "reference")]
    sel = sel[["stage", "group", "backend", "core_s_per_request", "core_s_p25", "core_s_p75", "timing", "evidence",
               "note"]].copy()
    for quartile in ("core_s_p25", "core_s_p75"):  # rows derived from measured figures carry no quartiles
        sel[quartile] = sel[quartile].fillna(sel.core_s_per_request)
    return sel


COST_COLUMNS = ("core_s_per_request", "core_s_p25", "core_s_p75")


def _is_signature(stage: str) -> bool:
    return "signatures " in stage or stage.startswith("consensus") or stage == "signature cache"


def combination_costs(table: pd.DataFrame, workload: str, kind: str, combo: tuple[str, ...]) -> pd.DataFrame:
    """Per stage core-seconds with the accelerators of `combo` applied to the library path."""
    base = stage_costs(table, workload, kind, "best" if "best CPU paths" in combo else "library").copy()
    if "Smart NIC" in combo:
        base.loc[base.stage.isin(NETWORK_STAGES), list(COST_COLUMNS)] = 0.0
    if "GPU signatures" in combo:
        base.loc[base.stage.map(_is_signature), list(COST_COLUMNS)] = 0.0
    return base


def cpu_per_request(costs: pd.DataFrame) -> float:
    return float(costs.core_s_per_request.sum())


def cpu_bound(costs: pd.DataFrame, kind: str, column: str = "core_s_per_request") -> tuple[float, str]:
    """Requests/s one node's threads allow: the least over pools of threads / core-seconds in that pool
    (`column`: the median, or a quartile of the stage timings for the bound's range)."""
    pools = UPDATE_POOLS if kind == "update" else QUERY_POOLS
    per_pool = costs.groupby(costs.group.map(pools))[column].sum()
    rates = {pool: POOL_THREADS[pool] / s for pool, s in per_pool.items() if s > 0}
    pool = min(rates, key=rates.get)
    return rates[pool], pool


def caps(instructions: float) -> dict[str, float]:
    """Updates/s per subnet the protocol allows: the block cap (1 000 messages per block at a block rate below
    1 / notary delay) and the instruction cap (4 threads x 7 B instructions per round over an update's)."""
    blocks_per_s = 1.0 / NOTARY_DELAY_S
    return {"block cap": BLOCK_MESSAGES * blocks_per_s,  # 1 000 messages per block / notary delay
            "instruction cap":  # 4 threads x 7 B instructions per round, rounds at the block rate
                EXECUTION_THREADS * INSTRUCTIONS_PER_ROUND_PER_THREAD / max(instructions, 1.0) * blocks_per_s}


def combos() -> list[tuple[str, ...]]:
    names = list(ACCELERATORS)
    return [c for k in range(len(names) + 1) for c in combinations(names, k)]


def node_table(table: pd.DataFrame, workload: str) -> pd.DataFrame:
    """Per accelerator combination: CPU per update and query, requests/s under the caps and with them lifted,
    the binding limit, energy per request (modeled from core-seconds)."""
    instructions = _instructions(table, workload)
    cap = caps(instructions)
    rows = []
    for combo in combos():
        update, query = (combination_costs(table, workload, k, combo) for k in ("update", "query"))
        u_rate, u_pool = cpu_bound(update, "update")
        q_rate, q_pool = cpu_bound(query, "query")
        u_low, u_high = cpu_bound(update, "update", "core_s_p75")[0], cpu_bound(update, "update", "core_s_p25")[0]
        limit = min(cap, key=cap.get)
        rows.append({"accelerators": " + ".join(combo) or "none (today's node)",
                     "CPU per update (µs)": cpu_per_request(update) * 1e6,
                     "CPU per query (µs)": cpu_per_request(query) * 1e6,
                     "updates/s, CPU bound": u_rate, "updates/s, CPU bound, low": u_low,
                     "updates/s, CPU bound, high": u_high, "update bound by": f"{u_pool} threads",
                     "updates/s under caps": min(u_rate, cap[limit]),
                     "binding": f"{u_pool} threads" if u_rate < cap[limit] else limit,
                     "queries/s per node": q_rate, "query bound by": f"{q_pool} threads",
                     "energy per update, subnet (mJ)": cpu_per_request(update) * WATTS_PER_CORE * SUBNET_NODES * 1e3,
                     "energy per query (mJ)": cpu_per_request(query) * WATTS_PER_CORE * 1e3})
    out = pd.DataFrame(rows)
    out["added latency (ms), modeled"] = [added_latency_s(table, workload, c, r) * 1e3
                                          for c, r in zip(combos(), out["updates/s under caps"])]
    today = out.iloc[0]
    out["updates/s vs today"] = out["updates/s under caps"] / today["updates/s under caps"]
    out["updates/s vs today, caps lifted"] = out["updates/s, CPU bound"] / today["updates/s, CPU bound"]
    out["queries/s vs today"] = out["queries/s per node"] / today["queries/s per node"]
    return out


GPU_MIN_BATCH = 64  # a GPU pays for itself from batches of about 64 signatures (solana PR 821; REFERENCES s2)
PCIE_ROUND_TRIP_S = 20e-6  # launch + synchronisation and small copies (CUDA anchors, REFERENCES section 2)


def added_latency_s(table: pd.DataFrame, workload: str, combo: tuple[str, ...], rate_per_s: float) -> float:
    """Latency a combination adds to an update at `rate_per_s` arrivals: a batched CPU path waits for its ingress
    batch (batch_latency); a GPU waits for GPU_MIN_BATCH messages and a PCIe round trip (modeled)."""
    added = 0.0
    if "best CPU paths" in combo:
        batches = batch_latency(table, workload, rate_per_s)
        added = float(batches["added latency (ms)"].max() / 1e3) if not batches.empty else 0.0
    if "GPU signatures" in combo:
        added = max(added, GPU_MIN_BATCH / rate_per_s + PCIE_ROUND_TRIP_S)
    return added


def _instructions(table: pd.DataFrame, workload: str) -> float:
    sel = table[(table.workload == workload) & (table.request_kind == "update") & (table.stage == "wasm execution")]
    return float(sel.instructions.dropna().median()) if not sel.empty else float("nan")


def validation_table(table: pd.DataFrame, round_seconds: float | None = None) -> pd.DataFrame:
    """The suite's implied figures beside published ones, as ratios, each with its source."""
    counter = node_table(table, "counter").iloc[0] if "counter" in set(table.workload) else None
    rows = []
    if counter is not None:
        rows.append(("subnet updates/s (counter, 13 nodes, mainnet parameters)", counter["updates/s under caps"],
                     "modeled from measured CPU and the caps"))
        rows.append(("node queries/s (counter)", counter["queries/s per node"], "modeled from measured CPU"))
    if "ledger" in set(table.workload):
        rows.append(("ICRC-1 ledger transfer, instructions", _instructions(table, "ledger"),
                     "measured: this suite's ledger canister, counted with the IC's weights and system API charges"))
    if round_seconds is not None:
        rows.append(("per-round state hashing on mainnet (s)", round_seconds, "measured: the suite's state tree"))
    out = pd.DataFrame(rows, columns=["figure", "suite", "how"])
    out["published"] = out.figure.map(PUBLISHED)
    out["suite / published"] = out.suite / out.published
    return out


def round_seconds(table: pd.DataFrame) -> float | None:
    """Seconds to hash one round's whole state tree on the library path (the certification row's latency)."""
    sel = table[(table.stage == "state tree hashing") & (table.path == "library")]
    return float(sel.latency_s_per_request.median()) if not sel.empty else None


def cloud_ratio(table: pd.DataFrame, workload: str, combo: tuple[str, ...] = ()) -> dict:
    """CPU per update of one non-replicated server (ingress once, execution, persistence without checkpoints,
    response; no gossip, block, certification) against a 13-node subnet (every node's stages, 13 times)."""
    costs = combination_costs(table, workload, "update", combo)
    server = costs[costs.group.isin(["ingress", "execution", "persistence", "response"])
                   & (costs.stage != "checkpoint share")]
    subnet = SUBNET_NODES * cpu_per_request(costs)
    single = cpu_per_request(server)
    return {"accelerators": " + ".join(combo) or "none", "one server (µs)": single * 1e6,
            "13-node subnet (µs)": subnet * 1e6,
            "subnet / server": subnet / single if single > 0 else float("nan")}


def cloud_table(table: pd.DataFrame, workload: str) -> pd.DataFrame:
    return pd.DataFrame([cloud_ratio(table, workload, c) for c in combos()])


def batch_latency(table: pd.DataFrame, workload: str, rate_per_s: float) -> pd.DataFrame:
    """Latency a batched stage adds to an update: gathering its batch at the arrival rate, plus the batch's
    own time (the best path's batch-call rows). Block-validation and consensus batches come with the block."""
    sel = table[(table.workload == workload) & (table.request_kind == "update") & (table.path == "best")
                & (table.timing == "batch-call") & (table.group == "ingress")]
    gather = sel.items_timed / rate_per_s
    return pd.DataFrame({"stage": sel.stage, "batch": sel.items_timed, "gather (ms)": gather * 1e3,
                         "batch time (ms)": sel.latency_s_per_request * 1e3,
                         "added latency (ms)": (gather + sel.latency_s_per_request) * 1e3})


def headline(table: pd.DataFrame, workload: str) -> dict:
    """The figures the findings lead with, for one workload: today's CPU per update and query, its rate, the
    best combination's rate under the caps and with them lifted (ratios to today)."""
    nodes = node_table(table, workload)
    today, best = nodes.iloc[0], nodes.loc[nodes["updates/s vs today, caps lifted"].idxmax()]
    goal = 10 * today["updates/s under caps"]
    must_move = [name for name, value in caps(_instructions(table, workload)).items() if value < goal]
    return {"workload": workload, "CPU per update today (µs)": today["CPU per update (µs)"],
            "CPU per query today (µs)": today["CPU per query (µs)"],
            "updates/s today (under caps)": today["updates/s under caps"], "binding today": today["binding"],
            "best combination": best["accelerators"],
            "updates/s gain under caps": best["updates/s vs today"],
            "updates/s gain, caps lifted": best["updates/s vs today, caps lifted"],
            "queries/s gain": best["queries/s vs today"],
            "CPU headroom today": today["updates/s, CPU bound"] / today["updates/s under caps"],
            "CPU headroom, best": best["updates/s, CPU bound"] / today["updates/s under caps"],
            "CPU headroom, best, low": best["updates/s, CPU bound, low"] / today["updates/s under caps"],
            "CPU headroom, best, high": best["updates/s, CPU bound, high"] / today["updates/s under caps"],
            "caps to move for 10x": "; ".join(must_move) or "none",
            "reaches 10x": _reach(best["updates/s, CPU bound, low"] / goal, best["updates/s, CPU bound, high"] / goal)}


REACH_TEXT = {"yes": "so 10x is within the CPU's reach", "no": "so 10x is not within the CPU's reach",
              "within noise": "so whether the CPU reaches 10x lies within the noise of this run"}


def _reach(low: float, high: float) -> str:
    """"yes" when even the slow quartiles of the stage timings reach the goal, "no" when even the fast ones do not,
    else "within noise"."""
    return "yes" if low >= 1 else "no" if high < 1 else "within noise"


def headline_table(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([headline(table, w) for w in sorted(set(table.workload))])


def stage_shares(table: pd.DataFrame, workload: str, kind: str, path: str = "library") -> pd.DataFrame:
    """Each group's share of one request's CPU on one path (the figure the notebook plots)."""
    costs = stage_costs(table, workload, kind, path)
    by_group = costs.groupby("group").core_s_per_request.sum()
    return (by_group / by_group.sum()).rename("share").reset_index().sort_values("share", ascending=False)


def findings_markdown(table: pd.DataFrame) -> str:
    """The sentences chapter and summary share: what an update and a query cost, and whether 10x is in reach."""
    lines = []
    for _, h in headline_table(table).iterrows():
        reach = REACH_TEXT[h["reaches 10x"]]
        lines.append(
            f"- **{h.workload}**: an update costs a node {h['CPU per update today (µs)']:,.0f} µs of CPU today "
            f"and a query {h['CPU per query today (µs)']:,.0f} µs (measured, stage by stage). Under today's "
            f"caps a subnet runs {h['updates/s today (under caps)']:,.0f} updates/s, bound by {h['binding today']}; "
            f"the node's CPU would allow {h['CPU headroom today']:.1f}x that. With the best combination "
            f"({h['best combination']}) it allows {h['CPU headroom, best']:.1f}x (caps lifted; "
            f"{h['CPU headroom, best, low']:.1f}-{h['CPU headroom, best, high']:.1f}x over the quartiles of the stage "
            f"timings), {reach}; the caps that must move for 10x: {h['caps to move for 10x']}. Queries/s per "
            f"node: {h['queries/s gain']:.2f}x today's with that combination.")
    return "\n".join(lines) if lines else "No requests.csv in these results."


# --- across results folders (one machine per verdict) ----------------------------------------------------------

def _folders(rows: pd.DataFrame):
    if rows.empty:
        return []
    return [(folder, part.drop(columns="folder")) for folder, part in rows.groupby("folder", sort=True)] \
        if "folder" in rows else [("this run", rows)]


HEADLINE_SHOWN = {"workload": "workload", "CPU per update today (µs)": "CPU per update (µs)",
                  "CPU per query today (µs)": "CPU per query (µs)", "updates/s today (under caps)": "updates/s today",
                  "binding today": "bound by", "CPU headroom today": "CPU bound / today",
                  "best combination": "best combination", "CPU headroom, best": "CPU bound / today, best"}


def headline_by_folder(rows: pd.DataFrame) -> pd.DataFrame:
    """The headline of each results folder's requests.csv, side by side (never merged across machines), in the
    columns a page holds; the sentences of findings_by_folder say the rest."""
    frames = [headline_table(part)[list(HEADLINE_SHOWN)].rename(columns=HEADLINE_SHOWN).assign(machine=folder)
              for folder, part in _folders(rows)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["machine"] + list(HEADLINE_SHOWN.values())]


def findings_by_folder(rows: pd.DataFrame) -> str:
    """`findings_markdown` per results folder: the same sentences the requests chapter prints."""
    parts = [f"**{folder}**\n\n{findings_markdown(part)}" for folder, part in _folders(rows)]
    return "\n\n".join(parts) if parts else "No requests.csv in these results: run notebooks/10_requests."


def validation_by_folder(rows: pd.DataFrame) -> pd.DataFrame:
    frames = [validation_table(part, round_seconds(part)).assign(machine=folder) for folder, part in _folders(rows)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def caps_table(instructions: float | None = None) -> pd.DataFrame:
    """The caps the node answer uses, with their values and sources (published)."""
    rows = [("ingress messages per block", BLOCK_MESSAGES, "dfinity/ic rs/limits"),
            ("notary delay (s): block rate below its inverse", NOTARY_DELAY_S, "dfinity/ic rs/limits"),
            ("execution threads per node (scheduler_cores)", EXECUTION_THREADS, "dfinity/ic rs/config subnet_config.rs"),
            ("query threads per node", QUERY_THREADS, "dfinity/ic rs/config execution_environment.rs"),
            ("instructions per round per execution thread", INSTRUCTIONS_PER_ROUND_PER_THREAD,
             "dfinity/ic rs/config subnet_config.rs"),
            ("threads hashing the state tree", CERTIFICATION_THREADS, "dfinity/ic PR 8464 (a background thread)"),
            ("other cores for ingress, gossip, block, responses", OTHER_THREADS,
             f"assumed: the rest of a Gen-2 node's {NODE_CORES} cores")]
    return pd.DataFrame(rows, columns=["cap", "value", "source"])


# --- the notebook's prediction, set against the measurement -------------------------------------------------------
BLS_CHECK_S = 0.9e-3  # blst, one verification (docs/REFERENCES.md section 1, Signatures: 0.77 ms on a Zen 5 VM)
HASH_NODE_S = 1e-6  # hashlib, one small hash-tree node (assumed order of magnitude)
PREDICTED = {  # figure -> (predicted seconds per update, how)
    "consensus shares per message": (32 * BLS_CHECK_S / BLOCK_MESSAGES,
                                     "32 BLS shares per block of 13 nodes x 0.9 ms, over 1 000 messages"),
    "state tree hashing per message": (47_000 * HASH_NODE_S / BLOCK_MESSAGES,
                                       "47 000 tree nodes x 1 us, over 1 000 messages"),
}


def prediction_table(table: pd.DataFrame, workload: str = "ledger") -> pd.DataFrame:
    """The notebook's predictions beside this run's library-path measurement, as ratios."""
    costs = stage_costs(table, workload, "update", "library")
    measured = {"consensus shares per message": costs[costs.stage.str.startswith("consensus")].core_s_per_request.sum(),
                "state tree hashing per message": costs[costs.stage == "state tree hashing"].core_s_per_request.sum()}
    rows = [{"figure": name, "predicted (µs)": p * 1e6, "measured (µs)": measured[name] * 1e6,
             "measured / predicted": measured[name] / p, "prediction from": how}
            for name, (p, how) in PREDICTED.items()]
    return pd.DataFrame(rows)


COMBINATION_SHOWN = {"accelerators": "accelerators", "CPU per update (µs)": "CPU per update (µs)",
                     "CPU per query (µs)": "CPU per query (µs)", "updates/s, CPU bound": "updates/s, CPU bound",
                     "update bound by": "bound by", "updates/s under caps": "updates/s under caps",
                     "queries/s per node": "queries/s per node",
                     "added latency (ms), modeled": "added latency (ms)",
                     "energy per update, subnet (mJ)": "energy per update (mJ)"}


def combination_view(table: pd.DataFrame, workload: str) -> pd.DataFrame:
    """node_table in the columns a page holds (the ratios to today are in the figure and the headline)."""
    return node_table(table, workload)[list(COMBINATION_SHOWN)].rename(columns=COMBINATION_SHOWN)
