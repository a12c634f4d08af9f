"""The signatures notebook's prose, formatted from measured rows and the prediction (never typed by hand)."""
from __future__ import annotations

import pandas as pd

from ..analysis import BASELINE, crossover, fmt_rate, fmt_time, with_speedup
from .bench import OPENSSL

DEVICE_BACKENDS = ("numba_cpu", "opencl", "numba_cuda", "cupy")


def prediction_markdown(pred: dict, cores: int) -> str:
    return "\n".join([
        "**Prediction (a model from published anchors, before measuring).** One verification is about "
        f"{pred['field_muls']:,} field multiplications (double scalar multiplication [S]B - [h]A with 5-bit "
        "sliding windows, decompression of A, one inversion): "
        f"{pred['products_radix25']:,} 32 x 32-bit products in radix 2^25.5, or {pred['products_radix51']:,} "
        f"64 x 64-bit ones in radix 2^51. It moves {pred['bytes_in']} bytes in (key, signature, h) and one byte "
        "out, so it is compute-bound everywhere:",
        f"- one CPU core: {fmt_rate(pred['lib25519_one_core'], ' sig/s')} (lib25519, 95 k cycles at an assumed "
        f"3 GHz), {fmt_rate(pred['firedancer_one_core'], ' sig/s')} (Firedancer AVX-512); all {cores} cores: "
        f"{fmt_rate(pred['lib25519_all_cores'], ' sig/s')}. Batch verification (dalek, 256 per batch) reaches "
        f"{fmt_rate(pred['dalek_batch_one_core'], ' sig/s')} per core, but with a random linear combination whose "
        "verdicts are not libsodium's;",
        f"- an H100: about {fmt_rate(pred['h100_kernel'], ' sig/s')} (Solana's 300 k/s on a GTX 1080 Ti, doubled "
        "by split kernels, scaled by 32-bit multiply-add throughput: rough); PCIe would allow "
        f"{fmt_rate(pred['pcie_end_to_end_limit'], ' sig/s')}, so the bus is not the limit;",
        f"- the GPU should win from batches of about {pred['gpu_crossover_batch']} (Solana's crossover).",
        "",
        "Expected: a libsodium loop is hard to beat per core (it is already the CPU's field layout in C); an "
        "all-core kernel can win by the core count at best; a GPU wins by one to two orders of magnitude on "
        "large batches, once a batch pays for the launch.",
    ])


def semantics_markdown() -> str:
    return "\n".join([
        "**Which signatures are valid.** Every backend here returns libsodium's verdict "
        "(`crypto_sign_verify_detached`): S < L; R and A not of small order (their y on libsodium's block list); "
        "A canonically encoded (y < p); the cofactorless equation encode([S]B - [h]A) == R, which also rejects a "
        "non-canonical R. The replica batch-verifies with ZIP-215 rules instead (dfinity/ic PR 413): "
        "non-canonical A and R accepted, small-order points accepted, and the cofactored equation "
        "[8][S]B = [8]R + [8][h]A. The two differ only on adversarial encodings that honest signers never "
        "produce, and the speed does not depend on the choice: the rules cost a few byte comparisons, while "
        "the ~3 000 field multiplications of the double scalar multiplication are the same (the cofactored "
        "equation adds three doublings).",
        "",
        "**What the kernels get.** h = SHA-512(R || A || M) mod L is computed on the host with hashlib "
        "(OpenSSL) in the `pack` phase, so kernels see fixed 128-byte inputs whatever the message length; "
        "`end_to_end` includes it.",
    ])


def _rate(sel: pd.DataFrame, phase: str) -> float | None:
    row = sel[sel.phase == phase]
    return None if row.empty else float(row.items_per_s.iloc[0])


def sweep_markdown(frame: pd.DataFrame, pred: dict) -> str:
    """Findings of the batch-size sweep, set against the prediction."""
    rows = with_speedup(frame)
    biggest = int(rows[rows.backend == BASELINE].batch_size.max())
    at_big = rows[rows.batch_size == biggest]
    lines = [f"**Findings (measured, this run, {frame.device_tag.iloc[0]}).**", ""]
    base = _rate(at_big[at_big.backend == BASELINE], "end_to_end")
    if base:
        ossl = _rate(at_big[at_big.backend == OPENSSL], "end_to_end")
        lines.append(f"- libsodium (PyNaCl, one call per signature) verifies {fmt_rate(base, ' sig/s')} at "
                     f"{biggest:,} signatures" + (f"; OpenSSL through `cryptography` {fmt_rate(ossl, ' sig/s')} "
                                                  f"({ossl / base:.2f}x)" if ossl else "") +
                     f". That is {base / pred['lib25519_one_core']:.0%} of the lib25519 per-core anchor.")
    for backend in DEVICE_BACKENDS:
        sel = at_big[at_big.backend == backend]
        if sel.empty:
            continue
        parts = []
        for phase in ("kernel", "end_to_end"):
            r = sel[sel.phase == phase]
            if not r.empty:
                parts.append(f"{phase.replace('_', '-')} {fmt_rate(r.items_per_s.iloc[0], ' sig/s')} "
                             f"({r.speedup.iloc[0]:.2f}x libsodium)")
        wins = crossover(frame, backend, "end_to_end")
        where = (f"it beats libsodium end to end from {int(wins):,} signatures" if wins is not None
                 else "end to end it does not beat libsodium within the sweep")
        lines.append(f"- `{backend}` at {biggest:,}: " + ", ".join(parts) + f"; {where}.")
        pack, e2e = sel[sel.phase == "pack"], sel[sel.phase == "end_to_end"]
        if not pack.empty and not e2e.empty:
            lines.append(f"  Host SHA-512 and packing: {fmt_time(pack.time_s_median.iloc[0])}, "
                         f"{pack.time_s_median.iloc[0] / e2e.time_s_median.iloc[0]:.0%} of end to end.")
    gpu = at_big[(at_big.backend == "cupy") & (at_big.phase == "kernel")]
    if not gpu.empty:
        lines.append(f"- The CUDA kernel reaches {gpu.items_per_s.iloc[0] / pred['h100_kernel']:.0%} of the rough "
                     f"H100 estimate; the GPU's crossover here against Solana's {pred['gpu_crossover_batch']}: "
                     f"{crossover(frame, 'cupy', 'end_to_end') or 'none within the sweep'}.")
    energy = at_big[at_big.phase == "end_to_end"].dropna(subset=["energy_j_per_item"])
    if not energy.empty:
        parts = [f"`{r.backend}` {r.energy_j_per_item * 1e6:.3g} µJ ({r.energy_method})" for r in energy.itertuples()]
        lines.append(f"- Energy per verification at {biggest:,}: " + ", ".join(parts) + ".")
    return "\n".join(lines)


def cache_markdown(frame: pd.DataFrame, hit_rate: float, checks: int, messages: int) -> str:
    """Findings of the cache study: effective verifications per second with and without a cache."""
    e2e = frame[frame.phase == "end_to_end"]
    lines = [f"**Cache study (measured).** The trace has {messages:,} ingress messages and {checks:,} signature "
             f"checks (every message checked on pool entry and again in block validation; delegations repeat "
             f"across a session's requests). The cache answers {hit_rate:.0%} of the checks.", ""]
    plain = e2e[e2e.workload == "ic-trace"].set_index("backend").items_per_s
    cached = e2e[e2e.workload == "ic-trace+cache"].set_index("backend").items_per_s
    if BASELINE in plain.index:
        base = plain[BASELINE]
        lines.append(f"- No cache, libsodium: {fmt_rate(base, ' checks/s')} (the baseline).")
        for backend in plain.index:
            lines.append(f"- `{backend}`: alone {fmt_rate(plain[backend], ' checks/s')} ({plain[backend] / base:.2f}x)"
                         + (f", with the cache {fmt_rate(cached[backend], ' checks/s')} ({cached[backend] / base:.2f}x)"
                            if backend in cached.index else "") + ".")
    lines += ["", "A hit costs one SHA-256 and a dictionary lookup instead of a verification, so the cache bounds "
              "the gain at 1 / (1 - hit rate) on any backend; an accelerator speeds up only the misses, and the "
              "two multiply. The cache can only say True for a key it stored after a successful verification, "
              "and it never looks up malformed triples (tests/test_signature_cache.py)."]
    return "\n".join(lines)


def target_markdown(result: dict) -> str:
    verdict = "met" if result["met"] else "not met"
    parts = [f"**Target (issue: best CPU kernel >= {result['goal_ratio']:.0f}x `{result['baseline']}` on "
             f"{result['signatures']:,} signatures over {result['message_bytes']}-byte messages, all cores, end to "
             f"end): {verdict}.** Baseline {fmt_rate(result['baseline_sigs_per_s'], ' sig/s')}; OpenSSL loop "
             f"{fmt_rate(result['openssl_loop_sigs_per_s'], ' sig/s')}."]
    for backend in ("numba_cpu", "opencl"):
        if f"{backend}_kernel_ratio" in result:
            parts.append(f"`{backend}`: {result[f'{backend}_kernel_ratio']:.2f}x with h precomputed, "
                         f"{result[f'{backend}_end_to_end_ratio']:.2f}x end to end.")
        elif backend in result:
            parts.append(f"`{backend}`: {result[backend]}.")
    parts.append("How: both CPU kernels use radix-2^51 field arithmetic with 128-bit products, libsodium's own "
                 "layout on 64-bit CPUs (`__int128` in the C core when OpenCL runs on a CPU device, an LLVM i128 "
                 "intrinsic in Numba), one signature per work-item or loop iteration, all cores; the GPU layout, "
                 "radix 2^25.5 with 32-bit limbs, ran at about half that speed per core on this CPU. Neither "
                 "vectorises field arithmetic across signatures nor batch-verifies (a random linear combination "
                 "would not reproduce libsodium's per-signature verdicts); an attempt to run 8 signatures in "
                 "lock-step in Numba stayed scalar (LLVM could not prove the limb arrays do not alias) and was "
                 "dropped. On this shared 2-core machine the all-core advantage comes and goes with the load of "
                 "other processes.")
    return " ".join(parts)
