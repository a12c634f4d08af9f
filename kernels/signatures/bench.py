"""What to time for Ed25519 verification: the batch-size sweep, the cache study on the IC trace, the CLI and
the issue's target (best CPU kernel vs a PyNaCl loop on 2 048 signatures over 100-byte messages)."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import devices, workloads
from ..measure.bench import Case, compile_row, timing_unavailable_reason
from ..measure.timing import interleaved_medians
from ..registry import BackendUnavailable, backend_module
from ..targets import record_best
from . import PREPARED_INPUT, check_batch, ed25519_verify_batch, ed25519_verify_prepared, prepare
from .cache import VerificationCache, replay

OPERATION = "ed25519_verify"
GPU = ("numba_cuda", "cupy")
REFERENCE_MAX_BATCH = 16  # pure Python: about 5 ms per signature
MESSAGE_BYTES = 100  # the target shape
SIGNERS = 64  # distinct keys in a synthetic batch (verification cost does not depend on repeats)
OPENSSL = "openssl"  # second CPU baseline (cryptography / OpenSSL), a row label, not a backend of the registry


def signed_batch(count: int, message_bytes: int = MESSAGE_BYTES, seed: int = 0) -> tuple[list, list, list]:
    """`count` valid (public key, message, signature) triples, random messages of `message_bytes`."""
    from nacl.signing import SigningKey

    rng = np.random.default_rng(seed)
    signers = [SigningKey(rng.bytes(32)) for _ in range(min(SIGNERS, max(count, 1)))]
    msgs = workloads.random_messages(count, message_bytes, seed)
    keys = [bytes(signers[i % len(signers)].verify_key) for i in range(count)]
    sigs = [signers[i % len(signers)].sign(m).signature for i, m in enumerate(msgs)]
    return keys, msgs, sigs


def _unavailable(backend: str) -> BackendUnavailable | None:
    reason = timing_unavailable_reason(backend)
    return BackendUnavailable(f"{OPERATION} on {backend}: {reason}") if reason else None


def compile_rows(backends: list[str]) -> list[dict]:
    """One `compile` row per backend with a JIT or program build (measured once per process)."""
    return [compile_row(OPERATION, b, backend_module(OPERATION, b).compile)
            for b in backends if b in PREPARED_INPUT and timing_unavailable_reason(b) is None]


def openssl_verify_loop(keys: list[bytes], msgs: list[bytes], sigs: list[bytes]) -> int:
    """OpenSSL through `cryptography`, one verification per signature (keys parsed in the loop, as a node
    receiving raw bytes must): the number that verified."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    ok = 0
    for k, m, s in zip(keys, msgs, sigs):
        try:
            Ed25519PublicKey.from_public_bytes(k).verify(s, m)
            ok += 1
        except InvalidSignature:
            pass
    return ok


def ed25519_case(backend: str, keys: list, msgs: list, sigs: list, workload: str) -> Case | BackendUnavailable:
    """All phases of one batch: pack (host SHA-512 and fixed-size arrays), h2d, kernel, d2h, end_to_end."""
    n = len(keys)
    nbytes = (sum(map(len, msgs)) + 96 * n) / max(n, 1)
    if backend == OPENSSL:
        return Case(OPERATION, OPENSSL, workload, n, nbytes, {"end_to_end": lambda: openssl_verify_loop(keys, msgs, sigs)})
    missing = _unavailable(backend)
    if missing:
        return missing
    if backend == "reference" and n > REFERENCE_MAX_BATCH:
        return BackendUnavailable(f"{OPERATION} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                  "(pure Python, about 5 ms each)")
    case = Case(OPERATION, backend, workload, n, nbytes, phases={})
    if backend in PREPARED_INPUT:
        checked = check_batch(keys, msgs, sigs)
        case.phases["pack"] = lambda: prepare(*checked)
        prepared = prepare(*checked)
        if backend == "numba_cpu":
            case.phases["kernel"] = lambda: ed25519_verify_prepared(prepared, backend=backend)
        else:
            staged = backend_module(OPERATION, backend).Staged(prepared)
            staged.h2d()
            staged.sync()
            case.phases.update({"h2d": staged.h2d, "kernel": staged.kernel, "d2h": staged.d2h})
            case.sync = staged.sync
            if backend in GPU:
                case.timers = {"kernel": devices.cuda_event_timer(backend)}
    case.phases["end_to_end"] = lambda: ed25519_verify_batch(keys, msgs, sigs, backend=backend)
    return case


def batch_sizes(profile: str) -> list[int]:
    """Log-scale batch sizes: 1 .. 4 096 by 4x (quick), 1 .. 2^16 by 2x (full), 1, 4, 16 (smoke: tests)."""
    if profile == "smoke":
        return [1, 4, 16]
    if profile == "quick":
        return [4**k for k in range(7)]
    if profile == "full":
        return [2**k for k in range(17)]
    raise ValueError(f"unknown profile {profile!r}; use 'smoke', 'quick' or 'full'")


def sweep_cases(backends: list[str], sizes: list[int], message_bytes: int = MESSAGE_BYTES, seed: int = 0,
                openssl: bool = True) -> Iterator:
    """Verification of `size` valid signatures over random messages, every size and backend (+ OpenSSL)."""
    keys, msgs, sigs = signed_batch(max(sizes), message_bytes, seed)
    workload = f"random-{message_bytes}B"
    for size in sizes:
        for backend in list(backends) + ([OPENSSL] if openssl else []):
            yield ed25519_case(backend, keys[:size], msgs[:size], sigs[:size], workload)


TRACE_MESSAGES = {"smoke": 40, "quick": 1_000, "full": 5_000}


def cache_cases(backends: list[str], profile: str, seed: int = 0) -> Iterator:
    """The IC ingress trace replayed with and without a cache on each backend: `items_per_s` of the
    end_to_end row is the effective verifications per second (hit rates: cache.cache_study)."""
    trace = workloads.ingress_signature_trace(TRACE_MESSAGES[profile], seed=seed)
    checks = sum(len(b["valid"]) for b in trace)
    nbytes = sum(map(len, (m for b in trace for m in b["messages"]))) / checks + 96
    for backend in backends:
        missing = _unavailable(backend)
        if missing is None and backend == "reference":
            missing = BackendUnavailable(f"{OPERATION} on reference: the trace is skipped (pure Python)")
        for cached in (False, True):
            yield missing or Case(OPERATION, backend, "ic-trace" + ("+cache" if cached else ""), checks, nbytes,
                                  {"end_to_end": lambda b=backend, c=cached: replay(trace, b, VerificationCache() if c else None)})


def cli_cases(operation: str, backends: list[str], sizes: list[int], item_bytes: int) -> Iterator:
    """`python -m kernels bench ed25519_verify ...`: valid signatures over messages of `item_bytes`."""
    if operation != OPERATION:
        raise ValueError(f"unknown signatures operation {operation!r}; use {OPERATION}")
    return sweep_cases(backends, sizes, item_bytes)


def profile_cases(backends: list[str], profile: str) -> Iterator:
    """Everything notebooks/02_signatures.ipynb measures for a profile (the GPU check runs the same)."""
    yield from sweep_cases(backends, batch_sizes(profile))
    yield from cache_cases(backends, profile)


def check_agreement(backends: list[str], keys: list, msgs: list, sigs: list) -> dict[str, str]:
    """{backend: "agrees" or why it did not run}; AssertionError on any verdict that differs from libsodium's."""
    expected = ed25519_verify_batch(keys, msgs, sigs, backend="library")
    verdict = {}
    for backend in backends:
        try:
            got = ed25519_verify_batch(keys, msgs, sigs, backend=backend)
        except BackendUnavailable as e:
            verdict[backend] = f"unavailable: {e}"
            continue
        mismatched = np.flatnonzero(got != expected)
        assert mismatched.size == 0, f"{backend} disagrees with libsodium on items {mismatched[:10].tolist()}"
        verdict[backend] = f"agrees with libsodium on {len(keys)} verdicts ({int(expected.sum())} valid)"
    return verdict




def ed25519_target(count: int = 2048, size: int = MESSAGE_BYTES, min_seconds: float = 1.0) -> dict:
    """Signatures per second of the best CPU kernel (all cores, end to end from bytes to verdicts, host
    SHA-512 included) vs a PyNaCl loop `vk.verify(m, s)` (goal 1x); OpenSSL loop recorded beside it.
    All candidates are timed in alternation (interleaved_medians)."""
    from nacl.signing import VerifyKey

    keys, msgs, sigs = signed_batch(count, size)
    vks = [VerifyKey(k) for k in keys]
    prepared = prepare(*check_batch(keys, msgs, sigs))
    fns = {"baseline": lambda: [vk.verify(m, s) for vk, m, s in zip(vks, msgs, sigs)],
           "openssl": lambda: openssl_verify_loop(keys, msgs, sigs)}
    result = {"target": OPERATION, "signatures": count, "message_bytes": size, "goal_ratio": 1.0,
              "baseline": "[vk.verify(m, s) for vk, m, s in ...] (PyNaCl / libsodium, one core)"}
    for backend in ("numba_cpu", "opencl"):
        try:
            backend_module(OPERATION, backend).compile()
        except BackendUnavailable as e:
            result[backend] = str(e)
            continue
        assert ed25519_verify_prepared(prepared, backend=backend).all()
        fns[f"{backend}_kernel"] = lambda b=backend: ed25519_verify_prepared(prepared, backend=b)
        fns[f"{backend}_end_to_end"] = lambda b=backend: ed25519_verify_batch(keys, msgs, sigs, backend=b)
    medians = interleaved_medians(fns, min_seconds=min_seconds, min_rounds=7)
    baseline = medians.pop("baseline")
    result["baseline_sigs_per_s"] = count / baseline
    result["openssl_loop_sigs_per_s"] = count / medians.pop("openssl")
    for name, seconds in medians.items():
        result[f"{name}_ratio"] = baseline / seconds
        if name.endswith("_end_to_end"):
            result[f"{name}_sigs_per_s"] = count / seconds
    ratios = {k.removesuffix("_end_to_end_ratio"): v for k, v in result.items() if k.endswith("_end_to_end_ratio")}
    return record_best(result, ratios, result["goal_ratio"])


TARGETS = {OPERATION: ed25519_target}


def target_count(profile: str) -> int:
    """Signatures in the target check: the issue's 2 048, or 256 for smoke runs."""
    return 256 if profile == "smoke" else 2048


def trace_summary(profile: str, seed: int = 0) -> dict:
    """Hit rate of the cache on the profile's trace (it does not depend on the backend), checks and messages."""
    trace = workloads.ingress_signature_trace(TRACE_MESSAGES[profile], seed=seed)
    cache = VerificationCache()
    result = replay(trace, "library", cache)
    assert result["verdicts_match_trace"], "the trace's expected verdicts disagree with libsodium"
    return {"hit_rate": result["hit_rate"], "checks": result["checks"], "messages": TRACE_MESSAGES[profile],
            "cache_entries": result["cache_entries"]}


def correctness_batch(seed: int = 0) -> tuple[list, list, list]:
    """Valid signatures, each kind of bad one (flipped bit in R, S, A, M; wrong lengths) and the Wycheproof-style
    edge cases from reference's rules: the batch every backend must judge exactly like libsodium."""
    keys, msgs, sigs = signed_batch(24, MESSAGE_BYTES, seed)
    for i in range(4, 20):
        part, bit = i % 4, (7 * i) % 256
        if part == 0:
            sigs[i] = sigs[i][:bit // 8] + bytes([sigs[i][bit // 8] ^ (1 << bit % 8)]) + sigs[i][bit // 8 + 1:]
        elif part == 1:
            j = 32 + bit // 8
            sigs[i] = sigs[i][:j] + bytes([sigs[i][j] ^ (1 << bit % 8)]) + sigs[i][j + 1:]
        elif part == 2:
            keys[i] = keys[i][:bit // 8] + bytes([keys[i][bit // 8] ^ (1 << bit % 8)]) + keys[i][bit // 8 + 1:]
        else:
            msgs[i] = msgs[i][:5] + bytes([msgs[i][5] ^ 1]) + msgs[i][6:]
    keys[20], sigs[21] = keys[20][:31], sigs[21] + b"\x00"
    keys[22] = bytes(32)  # y = 0: small order
    sigs[23] = sigs[23][:32] + bytes([0xFF] * 32)  # S >= L
    return keys, msgs, sigs
