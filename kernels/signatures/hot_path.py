"""The Ed25519 hot path: the batch-size sweep, the verification cache on the IC ingress trace, correctness
against the construction's verdicts and RFC 8032, and the issue's target (best CPU kernel vs a PyNaCl loop)."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, unavailable
from ..measure.timing import interleaved_timings
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import check_batch, ed25519_verify_batch, prepare
from .cache import VerificationCache, replay, replay_pass
from .prediction import ed25519_prediction
from .workloads import MESSAGE_BYTES, RFC8032, cached_trace, correctness_batch, signed_batch

OPERATION = "ed25519_verify"
PEER = "openssl"  # OpenSSL through `cryptography`, one call per signature: a peer row, not a registry backend
PHASES = ("pack", "h2d", "kernel", "d2h", "end_to_end")
REFERENCE_MAX_BATCH = 16  # pure Python: milliseconds per signature
BATCH_SIZES = {"smoke": [1, 4, 16], "quick": [4**k for k in range(7)], "full": [2**k for k in range(17)]}
TRACE_MESSAGES = {"smoke": 40, "quick": 1_000, "full": 5_000}
TARGET_SIGNATURES = {"smoke": 256, "quick": 2_048, "full": 2_048}  # the 2 048; fewer in tests
TARGET_SECONDS = {"smoke": 0.0, "quick": 1.0, "full": 3.0}
TARGET_ROUNDS = {"smoke": 2, "quick": 7, "full": 9}
TARGET_CANDIDATES = ("numba_cpu", "opencl")  # the "best CPU kernel" (all cores)


def openssl_verify_loop(keys: Sequence[bytes], msgs: Sequence[bytes], sigs: Sequence[bytes]) -> int:
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


def _bytes_per_item(messages: Sequence[bytes], count: int) -> float:
    return (sum(map(len, messages)) + 96 * count) / max(count, 1)  # message, key and signature


def batch_case(operation: str, backend: str, workload: Workload, batch_size: int, data: tuple) -> Case:
    """Every phase of one batch: pack (host SHA-512 and fixed-size arrays), h2d, kernel, d2h, end_to_end."""
    keys, msgs, sigs = data
    nbytes = _bytes_per_item(msgs, batch_size)
    if backend == PEER:
        return Case.of(operation, PEER, workload, batch_size, nbytes,
                       phases={"end_to_end": lambda: openssl_verify_loop(keys, msgs, sigs)})
    missing = unavailable(operation, backend)
    if missing:
        raise missing
    if backend == "reference" and batch_size > REFERENCE_MAX_BATCH:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                 "(pure Python, milliseconds each)")
    module = backend_module(operation, backend)
    threads = 1 if backend == "numba_cpu" and batch_size < module.SERIAL_BELOW else None
    case = Case.of(operation, backend, workload, batch_size, nbytes, threads=threads)
    if packed_input(backend):
        checked = check_batch(keys, msgs, sigs)
        prepared = prepare(*checked)
        case.phases["pack"] = lambda: prepare(*checked)
        if staged(backend):
            case.add_staged(module.Staged(prepared))
        else:
            case.phases["kernel"] = lambda: module.verify_prepared(prepared)
    case.phases["end_to_end"] = lambda: ed25519_verify_batch(keys, msgs, sigs, backend=backend)
    return case


def batch_sweep(name: str, sizes: Sequence[int], message_bytes: int, backends: Sequence[str]) -> Sweep:
    """Valid signatures over random messages of `message_bytes`, every size and backend, plus the OpenSSL peer."""
    return Sweep(name, [OPERATION], [Workload(f"random-{message_bytes}B", {"message_bytes": message_bytes})],
                 list(sizes), [*backends, PEER], PHASES, batch_case,
                 data=lambda workload, size: signed_batch(size, workload.params["message_bytes"]))


def cache_case(operation: str, backend: str, workload: Workload, batch_size: int, trace: tuple) -> Case:
    """One pass of the trace, with or without a fresh cache: `items_per_s` of the end_to_end row is the
    effective checks per second. The warm-up is the harness's, outside the timed region."""
    missing = unavailable(operation, backend)
    if missing:
        raise missing
    checks = sum(len(b["valid"]) for b in trace)
    nbytes = _bytes_per_item([m for b in trace for m in b["messages"]], checks)
    cached = workload.params["cached"]
    return Case.of(operation, backend, workload, checks, nbytes, phases={
        "end_to_end": lambda: replay_pass(trace, backend, VerificationCache() if cached else None)})


class SignaturesHotPath(HotPath):
    name = "signatures"
    title = "Ed25519 batch verification with libsodium's rules, and a verification cache"
    operations = (OPERATION,)
    notebook = "02_signatures.ipynb"
    compile_operation = OPERATION

    def sweeps(self, profile: str) -> list[Sweep]:
        messages = TRACE_MESSAGES[profile]
        trace = [Workload("ic-trace" + ("+cache" if cached else ""), {"trace_messages": messages, "cached": cached})
                 for cached in (False, True)]
        return [
            batch_sweep("batch", BATCH_SIZES[profile], MESSAGE_BYTES, BACKENDS),
            # reference is left out of the trace: pure Python, milliseconds per check
            Sweep("cache", [OPERATION], trace, [0], [b for b in BACKENDS if b != "reference"], ["end_to_end"],
                  cache_case, data=lambda workload, _: cached_trace(workload.params["trace_messages"])),
        ]

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench ed25519_verify ...`: valid signatures over messages of `item_bytes`."""
        if operation != OPERATION:
            raise ValueError(f"unknown signatures operation {operation!r}; use {OPERATION}")
        return batch_sweep("cli", sizes, item_bytes, backends).cases()

    def trace_summary(self, profile: str) -> dict:
        """The profile's trace: messages, checks, and the cache's hit rate on it (the same on every backend)."""
        messages = TRACE_MESSAGES[check_profile(profile)]
        result = replay(cached_trace(messages), "library", VerificationCache())
        assert result["verdicts_match_trace"], "libsodium disagrees with the trace's expected verdicts"
        return {"messages": messages, "checks": result["checks"], "hit_rate": result["hit_rate"],
                "cache_entries": result["cache_entries"]}

    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Each backend's verdicts on the correctness batch (valid signatures, bit flips in R, S, A and M, wrong
        lengths, a small-order key, S >= L: verdicts known from the construction, and reference's agree) and on
        RFC 8032's vectors (all valid; with a changed message, all invalid). AssertionError on any difference."""
        check_profile(profile)
        keys, msgs, sigs, expected = correctness_batch()
        np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend="reference"), expected)
        rfc = [list(column) for column in zip(*((bytes.fromhex(pk), bytes.fromhex(m), bytes.fromhex(s))
                                                for _, pk, m, s in RFC8032))]
        sets = {"libsodium rules: valid, bit flips in R/S/A/M, wrong lengths, small order, S >= L":
                (keys, msgs, sigs, expected),
                "RFC 8032 section 7.1 vectors": (*rfc, np.ones(len(RFC8032), bool)),
                "RFC 8032 vectors, message changed": (rfc[0], [m + b"!" for m in rfc[1]], rfc[2],
                                                      np.zeros(len(RFC8032), bool))}
        rows = []
        for backend in BACKENDS if backends is None else backends:
            for name, (k, m, s, want) in sets.items():
                try:
                    got = ed25519_verify_batch(k, m, s, backend=backend)
                except BackendUnavailable as e:
                    rows.append({"backend": backend, "check": name, "items": len(k), "result": f"unavailable: {e}"})
                    break
                mismatched = np.flatnonzero(got != want)
                assert mismatched.size == 0, f"{backend} gives a wrong verdict on {name}, items {mismatched.tolist()}"
                rows.append({"backend": backend, "check": name, "items": len(k),
                             "result": f"agrees ({int(want.sum())} valid, {int((~want).sum())} invalid)"})
        return pd.DataFrame(rows)

    def targets(self) -> dict:
        return {OPERATION: self.target}

    def target(self, profile: str = "quick") -> TargetResult:
        """The issue's target: the best CPU kernel (all cores) end to end, from bytes to verdicts with the host
        SHA-512 included, >= 1x a PyNaCl loop `vk.verify(m, s)` on 2 048 signatures over 100-byte messages.
        Every candidate's verdicts are checked first on the correctness batch (invalid signatures included,
        verdicts known from the construction), then on the target batch (all valid). OpenSSL is a peer."""
        from nacl.signing import VerifyKey

        count = TARGET_SIGNATURES[check_profile(profile)]
        keys, msgs, sigs = signed_batch(count, MESSAGE_BYTES)
        vks = [VerifyKey(k) for k in keys]
        ck, cm, cs, want = correctness_batch()
        candidates: dict[str, Candidate | Exception] = {}
        for backend in TARGET_CANDIDATES:
            missing = unavailable(OPERATION, backend)
            if missing:
                candidates[backend] = missing
                continue
            got = ed25519_verify_batch(ck, cm, cs, backend=backend)
            assert np.array_equal(got, want), f"target {OPERATION}: {backend} gives a wrong verdict"
            module, prepared = backend_module(OPERATION, backend), prepare(*check_batch(keys, msgs, sigs))
            if staged(backend):
                on_device = module.Staged(prepared)
                on_device.h2d()
                kernel = lambda s=on_device: (s.kernel(), s.d2h())[1]  # noqa: E731
            else:
                kernel = lambda m=module, p=prepared: m.verify_prepared(p)  # noqa: E731
            candidates[backend] = Candidate(lambda b=backend: ed25519_verify_batch(keys, msgs, sigs, backend=b), kernel)
        assert openssl_verify_loop(keys, msgs, sigs) == count
        peer = interleaved_timings({PEER: lambda: openssl_verify_loop(keys, msgs, sigs)},
                                   TARGET_SECONDS[profile] / 4, TARGET_ROUNDS[profile])[PEER]
        return run_target(OPERATION, OPERATION,
                          ("[vk.verify(m, s) for vk, m, s in zip(vks, msgs, sigs)]",
                           lambda: [vk.verify(m, s) for vk, m, s in zip(vks, msgs, sigs)]),
                          candidates, lambda out: np.array_equal(np.asarray(out, dtype=bool), np.ones(count, bool)),
                          count, "signatures", 1.0, min_seconds=TARGET_SECONDS[profile],
                          min_rounds=TARGET_ROUNDS[profile], peer=(PEER, count / peer.median))

    def prediction(self, cores: int | None = None) -> dict:
        """Field multiplications and bytes per signature, and the expected rates (kernels/signatures/prediction.py)."""
        return ed25519_prediction(cores or os.cpu_count() or 1)


HOT_PATH = SignaturesHotPath()
