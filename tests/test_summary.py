"""The findings chapter's computations on small synthetic result tables (no machine figure involved)."""
import pandas as pd
import pytest

from kernels import summary


def _rows(numba_speed: float, sizes=(1, 16, 256)):
    rows = []
    for backend, speed in (("library", 1.0), ("numba_cpu", numba_speed)):
        for n in sizes:
            t = n / (1e6 * speed) + (2e-5 if backend == "numba_cpu" else 0.0)  # a launch cost: loses at batch 1
            rows.append({"device_tag": "cpu-x", "operation": "sha256", "workload": "random-64B",
                         "backend": backend, "device": "CPU, 2 cores" if backend == "numba_cpu" else "CPU, 1 core",
                         "phase": "end_to_end", "batch_size": n, "bytes_per_item": 64.0, "items_per_s": n / t,
                         "time_s_median": t})
    return pd.DataFrame(rows)


def test_verdict_helps_above_the_measured_crossover():
    v = summary.speedup_verdict(_rows(4.0), "sha256", "random-64B", ["numba_cpu"])
    assert v.verdict == "helps above batch 256" and v.basis == "measured" and "numba_cpu" in v.figure


@pytest.mark.parametrize("speed, verdict", [(0.5, "does not help"), (1.0, "on par")])
def test_verdict_does_not_help_or_ties(speed, verdict):
    rows = _rows(speed)
    rows.loc[rows.backend == "numba_cpu", "items_per_s"] = rows.loc[rows.backend == "library", "items_per_s"].to_numpy() * speed
    assert summary.speedup_verdict(rows, "sha256", "random-64B", ["numba_cpu"]).verdict == verdict


def test_nothing_measured_is_not_evaluated():
    assert summary.speedup_verdict(_rows(2.0), "sha256", "random-64B", ["opencl"]) is summary.NOT_EVALUATED


def test_inventory_names_missing_hot_paths(tmp_path):
    folder = tmp_path / "cpu-x"
    folder.mkdir()
    rows = _rows(2.0)
    rows.to_csv(folder / "sha256.csv", index=False)
    table = summary.inventory(summary.load_rows(tmp_path), tmp_path)
    assert table.iloc[0]["device folder"] == "cpu-x"
    assert "signatures" in table.iloc[0]["missing hot paths"] and "hashing" not in table.iloc[0]["missing hot paths"]


def test_emulated_verdict_is_withheld_outside_the_validation_bounds():
    validation = pd.DataFrame({"model": ["optane-6", "optane-6", "upmem"], "predicted_s": [1.0, 1.0, 1.0],
                               "measured_s": [1.1, 2.0, 1.0]})
    assert summary.validated_models(validation) == {"optane-6": False, "upmem": True}
    rows = pd.DataFrame({"operation": "nvm_persistence", "workload": "persist-round", "phase": "end_to_end",
                         "profile": ["optane-6", "nvme"], "items_per_s": [10.0, 1.0], "backend": "x"})
    verdict = summary.nvm_verdict(rows, validation)
    assert verdict.verdict == "not concluded" and verdict.basis == "emulated"
    assert summary.nvm_verdict(rows, validation.iloc[[0, 2]]).verdict == "helps"


def test_hot_path_table_names_the_best_backend_and_both_crossovers():
    rows = _rows(4.0).assign(bytes_per_s=lambda f: f.items_per_s * 64, energy_j_per_item=1e-6,
                             energy_method="modeled")
    table = summary.hot_path_table(rows)
    row = table[table["hot path"] == "hashing"].iloc[0]
    assert row["best backend"].startswith("numba_cpu") and row["crossover measured"] == "256"
    assert row["crossover by the formula"] not in ("n/a", "never") and "modeled" in row["energy per item"]
    assert row["speedup end to end"].endswith("x") and "SHA-NI" in row["share of the limit"]


def test_folders_set_aside_by_a_run_are_not_read(tmp_path):
    for name in ("cpu-x", "cpu-x.previous", "cpu-x.failed"):
        (tmp_path / name).mkdir()
        _rows(2.0).to_csv(tmp_path / name / "sha256.csv", index=False)
    assert [p.name for p in summary.result_folders(tmp_path)] == ["cpu-x"]


def _signature_rows():
    """Ed25519 (library 1 core at 20 k/s, numba_cpu 2 cores at 60 k/s, batch 2 cores at 100 k/s, a trace of 3
    checks per message) and P-256 (library only)."""
    def row(operation, workload, backend, cores, rate, n=1024, **extra):
        return {"operation": operation, "workload": workload, "backend": backend, "device": f"CPU, {cores} core",
                "phase": "end_to_end", "batch_size": n, "items_per_s": rate, **extra}
    return pd.DataFrame([
        row("ed25519_verify", "random-100B", "library", 1, 20e3),
        row("ed25519_verify", "random-100B", "library", 1, 10e3, n=16),  # a smaller batch: not the one read
        row("ed25519_verify", "random-100B", "numba_cpu", 2, 60e3),
        row("ed25519_verify", "zip215-batch-100B-distinct-keys", "numba_cpu", 2, 100e3),
        row("ed25519_verify", "ic-trace", "library", 1, 20e3, n=3000, trace_messages=1000),
        row("ecdsa_verify", "p256-ic-request", "library", 1, 10e3),
    ])


def test_signature_costs_per_core_per_check_and_per_update():
    table = summary.signature_costs(_signature_rows()).set_index("scheme")
    assert list(table.index) == ["Ed25519", "ECDSA P-256"]  # secp256k1 has no rows: left out
    ed = table.loc["Ed25519"]
    assert ed["checks per update"] == 3.0
    assert ed["library per check (s)"] == pytest.approx(1 / 20e3)
    assert ed["kernel per check (s)"] == pytest.approx(2 / 60e3)  # two cores used: twice the core time
    assert ed["per update, best (s)"] == pytest.approx(3 * 2 / 100e3)  # the batch is the best path
    p256 = table.loc["ECDSA P-256"]
    assert p256["checks per update"] == summary.CHECKS_PER_SENDER
    assert p256["per update, best (s)"] == p256["per update, library (s)"] == pytest.approx(2 / 10e3)


def test_signature_markdown_names_the_costliest_scheme():
    text = summary.signature_markdown(summary.signature_costs(_signature_rows()))
    assert "**ECDSA P-256** costs the most" in text and "200 µs on today's path" in text  # 2 x 100 µs > 3 x 50 µs
    assert "Ed25519: 150 µs to 60 µs per update (2.50x less core time)" in text
    assert "ECDSA P-256: 200 µs per update; no measured path beats the library" in text


def test_bls_consensus_is_counted_per_block_and_batched_by_method():
    def row(backend, method, cores, rate):
        return {"operation": "bls12381_verify", "workload": "shares-one-message", "backend": backend,
                "device": f"CPU, {cores} core", "phase": "end_to_end", "batch_size": 23, "items_per_s": rate,
                "method": method}
    rows = pd.DataFrame([row("library", "per_item", 1, 1000.0), row("library", "batch", 1, 2500.0),
                         row("numba_cpu", "batch", 2, 3000.0)])
    bls = summary.signature_costs(rows).set_index("scheme").loc["BLS12-381 consensus"]
    # 13 nodes, f = 4: 9 notarization + 9 finalization + 5 beacon shares + 3 aggregates, over 1 000 requests
    assert bls["checks per update"] == pytest.approx(26 / 1000)
    assert bls["library per check (s)"] == pytest.approx(1e-3)
    assert bls["batched per check (s)"] == pytest.approx(1 / 2500)  # blst batch on 1 core beats 2 cores at 3 000/s
    assert bls["per update, best (s)"] == pytest.approx(26 / 1000 / 2500)


def test_signature_table_gives_every_time_its_unit():
    shown = summary.signature_table(summary.signature_costs(_signature_rows())).set_index("scheme")
    assert shown.loc["Ed25519", "library per check"] == "50 µs"
    assert shown.loc["ECDSA P-256", "per update, library"] == "200 µs"
    assert shown.loc["ECDSA P-256", "batched per check"] == ""  # not measured: blank, not "nan"
