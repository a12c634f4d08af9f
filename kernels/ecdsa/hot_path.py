"""The ECDSA hot path: the batch-size sweep per curve, correctness against verdicts known from construction
and Wycheproof's published ones, the IC's high-s rule set against Wycheproof's bitcoin file, and the issue's
target per curve (best CPU kernel vs the library loop, `openssl speed` as the P-256 peer)."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from .. import devices
from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.peer import openssl_peer
from ..measure.bench import Case, unavailable
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import OPERATION, check_batch, ecdsa_verify_batch, prepare
from .curves import CURVES
from .library import verifier
from .prediction import ecdsa_prediction
from .webauthn import webauthn_verify_batch
from .workloads import (MESSAGE_BYTES, correctness_batch, signed_batch, webauthn_batch, webauthn_correctness_batch,
                        wycheproof)

PHASES = ("pack", "h2d", "kernel", "d2h", "end_to_end")
REFERENCE_MAX_BATCH = 16  # pure Python: milliseconds per signature
SIMULATOR_MAX_CHECK = 4  # the CUDA simulator runs the kernel as Python: about a second per signature
BATCH_SIZES = {"smoke": [1, 4, 16], "quick": [1, 8, 64, 512, 2048], "full": [2**k for k in range(0, 15, 2)]}
TARGET_SIGNATURES = {"smoke": 64, "quick": 2_048, "full": 2_048}  # the 2 048; fewer in tests
TARGET_SECONDS = {"smoke": 0.0, "quick": 1.0, "full": 3.0}
TARGET_ROUNDS = {"smoke": 2, "quick": 7, "full": 9}
TARGET_CANDIDATES = ("numba_cpu", "opencl")  # the "best CPU kernel" (all cores)
TARGET_GOAL = 1.0  # issue 14: >= 1x the library loop on 2 048 signatures per curve
PEER_SECONDS = {"smoke": 1, "quick": 2, "full": 3}  # `openssl speed -seconds` for the P-256 peer
WYCHEPROOF_SETS = (("p1363", "Wycheproof P1363 (raw r || s)"), ("der", "Wycheproof DER, strict DER as raw r || s"))
LIBRARY_NAMES = {"p256": "cryptography (OpenSSL)", "secp256k1": "coincurve (libsecp256k1)"}


def target_name(curve: str) -> str:
    return f"{OPERATION}_{curve}"



def _bytes_per_item(keys: Sequence[bytes], messages: Sequence[bytes], count: int) -> float:
    return (sum(map(len, keys)) + sum(map(len, messages)) + 64 * count) / max(count, 1)  # key, message, signature


def batch_case(operation: str, backend: str, workload: Workload, batch_size: int, data: tuple) -> Case:
    """Every phase of one batch: pack (key points cut out, SHA-256, limbs), h2d, kernel, d2h, end_to_end."""
    curve = workload.params["curve"]
    keys, msgs, sigs = data
    missing = unavailable(operation, backend)
    if missing:
        raise missing
    if backend == "reference" and batch_size > REFERENCE_MAX_BATCH:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                 "(pure Python, milliseconds each)")
    module = backend_module(operation, backend)
    threads = 1 if backend == "numba_cpu" and batch_size < module.SERIAL_BELOW else None
    case = Case.of(operation, backend, workload, batch_size, _bytes_per_item(keys, msgs, batch_size), threads=threads)
    if packed_input(backend):
        checked = check_batch(keys, msgs, sigs)
        prepared = prepare(curve, *checked)
        case.phases["pack"] = lambda: prepare(curve, *checked)
        if staged(backend):
            case.add_staged(module.Staged(prepared))
        else:
            case.phases["kernel"] = lambda: module.verify_prepared(prepared)
    case.phases["end_to_end"] = lambda: ecdsa_verify_batch(curve, keys, msgs, sigs, backend=backend)
    return case


def batch_sweep(name: str, sizes: Sequence[int], curves: Sequence[str], backends: Sequence[str]) -> Sweep:
    """Valid IC-shaped signatures (DER keys, raw r || s over "\\x0Aic-request" || request id, half of them
    high s), every curve, size and backend."""
    workloads = [Workload(f"{curve}-ic-request", {"curve": curve, "message_bytes": MESSAGE_BYTES}) for curve in curves]
    return Sweep(name, [OPERATION], workloads, list(sizes), list(backends), PHASES, batch_case,
                 data=lambda workload, size: signed_batch(workload.params["curve"], size))


def _limit(backend: str) -> int | None:
    """How many items of a check set a backend runs: all, but a few on the CUDA simulator."""
    return SIMULATOR_MAX_CHECK if backend == "numba_cuda" and devices.cuda_simulated() else None


class EcdsaHotPath(HotPath):
    name = "ecdsa"
    title = "ECDSA verification (P-256, secp256k1) with the IC's rules"
    operations = (OPERATION,)
    notebook = "08_ecdsa.ipynb"
    compile_operation = OPERATION

    def sweeps(self, profile: str) -> list[Sweep]:
        return [batch_sweep("batch", BATCH_SIZES[check_profile(profile)], list(CURVES), BACKENDS)]

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench ecdsa_verify ...`: both curves, IC-shaped messages (item_bytes is ignored:
        the message is always the 43-byte request domain and id)."""
        if operation != OPERATION:
            raise ValueError(f"unknown ecdsa operation {operation!r}; use {OPERATION}")
        return batch_sweep("cli", sizes, list(CURVES), backends).cases()

    def check_sets(self, curve: str) -> dict[str, tuple]:
        """{name: (keys, messages, signatures, expected verdicts)} for one curve: the correctness batch
        (verdicts from the construction, confirmed by the reference in tests) and both Wycheproof encodings."""
        keys, msgs, sigs, valid, kinds = correctness_batch(curve)
        sets = {f"valid (low and high s), bit flips, r or s out of range, bad keys ({len(kinds)} kinds)":
                (keys, msgs, sigs, valid)}
        for encoding, label in WYCHEPROOF_SETS:
            try:
                w = wycheproof(curve, encoding)
            except FileNotFoundError as e:  # a vector file missing from tests/vectors: said, not hidden
                sets[label] = e
                continue
            sets[label] = (w["keys"], w["messages"], w["signatures"], w["valid"])
        return sets

    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Each backend's verdicts on every check set of both curves, against the expected verdicts (never a
        backend against itself); AssertionError on any difference. The CUDA simulator runs the first few items
        of each set (about a second per signature)."""
        check_profile(profile)
        rows = []
        for backend in BACKENDS if backends is None else backends:
            for curve in CURVES:
                for name, item in self.check_sets(curve).items():
                    if isinstance(item, FileNotFoundError):
                        rows.append({"backend": backend, "curve": curve, "check": name, "items": 0,
                                     "result": f"not run: {item}"})
                        continue
                    k, m, s, want = item
                    count = _limit(backend) or len(k)
                    try:
                        got = ecdsa_verify_batch(curve, k[:count], m[:count], s[:count], backend=backend)
                    except BackendUnavailable as e:
                        rows.append({"backend": backend, "curve": curve, "check": name, "items": count,
                                     "result": f"unavailable: {e}"})
                        break
                    bad = np.nonzero(got != want[:count])[0]
                    assert bad.size == 0, f"{backend}/{curve}: {name}: wrong verdicts at {bad[:10].tolist()}"
                    rows.append({"backend": backend, "curve": curve, "check": name, "items": count,
                                 "result": f"agrees ({int(want[:count].sum())} valid, "
                                           f"{int((~want[:count]).sum())} invalid)"})
        return pd.DataFrame(rows)

    def webauthn_check(self, backends: Sequence[str] | None = None) -> pd.DataFrame:
        """WebAuthn envelopes (Internet Identity devices) on each backend: the correctness batch (valid low and
        high s, a challenge for another message, bit flips, malformed CBOR, DER and COSE; verdicts known from the
        construction) and a valid batch of 64 (the CUDA simulator gets a few of each); AssertionError on any
        difference. Parsing runs on the host; the P-256 verifications on the backend."""
        keys, msgs, envs, valid, kinds = webauthn_correctness_batch()
        batch = webauthn_batch(64)
        sets = {f"WebAuthn: valid, bit flips, malformed CBOR/DER/COSE ({len(kinds)} kinds)": (keys, msgs, envs, valid),
                "WebAuthn: valid envelopes, half high s": (*batch, np.ones(len(batch[0]), dtype=bool))}
        rows = []
        for backend in BACKENDS if backends is None else backends:
            for name, (k, m, e, want) in sets.items():
                count = _limit(backend) or len(k)
                try:
                    got = webauthn_verify_batch(k[:count], m[:count], e[:count], backend=backend)
                except BackendUnavailable as err:
                    rows.append({"backend": backend, "check": name, "items": count, "result": f"unavailable: {err}"})
                    break
                bad = np.nonzero(got != want[:count])[0]
                assert bad.size == 0, f"{backend}: {name}: wrong verdicts at {bad[:10].tolist()}"
                rows.append({"backend": backend, "check": name, "items": count,
                             "result": f"agrees ({int(want[:count].sum())} valid, "
                                       f"{int((~want[:count]).sum())} invalid)"})
        return pd.DataFrame(rows)

    def high_s_table(self, backends: Sequence[str] | None = None) -> pd.DataFrame:
        """Wycheproof's secp256k1 "bitcoin" file marks every high-s signature invalid (Bitcoin's rule, not the
        IC's). Per backend: how many of its signatures Wycheproof accepts there, how many the backend accepts,
        and whether every difference is a high-s signature that is valid once s is replaced by n - s
        (checked against the file's own verdicts, AssertionError otherwise)."""
        try:
            w = wycheproof("secp256k1", "bitcoin")
        except FileNotFoundError as e:
            return pd.DataFrame([{"backend": "", "result": f"not run: {e}"}])
        n = CURVES["secp256k1"].n
        high = np.array([n // 2 < int.from_bytes(s[32:], "big") < n for s in w["signatures"]])
        low_sigs = [s[:32] + (n - int.from_bytes(s[32:], "big")).to_bytes(32, "big") if h else s
                    for s, h in zip(w["signatures"], high)]
        rows = []
        for backend in BACKENDS if backends is None else backends:
            count = _limit(backend) or len(w["keys"])
            try:
                got = ecdsa_verify_batch("secp256k1", w["keys"][:count], w["messages"][:count],
                                         w["signatures"][:count], backend=backend)
                low = ecdsa_verify_batch("secp256k1", w["keys"][:count], w["messages"][:count], low_sigs[:count],
                                         backend=backend)
            except BackendUnavailable:
                continue
            want, h = w["valid"][:count], high[:count]
            assert np.array_equal(got[~h], want[~h]), f"{backend}: a low-s verdict differs from Wycheproof's"
            assert np.array_equal(got[h], low[h]), f"{backend}: high s is not judged like its low-s twin"
            rows.append({"backend": backend, "vectors": count, "high-s vectors": int(h.sum()),
                         "Wycheproof (bitcoin rules) accepts": int(want.sum()),
                         "IC rules accept": int(got.sum()),
                         "accepted only under the IC's rules (all high s)": int((got & ~want).sum())})
        return pd.DataFrame(rows)

    def targets(self) -> dict:
        return {target_name(curve): (lambda profile="quick", c=curve: self.target(c, profile)) for curve in CURVES}

    def target(self, curve: str, profile: str = "quick") -> TargetResult:
        """The issue's target for one curve: the best CPU kernel (all cores, `numba_cpu` or `opencl`), end to end
        from IC-shaped bytes (DER keys, raw r || s, messages) to verdicts, >= 1x the library loop
        `[verify(k, m, s) ...]` (cryptography for P-256, coincurve with s normalised for secp256k1, the same
        bytes in) on 2 048 signatures; `openssl speed -multi <cores> ecdsap256` as the P-256 peer. Every
        candidate's verdicts are checked on the correctness batch first, then on the target batch (all valid)."""
        count = TARGET_SIGNATURES[check_profile(profile)]
        keys, msgs, sigs = signed_batch(curve, count)
        verify = verifier(curve)
        ck, cm, cs, want, _ = correctness_batch(curve)
        candidates: dict[str, Candidate | Exception] = {}
        for backend in TARGET_CANDIDATES:
            try:
                got = ecdsa_verify_batch(curve, ck, cm, cs, backend=backend)
            except BackendUnavailable as e:
                candidates[backend] = e
                continue
            assert np.array_equal(got, want), f"target {target_name(curve)}: {backend} gives a wrong verdict"
            module, prepared = backend_module(OPERATION, backend), prepare(curve, *check_batch(keys, msgs, sigs))
            if staged(backend):
                on_device = module.Staged(prepared)
                on_device.h2d()
                kernel = lambda s=on_device: (s.kernel(), s.d2h())[1]  # noqa: E731
            else:
                kernel = lambda m=module, p=prepared: m.verify_prepared(p)  # noqa: E731
            candidates[backend] = Candidate(lambda b=backend: ecdsa_verify_batch(curve, keys, msgs, sigs, backend=b),
                                            kernel)
        return run_target(target_name(curve), OPERATION,
                          (f"[verify(k, m, s) for k, m, s in zip(keys, msgs, sigs)]  # {LIBRARY_NAMES[curve]}",
                           lambda: [verify(k, m, s) for k, m, s in zip(keys, msgs, sigs)]),
                          candidates, lambda out: np.array_equal(np.asarray(out, dtype=bool), np.ones(count, bool)),
                          count, "signatures", TARGET_GOAL, min_seconds=TARGET_SECONDS[profile],
                          min_rounds=TARGET_ROUNDS[profile],
                          peer=openssl_peer("ecdsa_p256_verify", PEER_SECONDS[profile]) if curve == "p256" else None)

    def prediction(self, cores: int | None = None) -> dict:
        """Field multiplications, products and bytes per signature, and the expected rates (prediction.py)."""
        return ecdsa_prediction(cores or os.cpu_count() or 1)


HOT_PATH = EcdsaHotPath()
