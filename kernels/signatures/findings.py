"""The signatures notebook's sentences that depend on the data: the prediction's numbers, the sweep's and the
cache study's measured rates. The argument itself is Markdown in notebooks/02_signatures.ipynb."""
from __future__ import annotations

import pandas as pd

from ..analysis import BASELINE, backend_lines, crossover, fmt_rate, rate_at, with_speedup

PEER = "openssl"


def prediction_markdown(pred: dict) -> str:
    """The prediction's numbers (kernels/signatures/prediction.py), before anything is measured."""
    return "\n".join([
        f"**Prediction (a model from published anchors).** One verification is about {pred['field_muls']:,} field "
        f"multiplications: {pred['products_radix25']:,} 32 x 32-bit limb products in radix 2^25.5, or "
        f"{pred['products_radix51']:,} 64 x 64-bit ones in radix 2^51. It moves {pred['bytes_in']} bytes in and one "
        "byte out:",
        f"- one CPU core: {fmt_rate(pred['lib25519_one_core'], ' sig/s')} (lib25519 at an assumed 3 GHz), "
        f"{fmt_rate(pred['firedancer_one_core'], ' sig/s')} (Firedancer AVX-512); all {pred['cores']} cores: "
        f"{fmt_rate(pred['lib25519_all_cores'], ' sig/s')}; batch verification (dalek, 256 per batch): "
        f"{fmt_rate(pred['dalek_batch_one_core'], ' sig/s')} per core;",
        f"- an H100: about {fmt_rate(pred['h100_kernel'], ' sig/s')} (rough); PCIe alone would allow "
        f"{fmt_rate(pred['pcie_end_to_end_limit'], ' sig/s')};",
        f"- a GPU should win from batches of about {pred['gpu_crossover_batch']} (Solana's crossover).",
    ])


def sweep_markdown(frame: pd.DataFrame, pred: dict) -> str:
    """Findings of the batch-size sweep, set against the prediction."""
    rows = with_speedup(frame)
    biggest = int(rows[rows.backend == BASELINE].batch_size.max())
    at_big = rows[rows.batch_size == biggest]
    where = f", {frame.device_tag.iloc[0]}" if "device_tag" in frame else ""
    lines = [f"**Findings (measured, this run{where}).**", ""]
    base = rate_at(at_big, BASELINE, "end_to_end")
    if base:
        peer = rate_at(at_big, PEER, "end_to_end")
        lines.append(f"- libsodium (PyNaCl, one call per signature) verifies {fmt_rate(base, ' sig/s')} at "
                     f"{biggest:,} signatures" + (f"; OpenSSL through `cryptography` {fmt_rate(peer, ' sig/s')} "
                                                  f"({peer / base:.2f}x)" if peer else "") +
                     f". That is {base / pred['lib25519_one_core']:.0%} of the lib25519 per-core anchor.")
    lines += backend_lines(frame, biggest, "libsodium", "sig", "Host SHA-512 and packing")
    if (frame.backend == "numba_cpu").any():
        lines.append(numba_path_line())
    gpu = at_big[(at_big.backend == "cupy") & (at_big.phase == "kernel")]
    if not gpu.empty:
        wins = crossover(frame, "cupy", "end_to_end")
        lines.append(f"- The CUDA kernel on {gpu.device.iloc[0]} reaches {gpu.items_per_s.iloc[0] / pred['h100_kernel']:.0%} "
                     f"of the rough H100 estimate; it wins end to end from "
                     f"{'no batch within the sweep' if wins is None else f'{int(wins):,} signatures'} "
                     f"(Solana's crossover: {pred['gpu_crossover_batch']}).")
    energy = at_big[at_big.phase == "end_to_end"].dropna(subset=["energy_j_per_item"])
    if not energy.empty:
        parts = [f"`{r.backend}` {r.energy_j_per_item * 1e6:.3g} µJ ({r.energy_method})" for r in energy.itertuples()]
        lines.append(f"- Energy per verification at {biggest:,}: " + ", ".join(parts) + ".")
    return "\n".join(lines)


def cache_markdown(frame: pd.DataFrame, trace: dict) -> str:
    """Findings of the cache study: effective checks per second with and without a cache, for each rule set and
    verification method in the frame, on the trace summarised by `trace` (HOT_PATH.trace_summary)."""
    e2e = frame[frame.phase == "end_to_end"]
    lines = [f"**Cache study (measured).** The trace has {trace['messages']:,} ingress messages and "
             f"{trace['checks']:,} signature checks; the cache answers {trace['hit_rate']:.0%} of them, which bounds "
             f"its gain at {1 / max(1 - trace['hit_rate'], 1e-9):.2f}x on any backend.", ""]
    if "rules" not in e2e:
        e2e = e2e.assign(rules="libsodium", method="single")
    base = e2e[(e2e.backend == BASELINE) & ~e2e.cached.eq(True) & (e2e.rules == "libsodium")].items_per_s
    if base.empty:
        return "\n".join(lines)
    base = float(base.iloc[0])
    lines.append(f"- No cache, libsodium: {fmt_rate(base, ' checks/s')} (the baseline).")
    for (rules, method), rows in e2e.groupby(["rules", "method"], sort=False):
        with_cache = rows.cached.eq(True)
        plain = rows[~with_cache].set_index("backend").items_per_s
        cached = rows[with_cache].set_index("backend").items_per_s
        for backend in plain.index:
            lines.append(f"- `{backend}`, rules={rules}, {method} verification: alone "
                         f"{fmt_rate(plain[backend], ' checks/s')} ({plain[backend] / base:.2f}x)"
                         + (f", with the cache {fmt_rate(cached[backend], ' checks/s')} ({cached[backend] / base:.2f}x)"
                            if backend in cached.index else "") + ".")
    return "\n".join(lines)


def zip215_markdown(frame: pd.DataFrame, libsodium: pd.DataFrame | None = None) -> str:
    """Findings of the ZIP 215 sweep: batch verification (with repeated or distinct keys) against per-signature
    ZIP 215 on each backend, where batching starts to pay, and (given the libsodium sweep of the same run)
    against the libsodium loop."""
    e2e = frame[frame.phase == "end_to_end"]
    if "distinct_keys" not in e2e:
        e2e = e2e.assign(distinct_keys=False)
    lines = ["**Findings, ZIP 215 (measured, this run).**", ""]
    base = None
    if libsodium is not None:
        lib = libsodium[(libsodium.backend == BASELINE) & (libsodium.phase == "end_to_end")]
        base = lib.set_index("batch_size").items_per_s if not lib.empty else None
    for backend, rows in e2e.groupby("backend", sort=False):
        single = rows[rows.method == "single"].set_index("batch_size").items_per_s
        for distinct, batch_rows in rows[rows.method == "batch"].groupby("distinct_keys", sort=False):
            batched = batch_rows.set_index("batch_size").items_per_s
            sizes = sorted(set(single.index) & set(batched.index))
            if not sizes:
                continue
            biggest = sizes[-1]
            wins = [n for n in sizes if all(batched[m] > single[m] for m in sizes if m >= n)]
            keys = "a key per signature" if distinct else "repeated keys (64 signers)"
            text = (f"- `{backend}`, {keys}, at {biggest:,} signatures: batch verification "
                    f"{fmt_rate(batched[biggest], ' sig/s')}, {batched[biggest] / single[biggest]:.2f}x its per-signature "
                    f"ZIP 215 ({fmt_rate(single[biggest], ' sig/s')})")
            if base is not None and biggest in base.index:
                text += f", {batched[biggest] / base[biggest]:.2f}x the libsodium loop"
            text += "; batching pays from " + (f"{wins[0]:,} signatures" if wins else "no batch size in the sweep") + "."
            lines.append(text)
    return "\n".join(lines)


def numba_path_line() -> str:
    """Which field arithmetic numba_cpu ran in this process (chosen by CPU flags: kernels/signatures/ifma.py)."""
    from . import ifma

    if ifma.enabled():
        return "- `numba_cpu` ran its AVX-512 IFMA path here: eight signatures per 512-bit vector, radix 2^52."
    why = "switched off by KERNELS_ED25519_IFMA=0" if ifma.HAS_IFMA else "this CPU has no AVX-512 IFMA"
    return f"- `numba_cpu` ran its radix-2^51 path here ({why}): one signature per loop iteration."
