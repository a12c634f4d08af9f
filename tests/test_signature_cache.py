"""The verification cache: LRU bounds, only successes stored, never a True verdict for an invalid triple;
the IC-shaped signature trace; the replay's timed region (warm-up outside it)."""
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from kernels.signatures import HOT_PATH, cache, ed25519_verify_batch, workloads
from kernels.signatures.cache import ENTRY_BYTES, VerificationCache, cache_key, cache_study, replay


def triples(n, seed=0):
    rng = np.random.default_rng(seed)
    sk = SigningKey(rng.bytes(32))
    msgs = [rng.bytes(int(rng.integers(0, 50))) for _ in range(n)]
    return [bytes(sk.verify_key)] * n, msgs, [sk.sign(m).signature for m in msgs]


def test_hit_after_success_and_only_successes_stored():
    keys, msgs, sigs = triples(3)
    bad = [sigs[0][:10] + bytes([sigs[0][10] ^ 4]) + sigs[0][11:]]
    lru = VerificationCache(10)
    assert lru.verify_batch(keys[:1], msgs[:1], bad, backend="library").tolist() == [False]
    assert len(lru) == 0
    assert lru.verify_batch(keys, msgs, sigs, backend="library").all() and len(lru) == 3
    assert lru.verify_batch(keys, msgs, sigs, backend="library").all()
    assert lru.hits == 3 and lru.misses == 4
    assert lru.verify_batch(keys[:1], msgs[:1], bad, backend="library").tolist() == [False]


def test_concatenation_collisions_are_never_valid():
    signer = SigningKey(bytes(32))
    pk, m = bytes(signer.verify_key), b"a message with a tail"
    sig = signer.sign(m).signature
    lru = VerificationCache(10)
    assert lru.verify_batch([pk], [m], [sig], backend="library").all()
    # the same bytes pk || sig || msg split differently: the same SHA-256 key, but malformed triples
    shifted = [(pk + sig[:1], m[1:], sig[1:] + m[:1]), (pk, sig[63:] + m, sig[:63]),
               (pk[:31], sig[63:] + m, pk[31:] + sig[:63])]
    for k, mm, s in shifted:
        assert k + s + mm == pk + sig + m and cache_key(k, mm, s) == cache_key(pk, m, sig)
        assert lru.verify_batch([k], [mm], [s], backend="library").tolist() == [False]


def test_lru_eviction_and_byte_bound():
    keys, msgs, sigs = triples(4, seed=3)
    lru = VerificationCache(max_entries=100, max_bytes=2 * ENTRY_BYTES + 1)
    assert lru.capacity == 2
    for i in range(3):
        lru.verify_batch(keys[i:i + 1], msgs[i:i + 1], sigs[i:i + 1], backend="library")
    assert len(lru) == 2 and lru.nbytes <= 2 * ENTRY_BYTES + 1
    lru.verify_batch(keys[1:3], msgs[1:3], sigs[1:3], backend="library")
    assert lru.hits == 2
    lru.verify_batch(keys[:1], msgs[:1], sigs[:1], backend="library")  # evicted: a miss again
    assert lru.misses == 4
    assert len(VerificationCache(0)) == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_entries"):
        VerificationCache(-1)
    with pytest.raises(ValueError, match="max_bytes"):
        VerificationCache(10, max_bytes=-5)
    with pytest.raises(ValueError, match="same length"):
        VerificationCache(1).verify_batch([b""], [], [b""], backend="library")


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_cache_never_changes_a_verdict(data):
    keys, msgs, sigs = triples(6, seed=data.draw(st.integers(0, 1000)))
    for i in range(6):
        how = data.draw(st.sampled_from(["keep", "flip", "short", "msg"]))
        if how == "flip":
            j = data.draw(st.integers(0, 63))
            sigs[i] = sigs[i][:j] + bytes([sigs[i][j] ^ 0x10]) + sigs[i][j + 1:]
        elif how == "short":
            sigs[i] = sigs[i][:data.draw(st.integers(0, 63))]
        elif how == "msg":
            msgs[i] = msgs[i] + b"?"
    lru = VerificationCache(data.draw(st.integers(0, 8)))
    expected = ed25519_verify_batch(keys, msgs, sigs, backend="reference")  # independent of the cached backend
    for _ in range(3):  # repeated lookups, eviction in between
        order = data.draw(st.permutations(range(6)))
        got = lru.verify_batch([keys[i] for i in order], [msgs[i] for i in order], [sigs[i] for i in order],
                                 backend="library")
        np.testing.assert_array_equal(got, expected[list(order)])


def test_trace_shape():
    trace = workloads.ingress_signature_trace(messages=60, sessions=20, per_block=20, invalid_fraction=0.1, seed=1)
    stages = [b["stage"] for b in trace]
    assert stages == ["pool", "pool", "block", "pool", "block", "block"]
    pools = [b for b in trace if b["stage"] == "pool"]
    blocks = [b for b in trace if b["stage"] == "block"]
    assert [b["block"] for b in blocks] == [b["block"] for b in pools]  # every message validated twice
    checks = sum(len(b["valid"]) for b in pools)
    assert 60 <= checks <= 60 * (1 + workloads.MAX_DELEGATIONS)
    valid = np.concatenate([b["valid"] for b in pools])
    assert 0 < (~valid).sum() < 20
    got = ed25519_verify_batch(pools[0]["public_keys"], pools[0]["messages"], pools[0]["signatures"], backend="library")
    np.testing.assert_array_equal(got, pools[0]["valid"])
    assert workloads.ingress_signature_trace(messages=60, sessions=20, per_block=20, seed=1)[0]["signatures"] == \
        workloads.ingress_signature_trace(messages=60, sessions=20, per_block=20, seed=1)[0]["signatures"]


def test_replay_and_study():
    trace = workloads.ingress_signature_trace(messages=40, sessions=10, per_block=20, seed=2)
    plain = replay(trace, "library")
    cached = replay(trace, "library", VerificationCache())
    assert plain["verdicts_match_trace"] and cached["verdicts_match_trace"]
    assert plain["checks"] == cached["checks"] and cached["hit_rate"] >= 0.5  # the block pass always hits
    rows = cache_study(trace, accelerator="numba_cpu")
    assert [(r["backend"], r["cache"]) for r in rows] == [("library", False), ("library", True), ("numba_cpu", False),
                                                          ("numba_cpu", True)]
    assert all(r["verdicts_match_trace"] for r in rows)


def test_replay_times_the_trace_without_its_warm_up(monkeypatch):
    trace = workloads.ingress_signature_trace(messages=10, sessions=5, per_block=5, seed=3)
    warm_ups = []

    def slow_warm_up(trace, backend):
        warm_ups.append(backend)
        time.sleep(1.0)

    monkeypatch.setattr(cache, "warm_up", slow_warm_up)
    result = replay(trace, "library")
    assert warm_ups == ["library"] and result["verdicts_match_trace"]
    assert result["seconds"] < 1.0  # the one-second warm-up is not in the timed region


def test_cache_sweep_times_one_pass_and_no_warm_up(monkeypatch):
    sweep = HOT_PATH.cases("smoke")["cache"]
    plain, cached = sweep.workloads[:2]
    trace = sweep.data(cached, 0)
    monkeypatch.setattr(cache, "warm_up", lambda *a: pytest.fail("warm-up inside the timed region"))
    case = sweep.build("ed25519_verify", "library", cached, 0, trace)
    assert list(case.phases) == ["end_to_end"]
    assert case.params == {"trace_messages": 40, "cached": True, "rules": "libsodium", "method": "single"}
    assert case.batch_size == sum(len(b["valid"]) for b in trace)
    passes = []
    monkeypatch.setattr(VerificationCache, "verify_batch",
                        lambda self, *a, **k: passes.append(self) or np.asarray(ed25519_verify_batch(*a, **k)))
    assert case.phases["end_to_end"]() and case.phases["end_to_end"]()
    assert len(set(map(id, passes))) == 2  # each timed pass starts from a fresh, empty cache


def test_a_cache_holds_one_rule_set():
    from kernels.signatures.workloads import zip215_vectors

    keys, msgs, sigs = zip215_vectors()
    zip215 = VerificationCache(rules="zip215")
    assert zip215.verify_batch(keys[:5], msgs[:5], sigs[:5], backend="numba_cpu").all() and len(zip215) == 5
    assert zip215.verify_batch(keys[:5], msgs[:5], sigs[:5], backend="numba_cpu").all() and zip215.hits == 5
    plain = VerificationCache()
    assert not plain.verify_batch(keys[:5], msgs[:5], sigs[:5], backend="numba_cpu").any() and len(plain) == 0
    with pytest.raises(ValueError, match="rules"):
        VerificationCache(rules="dalek")
