"""The stage table of one workload: every stage of an update and a query timed on each candidate (interleaved),
then one `library` row (what a node does today) and one `best` row (the fastest measured candidate) per stage.
`measure` returns the rows as a DataFrame; `write` adds them to results/<device-tag>/requests.csv. Gossip,
execution and persistence come from their own modules (network, execution, persistence) as derived rows.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import block, certification, ingress, responses
from .stages import StageRow, derived_row
from .workloads import EXPIRY_NS, NOW_NS, WORKLOADS, check_workload, requests

SUBNET_NODES = block.SUBNET_NODES
VALIDATIONS_PER_NODE = 2  # a node validates an update on entry to its pool and again in the block (REFERENCES s1)


@dataclass(frozen=True)
class Sizes:
    """What one profile measures: requests per kind, interleaved repeats, the state tree's size."""

    requests: int
    repeats: int
    canisters: int


PROFILES = {"smoke": Sizes(requests=12, repeats=1, canisters=200),
            "quick": Sizes(requests=100, repeats=3, canisters=certification.CANISTERS),
            "full": Sizes(requests=1_000, repeats=7, canisters=certification.CANISTERS)}


def sizes(profile: str) -> Sizes:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[profile]


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def measure(workload: str, profile: str = "quick", progress=None) -> pd.DataFrame:
    """Every stage of an update and a query of `workload`, library and best rows (see module docstring)."""
    from .execution_stage import execution_rows
    from .gossip_stage import gossip_rows
    from .persistence_stage import persistence_rows

    check_workload(workload)
    size, threads, rows = sizes(profile), _threads(), []
    steps = [("update", "ingress"), ("update", "gossip"), ("update", "block"), ("update", "execution"),
             ("update", "certification"), ("update", "response"), ("query", "ingress"), ("query", "execution"),
             ("query", "response")]
    state: dict = {}
    for kind, group in steps:
        if progress:
            progress(f"{workload} {kind}: {group}")
        if kind not in state:
            reqs = requests(workload, kind, size.requests)
            state[kind] = (reqs, ingress.admit(reqs))
        reqs, admitted = state[kind]
        if group == "ingress":
            found = ingress.stage_rows(workload, kind, reqs, size.repeats, threads)
            rows += found + (revalidation_rows(found) if kind == "update" else [])
        elif group == "gossip":
            rows += gossip_rows(workload, kind, reqs, SUBNET_NODES)
        elif group == "block":
            rows += block.stage_rows(workload, kind, [a.request_id for a in admitted],
                                     [len(r.body) for r in reqs], EXPIRY_NS, NOW_NS, size.repeats, threads)
        elif group == "execution":
            found, replies, dirty = execution_rows(workload, kind, admitted, size.repeats)
            rows += found
            state[kind + ":replies"] = replies
            if kind == "update":
                rows += persistence_rows(workload, kind, dirty, block.BLOCK_MESSAGES)
        elif group == "certification":
            rows += certification.stage_rows(workload, kind, block.BLOCK_MESSAGES, size.repeats, threads,
                                             size.canisters)[0]
        elif group == "response":
            rows += responses.stage_rows(workload, kind, state[kind + ":replies"],
                                         [a.request_id for a in admitted], size.repeats)
    return frame(with_best(rows))


def revalidation_rows(ingress_rows: list[StageRow]) -> list[StageRow]:
    """Block validation checks an update's signatures again on every node: the ingress signature stages once
    more (derived from the rows just measured)."""
    out = []
    for r in ingress_rows:
        if r.stage.startswith("signature"):
            out.append(replace(r, stage=f"block validation: {r.stage}", group="block", timing="derived",
                               note=f"{r.stage} again: a node validates an update {VALIDATIONS_PER_NODE} times "
                                    "(pool entry, block validation)"))
    return out


def with_best(rows: list[StageRow]) -> list[StageRow]:
    """Each stage's library row, and a best row: the candidate with the least core-seconds per request."""
    out, by_stage = [], {}
    for r in rows:
        by_stage.setdefault((r.workload, r.kind, r.stage), []).append(r)
    for candidates in by_stage.values():
        library = [r for r in candidates if r.path == "library"]
        best = min(candidates, key=lambda r: r.core_s_per_request)
        out += library + [replace(best, path="best", note=(best.note + "; " if best.note else "") +
                                  f"fastest of {', '.join(sorted({c.backend for c in candidates}))}")]
    return out


COLUMNS = ["workload", "request_kind", "stage", "group", "path", "backend", "core_s_per_request",
           "core_s_p25", "core_s_p75", "latency_s_per_request", "items_timed", "repeats", "timing", "evidence",
           "scale", "instructions", "note"]


def frame(rows: list[StageRow]) -> pd.DataFrame:
    table = pd.DataFrame([r.as_dict() for r in rows]).rename(columns={"kind": "request_kind"})
    if "instructions" not in table:
        table["instructions"] = np.nan
    return table[COLUMNS]


STEPS = 9  # the (kind, group) steps of `measure`


def measure_all(profile: str = "quick", workloads=tuple(WORKLOADS), out_dir=None) -> pd.DataFrame:
    """`measure` for every workload with a progress bar; each workload's rows are written (when `out_dir`)
    as soon as it is done, so a crash keeps the workloads finished."""
    import warnings

    with warnings.catch_warnings():  # tqdm.auto warns (with its install path) when ipywidgets is absent
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    frames = []
    with tqdm(total=STEPS * len(workloads), desc="stages") as bar:
        for w in workloads:
            frames.append(measure(w, profile, progress=lambda s: (bar.set_description(s), bar.update(1))))
            if out_dir is not None:
                write(frames[-1], out_dir)
    return pd.concat(frames, ignore_index=True)


KEY = ["workload", "request_kind", "stage", "path"]


def write(table: pd.DataFrame, out_dir) -> "Path":
    """Add `table` to `<out_dir>/requests.csv` with the run's commit and device tag, replacing older rows of the
    same (workload, request kind, stage, path); atomic (temp file, then rename)."""
    from datetime import datetime, timezone
    from pathlib import Path

    from ..measure.fingerprint import device_tag, git_commit
    from ..measure.results import _atomic_write

    path = Path(out_dir) / "requests.csv"
    new = table.assign(timestamp_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       git_commit=git_commit(), device_tag=device_tag())
    old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=new.columns)
    if len(old):
        keys = set(map(tuple, new[KEY].astype(str).values))
        old = old[[tuple(k) not in keys for k in old[KEY].astype(str).values]]
    merged = pd.concat([old, new], ignore_index=True) if len(old) else new
    _atomic_write(path, lambda f: merged.to_csv(f, index=False))
    return path


def printable(table: pd.DataFrame) -> str:
    """The stage table of `measure` for a terminal: µs per request, library beside best, per kind."""
    wide = table.pivot_table(index=["request_kind", "group", "stage"], columns="path", values="core_s_per_request",
                             aggfunc="first", sort=False) * 1e6
    best = table[table.path == "best"].set_index(["request_kind", "group", "stage"]).backend
    wide["best backend"] = best
    wide = wide.rename(columns={"library": "library (µs)", "best": "best (µs)"})
    totals = table[table.group != "reference"].groupby(["request_kind", "path"]).core_s_per_request.sum() * 1e6
    lines = [wide.to_string(float_format=lambda v: f"{v:,.2f}"), ""]
    for (kind, path), total in totals.items():
        lines.append(f"{kind} total, {path}: {total:,.1f} µs of CPU per request per node")
    return "\n".join(lines)


def reading_table(table: pd.DataFrame) -> pd.DataFrame:
    """One line per (workload, kind, stage): µs per request on the library and best paths, the best backend."""
    lib = table[table.path == "library"].set_index(["workload", "request_kind", "group", "stage"])
    best = table[table.path == "best"].set_index(["workload", "request_kind", "group", "stage"])
    out = pd.DataFrame({"library (µs)": lib.core_s_per_request * 1e6, "best (µs)": best.core_s_per_request * 1e6,
                        "best backend": best.backend, "timing": lib.timing})
    return out.reset_index().round({"library (µs)": 2, "best (µs)": 2})


def corrupted_requests(workload: str, count: int) -> list:
    """Valid requests of every sender kind, each followed by a copy whose last signature byte is flipped."""
    from .. import cbor
    from .workloads import TLS_KEY, Request, seal_records

    out = []
    for r in requests(workload, "update", count):
        item = cbor.untagged(cbor.decode(r.body))
        sig = bytearray(item["sender_sig"])
        sig[-1] ^= 1
        body = cbor.self_described({**item, "sender_sig": bytes(sig)})
        out += [r, Request(r.workload, r.kind, r.sender, body, seal_records(body, TLS_KEY))]
    return out


def check_paths(profile: str = "quick") -> pd.DataFrame:
    """Per workload: valid and corrupted requests through ingress on the library and the best path; the verdicts
    must agree, every valid request pass and every corrupted one fail."""
    rows = []
    for workload in WORKLOADS:
        batch = corrupted_requests(workload, max(sizes(profile).requests // 4, 6))
        library = ingress.valid_mask(ingress.admit(batch, "library"))
        best = ingress.valid_mask(ingress.admit(batch, "best"))
        expected = np.arange(len(batch)) % 2 == 0
        rows.append({"workload": workload, "requests": len(batch), "admitted (library)": int(library.sum()),
                     "admitted (best)": int(best.sum()), "expected": int(expected.sum()),
                     "agree": bool((library == best).all() and (library == expected).all())})
    return pd.DataFrame(rows)
