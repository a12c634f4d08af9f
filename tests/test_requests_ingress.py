"""Ingress of whole requests (kernels.requests: senders, envelope, workloads, ingress, block): every sender kind
admitted, the IC spec's request-id example through the envelope path with both decoders, per-request rejections
(decode, TLS, expiry, size, signatures, delegation) that leave the rest of the batch admitted, library and best
paths agreeing, the BLS cache, ingress selection and block hashing, and argument checks.

Most tests run the library path; only `test_library_and_best_paths_agree` runs the best path (numba_cpu, which
compiles on first use), on a batch of 12 requests."""
import hashlib

import numpy as np
import pytest

from kernels import cbor
from kernels.hashing import request_id
from kernels.requests import block, envelope, ingress, senders, workloads
from kernels.requests.envelope import Rejection
from kernels.requests.ingress import Admitted
from kernels.requests.senders import Sender
from kernels.signatures.cache import VerificationCache

NOW = workloads.NOW_NS
# The scheme whose check signs the request itself, per sender kind (an II session's request is signed by its
# Ed25519 session key; the canister signature only signs the delegation).
REQUEST_SCHEME = {"ed25519": "ed25519", "ecdsa_p256": "ecdsa_p256", "ecdsa_secp256k1": "ecdsa_secp256k1",
                  "webauthn": "webauthn", "ii_session": "ed25519"}


# --- helpers ----------------------------------------------------------------------------------------------------

def sealed(body: bytes, kind: str = "update", sender: str = "test", workload: str = "counter") -> workloads.Request:
    return workloads.Request(workload, kind, sender, body, workloads.seal_records(body, workloads.TLS_KEY))


def content_of(workload: str = "counter", kind: str = "update", nonce: int = 0, **overrides) -> dict:
    rng = np.random.default_rng(nonce)
    c = workloads.content(workload, kind, workloads.method_arg(workload, kind, rng), nonce.to_bytes(8, "big"))
    c.update(overrides)
    return c


def signed(sender: Sender, workload: str = "counter", kind: str = "update", nonce: int = 0,
           **overrides) -> workloads.Request:
    body = envelope.build(sender, content_of(workload, kind, nonce, **overrides))
    return sealed(body, kind, sender.kind, workload)


def tampered(request: workloads.Request, change) -> workloads.Request:
    """The request with its envelope decoded (suite decoder), changed in place by `change`, re-encoded and
    re-sealed."""
    env = envelope.decode(request.body, "suite")
    assert isinstance(env, dict), env
    change(env)
    return sealed(cbor.self_described(env), request.kind, request.sender, request.workload)


def flip(data: bytes, index: int = -1, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


def assert_admitted(result, req: workloads.Request | None = None):
    assert isinstance(result, Admitted), f"expected Admitted, got {result!r}"
    content = envelope.decode(req.body)["content"] if req is not None else result.envelope["content"]
    assert result.request_id == request_id(content)
    return result


def assert_rejected(result, stage: str, reason: str | None = None, reasons: tuple = ()):
    assert isinstance(result, Rejection), f"expected a Rejection at {stage!r}, got {result!r}"
    assert result.stage == stage, result
    if reason is not None:
        assert result.reason == reason, result
    if reasons:
        assert result.reason in reasons, result


# --- every sender kind, every workload ----------------------------------------------------------------------------

def test_self_authenticating_principal():
    der = Sender("ed25519", seed=3).public_key()
    assert senders.self_authenticating(der) == hashlib.sha224(der).digest() + b"\x02"
    assert len(senders.self_authenticating(der)) == 29
    assert senders.self_authenticating(b"x") != senders.self_authenticating(b"y")
    for kind in senders.KINDS:
        s = Sender(kind, seed=1)
        assert s.principal() == hashlib.sha224(s.public_key()).digest() + b"\x02"
    with pytest.raises(ValueError, match="nope"):
        Sender("nope").public_key()


@pytest.mark.parametrize("workload", sorted(workloads.WORKLOADS))
@pytest.mark.parametrize("kind", ["update", "query"])
def test_every_sender_kind_is_admitted(workload, kind):
    reqs = [signed(Sender(k, seed=i), workload, kind, nonce=i) for i, k in enumerate(senders.KINDS)]
    results = ingress.admit(reqs)
    assert len(results) == len(reqs)
    for i, (req, res) in enumerate(zip(reqs, results)):
        a = assert_admitted(res, req)
        assert a.body_bytes == len(req.body)
        assert a.envelope["content"]["sender"] == Sender(senders.KINDS[i], seed=i).principal()
        assert a.envelope["content"]["method_name"] == workloads.WORKLOADS[workload][kind]
        assert a.envelope["content"]["canister_id"] == workloads.CANISTER_IDS[workload]
    # the nonces differ, so do the request ids
    assert len({r.request_id for r in results}) == len(reqs)
    # the suite decoder admits them with the same ids
    suite = ingress.admit(reqs, decoder="suite")
    assert [r.request_id for r in suite] == [r.request_id for r in results]


@pytest.mark.parametrize("kind", ["update", "query"])
def test_workload_requests_are_admitted(kind):
    reqs = workloads.requests("ledger", kind, 20, seed=5)
    assert len(reqs) == 20 and all(r.kind == kind and r.workload == "ledger" for r in reqs)
    assert {r.sender for r in reqs} <= set(senders.KINDS)
    for req, res in zip(reqs, ingress.admit(reqs)):
        assert_admitted(res, req)
    # TLS records: at most 2^14 bytes of plaintext each, and they open to the body
    big = workloads.requests("kv", "update", 1)[0]
    assert ingress.open_records(big.records) == big.body
    long_body = bytes(range(256)) * 200  # 51 200 bytes: 4 records
    records = workloads.seal_records(long_body, workloads.TLS_KEY)
    assert len(records) == 4
    assert all(len(r) <= 5 + workloads.TLS_RECORD_BYTES + 1 + 16 for r in records)
    assert ingress.open_records(records) == long_body


# --- the IC spec's request-id example through the envelope path ------------------------------------------------

SPEC_CONTENT = {"request_type": "call", "sender": b"\x04", "ingress_expiry": 1685570400000000000,
                "canister_id": bytes.fromhex("00000000000004D2"), "method_name": "hello", "arg": b"DIDL\x00\xFD*"}
SPEC_ID = bytes.fromhex("1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101")


def test_spec_request_id_example_through_envelope():
    assert request_id(SPEC_CONTENT) == SPEC_ID
    body = cbor.self_described({"content": SPEC_CONTENT})
    assert body[:3] == envelope.SELF_DESCRIBED_HEAD
    decoded = {d: envelope.decode(body, d) for d in envelope.DECODERS}
    for d, env in decoded.items():
        assert isinstance(env, dict), (d, env)
        assert env["content"] == SPEC_CONTENT, d
        assert request_id(env["content"]) == SPEC_ID, d
    assert decoded["cbor2"]["content"] == decoded["suite"]["content"]
    # anonymous and unsigned: valid a second before its expiry, expired at the workloads' clock
    expiry = SPEC_CONTENT["ingress_expiry"]
    for d, env in decoded.items():
        assert envelope.validate(env, len(body), expiry - 10**9, "update") is None, d
        assert envelope.validate(env, len(body), expiry - 1, "query").reason.startswith("request_type"), d
        (res,) = ingress.admit([sealed(body, "update")], decoder=d)
        assert_rejected(res, "validate", "request expired")
    with pytest.raises(ValueError, match="bogus"):
        envelope.decode(body, "bogus")


@pytest.mark.parametrize("decoder", envelope.DECODERS)
def test_anonymous_spec_request_is_admitted(decoder):
    """validate() accepts an anonymous request without sender_pubkey/sender_sig (IC spec: anonymous requests
    carry no signature), so admit() must admit it with the spec's request id."""
    body = cbor.self_described({"content": SPEC_CONTENT})
    (res,) = ingress.admit([sealed(body, "update")], now_ns=SPEC_CONTENT["ingress_expiry"] - 10**9, decoder=decoder)
    assert isinstance(res, Admitted), (
        f"anonymous request passed envelope.validate but admit gave {res!r}: ingress.check_signatures calls "
        "senders.add_checks on it, which reads envelope['sender_pubkey'] (KeyError) and marks it malformed; "
        "requests from the anonymous principal without sender_pubkey need no signature checks")
    assert res.request_id == SPEC_ID


# --- rejections, one request at a time, the rest admitted --------------------------------------------------------

def _valid_batch(n: int = 3) -> list:
    return [signed(Sender(k, seed=40 + i), nonce=100 + i) for i, k in enumerate(("ed25519", "ecdsa_p256",
                                                                                 "ii_session")[:n])]


def _check_interleaved(bad: list, stage: str, reasons=None, decoder: str = "cbor2"):
    """Admit good, bad, good, bad, ...: each bad one rejected at `stage`, every good one admitted."""
    good = _valid_batch(len(bad) + 1) if len(bad) < 3 else [signed(Sender("ed25519", seed=200 + i), nonce=300 + i)
                                                            for i in range(len(bad) + 1)]
    batch = []
    for g, b in zip(good, bad):
        batch += [g, b]
    batch.append(good[len(bad)])
    results = ingress.admit(batch, decoder=decoder)
    for i, (req, res) in enumerate(zip(batch, results)):
        if i % 2 == 0:
            assert_admitted(res, req)
        else:
            r = reasons[i // 2] if isinstance(reasons, list) else reasons
            if isinstance(r, tuple):
                assert_rejected(res, stage, reasons=r)
            else:
                assert_rejected(res, stage, r)
    return results


MALFORMED_BODIES = {
    "random bytes": np.random.default_rng(1).bytes(64),
    "truncated": None,  # filled in below from a valid envelope
    "array": cbor.self_described([b"content", {"request_type": "call"}]),
    "no content": cbor.self_described({"sender_pubkey": b"k", "sender_sig": b"s"}),
    "content not a map": cbor.self_described({"content": b"not a map"}),
    "empty": b"",
}


@pytest.mark.parametrize("decoder", envelope.DECODERS)
def test_malformed_envelopes_rejected_at_decode(decoder):
    bodies = dict(MALFORMED_BODIES, truncated=signed(Sender("ed25519", seed=9)).body[:-7])
    for name, body in bodies.items():
        assert isinstance(envelope.decode(body, decoder), Rejection), (name, decoder)
    bad = [sealed(body) for body in bodies.values()]
    results = _check_interleaved(bad, "decode", decoder=decoder)
    reasons = [r.reason for r in results[1::2]]
    assert all(r.startswith("malformed CBOR") for r in reasons[:2]), reasons  # random bytes, truncated
    for name, r in zip(bodies, reasons):
        if name in ("array", "no content", "content not a map"):
            assert r == "the envelope is not a map with a content map", (name, r)


def test_tampered_tls_record_rejected_at_tls():
    bad = []
    for i, where in enumerate((5, 20, -1)):  # first ciphertext byte, inside, the tag; and the header (AAD)
        req = signed(Sender("ed25519", seed=60 + i), nonce=60 + i)
        bad.append(workloads.Request(req.workload, req.kind, req.sender, req.body,
                                     (flip(req.records[0], where, bit=i),) + req.records[1:]))
    req = signed(Sender("ed25519", seed=70), nonce=70)
    bad.append(workloads.Request(req.workload, req.kind, req.sender, req.body, (flip(req.records[0], 1),)))
    # records out of order: each is opened with its own sequence number
    two = workloads.seal_records(bytes(20_000), workloads.TLS_KEY)
    bad.append(workloads.Request("counter", "update", "test", bytes(20_000), (two[1], two[0])))
    # a key other than the connection's
    req = signed(Sender("ed25519", seed=71), nonce=71)
    bad.append(workloads.Request(req.workload, req.kind, req.sender, req.body,
                                 workloads.seal_records(req.body, bytes(32))))
    _check_interleaved(bad, "tls", "TLS record failed to authenticate")


def test_expiry_checks():
    s = Sender("ecdsa_secp256k1", seed=2)
    horizon = NOW + envelope.MAX_INGRESS_TTL_NS + envelope.PERMITTED_DRIFT_NS
    expired = signed(s, nonce=1, ingress_expiry=NOW - 1)
    far = signed(s, nonce=2, ingress_expiry=horizon + 1)
    no_expiry = tampered(signed(s, nonce=3), lambda e: e["content"].pop("ingress_expiry"))
    _check_interleaved([expired, far, no_expiry], "validate",
                       ["request expired", "ingress_expiry too far in the future", "no ingress_expiry"])
    # the edges are accepted: expiry == now, and exactly now + TTL + drift
    for req in (signed(s, nonce=4, ingress_expiry=NOW), signed(s, nonce=5, ingress_expiry=horizon)):
        (res,) = ingress.admit([req])
        assert_admitted(res, req)


def test_size_limit():
    env = envelope.decode(signed(Sender("ed25519", seed=4)).body)
    assert envelope.validate(env, envelope.MAX_INGRESS_BYTES, NOW, "update") is None
    r = envelope.validate(env, envelope.MAX_INGRESS_BYTES + 1, NOW, "update")
    assert isinstance(r, Rejection) and r.stage == "validate" and str(envelope.MAX_INGRESS_BYTES) in r.reason
    assert envelope.MAX_INGRESS_BYTES == 2 * 1024 * 1024
    # through admit: a kv put whose argument alone is 2 MiB, spread over many TLS records
    big = signed(Sender("ed25519", seed=5), "kv", "update", nonce=5, arg=bytes(envelope.MAX_INGRESS_BYTES))
    assert len(big.records) > envelope.MAX_INGRESS_BYTES // workloads.TLS_RECORD_BYTES
    results = _check_interleaved([big], "validate")
    assert "exceeds" in results[1].reason, results[1]


def test_wrong_request_type_and_missing_fields():
    s = Sender("ed25519", seed=6)
    query_as_update = signed(s, kind="query", nonce=1)
    query_as_update = workloads.Request("counter", "update", "ed25519", query_as_update.body, query_as_update.records)
    no_method = tampered(signed(s, nonce=2), lambda e: e["content"].pop("method_name"))
    _check_interleaved([query_as_update, no_method], "validate",
                       ["request_type 'query' is not a update", "content.method_name missing or not str"])


def _flip_sig(env):
    env["sender_sig"] = flip(env["sender_sig"], -1)


@pytest.mark.parametrize("kind", senders.KINDS)
def test_bad_request_signature_rejected(kind):
    bad = tampered(signed(Sender(kind, seed=11), nonce=11), _flip_sig)
    first_byte = tampered(signed(Sender(kind, seed=12), nonce=12),
                          lambda e: e.__setitem__("sender_sig", flip(e["sender_sig"], 0, bit=3)))
    # a signature of another request: valid, but not on this request id
    other = envelope.decode(signed(Sender(kind, seed=13), nonce=99).body, "suite")
    replayed = tampered(signed(Sender(kind, seed=13), nonce=13),
                        lambda e: e.__setitem__("sender_sig", other["sender_sig"]))
    reason = f"{REQUEST_SCHEME[kind]} signature invalid"
    _check_interleaved([bad, first_byte, replayed], "signatures", reason)


def _canister_sig_of(env) -> dict:
    return cbor.untagged(cbor.decode(env["sender_delegation"][0]["signature"]))


def _change_certificate(env, change) -> None:
    """Apply `change` to the certificate map of an II envelope's canister signature (the certificate is a CBOR
    blob, as the IC spec has it, or a nested map) and put it back in the same form."""
    item = _canister_sig_of(env)
    blob = isinstance(item["certificate"], bytes)
    cert = cbor.untagged(cbor.decode(item["certificate"])) if blob else item["certificate"]
    change(cert)
    item["certificate"] = cbor.self_described(cert) if blob else cert
    env["sender_delegation"][0]["signature"] = cbor.self_described(item)


def test_bad_canister_signature_bls_rejected():
    def bad_delegation_bls(env):  # the subnet's delegation certificate, signed by the root key
        def change(cert):
            inner = cbor.untagged(cbor.decode(cert["delegation"]["certificate"]))
            inner["signature"] = flip(inner["signature"], 10)
            cert["delegation"]["certificate"] = cbor.self_described(inner)
        _change_certificate(env, change)

    reqs = [tampered(signed(Sender("ii_session", seed=21), nonce=21), _bad_bls),
            tampered(signed(Sender("ii_session", seed=22), nonce=22), bad_delegation_bls)]
    _check_interleaved(reqs, "signatures", "bls signature invalid")


def test_canister_signature_tree_mismatch_rejected():
    def other_message(env):
        env["sender_delegation"][0]["signature"] = senders.canister_signature(b"user 23", b"another message")

    def other_user(env):  # a valid canister signature on this delegation, but by user 99's seed
        d = env["sender_delegation"][0]["delegation"]
        from kernels.hashing import hash_value
        env["sender_delegation"][0]["signature"] = senders.canister_signature(
            b"user 99", senders.DELEGATION_DOMAIN + hash_value(d))

    def not_cbor(env):
        env["sender_delegation"][0]["signature"] = b"\xff\x00 not a canister signature"

    reqs = [tampered(signed(Sender("ii_session", seed=23), nonce=23), f) for f in (other_message, other_user, not_cbor)]
    _check_interleaved(reqs, "signatures",
                       ("canister signature tree does not match", "bls signature invalid"))


def test_delegation_changed_after_signing_rejected():
    """The session key swapped for another: the canister signature no longer covers the delegation."""
    other = Sender("ii_session", seed=25, session=1)
    other_env = envelope.decode(signed(other, nonce=1).body, "suite")

    def swap(env):
        env["sender_delegation"][0]["delegation"] = other_env["sender_delegation"][0]["delegation"]
        env["sender_sig"] = other_env["sender_sig"]  # signed by the other session key, on another request id

    req = tampered(signed(Sender("ii_session", seed=25), nonce=2), swap)
    _check_interleaved([req], "signatures", ("canister signature tree does not match", "bls signature invalid",
                                             "ed25519 signature invalid"))


def test_sender_principal_mismatch_and_malformed_auth():
    s = Sender("ecdsa_p256", seed=30)
    other_key = Sender("ed25519", seed=31).public_key()
    wrong_key = tampered(signed(s, nonce=1), lambda e: e.__setitem__("sender_pubkey", other_key))
    wrong_sender = tampered(signed(s, nonce=2),
                            lambda e: e["content"].__setitem__("sender", Sender("ed25519", seed=32).principal()))
    no_sig = tampered(signed(s, nonce=3), lambda e: e.pop("sender_sig"))
    _check_interleaved([wrong_key, wrong_sender, no_sig], "validate",
                       ["sender is not the principal of sender_pubkey", "sender is not the principal of sender_pubkey",
                        "sender_pubkey and sender_sig must be blobs"])
    # anonymous with no key passes validation; claiming a principal without a key does not
    env = envelope.decode(signed(s, nonce=4).body, "suite")
    unsigned = {"content": env["content"]}
    assert envelope.validate(unsigned, 100, NOW, "update").reason == "sender_pubkey and sender_sig must be blobs"
    unsigned["content"] = dict(env["content"], sender=envelope.ANONYMOUS)
    assert envelope.validate(unsigned, 100, NOW, "update") is None


def test_expired_and_malformed_delegation_rejected():
    expired = signed(Sender("ii_session", seed=33, expiration=NOW - 1), nonce=1)
    env = envelope.decode(expired.body)
    assert env["sender_delegation"][0]["delegation"]["expiration"] == NOW - 1
    # still valid at an earlier clock: the delegation itself is well signed
    (res,) = ingress.admit([expired], now_ns=NOW - 2)
    assert_admitted(res, expired)
    too_many = tampered(signed(Sender("ii_session", seed=34), nonce=2),
                        lambda e: e.__setitem__("sender_delegation",
                                                e["sender_delegation"] * (envelope.MAX_DELEGATIONS + 1)))
    no_pubkey = tampered(signed(Sender("ii_session", seed=35), nonce=3),
                         lambda e: e["sender_delegation"][0]["delegation"].pop("pubkey"))
    _check_interleaved([expired, too_many, no_pubkey], "validate",
                       ["delegation expired", f"sender_delegation must be a list of at most {envelope.MAX_DELEGATIONS}",
                        "malformed delegation"])


def test_canister_sig_key_round_trip():
    for cid, seed in ((senders.CANISTER_ID, b"user 1"), (b"\x01", b""), (bytes(29), bytes(200))):
        der = senders.canister_sig_key(cid, seed)
        assert senders.parse_canister_sig_key(der) == (cid, seed)
    with pytest.raises(ValueError):
        senders.parse_canister_sig_key(Sender("ed25519").public_key())


# --- library and best paths agree (the one numba_cpu test) ------------------------------------------------------

def _bad_bls(env):
    """Flip a bit of the canister signature's certificate signature (a BLS signature) in an II envelope."""
    _change_certificate(env, lambda cert: cert.__setitem__("signature", flip(cert["signature"], -1)))


def test_library_and_best_paths_agree():
    """12 requests, valid and with bad signatures, through both paths: the same verdicts and reasons. (secp256k1
    is left out here to keep numba_cpu's first-use compilation within the file's time budget; its library path is
    covered above.)"""
    reqs, expected = [], []
    for i, kind in enumerate(("ed25519", "ecdsa_p256", "webauthn", "ii_session")):
        reqs += [signed(Sender(kind, seed=50 + i), nonce=50 + i),
                 tampered(signed(Sender(kind, seed=60 + i), nonce=60 + i), _flip_sig)]
        expected += [None, f"{REQUEST_SCHEME[kind]} signature invalid"]
    reqs += [signed(Sender("ii_session", seed=53), nonce=71),  # a repeated session
             tampered(signed(Sender("ii_session", seed=55), nonce=72), _bad_bls),
             signed(Sender("ed25519", seed=56), nonce=73), signed(Sender("ecdsa_p256", seed=57), nonce=74)]
    expected += [None, "bls signature invalid", None, None]
    assert len(reqs) == 12
    lib = ingress.admit(reqs, path="library")
    assert ingress.rejection_reasons(lib) == expected
    best = ingress.admit(reqs, path="best")
    np.testing.assert_array_equal(ingress.valid_mask(lib), ingress.valid_mask(best))
    assert ingress.rejection_reasons(best) == expected
    for a, b in zip(lib, best):
        if isinstance(a, Admitted):
            assert a.request_id == b.request_id
        else:
            assert a.stage == b.stage == "signatures"


# --- the BLS verified-signature cache ----------------------------------------------------------------------------

def test_bls_hit_rate_with_repeated_sessions():
    k = workloads.REQUESTS_PER_SESSION
    reqs = [signed(Sender("ii_session", seed=user), nonce=100 * user + j) for user in (1, 2) for j in range(k)]
    admitted = ingress.admit(reqs)
    assert all(isinstance(a, Admitted) for a in admitted), ingress.rejection_reasons(admitted)
    # every request of a session carries the same canister signature: two BLS checks each (the certificate's,
    # and its subnet delegation's, which both users share: II's subnet), only the first sight misses
    unique = 2 + 1
    assert ingress.bls_hit_rate(admitted) == pytest.approx(1 - unique / (2 * 2 * k))
    assert np.isnan(ingress.bls_hit_rate(ingress.admit([signed(Sender("ed25519"))])))
    # the workloads' mix, with REQUESTS_PER_SESSION requests per session on average, repeats sessions too
    mixed = ingress.admit(workloads.requests("counter", "update", 4 * k, seed=1))
    assert 0 < ingress.bls_hit_rate(mixed) < 1


def test_verification_cache_hits_on_second_admit():
    reqs = [signed(Sender("ii_session", seed=user), nonce=200 * user + j) for user in (3, 4) for j in range(3)]
    reqs.append(signed(Sender("ed25519", seed=3), nonce=1))
    cache = VerificationCache(ingress.BLS_CACHE_ENTRIES)
    first = ingress.admit(reqs, cache=cache)
    assert ingress.valid_mask(first).all(), ingress.rejection_reasons(first)
    assert len(cache) == 3  # two users' certificate checks, and their (shared) subnet delegation's check
    hits = cache.hits
    second = ingress.admit(reqs, cache=cache)
    assert ingress.valid_mask(second).all()
    assert cache.hits - hits == 3  # each distinct BLS check of the batch is looked up once, and answered
    # a cached canister signature does not cover a bad request signature
    bad = tampered(signed(Sender("ii_session", seed=3), nonce=999), _flip_sig)
    (res,) = ingress.admit([bad], cache=cache)
    assert_rejected(res, "signatures", "ed25519 signature invalid")
    # nor a tampered certificate: only successful verifications are cached
    (res,) = ingress.admit([tampered(signed(Sender("ii_session", seed=4), nonce=998), _bad_bls)], cache=cache)
    assert_rejected(res, "signatures", "bls signature invalid")


def test_verification_cache_counts_first_sight_misses():
    """The first admit into an empty cache looks every distinct BLS check up (and misses): an empty cache is
    still consulted (it is falsy, having a length)."""
    reqs = [signed(Sender("ii_session", seed=5), nonce=j) for j in range(2)]
    cache = VerificationCache(ingress.BLS_CACHE_ENTRIES)
    ingress.admit(reqs, cache=cache)
    assert (cache.misses, cache.hits) == (2, 0)  # the session's certificate check and its subnet delegation's
    assert len(cache) == 2


# --- block: ingress selection and block hashing ------------------------------------------------------------------

def _id(i: int) -> bytes:
    return hashlib.sha256(b"id %d" % i).digest()


def test_select_ingress_skips_expired_and_duplicates_in_order():
    pool = [(_id(3), 10, NOW + 1), (_id(1), 10, NOW - 1), (_id(2), 10, NOW), (_id(3), 10, NOW + 5),
            (_id(4), 10, NOW + 9), (_id(1), 10, NOW + 9), (_id(0), 10, NOW + 9)]
    assert block.select_ingress(pool, NOW) == [_id(3), _id(2), _id(4), _id(1), _id(0)]
    assert block.select_ingress([], NOW) == []
    assert block.select_ingress(pool, NOW + 100) == []


def test_select_ingress_limits():
    pool = [(_id(i), 100, NOW + 1) for i in range(20)]
    assert block.select_ingress(pool, NOW, limit=7) == [_id(i) for i in range(7)]
    assert block.select_ingress(pool, NOW, max_bytes=550) == [_id(i) for i in range(5)]
    assert block.select_ingress(pool, NOW, max_bytes=2000) == [_id(i) for i in range(20)]
    assert block.select_ingress(pool, NOW, max_bytes=99) == []
    # the default caps: 1 000 messages, 4 MiB
    many = [(_id(i), 1, NOW) for i in range(block.BLOCK_MESSAGES + 5)]
    assert len(block.select_ingress(many, NOW)) == block.BLOCK_MESSAGES
    big = [(_id(i), 1024 * 1024, NOW) for i in range(6)]
    assert block.select_ingress(big, NOW) == [_id(i) for i in range(4)]
    # a message that does not fit is skipped; a later smaller one still fits
    mixed = [(_id(0), 300, NOW), (_id(1), 800, NOW), (_id(2), 200, NOW)]
    assert block.select_ingress(mixed, NOW, max_bytes=500) == [_id(0), _id(2)]


def test_block_hash_changes_with_any_id():
    ids = [_id(i) for i in range(5)]
    h = block.block_hash(b"\0" * 32, 1, ids)
    assert len(h) == 32 and h == block.block_hash(b"\0" * 32, 1, list(ids))
    expected = hashlib.sha256(b"\0" * 32 + (1).to_bytes(8, "big") + b"".join(ids)).digest()
    assert h == expected
    for i in range(len(ids)):
        changed = list(ids)
        changed[i] = flip(ids[i], 7)
        assert block.block_hash(b"\0" * 32, 1, changed) != h, i
    assert block.block_hash(b"\0" * 32, 1, ids[::-1]) != h
    assert block.block_hash(b"\0" * 32, 1, ids[:-1]) != h
    assert block.block_hash(b"\1" * 32, 1, ids) != h
    assert block.block_hash(b"\0" * 32, 2, ids) != h


# --- bad arguments -----------------------------------------------------------------------------------------------

def test_bad_arguments():
    with pytest.raises(ValueError, match="'nope'"):
        workloads.requests("nope", "update", 1)
    with pytest.raises(ValueError, match="'delete'"):
        workloads.requests("counter", "delete", 1)
    with pytest.raises(ValueError, match="summing to 1"):
        workloads.senders(5, mix={"ed25519": 0.5, "ecdsa_p256": 0.4})
    with pytest.raises(ValueError, match="summing to 1"):
        workloads.senders(5, mix={"ed25519": 0.5, "rsa": 0.5})
    assert [s.kind for s in workloads.senders(5, mix={"webauthn": 1.0})] == ["webauthn"] * 5
    with pytest.raises(ValueError, match="frobnicate"):
        senders.verify_scheme("frobnicate", [(b"k", b"m", b"s")], "library")
