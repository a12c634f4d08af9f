"""The node-level answer on a small stage table whose figures are known: CPU per request, the CPU bound over
thread pools, the caps, accelerator combinations, validation ratios, one server against a subnet; and the
stage-table helpers (best rows, revalidation, CSV merge)."""
import math

import pandas as pd
import pytest

from kernels.requests import node, table
from kernels.requests.stages import StageRow

US = 1e-6


def row(kind, stage, group, path, us, backend="library", timing="harness-subtracted", instructions=float("nan")):
    return StageRow("ledger", kind, stage, group, path, backend, us * US, us * US, 100, 3, timing,
                    instructions=instructions)


def known_table() -> pd.DataFrame:
    rows = []
    for path, sig in (("library", 400.0), ("best", 100.0)):
        rows += [row("update", "tls decrypt", "ingress", path, 10.0),
                 row("update", "signatures ed25519", "ingress", path, sig, timing="batch-call"),
                 row("update", "gossip aead", "gossip", path, 5.0),
                 row("update", "consensus notarization shares", "block", path, 20.0),
                 row("update", "wasm execution", "execution", path, 50.0, instructions=1e6),
                 row("update", "dirty page tracking", "persistence", path, 30.0),
                 row("update", "checkpoint share", "persistence", path, 1.0),
                 row("update", "state tree hashing", "certification", path, 40.0),
                 row("update", "response tls encrypt", "response", path, 4.0),
                 row("query", "tls decrypt", "ingress", path, 10.0),
                 row("query", "signatures ed25519", "ingress", path, sig / 2),
                 row("query", "wasm execution", "execution", path, 20.0),
                 row("query", "response signing", "response", path, 30.0)]
    rows.append(row("update", "wasm execution, metering off", "reference", "library", 45.0))
    return table.frame(rows)


def test_cpu_per_request_is_the_sum_of_stages_without_reference_rows():
    t = known_table()
    update = node.stage_costs(t, "ledger", "update", "library")
    assert node.cpu_per_request(update) == pytest.approx((10 + 400 + 5 + 20 + 50 + 30 + 1 + 40 + 4) * US)
    assert "wasm execution, metering off" not in set(update.stage)


def test_cpu_bound_is_the_least_pool():
    t = known_table()
    update = node.stage_costs(t, "ledger", "update", "library")
    rate, pool = node.cpu_bound(update, "update")
    rates = {"execution": node.EXECUTION_THREADS / (81 * US), "certification": 1 / (40 * US),
             "other": node.OTHER_THREADS / (439 * US)}
    assert pool == min(rates, key=rates.get) and rate == pytest.approx(min(rates.values()))


def test_caps_and_headline():
    t = known_table()
    cap = node.caps(1e6)
    assert cap["block cap"] == pytest.approx(1000 / 0.3)
    assert cap["instruction cap"] == pytest.approx(4 * 7e9 / 1e6 / 0.3)
    nodes = node.node_table(t, "ledger")
    assert list(nodes.accelerators)[0] == "none (today's node)" and len(nodes) == 8
    today = nodes.iloc[0]
    assert today["updates/s under caps"] == pytest.approx(min(today["updates/s, CPU bound"], 1000 / 0.3))
    gpu = nodes[nodes.accelerators == "GPU signatures"].iloc[0]  # signatures and consensus shares leave the CPU
    assert gpu["CPU per update (µs)"] == pytest.approx(10 + 5 + 50 + 30 + 1 + 40 + 4)
    assert gpu["added latency (ms), modeled"] > 0 and today["added latency (ms), modeled"] == 0
    nic = nodes[nodes.accelerators == "Smart NIC"].iloc[0]
    assert nic["CPU per update (µs)"] == pytest.approx(400 + 20 + 50 + 30 + 1 + 40)
    h = node.headline(t, "ledger")
    assert h["CPU headroom, best, low"] <= h["CPU headroom, best"] <= h["CPU headroom, best, high"]
    expected = "yes" if h["CPU headroom, best, low"] >= 10 else "no" if h["CPU headroom, best, high"] < 10 else \
        "within noise"
    assert h["reaches 10x"] == expected
    assert "block cap" in h["caps to move for 10x"]


def test_chapter_and_summary_say_the_same():
    t = known_table()
    chapter = node.findings_markdown(t)
    summary = node.findings_by_folder(t.assign(folder="cpu-x"))
    assert chapter in summary and "**cpu-x**" in summary
    assert node.findings_by_folder(pd.DataFrame()).startswith("No requests.csv")


def test_validation_and_cloud_ratios():
    t = known_table()
    v = node.validation_table(t, 0.045)
    hashing = v[v.figure.str.startswith("per-round")].iloc[0]
    assert hashing["suite / published"] == pytest.approx(0.045 / 0.09)
    ledger = v[v.figure.str.startswith("ICRC-1")].iloc[0]
    assert ledger["suite / published"] == pytest.approx(1e6 / 1.22e6)
    cloud = node.cloud_ratio(t, "ledger")
    assert cloud["one server (µs)"] == pytest.approx(10 + 400 + 50 + 30 + 4)  # no gossip, block, checkpoint
    assert cloud["subnet / server"] == pytest.approx(13 * 560 / 494)


def test_with_best_takes_the_fastest_candidate_and_keeps_library():
    rows = [row("update", "request id", "ingress", "library", 16.0, "hashlib"),
            row("update", "request id", "ingress", "numba_cpu", 9.0, "numba_cpu", "batch-call")]
    out = table.with_best(rows)
    assert [(r.path, r.backend) for r in out] == [("library", "hashlib"), ("best", "numba_cpu")]
    out = table.with_best([row("update", "x", "ingress", "library", 5.0), row("update", "x", "ingress", "suite", 9.0)])
    assert out[1].backend == "library" and out[1].path == "best"


def test_revalidation_repeats_the_signature_stages_only():
    rows = [row("update", "signatures bls", "ingress", "library", 90.0), row("update", "decode", "ingress",
                                                                            "library", 2.0)]
    again = table.revalidation_rows(rows)
    assert [r.stage for r in again] == ["block validation: signatures bls"] and again[0].group == "block"
    assert math.isclose(again[0].core_s_per_request, 90 * US)


def test_write_replaces_rows_of_the_same_stage(tmp_path):
    t = known_table()
    table.write(t, tmp_path)
    table.write(t.assign(core_s_per_request=t.core_s_per_request * 2), tmp_path)
    back = pd.read_csv(tmp_path / "requests.csv")
    assert len(back) == len(t)
    assert back.core_s_per_request.sum() == pytest.approx(2 * t.core_s_per_request.sum())


def test_unknown_profile_and_workload():
    with pytest.raises(ValueError, match="profile"):
        table.sizes("huge")
    with pytest.raises(ValueError, match="workload"):
        table.measure("bank")
