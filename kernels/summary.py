"""The findings report's first chapter (notebooks/99_findings.ipynb): every results folder read together, a
verdict per hot path and accelerator class, one table per hot path, the node-level estimate, and methods.

Everything here is computed from the result tables and run records; a verdict says whether its figure was
measured, emulated or modeled, and a cell with nothing behind it says so instead of guessing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import BASELINE, crossover, fmt_number, fmt_time, fmt_unit
from .registry import BACKEND_TABLE

RESULTS = Path(__file__).resolve().parents[1] / "results"
SIDE_TABLES = ("targets.csv", "emulation_validation.csv", "energy_sensitivity.csv", "requests.csv")
CLASSES = ("SIMD CPU kernels", "GPU", "OpenCL device", "crypto hardware", "Smart NIC", "NVM", "near-memory",
           "caching")
# hot path -> (its main operation, the sweep workload that varies the batch, unit of an item)
HOT_PATHS = {
    "hashing": ("sha256", "random-64B", "messages"),
    "signatures": ("ed25519_verify", "random-100B", "signatures"),
    "checksums": ("crc32c", None, "bytes"),
    "persistence": ("dirty_pages", None, "pages"),
    "ecdsa": ("ecdsa_verify", "secp256k1-ic-request", "signatures"),
}
HELPS, NEUTRAL = 1.1, 0.9  # a ratio above 1.1 helps, below 0.9 does not; between: on par (timing noise)


def result_folders(root: str | Path = RESULTS) -> list[Path]:
    """Every results/<device-tag>/ folder that holds measured tables (not the `.previous` or `.failed` folders
    a run sets aside: a device tag has no dot)."""
    root = Path(root)
    return sorted(p for p in root.iterdir() if p.is_dir() and "." not in p.name and any(p.glob("*.csv"))) \
        if root.exists() else []


def load_rows(root: str | Path = RESULTS) -> pd.DataFrame:
    """All measured rows of every device folder (side tables such as targets.csv left out)."""
    frames = [pd.read_csv(p) for folder in result_folders(root) for p in sorted(folder.glob("*.csv"))
              if p.name not in SIDE_TABLES]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def load_side_table(name: str, root: str | Path = RESULTS) -> pd.DataFrame:
    """One side table (targets.csv, ...) of every device folder, with the folder's tag."""
    frames = [pd.read_csv(folder / name).assign(folder=folder.name) for folder in result_folders(root)
              if (folder / name).exists()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_records(root: str | Path = RESULTS) -> list[dict]:
    """Every run-<id>.json of every device folder."""
    return [json.loads(p.read_text()) for folder in result_folders(root) for p in sorted(folder.glob("run-*.json"))]


def inventory(rows: pd.DataFrame, root: str | Path = RESULTS) -> pd.DataFrame:
    """What the report is built from: per device folder, its hot paths and backends, and what is missing."""
    records = []
    for folder in result_folders(root):
        sel = rows[rows.device_tag == folder.name] if not rows.empty else rows
        ops = set(sel.operation) if not sel.empty else set()
        missing = [hp for hp, (op, _, _) in HOT_PATHS.items() if op not in ops]
        gpu = sel[sel.backend.isin([b for b, r in BACKEND_TABLE.items() if r.api == "cuda"])
                  & ~sel.device.astype(str).str.contains("simulator")] if not sel.empty else sel
        records.append({"device folder": folder.name, "operations": len(ops),
                        "backends": ", ".join(sorted(set(sel.backend))) if not sel.empty else "",
                        "GPU rows": len(gpu), "missing hot paths": ", ".join(missing) or "none"})
    return pd.DataFrame(records)


@dataclass(frozen=True)
class Verdict:
    """One cell of the verdict table."""

    verdict: str  # "helps", "helps above batch N", "does not help", "on par", "not evaluated", "n/a"
    figure: str  # the number behind it, in words
    basis: str  # "measured", "emulated", "modeled", "published", ""
    confidence: str  # "high", "medium", "low", ""

    def cell(self) -> str:
        if self.basis == "":
            return self.verdict
        return f"{self.verdict}: {self.figure} ({self.basis}, {self.confidence} confidence)"


NOT_EVALUATED = Verdict("not evaluated", "", "", "")
NOT_APPLICABLE = Verdict("n/a", "", "", "")


def _sweep_rows(rows: pd.DataFrame, operation: str, workload: str | None) -> pd.DataFrame:
    """End-to-end and kernel rows of one operation's batch sweep (or its largest workload when none is named)."""
    sel = rows[(rows.operation == operation) & rows.phase.isin(["end_to_end", "kernel"])]
    if sel.empty:
        return sel
    if workload is None:  # the workload that moves the most bytes per call: the most demanding one
        totals = (sel.batch_size * sel.bytes_per_item).groupby(sel.workload).max()
        workload = totals.idxmax()
    return sel[sel.workload == workload]


def speedup_verdict(rows: pd.DataFrame, operation: str, workload: str | None, backends: list[str],
                    device_filter=None) -> Verdict:
    """The best of `backends` against the library end to end at the sweep's largest batch, and the batch from
    which it wins (analysis.crossover); NOT_EVALUATED when none of them has rows."""
    sel = _sweep_rows(rows, operation, workload)
    if device_filter is not None and not sel.empty:
        sel = sel[(sel.backend == BASELINE) | sel.device.astype(str).map(device_filter)]
    best = None
    for tag, per_device in sel.groupby("device_tag"):
        base = per_device[(per_device.backend == BASELINE) & (per_device.phase == "end_to_end")]
        if base.empty:
            continue
        biggest = base.batch_size.max()
        base_rate = base[base.batch_size == biggest].items_per_s.median()
        for backend in backends:
            mine = per_device[(per_device.backend == backend) & (per_device.phase == "end_to_end")
                              & (per_device.batch_size == biggest)]
            if mine.empty:
                continue
            ratio = float(mine.items_per_s.median() / base_rate)
            kernel = per_device[(per_device.backend == backend) & (per_device.phase == "kernel")
                                & (per_device.batch_size == biggest)]
            kratio = float(kernel.items_per_s.median() / base_rate) if not kernel.empty else float("nan")
            wins = crossover(per_device, backend, "end_to_end")
            if best is None or ratio > best[0]:
                best = (ratio, kratio, wins, backend, tag, int(biggest), per_device.workload.iloc[0])
    if best is None:
        return NOT_EVALUATED
    ratio, kratio, wins, backend, tag, biggest, name = best
    figure = (f"`{backend}` {ratio:.2f}x end to end" + (f", {kratio:.2f}x kernel-only" if kratio == kratio else "")
              + f" at batch {biggest:,} of {name} ({tag})")
    if ratio >= HELPS:
        verdict = "helps" if wins is None or wins <= 1 else f"helps above batch {int(wins):,}"
    elif ratio < NEUTRAL:
        verdict = "does not help"
    else:
        verdict = "on par"
    confidence = "high" if ratio > 1.5 or ratio < 0.67 else "medium"
    return Verdict(verdict, figure, "measured", confidence)


def _is_gpu(device: str) -> bool:
    return "simulator" not in device and not device.startswith("CPU") and "pthread" not in device.lower()


def _gpu_model(hot_path: str, rows: pd.DataFrame) -> Verdict:
    """Without GPU rows: the hot path's own prediction (published anchors, PCIe) against the measured library
    rate: a modeled upper bound, low confidence."""
    from .registry import hot_path as get

    operation, workload, unit = HOT_PATHS[hot_path]
    sel = _sweep_rows(rows, operation, workload)
    base = sel[(sel.backend == BASELINE) & (sel.phase == "end_to_end")]
    if base.empty:
        return NOT_EVALUATED
    library_rate = float(base[base.batch_size == base.batch_size.max()].items_per_s.median())
    pred = get(operation).prediction()
    if "h100_end_to_end" in pred or "pcie_end_to_end_limit" in pred:
        bound = min(pred.get("h100_end_to_end", np.inf), pred.get("h100_kernel", np.inf),
                    pred.get("pcie_end_to_end_limit", np.inf))
        ratio = bound / library_rate
        return Verdict("helps above a batch (model)" if ratio >= HELPS else "does not help",
                       f"H100 bound {fmt_number(bound)} {unit}/s = {ratio:,.0f}x the measured library "
                       "(published anchor, PCIe; no GPU run)", "modeled", "low")
    if "gpu_end_to_end_bound_bytes_per_s" in pred:
        library_bytes = float(base[base.batch_size == base.batch_size.max()].bytes_per_s.median())
        ratio = pred["gpu_end_to_end_bound_bytes_per_s"] / library_bytes
        return Verdict("helps (model)" if ratio >= HELPS else "does not help",
                       f"PCIe-bound {fmt_number(pred['gpu_end_to_end_bound_bytes_per_s'])}B/s = {ratio:.2f}x the "
                       "measured library (no GPU run)", "modeled", "low")
    if "pcie_h2d_s" in pred and "h100_detect_s" in pred:
        return Verdict("does not help unless the heap lives on the GPU",
                       f"moving a {pred['heap_bytes'] >> 20} MiB heap over PCIe takes "
                       f"{pred['pcie_h2d_s'] * 1e3:.1f} ms vs {pred['h100_detect_s'] * 1e3:.2f} ms to scan it in HBM "
                       "(no GPU run)", "modeled", "low")
    return NOT_EVALUATED


def verdict_table(rows: pd.DataFrame, extra: dict[tuple[str, str], Verdict] | None = None) -> pd.DataFrame:
    """Rows: hot paths; columns: accelerator classes; each cell a verdict with its figure, basis, confidence.
    `extra` fills cells measured elsewhere (caching, Smart NIC, NVM, near-memory, crypto hardware)."""
    extra = extra or {}
    table = {}
    for hot_path, (operation, workload, _) in HOT_PATHS.items():
        gpu_rows = rows[rows.device.astype(str).map(_is_gpu)] if not rows.empty else rows
        gpu = speedup_verdict(rows, operation, workload, ["cupy", "numba_cuda", "opencl"], _is_gpu) \
            if not gpu_rows.empty else NOT_EVALUATED
        row = {
            "SIMD CPU kernels": speedup_verdict(rows, operation, workload, ["numba_cpu"]) if not rows.empty
            else NOT_EVALUATED,
            "GPU": gpu if gpu is not NOT_EVALUATED else (_gpu_model(hot_path, rows) if not rows.empty else gpu),
            "OpenCL device": speedup_verdict(rows, operation, workload, ["opencl"]) if not rows.empty
            else NOT_EVALUATED,
        }
        for cls in CLASSES:
            row.setdefault(cls, extra.get((hot_path, cls), NOT_APPLICABLE if cls in ("Smart NIC", "caching",
                                                                                     "crypto hardware")
                                          else NOT_EVALUATED))
        table[hot_path] = {cls: row[cls].cell() for cls in CLASSES}
    return pd.DataFrame(table).T.rename_axis("hot path")


def cache_verdict(rows: pd.DataFrame) -> Verdict:
    """The verification cache on the IC-shaped trace: effective checks/s with the cache over without (library)."""
    sel = rows[(rows.operation == "ed25519_verify") & (rows.phase == "end_to_end") & (rows.backend == BASELINE)]
    plain, cached = sel[sel.workload == "ic-trace"], sel[sel.workload == "ic-trace+cache"]
    if plain.empty or cached.empty:
        return NOT_EVALUATED
    ratio = float(cached.items_per_s.median() / plain.items_per_s.median())
    return Verdict("helps" if ratio >= HELPS else "does not help",
                   f"{ratio:.2f}x effective checks/s on the IC-shaped trace (library with vs without the cache)",
                   "measured", "medium")


def crypto_hardware_verdict(rows: pd.DataFrame) -> Verdict:
    """Published FPGA anchor (Firedancer's Wiredancer, 1 M Ed25519 verifications/s on one AWS F1) against the
    measured library rate per core: a published figure, not run here."""
    from .anchors import ED25519_FPGA_F1_VPS

    sel = _sweep_rows(rows, "ed25519_verify", "random-100B")
    base = sel[(sel.backend == BASELINE) & (sel.phase == "end_to_end")]
    if base.empty:
        return NOT_EVALUATED
    rate = float(base[base.batch_size == base.batch_size.max()].items_per_s.median())
    return Verdict("helps", f"{fmt_number(ED25519_FPGA_F1_VPS)} sig/s per FPGA = "
                   f"{ED25519_FPGA_F1_VPS / rate:.0f}x one libsodium core measured here",
                   "published", "medium")


def smart_nic_verdict(rows: pd.DataFrame) -> Verdict:
    """An inline NIC checksum at 100 Gb/s: the CPU cores it would free, from this run's measured per-packet
    CPU times (checksums' Smart-NIC model): modeled on measured inputs."""
    from .checksums.findings import smart_nic_table

    table = smart_nic_table(rows[rows.operation.isin(["crc32", "crc32c", "adler32", "inet16"])]) \
        if not rows.empty else pd.DataFrame()
    if table.empty or "cores_saved" not in table:
        return NOT_EVALUATED
    fast = table[table.line_rate_gbps == table.line_rate_gbps.max()]
    lo, hi = float(fast.cores_saved.min()), float(fast.cores_saved.max())
    rate = float(fast.line_rate_gbps.iloc[0])
    return Verdict("helps" if hi >= 0.5 else "does not help",
                   f"at {rate:.0f} Gb/s an inline checksum frees {lo:.2g}-{hi:.2g} cores with the fastest CPU code "
                   "measured here", "modeled", "medium")


VALIDATION_BOUNDS = (0.67, 1.5)  # issue 9: a model is used for conclusions only inside these predicted/measured ratios


def validated_models(validation: pd.DataFrame) -> dict[str, bool]:
    """{model: every predicted/measured ratio of emulation_validation.csv inside VALIDATION_BOUNDS}."""
    if validation.empty:
        return {}
    ratio = validation.predicted_s / validation.measured_s
    ok = ratio.between(*VALIDATION_BOUNDS)
    return {str(m): bool(v) for m, v in ok.groupby(validation.model).all().items()}


def _emulated(verdict: str, figure: str, valid: bool | None) -> Verdict:
    if valid is False:
        return Verdict("not concluded", figure + "; the model is outside its validation bounds", "emulated", "low")
    return Verdict(verdict, figure, "emulated", "medium" if valid else "low")


def nvm_verdict(rows: pd.DataFrame, validation: pd.DataFrame) -> Verdict:
    """Persisting a round's dirty pages in PMem (six interleaved DIMMs) against today's NVMe path, emulated."""
    sel = rows[(rows.operation == "nvm_persistence") & (rows.workload == "persist-round") & (rows.phase == "end_to_end")]
    if sel.empty or "profile" not in sel:
        return NOT_EVALUATED
    rate = sel.groupby("profile").items_per_s.median()
    if "optane-6" not in rate or "nvme" not in rate:
        return NOT_EVALUATED
    ratio = float(rate["optane-6"] / rate["nvme"])
    valid = validated_models(validation).get("optane-6")
    return _emulated("helps" if ratio >= HELPS else "does not help",
                     f"a round's dirty pages persisted {ratio:.1f}x faster in PMem (6 DIMMs) than on NVMe; "
                     f"CXL {float(rate.get('cxl', np.nan) / rate['nvme']):.1f}x", valid)


NEAR_MEMORY_KERNELS = {"hashing": "sha256_chunks", "checksums": "crc32c", "persistence": "dirty_pages"}


def near_memory_verdicts(rows: pd.DataFrame, validation: pd.DataFrame) -> dict[tuple[str, str], Verdict]:
    """The UPMEM-like system, host transfers included, against the best CPU backend measured on the same data."""
    sel = rows[(rows.operation == "near_memory") & (rows.phase == "end_to_end")]
    out: dict[tuple[str, str], Verdict] = {}
    if sel.empty or "placement" not in sel:
        return out
    valid = validated_models(validation).get("upmem")
    for hot_path, kernel in NEAR_MEMORY_KERNELS.items():
        mine = sel[sel.workload == kernel]
        pim = mine[(mine.backend == "emulated_pim") & (mine.placement == "transfers")]
        cpu = mine[mine.backend.isin(["library", "numba_cpu"])]
        if pim.empty or cpu.empty:
            continue
        best = cpu.loc[cpu.items_per_s.idxmax()]
        ratio = float(pim.items_per_s.median() / best.items_per_s)
        out[(hot_path, "near-memory")] = _emulated(
            "helps" if ratio >= HELPS else "does not help",
            f"{ratio:.2g}x the best CPU backend (`{best.backend}`) with host transfers, UPMEM-like system", valid)
    return out


def methods_table(records: list[dict]) -> pd.DataFrame:
    """Machines and versions behind the results: one row per device folder (from its run records)."""
    by_tag: dict[str, dict] = {}
    for r in records:
        by_tag.setdefault(r.get("device_tag", "?"), r)
    out = []
    for tag, r in by_tag.items():
        cpu, versions = r.get("cpu", {}), r.get("versions", {})
        out.append({"device folder": tag, "CPU": f"{cpu.get('model_name', '?')} (family {cpu.get('family')}, "
                    f"model {cpu.get('model')}), {cpu.get('logical_cores')} logical cores",
                    "GPU": (r.get("gpu") or {}).get("name", "none"),
                    "OpenCL": "; ".join(r.get("opencl_devices", [])) or "none",
                    "versions": ", ".join(f"{k} {versions[k]}" for k in ("python", "numpy", "numba", "pyopencl")
                                          if k in versions),
                    "commit": r.get("git_commit", "?") + (" (uncommitted changes)" if r.get("git_dirty") else "")})
    return pd.DataFrame(out)


# --- signature checks by scheme (issue 14's split of the node estimate) ---------------------------------------

CHECKS_PER_SENDER = 2  # each node validates a message at least twice: ingress pool entry and block validation
CONSENSUS_SUBNET = 13  # nodes of an application subnet (the IC's common size; docs/REFERENCES.md, Signatures)
KERNEL_BACKENDS = ("numba_cpu", "opencl", "cupy", "numba_cuda")


@dataclass(frozen=True)
class Scheme:
    """One signature scheme a replica checks: where, the sweep rows of a single check (operation, workload and
    parameter filters) and of batch verification where it was measured."""

    name: str
    where: str
    operation: str
    workload: str
    single: tuple = ()  # (column, value) filters of the one-at-a-time rows
    batch_workload: str | None = None
    batch: tuple = ()  # (column, value) filters of the batch rows


SCHEMES = (
    Scheme("Ed25519", "ingress: sender and delegations (IC-shaped trace)", "ed25519_verify", "random-100B",
           batch_workload="zip215-batch-100B-distinct-keys"),
    Scheme("ECDSA P-256", "ingress: a sender signing with P-256", "ecdsa_verify", "p256-ic-request"),
    Scheme("ECDSA secp256k1", "ingress: a sender signing with secp256k1", "ecdsa_verify", "secp256k1-ic-request"),
    Scheme("BLS12-381 certificates", "ingress: a canister-signed delegation (e.g. Internet Identity)",
           "bls12381_verify", "certificate-stream", (("method", "per_item"),), "certificate-stream",
           (("method", "batch"),)),
    Scheme("BLS12-381 consensus", f"per block: shares at threshold of a {CONSENSUS_SUBNET}-node subnet, "
           "over 1 000 requests", "bls12381_verify", "shares-one-message", (("method", "per_item"),),
           "shares-one-message", (("method", "batch"),)),
)


def _per_core_seconds(rows: pd.DataFrame, operation: str, workload: str | None, backends, filters=()) -> float:
    """Core-seconds per item of the fastest of `backends` end to end at its largest batch (time x cores it
    used): what the item costs a node whose cores are all busy. NaN where none has such rows."""
    sel = rows[(rows.operation == operation) & rows.backend.isin(list(backends)) & (rows.phase == "end_to_end")]
    if workload is not None:
        sel = sel[sel.workload == workload]
    for column, value in filters:
        sel = sel[sel[column] == value] if column in sel else sel.iloc[0:0]
    best = float("nan")
    for _, one in sel.groupby("backend"):
        one = one[one.batch_size == one.batch_size.max()]
        cores = one.device.astype(str).str.extract(r"(\d+) core")[0].astype(float).fillna(
            float(max((re_cores(str(d)) for d in rows.device.unique()), default=1) or 1))
        best = np.nanmin([best, float((cores / one.items_per_s).median())])
    return best


def _checks_per_update(rows: pd.DataFrame, scheme: Scheme) -> float:
    if scheme.operation == "ed25519_verify":
        trace = rows[(rows.operation == "ed25519_verify") & (rows.workload == "ic-trace")]
        if "trace_messages" in trace and not trace.empty:
            return float((trace.batch_size / trace.trace_messages).median())
    if scheme.workload == "shares-one-message":
        from . import models
        from .bls.prediction import consensus_verifications

        return consensus_verifications(CONSENSUS_SUBNET)["verifications_at_threshold"] / models.BLOCK_MESSAGES_PER_S
    return float(CHECKS_PER_SENDER)


def signature_costs(rows: pd.DataFrame) -> pd.DataFrame:
    """Per scheme: checks per update request, the library's and the best CPU kernel's core-seconds per check
    (per core used, end to end, largest batch) and batched where measured, and the core-seconds per update
    request on today's path and with the best. Schemes without rows in these results are left out."""
    records = []
    for scheme in SCHEMES:
        library = _per_core_seconds(rows, scheme.operation, scheme.workload, [BASELINE], scheme.single)
        if not np.isfinite(library):
            continue
        kernel = _per_core_seconds(rows, scheme.operation, scheme.workload, KERNEL_BACKENDS, scheme.single)
        batched = (_per_core_seconds(rows, scheme.operation, scheme.batch_workload, (BASELINE,) + KERNEL_BACKENDS,
                                     scheme.batch) if scheme.batch_workload else float("nan"))
        best = np.nanmin([library, kernel, batched])
        checks = _checks_per_update(rows, scheme)
        records.append({"scheme": scheme.name, "where": scheme.where, "checks per update": float(f"{checks:.3g}"),
                        "library per check (s)": library, "kernel per check (s)": kernel,
                        "batched per check (s)": batched, "per update, library (s)": checks * library,
                        "per update, best (s)": checks * best})
    return pd.DataFrame(records)


def signature_table(table: pd.DataFrame) -> pd.DataFrame:
    """signature_costs for reading: every time with its unit (fmt_time), blank where not measured."""
    shown = table.copy()
    for column in [c for c in shown.columns if c.endswith("(s)")]:
        shown[column] = [fmt_time(v) if np.isfinite(v) else "" for v in shown[column]]
    return shown.rename(columns=lambda c: c.removesuffix(" (s)"))


def signature_markdown(table: pd.DataFrame) -> str:
    """Which scheme costs an update request the most, and how much the best measured path takes off each."""
    if table.empty:
        return "No signature scheme has results in these folders."
    top = table.loc[table["per update, library (s)"].idxmax()]
    lines = [f"Per update request, **{top.scheme}** costs the most core time of the schemes measured here: "
             f"{fmt_time(top['per update, library (s)'])} on today's path ({top['checks per update']:g} checks). "
             "Per scheme, the best measured path (the CPU kernel or batch verification, per core used) against "
             "today's library:", ""]
    for _, r in table.iterrows():
        before, after = r["per update, library (s)"], r["per update, best (s)"]
        lines.append(f"- {r.scheme}: {fmt_time(before)} to {fmt_time(after)} per update "
                     f"({before / after:.2f}x less core time)." if after < before else
                     f"- {r.scheme}: {fmt_time(before)} per update; no measured path beats the library per core.")
    return "\n".join(lines)


def short_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """The verdict table with only the verdict and its basis in each cell (the details follow in a list)."""
    def short(cell: str) -> str:
        verdict = cell.split(":")[0]
        basis = cell.rsplit("(", 1)[-1].split(",")[0] if cell.endswith("confidence)") else ""
        return f"{verdict} [{basis}]" if basis else verdict
    return table.map(short)


def verdict_details(table: pd.DataFrame) -> str:
    """Markdown: each hot path's evaluated cells with the figure behind the verdict."""
    lines = []
    for hot_path, row in table.iterrows():
        cells = [(cls, cell) for cls, cell in row.items() if cell not in ("n/a", "not evaluated")]
        lines += [f"**{hot_path}**", ""]
        lines += [f"- {cls}: {cell}" for cls, cell in cells]
        lines.append("")
    return "\n".join(lines)


def targets_table(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets in words: one row per device folder and target."""
    table = targets.rename(columns={"target": "target", "candidate": "best candidate", "goal_ratio": "goal",
                                    "ratio": "end to end", "kernel_ratio": "kernel-only", "checked": "checked"})
    table["goal"] = table["goal"].map(lambda v: f"{v:g}x")
    for col in ("end to end", "kernel-only"):
        table[col] = table[col].map(lambda v: f"{v:.2f}x" if v == v else "n/a")
    table["met"] = table["met"].map({True: "yes", False: "no"})
    cols = ["target", "best candidate", "goal", "end to end", "kernel-only", "met", "checked"]
    if targets.folder.nunique() > 1:
        cols.insert(0, "folder")
    return table[cols]


def sweep_vs_target(rows: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Where a target's candidate also ran in a sweep on the same shape: the two rates side by side."""
    out = []
    for t in targets.itertuples():
        sel = rows[(rows.operation == t.operation) & (rows.backend == t.candidate) & (rows.phase == "end_to_end")
                   & (rows.batch_size == t.items) & (rows.device_tag == t.device_tag)]
        if sel.empty and t.operation in ("crc32", "crc32c"):  # a checksum target is one buffer of `items` bytes
            sel = rows[(rows.operation == t.operation) & (rows.backend == t.candidate) & (rows.phase == "end_to_end")
                       & (rows.batch_size * rows.bytes_per_item == t.items) & (rows.device_tag == t.device_tag)]
            rate = float(sel.bytes_per_s.median()) if not sel.empty else float("nan")
        else:
            rate = float(sel.items_per_s.median()) if not sel.empty else float("nan")
        if rate == rate:
            out.append({"target": t.target, "candidate": t.candidate, "sweep rate (items/s)": rate,
                        "target rate (items/s)": t.candidate_items_per_s,
                        "target / sweep": t.candidate_items_per_s / rate})
    return pd.DataFrame(out)


# --- one table per hot path ----------------------------------------------------------------------------------

def _limit(hot_path: str, rows: pd.DataFrame, pred: dict, device: str) -> tuple[float, str]:
    """(the relevant physical limit in the best backend's unit, what it is): the copy bandwidth measured in the
    same folder for memory-bound paths, a published per-core peak times the cores the backend used for
    compute-bound ones on a CPU, the hot path's published GPU kernel figure on a GPU."""
    if _is_gpu(device):
        if "h100_kernel" in pred:
            return pred["h100_kernel"], "/s: H100 kernel bound from published anchors (modeled)"
        return float("nan"), ""
    cores = re_cores(device) or max((re_cores(str(d)) for d in rows.device.unique()), default=1) or 1
    core_words = f"{cores} core{'s' if cores > 1 else ''}"
    if hot_path in ("checksums", "persistence"):
        stream = rows[(rows.operation == "copy_pages") & (rows.workload == "stream-copy") & (rows.phase == "end_to_end")]
        if not stream.empty:
            return float(stream.bytes_per_s.max()), "B/s: measured STREAM-like copy"
    if hot_path == "hashing" and "shani_one_core" in pred:
        return pred["shani_one_core"] * cores, f"/s: SHA-NI anchor x {core_words}"
    if hot_path == "signatures" and "lib25519_one_core" in pred:
        return pred["lib25519_one_core"] * cores, f"/s: lib25519 anchor x {core_words}"
    return float("nan"), ""


def hot_path_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per hot path and device folder: the best backend end to end at the sweep's largest batch, its speedup end
    to end and kernel-only (labelled), the measured crossover beside the break-even formula's (docs/REFERENCES.md
    section 2: fixed cost from the smallest batch, rates from the largest, the bus from the measured h2d), its
    share of the relevant physical limit, its energy per item with the method, and the hot path's anchor."""
    from . import models
    from .registry import hot_path as get

    out = []
    for hot_path, (operation, workload, unit) in HOT_PATHS.items():
        sel = _sweep_rows(rows, operation, workload)
        try:
            pred = get(operation).prediction()
        except ValueError:
            continue
        for tag, dev in sel.groupby("device_tag"):
            e2e = dev[dev.phase == "end_to_end"]
            base = e2e[e2e.backend == BASELINE]
            if base.empty:
                continue
            big, small = base.batch_size.max(), e2e.batch_size.min()
            at_big = e2e[e2e.batch_size == big].set_index("backend")
            lib_rate = float(base[base.batch_size == big].items_per_s.median())
            others = at_big.drop(index=[BASELINE, "reference"], errors="ignore")
            if others.empty:
                continue
            best = others.items_per_s.idxmax()
            row = others.loc[best]
            rate = float(row.items_per_s)
            kernel = dev[(dev.phase == "kernel") & (dev.backend == best) & (dev.batch_size == big)]
            first = e2e[(e2e.backend == best) & (e2e.batch_size == small)]
            t0 = max(float(first.time_s_median.median()) - small / rate, 0.0) if not first.empty else float("nan")
            h2d = dev[(dev.phase == "h2d") & (dev.backend == best) & (dev.batch_size == big)]
            bus = float(big * row.bytes_per_item / h2d.time_s_median.median()) if not h2d.empty else float("inf")
            predicted = models.break_even_batch(t0, lib_rate, rate, float(row.bytes_per_item), 0.0, bus) \
                if t0 == t0 and rate > 0 else float("nan")
            measured = crossover(dev, best, "end_to_end")
            limit, what = _limit(hot_path, rows[rows.device_tag == tag], pred, str(row.device))
            value = float(row.bytes_per_s) if what.startswith("B/s") else rate
            limit_text = (f"{value / limit:.0%} of {fmt_unit(limit, 'B/s')}{what[3:]}" if what.startswith("B/s") else
                          f"{value / limit:.0%} of {fmt_number(limit)} {unit}{what}")
            out.append({
                "hot path": hot_path, "device folder": tag, "best backend": f"{best} ({row.device})",
                "speedup end to end": f"{rate / lib_rate:.2f}x",
                "speedup kernel-only": f"{float(kernel.items_per_s.median()) / lib_rate:.2f}x" if not kernel.empty
                else "n/a",
                "crossover measured": "never" if measured is None else f"{int(measured):,}",
                "crossover by the formula": "never" if predicted == float("inf") else
                ("n/a" if predicted != predicted else f"{max(predicted, 1):,.0f}"),
                "share of the limit": limit_text if limit == limit else "n/a",
                "energy per item": f"{fmt_unit(row.energy_j_per_item, 'J')} ({row.energy_method})"
                if row.energy_j_per_item == row.energy_j_per_item else "n/a"})
    return pd.DataFrame(out)


def hot_path_table_by_column(rows: pd.DataFrame) -> pd.DataFrame:
    """hot_path_table with one column per hot path (and device folder, where there are several): it fits a page."""
    table = hot_path_table(rows)
    if table.empty:
        return table
    several = table["device folder"].nunique() > 1
    table.index = [f"{h} ({d})" if several else h for h, d in zip(table["hot path"], table["device folder"])]
    return table.drop(columns=["hot path"] + ([] if several else ["device folder"])).T.rename_axis("")


def re_cores(device: str) -> int:
    """Cores a `device` label names ("CPU, 2 cores" -> 2); 0 for a GPU or an OpenCL device label."""
    import re

    match = re.search(r"(\d+) core", device)
    return int(match.group(1)) if match else 0
