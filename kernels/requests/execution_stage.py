"""The execution stage as rows: the admitted requests run in their canister (kernels.requests.execution), one new
instance per message, with wasmtime fuel as the instruction meter. Timed per message in a Python loop: the
loop's own cost and the Python host callbacks (ic0 calls x host_call_overhead_s; the replica's system API is
native) are measured and subtracted. Also returns the replies and the pages one update dirtied (persistence).
"""
from __future__ import annotations

import hashlib

import numpy as np

from .execution import CONTROL_BASE, STATE_BASE, Canister, host_call_overhead_s
from .stages import Candidate, noop, per_item, rows_for
from .workloads import LEDGER_ACCOUNTS, WORKLOADS, account

MINT = 10**15  # every sender's ledger account starts rich enough that no timed transfer runs out
PAGE = 4096


def _prepare(canister: Canister, workload: str, calls: list) -> None:
    """State the timed messages need: funded senders (ledger), stored keys (kv queries)."""
    if workload == "ledger":
        owners = {hashlib.sha256(caller).digest() for _, _, caller in calls}
        owners |= {account(i) for i in range(LEDGER_ACCOUNTS)}
        for owner in owners:
            canister.update("mint", owner + MINT.to_bytes(8, "little"))
    if workload == "kv":
        for _, arg, _ in calls:
            canister.update("put", arg[:8] + bytes(64))


def _calls(workload: str, kind: str, admitted: list) -> list[tuple[str, bytes, bytes]]:
    method = WORKLOADS[workload][kind]
    return [(method, a.envelope["content"]["arg"], a.envelope["content"]["sender"]) for a in admitted]


def dirty_pages_of_one(canister: Canister, call: tuple) -> np.ndarray:
    """The 4 KiB state pages (outside the undo-log bookkeeping) one update writes, by comparing the heap."""
    before = canister.memory.copy()
    canister.update(*call)
    after = canister.memory
    changed = np.flatnonzero((before.reshape(-1, PAGE) != after.reshape(-1, PAGE)).any(axis=1))
    return changed[(changed < CONTROL_BASE // PAGE) | (changed >= STATE_BASE // PAGE)]


# The replica's charges for system API calls (dfinity/ic system_api_complexity.rs; docs/metering.md): a fixed
# overhead per ic0 call (most calls), and per byte for copies in and out; reply data costs more per byte.
IC_SYSTEM_CALL_OVERHEAD = 500
IC_REPLY_BYTE_COST = 50


def ic_instructions(workload: str, kind: str, calls: list) -> float:
    """Instructions of the first call as the replica would count them: the canister instrumented with the IC's
    weights (kernels.requests.metering, rule "ic"), plus its system API charges (per call, per byte)."""
    import wasmtime

    from .canisters.build import wasm_path
    from .execution import DEFAULT_HEAP_BYTES, _engine
    from .metering import COUNTER_EXPORT, instrument

    module = wasmtime.Module(_engine("off"), instrument(wasm_path(workload).read_bytes(), rule="ic"))
    canister = Canister._from_module(workload, module, "off", DEFAULT_HEAP_BYTES[workload])
    _prepare(canister, workload, calls[:1])
    method, arg, caller = calls[0]
    outcome = (canister.update if kind == "update" else canister.query)(method, arg, caller)
    if outcome.reject:
        raise RuntimeError(f"instrumented {workload} rejected {method}: {outcome.reject}")
    system = outcome.host_calls * IC_SYSTEM_CALL_OVERHEAD + len(arg) + IC_REPLY_BYTE_COST * len(outcome.reply)
    return float(canister.last_global(COUNTER_EXPORT) + system)


def pages_in_use(memory: np.ndarray) -> int:
    """Pages of the heap holding any non-zero byte: those a canister has written (what mprotect must change)."""
    return int(memory.reshape(-1, PAGE).any(axis=1).sum())


def execution_rows(workload: str, kind: str, admitted: list, repeats: int) -> tuple[list, list, dict]:
    """(rows, replies, {heap_bytes, pages}) for these admitted requests; metered and unmetered runs interleaved."""
    calls = _calls(workload, kind, admitted)
    metered, unmetered = Canister(workload), Canister(workload, metering="off")
    for canister in (metered, unmetered):
        _prepare(canister, workload, calls)
    run = metered.update if kind == "update" else metered.query
    run_off = unmetered.update if kind == "update" else unmetered.query
    outcomes = [run(*c) for c in calls]
    rejected = [o.reject for o in outcomes if o.reject]
    if rejected:
        raise RuntimeError(f"{workload} {kind}: a timed message was rejected: {rejected[0]}")
    host_calls = float(np.mean([o.host_calls for o in outcomes]))
    overhead = host_call_overhead_s()
    rows = rows_for("wasm execution", "execution", workload, kind, [
        Candidate("library", "wasmtime+fuel", per_item(lambda c: run(*c), calls), len(calls), per_item(noop, calls)),
        Candidate("unmetered", "wasmtime", per_item(lambda c: run_off(*c), calls), len(calls),
                  per_item(noop, calls))], repeats)
    instructions = float(np.mean([o.instructions for o in outcomes]))
    ic_count = ic_instructions(workload, kind, calls)
    note = (f"new instance per message; {host_calls:.1f} ic0 calls per message x {overhead * 1e6:.2f} us "
            f"(Python host callback, measured) subtracted; {instructions:,.0f} instructions by wasmtime fuel, "
            f"{ic_count:,.0f} by the IC's weights and system API charges")
    rows = [_without_host_calls(r, host_calls * overhead, ic_count, note) for r in rows]
    dirty = {"heap_bytes": metered.memory.size, "resident_pages": pages_in_use(metered.memory),
             "pages": dirty_pages_of_one(metered, calls[0]) if kind == "update" else np.zeros(0, np.int64)}
    return rows, [o.reply for o in outcomes], dirty


def _without_host_calls(row, host_s: float, instructions: float, note: str):
    from dataclasses import replace

    unmetered = row.path != "library"  # kept apart (group "reference"): a node must meter, so it is no path
    return replace(row, stage="wasm execution, metering off" if unmetered else row.stage,
                   group="reference" if unmetered else row.group, path="library",
                   core_s_per_request=max(row.core_s_per_request - host_s, 0.0),
                   latency_s_per_request=max(row.latency_s_per_request - host_s, 0.0),
                   core_s_p25=max(row.core_s_p25 - host_s, 0.0), core_s_p75=max(row.core_s_p75 - host_s, 0.0),
                   instructions=float("nan") if unmetered else instructions,
                   note=note + ("; metering off, for comparison" if unmetered else ""))
