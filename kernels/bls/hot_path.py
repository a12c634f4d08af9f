"""The BLS12-381 hot path: per-item verification (reference, library) against batch verification on every
MSM backend, for consensus shares on one message, distinct messages and certificate streams; correctness
against verdicts known from the construction, RFC 9380's hash-to-curve vectors and a recorded mainnet
certificate; the issue's two targets. No `openssl speed` peer exists for BLS (OpenSSL has no pairings)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

import numpy as np
import pandas as pd

from .. import devices
from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, compile_row, timing_unavailable_reason, unavailable
from ..registry import BACKENDS, BackendUnavailable
from ..targets import Candidate, TargetResult, run_target
from . import IC_DST, OPERATION, PER_ITEM_BACKENDS, bls12381_verify_batch, library, msm
from .batch import Batch
from .certificate import parse, verify_certificates
from .prediction import bls_prediction
from .tables import BATCH_LIBRARY
from .workloads import (MAINNET_ROOT_KEY, RECORDED_CERTIFICATE, RECORDED_DELEGATION_ROOT, RECORDED_ROOT,
                        certificate_stream, consensus_shares, correctness_batch, distinct_messages, root_key,
                        with_bad_items)

REFERENCE_MAX_BATCH = 2  # py_ecc: about a quarter of a second per signature
BATCH_BACKENDS = ("library", "numba_cpu", "opencl", "numba_cuda", "cupy")  # decode + MSM backends of batch.py
BATCH_SIZES = {"smoke": [1, 4], "quick": [1, 9, 23, 100], "full": [1, 9, 19, 23, 27, 64, 256, 1000]}
STEP_SIZES = {"smoke": [4], "quick": [23], "full": [23, 256]}
STEPS = ("decode", "hash_to_curve", "msm", "pairing")
KINDS = ("one", "distinct", "certificates")  # what `messages` a workload's items carry
TARGETS = {  # name -> (items, goal): issue 14's two targets
    "bls12381_verify_shares_34": (23, 5.0),  # the 23 notarization shares of a 34-node subnet on one message
    "bls12381_verify_distinct": (1_000, 2.0),  # 1 000 distinct-message verifications
}
TARGET_ITEMS = {"smoke": {"bls12381_verify_shares_34": 23, "bls12381_verify_distinct": 24}}
TARGET_SECONDS = {"smoke": 0.0, "quick": 1.0, "full": 3.0}
TARGET_ROUNDS = {"smoke": 2, "quick": 3, "full": 9}  # a quick round of 1 000 distinct messages takes ~10 s here
TARGET_BAD_ITEMS = 3  # known-bad items in the pre-check: a verifier that says True everywhere fails it
PEER_NOTE = "no peer: `openssl speed` has no BLS12-381 or pairing benchmark"
ITEM_BYTES = 96 + 48  # key and signature (the message comes on top)


def candidate_label(backend: str) -> str:
    """A target candidate's name: the batch method on `backend` (on blst's own arithmetic: `library-batch`,
    never to be confused with the per-item `library` baseline)."""
    return BATCH_LIBRARY if backend == "library" else backend


def workload(kind: str, method: str) -> Workload:
    names = {"one": "shares-one-message", "distinct": "distinct-messages", "certificates": "certificate-stream"}
    return Workload(names[kind], {"messages": kind, "method": method})


def workload_data(w: Workload, batch_size: int):
    """(keys, messages, signatures) for share and distinct-message workloads; the certificates for a stream."""
    kind = w.params["messages"]
    if kind == "one":
        return consensus_shares(max(batch_size, 1), "notarization", 0, batch_size)
    if kind == "distinct":
        return distinct_messages(batch_size)
    return certificate_stream(batch_size, True)


def _bytes_per_item(data, kind: str, batch_size: int) -> float:
    if kind == "certificates":
        return sum(map(len, data)) / max(batch_size, 1)
    return ITEM_BYTES + sum(map(len, data[1])) / max(batch_size, 1)


def _check_runnable(operation: str, backend: str, method: str, batch_size: int) -> None:
    missing = unavailable(operation, backend)
    if missing:
        raise missing
    if backend == "reference" and batch_size > REFERENCE_MAX_BATCH:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BATCH} signatures "
                                 "(py_ecc, a quarter of a second each)")
    if method == "per_item" and backend not in PER_ITEM_BACKENDS:
        raise BackendUnavailable(f"{operation} on {backend}: group arithmetic only (batch method)")


def verify_case(operation: str, backend: str, w: Workload, batch_size: int, data) -> Case:
    """end_to_end: the public call from bytes to verdicts; for the batch method also `kernel`: the MSMs and
    pairings of the batch on points already decoded and hashed (data in place)."""
    kind, method = w.params["messages"], w.params["method"]
    _check_runnable(operation, backend, method, batch_size)
    case = Case.of(operation, backend, w, batch_size, _bytes_per_item(data, kind, batch_size))
    if kind == "certificates":
        case.phases["end_to_end"] = lambda: verify_certificates(data, root_key(), backend=backend, method=method)
        return case
    keys, msgs, sigs = data
    if method == "batch":  # decoded on the first (warm-up) call, so building a case compiles nothing
        prepared = cache(lambda: Batch(list(keys), list(msgs), list(sigs), IC_DST, backend).decode().hash())
        case.phases["kernel"] = lambda: prepared().singles().verdicts()
    case.phases["end_to_end"] = lambda: bls12381_verify_batch(keys, msgs, sigs, backend=backend, method=method)
    return case


def step_case(operation: str, backend: str, w: Workload, batch_size: int, data) -> Case:
    """One step of batch verification on its own (phase `kernel`, the step in the `step` column): decode
    (signatures and keys on the backend), hash_to_curve (blst), msm (the backend's), pairing (blst)."""
    step = w.params["step"]
    _check_runnable(operation, backend, "batch", batch_size)
    keys, msgs, sigs = data

    @cache
    def ready() -> tuple:  # the batch decoded, hashed and combined once, on the first (warm-up) call
        batch = Batch(list(keys), list(msgs), list(sigs), IC_DST, backend).decode().hash()
        everything = np.nonzero(batch.ok)[0]
        return batch, everything, batch.combine(everything)

    fns = {"decode": lambda: Batch(list(keys), list(msgs), list(sigs), IC_DST, backend).decode(),
           "hash_to_curve": lambda: ready()[0].hash(),
           "msm": lambda: ready()[0].combine(ready()[1]),
           "pairing": lambda: ready()[0].singles().pair(ready()[1], ready()[2])}
    return Case.of(operation, backend, w, batch_size, _bytes_per_item(data, "one", batch_size),
                   phases={"kernel": fns[step]})


class BlsHotPath(HotPath):
    name = "bls"
    title = "BLS12-381 verification (min-sig) for IC certificates and consensus"
    operations = (OPERATION,)
    notebook = "09_bls.ipynb"
    compile_operation = OPERATION

    def sweeps(self, profile: str) -> list[Sweep]:
        sizes = BATCH_SIZES[check_profile(profile)]
        per_item = Sweep("per_item", [OPERATION], [workload(k, "per_item") for k in KINDS], sizes,
                         list(PER_ITEM_BACKENDS), ("end_to_end",), verify_case, data=workload_data)
        batched = Sweep("batch", [OPERATION], [workload(k, "batch") for k in KINDS], sizes, list(BATCH_BACKENDS),
                        ("kernel", "end_to_end"), verify_case, data=workload_data)
        steps = Sweep("steps", [OPERATION],
                      [Workload(f"step-{s}", {"messages": "one", "method": "batch", "step": s}) for s in STEPS],
                      STEP_SIZES[profile], list(BATCH_BACKENDS), ("kernel",), step_case,
                      data=lambda w, n: consensus_shares(max(n, 1), "notarization", 0, n))
        return [per_item, batched, steps]

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int) -> Iterator:
        """`python -m kernels bench bls12381_verify`: shares on one message, each backend's default method
        (item_bytes is ignored: keys, signatures and messages have the IC's sizes)."""
        if operation != OPERATION:
            raise ValueError(f"unknown bls operation {operation!r}; use {OPERATION}")
        for backend in backends:
            method = "per_item" if backend in PER_ITEM_BACKENDS else "batch"
            yield from Sweep("cli", [OPERATION], [workload("one", method)], list(sizes), [backend], ("end_to_end",),
                             verify_case, data=workload_data).cases()

    def compile_rows(self, backends: Sequence[str]) -> list[dict]:
        """First decode and MSM of a point in G1 and G2 per kernel backend: the JIT or program build (a cache
        hit shows as a short compile)."""
        g1, g2 = library.G1_GENERATOR_BYTES, library.G2_GENERATOR_BYTES
        rows = []
        for backend in backends:
            if backend not in msm.BACKENDS or backend in PER_ITEM_BACKENDS or timing_unavailable_reason(backend):
                continue

            def build(b=backend):
                msm.msm(msm.decode_g1([g1], backend=b), [1], backend=b)
                msm.msm(msm.decode_g2([g2], backend=b), [1], backend=b)
            try:
                rows.append(compile_row(OPERATION, backend, build))
            except BackendUnavailable:
                continue
        return rows

    def check_sets(self) -> dict[str, tuple]:
        """{name: (keys, messages, signatures, expected)}: the correctness batch and valid batches of each kind."""
        keys, msgs, sigs, valid, kinds = correctness_batch()
        sets = {f"valid and invalid items ({len(set(kinds))} kinds, bad items at random positions)":
                (keys, msgs, sigs, valid)}
        for name, (k, m, s) in {"34-node notarization shares": consensus_shares(34),
                                "distinct messages": distinct_messages(12)}.items():
            k, m, s, want = with_bad_items(k, m, s, 2, seed=len(k))
            sets[f"{name}, 2 made invalid"] = (k, m, s, want)
        return sets

    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Every backend's verdicts (its default method; the batch method too on library) on every check set
        against the verdicts known from the construction (never a backend against itself), RFC 9380's
        hash-to-curve vectors on reference and library, and the recorded mainnet certificate plus certificates
        built here on every backend. The reference runs the items its pairing is not needed for, and two
        others (a quarter of a second each). AssertionError on any difference."""
        check_profile(profile)
        rows = []
        for backend in BACKENDS if backends is None else backends:
            if backend == "numba_cuda" and devices.cuda_simulated():
                rows.append({"backend": backend, "check": "all", "items": 0, "result": "not run here: the CUDA "
                             "simulator needs seconds per G2 point, too slow for a check batch "
                             "(tests/test_bls_msm.py runs its kernels)"})
                continue
            methods = ["per_item", "batch"] if backend == "library" else [None]
            for method in methods:
                label = backend if method is None else f"{backend} ({method})"
                try:
                    for name, (k, m, s, want) in self.check_sets().items():
                        picked = self._picked(backend, k, s, want)
                        got = bls12381_verify_batch([k[i] for i in picked], [m[i] for i in picked],
                                                    [s[i] for i in picked], backend=backend, method=method)
                        bad = np.nonzero(got != want[picked])[0]
                        assert bad.size == 0, f"{label}: {name}: wrong verdicts at {picked[bad][:10].tolist()}"
                        rows.append({"backend": label, "check": name, "items": len(picked),
                                     "result": f"agrees ({int(want[picked].sum())} valid, "
                                               f"{int((~want[picked]).sum())} invalid)"})
                    rows.append(self._certificate_row(backend, label, method))
                except BackendUnavailable as e:
                    rows.append({"backend": label, "check": "all", "items": 0, "result": f"unavailable: {e}"})
        return pd.DataFrame(rows + self.hash_to_curve_rows(backends))

    @staticmethod
    def _picked(backend: str, keys: list, sigs: list, want: np.ndarray) -> np.ndarray:
        """All items; on the reference, the invalid encodings (no pairing) and two items that need one."""
        everything = np.arange(len(keys))
        if backend == "reference":
            cheap = [i for i in everything if library.decode_public_key(keys[i]) is None
                     or library.decode_signature(sigs[i]) is None]
            paired = [i for i in everything if i not in cheap]
            paired = [i for i in paired if want[i]][:1] + [i for i in paired if not want[i]][:1]
            return np.array(sorted(cheap + paired), dtype=np.int64)
        return everything

    @staticmethod
    def _certificate_row(backend: str, label: str, method: str | None) -> dict:
        """The recorded mainnet certificate (root rebuilt, both signatures), tampered copies, and certificates
        built here (with and without delegation, against the right and a wrong root key)."""
        parsed = parse(RECORDED_CERTIFICATE)
        assert parsed.root == RECORDED_ROOT and parsed.delegation.root == RECORDED_DELEGATION_ROOT, \
            "the recorded certificate's rebuilt roots differ from the recorded ones"
        tampered = bytearray(RECORDED_CERTIFICATE)
        tampered[-5] ^= 1  # inside the outer signature
        certs = [RECORDED_CERTIFICATE, bytes(tampered), RECORDED_CERTIFICATE[:-1]]
        want = [True, False, False]
        got = list(verify_certificates(certs, MAINNET_ROOT_KEY, backend=backend, method=method))
        if backend != "reference":  # built certificates: two pairings each on the reference are left out
            built = [certificate_stream(2, True)[0], certificate_stream(2, False)[1]]
            got += list(verify_certificates(built, root_key(), backend=backend, method=method))
            got += list(verify_certificates(built, MAINNET_ROOT_KEY, backend=backend, method=method))
            want += [True, True, False, False]
        assert got == want, f"{label}: certificate verdicts {got}, expected {want}"
        return {"backend": label, "check": "recorded mainnet certificate (with delegation), tampered copies; "
                "certificates built here", "items": len(want), "result": f"agrees ({sum(want)} valid, "
                f"{len(want) - sum(want)} invalid)"}

    @staticmethod
    def hash_to_curve_rows(backends: Sequence[str] | None) -> list[dict]:
        """RFC 9380 appendix J.9.1 (BLS12381G1_XMD:SHA-256_SSWU_RO_) on py_ecc and blst, and on the hash kernels
        that can run here (numba_cpu, opencl; numba_cuda and cupy on a GPU)."""
        from pyblst import BlstP1Element

        from . import reference
        from .hash_numba_cpu import compress
        from .workloads import RFC9380_G1_DST, RFC9380_G1_VECTORS, compress_xy

        rows = []
        for backend in [b for b in ("reference", "library") if backends is None or b in backends]:
            for message, x, y in RFC9380_G1_VECTORS:
                if backend == "reference":
                    got = reference.hash_to_g1_bytes(message, RFC9380_G1_DST)
                    assert got == x + y, f"reference: hash_to_curve({message!r}) differs from RFC 9380"
                else:
                    got = BlstP1Element.hash_to_group(message, RFC9380_G1_DST).compress()
                    assert got == compress_xy(x, y), f"library: hash_to_curve({message!r}) differs from RFC 9380"
            rows.append({"backend": backend, "check": "RFC 9380 J.9.1 hash_to_curve vectors",
                         "items": len(RFC9380_G1_VECTORS), "result": "agrees"})
        for backend in [b for b in msm.HASH_MODULES if backends is None or b in backends]:
            if timing_unavailable_reason(backend):
                continue
            got = compress(msm.hash_to_g1([m for m, _, _ in RFC9380_G1_VECTORS], RFC9380_G1_DST, backend=backend))
            assert got == [compress_xy(x, y) for _, x, y in RFC9380_G1_VECTORS], \
                f"{backend}: hash_to_curve differs from RFC 9380"
            rows.append({"backend": backend, "check": "RFC 9380 J.9.1 hash_to_curve vectors (kernel)",
                         "items": len(RFC9380_G1_VECTORS), "result": "agrees"})
        return rows

    def targets(self) -> dict:
        return {name: (lambda profile="quick", n=name: self.target(n, profile)) for name in TARGETS}

    def target(self, name: str, profile: str = "quick") -> TargetResult:
        """One of the issue's targets: batch verification on each MSM backend, end to end from bytes to verdicts
        (kernel-only beside it: MSMs and pairings on points already decoded and hashed), against the per-share
        blst loop on the same bytes. Before timing, each candidate's verdicts on the same batch with
        TARGET_BAD_ITEMS signatures made invalid must equal the loop's; the timed batch is all valid (the
        common case; a bad item costs a bisection, measured in the sweep's check)."""
        items, goal = TARGETS[name]
        count = TARGET_ITEMS.get(check_profile(profile), {}).get(name, items)
        keys, msgs, sigs = consensus_shares(34) if name.endswith("_34") else distinct_messages(count)
        bad = with_bad_items(keys, msgs, sigs, TARGET_BAD_ITEMS, seed=count)
        expected_bad = library.verify_batch(*bad[:3], IC_DST)
        assert np.array_equal(expected_bad, bad[3]), "the library loop misjudges the known-bad items"
        expected = library.verify_batch(keys, msgs, sigs, IC_DST)
        candidates: dict[str, Candidate | Exception] = {}
        for backend in BATCH_BACKENDS:
            missing = unavailable(OPERATION, backend)
            if missing:
                candidates[candidate_label(backend)] = missing
                continue
            try:
                got = bls12381_verify_batch(*bad[:3], backend=backend, method="batch")
                prepared = Batch(list(keys), list(msgs), list(sigs), IC_DST, backend).decode().hash()
            except BackendUnavailable as e:
                candidates[candidate_label(backend)] = e
                continue
            assert np.array_equal(got, expected_bad), f"target {name}: {backend} misjudges the known-bad items"
            candidates[candidate_label(backend)] = Candidate(
                lambda b=backend: bls12381_verify_batch(keys, msgs, sigs, backend=b, method="batch"),
                lambda p=prepared: p.singles().verdicts())
        return run_target(name, OPERATION,
                          ("[library.verify(k, m, s, IC_DST) for k, m, s in zip(keys, msgs, sigs)]  # blst per share",
                           lambda: library.verify_batch(keys, msgs, sigs, IC_DST)),
                          candidates, lambda out: np.array_equal(np.asarray(out, dtype=bool), expected),
                          len(keys), "signatures", goal, min_seconds=TARGET_SECONDS[profile],
                          min_rounds=TARGET_ROUNDS[profile])

    def prediction(self, **kwargs) -> dict:
        """Consensus counts per subnet and the per-item against batch cost model (prediction.py)."""
        return bls_prediction(**kwargs)


HOT_PATH = BlsHotPath()
