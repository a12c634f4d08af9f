"""The Ed25519 hot path: the batch-size sweep, ZIP 215 per signature beside batch verification, the verification
cache on the IC ingress trace, correctness under both rule sets (the construction's verdicts, RFC 8032, the 196
ZIP 215 vectors, adversarial signatures), and the issues' targets (per signature and batch vs a PyNaCl loop)."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.peer import openssl_peer
from ..measure.bench import Case, require_timeable
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import RULES, check_batch, ed25519_verify_batch, prepare
from .cache import VerificationCache, replay, replay_pass
from .prediction import ed25519_prediction
from .workloads import (ADVERSARIAL_KINDS, MESSAGE_BYTES, RFC8032, adversarial_batch, cached_trace, correctness_batch,
                        signed_batch, zip215_vectors)

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
ADVERSARIAL_PER_KIND = {"smoke": 2, "quick": 4, "full": 8}  # signatures of each adversarial kind in check()
LIBSODIUM_GOAL = 3.0  # issue 13: per signature, rules="libsodium", >= 3x the PyNaCl loop
ZIP215_BATCH_GOAL = 6.0  # issue 13: rules="zip215" with batch verification, >= 6x the PyNaCl loop
ZIP215_BATCH_TARGET = "ed25519_verify_zip215_batch"
PEER_SECONDS = {"smoke": 1, "quick": 2, "full": 3}  # `openssl speed -seconds` for the targets' peer



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
    require_timeable(operation, backend)
    if backend == "reference" and batch_size > REFERENCE_MAX_BATCH:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                 "(pure Python, milliseconds each)")
    module = backend_module(operation, backend)
    threads = 1 if backend == "numba_cpu" and batch_size < module.SERIAL_BELOW else None
    case = Case.of(operation, backend, workload, batch_size, nbytes, threads=threads)
    if packed_input(backend):
        _add_prepared_phases(case, keys, msgs, sigs, module.verify_prepared,
                             module.Staged if staged(backend) else None)
    case.phases["end_to_end"] = lambda: ed25519_verify_batch(keys, msgs, sigs, backend=backend)
    return case


def _add_prepared_phases(case: Case, keys, msgs, sigs, kernel, staged_factory) -> None:
    """`pack` (host SHA-512 and fixed-size arrays), then the kernel on the prepared batch: through the device's
    Staged object (`staged_factory(prepared)`: h2d, kernel, d2h) or, without one, `kernel(prepared)`."""
    checked = check_batch(keys, msgs, sigs)
    prepared = prepare(*checked)
    case.phases["pack"] = lambda: prepare(*checked)
    if staged_factory is not None:
        case.add_staged(staged_factory(prepared))
    else:
        case.phases["kernel"] = lambda: kernel(prepared)


def batch_sweep(name: str, sizes: Sequence[int], message_bytes: int, backends: Sequence[str]) -> Sweep:
    """Valid signatures over random messages of `message_bytes`, every size and backend, plus the OpenSSL peer."""
    return Sweep(name, [OPERATION], [Workload(f"random-{message_bytes}B", {"message_bytes": message_bytes})],
                 list(sizes), [*backends, PEER], PHASES, batch_case,
                 data=lambda workload, size: signed_batch(size, workload.params["message_bytes"]))


def zip215_case(operation: str, backend: str, workload: Workload, batch_size: int, data: tuple) -> Case:
    """ZIP 215 verification of one batch, per signature or by batch verification (workload parameter
    `method`): pack (host SHA-512), kernel (data prepared) and end_to_end. Batch verification runs on every
    device backend (numba_cpu, opencl, numba_cuda, cupy: batch.py drives each one's decompression and
    multi-scalar multiplication kernels); its `kernel` phase is the prepared batch to verdicts, transfers, the
    host's random combination and any bisection included."""
    keys, msgs, sigs = data
    method = workload.params["method"]
    require_timeable(operation, backend)
    if backend == "reference" and batch_size > REFERENCE_MAX_BATCH:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                 "(pure Python, milliseconds each)")
    ed25519_verify_batch([], [], [], backend=backend, rules="zip215", method=method)  # unavailable: raise here
    module = backend_module(operation, backend)
    case = Case.of(operation, backend, workload, batch_size, _bytes_per_item(msgs, batch_size))
    if packed_input(backend):
        kernel = module.verify_prepared_batch if method == "batch" else lambda p: module.verify_prepared(p, "zip215")
        device = (lambda p: module.Staged(p, "zip215")) if staged(backend) and method == "single" else None
        _add_prepared_phases(case, keys, msgs, sigs, kernel, device)
    case.phases["end_to_end"] = lambda: ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="zip215",
                                                             method=method)
    return case


def cache_case(operation: str, backend: str, workload: Workload, batch_size: int, trace: tuple) -> Case:
    """One pass of the trace, with or without a fresh cache, under the workload's rules and method:
    `items_per_s` of the end_to_end row is the effective checks per second. The warm-up is the harness's,
    outside the timed region."""
    require_timeable(operation, backend)
    rules, method = workload.params["rules"], workload.params["method"]
    ed25519_verify_batch([], [], [], backend=backend, rules=rules, method=method)  # unavailable: raise here
    checks = sum(len(b["valid"]) for b in trace)
    nbytes = _bytes_per_item([m for b in trace for m in b["messages"]], checks)
    cached = workload.params["cached"]
    return Case.of(operation, backend, workload, checks, nbytes, phases={
        "end_to_end": lambda: replay_pass(trace, backend, VerificationCache(rules=rules, method=method)
                                          if cached else None, rules, method)})


class SignaturesHotPath(HotPath):
    name = "signatures"
    title = "Ed25519 verification under libsodium's and ZIP 215's rules, batch verification, and a cache"
    operations = (OPERATION,)
    notebook = "02_signatures.ipynb"
    compile_operation = OPERATION

    def sweeps(self, profile: str) -> list[Sweep]:
        messages = TRACE_MESSAGES[profile]
        trace = [Workload("ic-trace" + ("" if rules == "libsodium" else f"-zip215-{method}") + ("+cache" if cached else ""),
                          {"trace_messages": messages, "cached": cached, "rules": rules, "method": method})
                 for rules, method in (("libsodium", "single"), ("zip215", "batch")) for cached in (False, True)]
        zip215 = [Workload(f"zip215-{method}-{MESSAGE_BYTES}B" + ("-distinct-keys" if distinct else ""),
                           {"message_bytes": MESSAGE_BYTES, "rules": "zip215", "method": method,
                            "distinct_keys": distinct})
                  for method, distinct in (("single", False), ("batch", False), ("batch", True))]
        return [
            batch_sweep("batch", BATCH_SIZES[profile], MESSAGE_BYTES, BACKENDS),
            # ZIP 215 (the replica's rules): one verification per signature beside batch verification
            Sweep("zip215", [OPERATION], zip215, BATCH_SIZES[profile], list(BACKENDS), ["pack", "kernel", "end_to_end"],
                  zip215_case, data=lambda workload, size: signed_batch(
                      size, workload.params["message_bytes"], distinct_keys=workload.params["distinct_keys"])),
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
        """Each backend's verdicts, under both rule sets, on: the correctness batch (valid signatures, bit flips in
        R, S, A and M, wrong lengths, a small-order key, S >= L: verdicts known from the construction, and the
        reference's agree); RFC 8032's vectors (all valid; with a changed message, all invalid); the 196 ZIP 215
        vectors (all valid under ZIP 215, none under libsodium's rules); and the adversarial batch (verdicts
        known from the construction under each rule set). AssertionError on any difference."""
        keys, msgs, sigs, expected = correctness_batch()
        np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend="reference"), expected)
        np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend="reference", rules="zip215"),
                                      expected)
        rfc = [list(column) for column in zip(*((bytes.fromhex(pk), bytes.fromhex(m), bytes.fromhex(s))
                                                for _, pk, m, s in RFC8032))]
        vectors = zip215_vectors()
        adversarial = adversarial_batch(ADVERSARIAL_PER_KIND[check_profile(profile)])
        adv = (adversarial["public_keys"], adversarial["messages"], adversarial["signatures"])
        sets = {}
        for rules in RULES:
            sets |= {(rules, "valid, bit flips in R/S/A/M, wrong lengths, small order, S >= L"):
                     (keys, msgs, sigs, expected),
                     (rules, "RFC 8032 section 7.1 vectors"): (*rfc, np.ones(len(RFC8032), bool)),
                     (rules, "RFC 8032 vectors, message changed"): (rfc[0], [m + b"!" for m in rfc[1]], rfc[2],
                                                                    np.zeros(len(RFC8032), bool)),
                     (rules, "the 196 ZIP 215 vectors"): (*vectors, np.full(len(vectors[0]), rules == "zip215")),
                     (rules, "adversarial batch (torsion, small order, non-canonical)"): (*adv, adversarial[rules])}
        rows = []
        for backend in BACKENDS if backends is None else backends:
            for (rules, name), (k, m, s, want) in sets.items():
                try:
                    got = ed25519_verify_batch(k, m, s, backend=backend, rules=rules)
                except BackendUnavailable as e:
                    rows.append({"backend": backend, "rules": rules, "check": name, "items": len(k),
                                 "result": f"unavailable: {e}"})
                    if rules == "libsodium":
                        break  # the backend does not run here at all
                    continue
                mismatched = np.flatnonzero(got != want)
                assert mismatched.size == 0, \
                    f"{backend} gives a wrong verdict on {name} (rules={rules}), items {mismatched.tolist()}"
                rows.append({"backend": backend, "rules": rules, "check": name, "items": len(k),
                             "result": f"agrees ({int(want.sum())} valid, {int((~want).sum())} invalid)"})
        return pd.DataFrame(rows)

    def rules_table(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """How many signatures each rule set accepts, by kind: the 196 ZIP 215 vectors and each kind of the
        adversarial batch (workloads.adversarial_batch), one row per (rules, backend) that runs here; every
        count is checked against the construction's verdicts first (AssertionError otherwise)."""
        batch = adversarial_batch(ADVERSARIAL_PER_KIND[check_profile(profile)])
        vectors = zip215_vectors()
        kinds = np.array(batch["kind"])
        rows = []
        for rules in RULES:
            for backend in BACKENDS if backends is None else backends:
                try:
                    on_vectors = ed25519_verify_batch(*vectors, backend=backend, rules=rules)
                    got = ed25519_verify_batch(batch["public_keys"], batch["messages"], batch["signatures"],
                                               backend=backend, rules=rules)
                except BackendUnavailable:
                    continue
                assert on_vectors.all() if rules == "zip215" else not on_vectors.any(), f"{backend}/{rules}: vectors"
                assert np.array_equal(got, batch[rules]), f"{backend}/{rules}: adversarial batch"
                row = {"rules": rules, "backend": backend,
                       f"ZIP 215 vectors (of {len(on_vectors)})": int(on_vectors.sum())}
                for kind in ADVERSARIAL_KINDS:
                    row[f"{kind} (of {int((kinds == kind).sum())})"] = int(got[kinds == kind].sum())
                rows.append(row)
        return pd.DataFrame(rows)

    def targets(self) -> dict:
        return {OPERATION: self.target, ZIP215_BATCH_TARGET: self.zip215_batch_target}

    def target(self, profile: str = "quick") -> TargetResult:
        """The issue's per-signature target: the best CPU kernel (all cores), rules="libsodium", end to end from
        bytes to verdicts with the host SHA-512 included, >= 3x a PyNaCl loop `vk.verify(m, s)` on 2 048
        signatures over 100-byte messages; `openssl speed -multi <cores> ed25519` as the peer."""
        return self._target(OPERATION, "libsodium", "single", TARGET_CANDIDATES, LIBSODIUM_GOAL, profile)

    def zip215_batch_target(self, profile: str = "quick") -> TargetResult:
        """The issue's batch target: the same 2 048 signatures under rules="zip215" by batch verification,
        >= 6x the PyNaCl loop, end to end; the same peer."""
        return self._target(ZIP215_BATCH_TARGET, "zip215", "batch", TARGET_CANDIDATES, ZIP215_BATCH_GOAL, profile)

    def _target(self, name: str, rules: str, method: str, backends: Sequence[str], goal: float,
                profile: str) -> TargetResult:
        """Candidates against the PyNaCl loop, timed interleaved. Every candidate's verdicts are checked first on
        the correctness batch (invalid signatures included, verdicts known from the construction) and, under
        ZIP 215, on the adversarial batch, then on the target batch (all valid)."""
        from nacl.signing import VerifyKey

        count = TARGET_SIGNATURES[check_profile(profile)]
        keys, msgs, sigs = signed_batch(count, MESSAGE_BYTES)
        vks = [VerifyKey(k) for k in keys]
        ck, cm, cs, want = correctness_batch()
        if rules == "zip215":
            adversarial = adversarial_batch(ADVERSARIAL_PER_KIND["smoke"])
            ck, cm, cs = ck + adversarial["public_keys"], cm + adversarial["messages"], cs + adversarial["signatures"]
            want = np.concatenate([want, adversarial["zip215"]])
        candidates: dict[str, Candidate | Exception] = {}
        for backend in backends:
            try:
                got = ed25519_verify_batch(ck, cm, cs, backend=backend, rules=rules, method=method)
            except BackendUnavailable as e:
                candidates[backend] = e
                continue
            assert np.array_equal(got, want), f"target {name}: {backend} gives a wrong verdict"
            module, prepared = backend_module(OPERATION, backend), prepare(*check_batch(keys, msgs, sigs))
            if method == "batch":
                kernel = lambda m=module, p=prepared: m.verify_prepared_batch(p)  # noqa: E731
            elif staged(backend):
                on_device = module.Staged(prepared, rules)
                on_device.h2d()
                kernel = lambda s=on_device: (s.kernel(), s.d2h())[1]  # noqa: E731
            else:
                kernel = lambda m=module, p=prepared: m.verify_prepared(p, rules)  # noqa: E731
            candidates[backend] = Candidate(lambda b=backend: ed25519_verify_batch(
                keys, msgs, sigs, backend=b, rules=rules, method=method), kernel)
        return run_target(name, OPERATION,
                          ("[vk.verify(m, s) for vk, m, s in zip(vks, msgs, sigs)]",
                           lambda: [vk.verify(m, s) for vk, m, s in zip(vks, msgs, sigs)]),
                          candidates, lambda out: np.array_equal(np.asarray(out, dtype=bool), np.ones(count, bool)),
                          count, "signatures", goal, min_seconds=TARGET_SECONDS[profile],
                          min_rounds=TARGET_ROUNDS[profile], peer=openssl_peer("ed25519_verify", PEER_SECONDS[profile]))

    def prediction(self, cores: int | None = None) -> dict:
        """Field multiplications and bytes per signature, and the expected rates (kernels/signatures/prediction.py)."""
        return ed25519_prediction(cores or os.cpu_count() or 1)


HOT_PATH = SignaturesHotPath()
