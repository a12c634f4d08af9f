"""Ingress on a node, step by step: open the TLS record, decode the CBOR envelope, check size and expiry,
compute the request id, look up the verified-signature cache (BLS, as the replica caches canister signatures:
docs/REFERENCES.md section 1) and check the signatures. `admit` runs the steps for a list of requests and gives
each an `Admitted` or a `Rejection`; `stage_rows` times each step on the library path and on the candidates
for the best path, interleaved.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..hashing import request_id, request_ids
from ..signatures.cache import VerificationCache
from .envelope import ANONYMOUS, Rejection, decode, validate
from .senders import SCHEMES, Checks, add_checks, expand_canister_sigs, verify_scheme
from .stages import Candidate, noop, per_item, rows_for
from .workloads import NOW_NS, TLS_KEY, Request, record_nonce

BLS_CACHE_ENTRIES = 100_000  # the replica's BLS verified-signature cache (dfinity/ic bls12_381 cache.rs)


@dataclass(frozen=True)
class Admitted:
    """A request that passed ingress: its envelope and request id."""

    envelope: dict
    request_id: bytes
    body_bytes: int


def open_records(records: tuple[bytes, ...], key: bytes = TLS_KEY) -> bytes | Rejection:
    """The HTTP body from its TLS 1.3 records (AES-256-GCM), or a Rejection when a record fails to open."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, out = AESGCM(key), []
    for sequence, record in enumerate(records):
        try:
            out.append(aead.decrypt(record_nonce(key, sequence), record[5:], record[:5])[:-1])
        except (InvalidTag, ValueError):
            return Rejection("tls", "TLS record failed to authenticate")
    return b"".join(out)


def check_signatures(admitted: list, path: str, cache: VerificationCache | None) -> dict[int, str]:
    """{index: reason} for the admitted requests whose signatures fail; BLS checks found in `cache` are skipped,
    those that pass are added to it."""
    checks, bad_trees = collect_checks(admitted)
    failed = {i: "malformed authentication fields" for i in checks.malformed}
    failed.update({i: "canister signature tree does not match" for i in bad_trees})
    for scheme in SCHEMES:
        triples, owners = checks.triples[scheme], checks.owners[scheme]
        todo = _to_verify(triples, cache if scheme == "bls" else None)
        verdicts = dict(zip(todo, verify_scheme(scheme, todo, path)))
        for owner, triple in zip(owners, triples):
            if not verdicts.get(triple, True):
                failed.setdefault(owner, f"{scheme} signature invalid")
        if cache is not None and scheme == "bls":
            for triple in todo:
                if verdicts[triple]:
                    cache.insert(*triple)
    return failed


def collect_checks(admitted: list) -> tuple[Checks, list]:
    """The signature checks of the admitted, signed requests by scheme (canister signatures turned into their BLS
    checks), and the requests whose canister-signature tree failed before any BLS check."""
    checks = Checks()
    for i, a in enumerate(admitted):
        if isinstance(a, Admitted) and not _anonymous(a.envelope):
            add_checks(checks, i, a.envelope, a.request_id)
    return checks, expand_canister_sigs(checks)


def _anonymous(envelope: dict) -> bool:
    """A request from the anonymous principal carries no key and no signature (IC spec, "Authentication")."""
    return envelope["content"].get("sender") == ANONYMOUS and "sender_pubkey" not in envelope


def _to_verify(triples: list, cache: VerificationCache | None) -> list:
    """The distinct triples to verify: each once, as a node checking messages one after another would with its
    cache (a repeat is answered by the first), and none the cache already holds."""
    unique = list(dict.fromkeys(triples))
    if cache is None:
        return unique
    return [t for t in unique if not cache.lookup(*t)]


def admit(requests: list[Request], path: str = "library", now_ns: int = NOW_NS, decoder: str = "cbor2",
          cache: VerificationCache | None = None) -> list[Admitted | Rejection]:
    """Every step of ingress for each request; a failing request gets its Rejection and the rest go on."""
    out: list[Admitted | Rejection] = []
    for r in requests:
        body = open_records(r.records)
        envelope = decode(body, decoder) if isinstance(body, bytes) else body
        if isinstance(envelope, Rejection):
            out.append(envelope)
            continue
        rejection = validate(envelope, len(body), now_ns, r.kind)
        out.append(rejection or Admitted(envelope, request_id(envelope["content"]), len(body)))
    for i, reason in check_signatures(out, path, cache).items():
        out[i] = Rejection("signatures", reason)
    return out


# --- timing -----------------------------------------------------------------------------------------------------

def signature_rows(workload: str, kind: str, admitted: list, repeats: int, threads: int) -> list:
    """One stage per scheme: its checks for these requests one at a time with the library, and in one batch on
    numba_cpu (cores x wall); BLS checks the cache answers are not verified (first sight misses)."""
    checks, rows = collect_checks(admitted)[0], []
    rows += rows_for("signature parsing", "ingress", workload, kind,
                     [Candidate("library", "python", lambda: collect_checks(admitted), len(admitted),
                                per_item(noop, admitted))], repeats,
                     note="delegation maps hashed, canister-signature trees and certificates parsed")
    for scheme in SCHEMES:
        triples = checks.triples[scheme]
        if scheme == "bls":
            triples = list(dict.fromkeys(triples))  # the cache answers repeats of a session's delegation
        if not triples:
            continue
        rows += rows_for(f"signatures {scheme}", "ingress", workload, kind, [
            Candidate("library", "library", lambda t=triples: verify_scheme(scheme, t, "library"), len(admitted)),
            Candidate("numba_cpu", "numba_cpu", lambda t=triples: verify_scheme(scheme, t, "best"), len(admitted),
                      cores=threads, per_item_latency=False)], repeats,
            note=f"{len(triples)} checks for {len(admitted)} requests")
    return rows


def stage_rows(workload: str, kind: str, requests: list[Request], repeats: int = 3, threads: int = 1) -> list:
    """StageRows of every ingress step for these requests (all valid), library and best candidates."""
    bodies = [open_records(r.records) for r in requests]
    envelopes = [decode(b) for b in bodies]
    contents = [e["content"] for e in envelopes]
    admitted = admit(requests)
    if any(isinstance(a, Rejection) for a in admitted):
        raise ValueError("stage_rows times valid requests only; a request was rejected: "
                         + next(a.reason for a in admitted if isinstance(a, Rejection)))
    n = len(requests)
    records = [r.records for r in requests]
    steps = [
        ("tls decrypt", [Candidate("library", "cryptography", per_item(open_records, records), n,
                                   per_item(noop, records))]),
        ("decode", [Candidate("library", "cbor2", per_item(decode, bodies), n, per_item(noop, bodies)),
                    Candidate("suite", "kernels.cbor", per_item(lambda b: decode(b, "suite"), bodies), n,
                              per_item(noop, bodies))]),
        ("validate", [Candidate("library", "python", per_item(
            lambda e: validate(e, 512, NOW_NS, kind), envelopes), n, per_item(noop, envelopes))]),
        ("request id", [Candidate("library", "hashlib", per_item(request_id, contents), n, per_item(noop, contents)),
                        Candidate("numba_cpu", "numba_cpu", lambda: request_ids(contents, backend="numba_cpu"), n,
                                  cores=threads, per_item_latency=False)]),
    ]
    rows = []
    for stage, candidates in steps:
        rows += rows_for(stage, "ingress", workload, kind, candidates, repeats)
    return rows + cache_rows(workload, kind, admitted, repeats) + signature_rows(workload, kind, admitted, repeats,
                                                                                 threads)


def cache_rows(workload: str, kind: str, admitted: list, repeats: int) -> list:
    """The BLS cache lookups of these requests (hits and misses as the session reuse makes them)."""
    triples = collect_checks(admitted)[0].triples["bls"]

    def run():
        cache = VerificationCache(BLS_CACHE_ENTRIES)
        for t in triples:
            if not cache.lookup(*t):
                cache.insert(*t)
    note = f"{len(triples)} BLS checks over {len(admitted)} requests"
    return rows_for("signature cache", "ingress", workload, kind,
                    [Candidate("library", "python LRU", run, len(admitted), per_item(noop, triples))], repeats,
                    note=note)


def bls_hit_rate(admitted: list) -> float:
    """Share of the BLS checks of these requests that the cache answers (first sight of a check misses)."""
    triples = collect_checks(admitted)[0].triples["bls"]
    return 1.0 - len(set(triples)) / len(triples) if triples else float("nan")


def rejection_reasons(results: list) -> list[str | None]:
    return [r.reason if isinstance(r, Rejection) else None for r in results]


def valid_mask(results: list) -> np.ndarray:
    return np.array([isinstance(r, Admitted) for r in results], dtype=bool)
