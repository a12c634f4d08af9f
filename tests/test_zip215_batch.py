"""Batch verification under ZIP 215 (`method="batch"`): verdicts identical to single ZIP 215 verification on
mixed batches (invalid signatures at random positions, adversarial ones, repeated keys), the multi-scalar
multiplication against the reference's arithmetic, bisection, bad input, and backends without it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import BackendUnavailable
from kernels.signatures import batch, check_batch, ed25519_verify_batch, numba_cpu, prepare
from kernels.signatures import reference as ref
from kernels.signatures.workloads import adversarial_batch, signed_batch, small_order_encodings, zip215_vectors


def _flip(data: bytes, bit: int) -> bytes:
    return data[:bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1:]


def spoil(keys, msgs, sigs, positions, how):
    """Make the signatures at `positions` invalid in the ways given by `how` (one name per position)."""
    keys, msgs, sigs = list(keys), list(msgs), list(sigs)
    for i, kind in zip(positions, how):
        if kind == "message":
            msgs[i] = msgs[i] + b"!"
        elif kind == "R":
            sigs[i] = _flip(sigs[i], 3)
        elif kind == "S":
            sigs[i] = _flip(sigs[i], 256 + 9)
        elif kind == "S+L":
            sigs[i] = sigs[i][:32] + ((int.from_bytes(sigs[i][32:], "little") + ref.L) % 2**256).to_bytes(32, "little")
        elif kind == "A":
            keys[i] = _flip(keys[i], 17)
        elif kind == "undecodable R":
            sigs[i] = (2).to_bytes(32, "little") + sigs[i][32:]  # y = 2 is no curve point
        elif kind == "short":
            sigs[i] = sigs[i][:63]
    return keys, msgs, sigs


SPOILS = ["message", "R", "S", "S+L", "A", "undecodable R", "short"]


@pytest.mark.parametrize("n,bad", [(0, 0), (1, 0), (1, 1), (5, 2), (64, 1), (300, 3), (300, 0), (40, 40)])
def test_numba_batch_equals_single_on_mixed_batches(n, bad):
    keys, msgs, sigs = signed_batch(n, seed=n + bad)
    rng = np.random.default_rng(n * 7 + bad)
    positions = rng.choice(n, size=bad, replace=False) if n else []
    keys, msgs, sigs = spoil(keys, msgs, sigs, positions, rng.choice(SPOILS, size=bad))
    single = ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215")
    got = ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215", method="batch")
    assert got.dtype == bool and got.shape == (n,)
    np.testing.assert_array_equal(got, single)
    assert int((~got).sum()) == bad


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_fuzz_numba_batch_against_single(data):
    n = data.draw(st.integers(0, 48))
    keys, msgs, sigs = signed_batch(n, seed=data.draw(st.integers(0, 2**16)), message_bytes=data.draw(st.integers(0, 120)))
    positions = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=n, unique=True)) if n else []
    keys, msgs, sigs = spoil(keys, msgs, sigs, positions, [data.draw(st.sampled_from(SPOILS)) for _ in positions])
    adversarial = adversarial_batch(1, seed=data.draw(st.integers(0, 50)))
    extra = data.draw(st.lists(st.integers(0, len(adversarial["kind"]) - 1), max_size=6))
    order = data.draw(st.permutations(range(n + len(extra))))
    keys = [(keys + [adversarial["public_keys"][j] for j in extra])[i] for i in order]
    msgs = [(msgs + [adversarial["messages"][j] for j in extra])[i] for i in order]
    sigs = [(sigs + [adversarial["signatures"][j] for j in extra])[i] for i in order]
    np.testing.assert_array_equal(
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215", method="batch"),
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215"))


def test_batches_of_the_zip215_vectors_and_adversarial_signatures():
    """The crate's tests verify the 196 vectors singly and in random batches: all of them, and random subsets
    mixed with adversarial signatures (verdicts known from the construction)."""
    keys, msgs, sigs = zip215_vectors()
    assert ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215", method="batch").all()
    adv = adversarial_batch(3, seed=5)
    rng = np.random.default_rng(1)
    for _ in range(3):
        pick = rng.choice(196, size=20, replace=False)
        k = [keys[i] for i in pick] + adv["public_keys"]
        m = [msgs[i] for i in pick] + adv["messages"]
        s = [sigs[i] for i in pick] + adv["signatures"]
        want = np.concatenate([np.ones(20, bool), adv["zip215"]])
        order = rng.permutation(len(k))
        got = ed25519_verify_batch([k[i] for i in order], [m[i] for i in order], [s[i] for i in order],
                                   backend="numba_cpu", rules="zip215", method="batch")
        np.testing.assert_array_equal(got, want[order])


def test_reference_batch_equals_reference_single():
    keys, msgs, sigs = signed_batch(6, seed=2)
    keys, msgs, sigs = spoil(keys, msgs, sigs, [1, 4], ["R", "message"])
    adv = adversarial_batch(1, seed=3)
    keys, msgs, sigs = keys + adv["public_keys"], msgs + adv["messages"], sigs + adv["signatures"]
    want = ref.ed25519_verify_batch(keys, msgs, sigs, "zip215")
    np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend="reference", rules="zip215",
                                                       method="batch"), want)
    assert want.sum() == len(keys) - 3  # two spoilt, one S + L


@pytest.mark.parametrize("c", [2, 5, 8, 11])
@pytest.mark.parametrize("terms", [1, 3, 40, 300])
def test_msm_against_the_reference_arithmetic(c, terms, monkeypatch):
    """sum [s_j] P_j + [t] B with t = -sum s_j r_j mod L, P_j = [r_j]B (+ torsion): identity after [8]; one
    scalar off by one: not. Every window width, serial and threaded paths."""
    monkeypatch.setattr(numba_cpu, "window_bits", lambda points: c)
    rng = np.random.default_rng(terms * 100 + c)
    r = [int.from_bytes(rng.bytes(40), "little") % ref.L for _ in range(terms)]
    s = [int.from_bytes(rng.bytes(40), "little") % ref.L for _ in range(terms)]
    torsion = [ref.decode_zip215(e) for e in small_order_encodings()[:8]]
    encoded = [ref.encode(ref.point_add(ref.scalar_mult(rj, ref.BASE), torsion[j % 8])) for j, rj in enumerate(r)]
    t = (-sum(a * b for a, b in zip(r, s))) % ref.L
    # the points are stored negated (-P_j), so the base term takes -t: sum [s_j](-P_j) + [-t]B = -(sum [s_j]P_j + [t]B)
    prepared = prepare(*check_batch(encoded, [b""] * terms, [e + bytes(32) for e in encoded]))
    pts, ok = numba_cpu.decompress(prepared, np.arange(terms))
    assert ok.all()
    rows = np.concatenate([np.arange(terms), [2 * terms]]).astype(np.int64)
    scalars = b"".join(v.to_bytes(32, "little") for v in s + [(-t) % ref.L])
    assert numba_cpu.msm_is_small_order(pts, rows, np.frombuffer(scalars, np.uint8).reshape(-1, 32))
    s[terms // 2] += 1
    scalars = b"".join(v.to_bytes(32, "little") for v in s + [(-t) % ref.L])
    assert not numba_cpu.msm_is_small_order(pts, rows, np.frombuffer(scalars, np.uint8).reshape(-1, 32))


def test_bisection_isolates_a_bad_signature(monkeypatch):
    keys, msgs, sigs = signed_batch(64, seed=4)
    msgs[37] += b"x"
    calls = []
    real = numba_cpu.msm_is_small_order
    monkeypatch.setattr(numba_cpu, "msm_is_small_order", lambda *a: calls.append(a[1].size) or real(*a))
    got = numba_cpu.verify_prepared_batch(prepare(*check_batch(keys, msgs, sigs)))
    assert got.tolist() == [i != 37 for i in range(64)]
    assert 1 < len(calls) <= 2 * 5  # the whole batch, then two halves per level down to SINGLE_AT_MOST
    valid = numba_cpu.verify_prepared_batch(prepare(*check_batch(keys[:37], msgs[:37], sigs[:37])))
    assert valid.all()


def test_equal_keys_share_one_point_and_their_scalars_add():
    first = batch.first_of_equal(np.frombuffer(b"".join([b"a" * 32, b"b" * 32, b"a" * 32, b"c" * 32, b"b" * 32]),
                                               np.uint8).reshape(5, 32))
    assert first.tolist() == [0, 1, 0, 3, 1]
    part = np.array([0, 2, 3])
    sigs = np.zeros((5, 64), np.uint8)
    h = np.frombuffer(b"".join(v.to_bytes(32, "little") for v in (5, 0, 7, 9, 0)), np.uint8).reshape(5, 32)
    rows, scalars = batch.combination(part, first, sigs, h, [2, 3, 4])
    assert rows.tolist() == [0, 3, 5 + 0, 5 + 2, 5 + 3, 10]
    values = [int.from_bytes(row.tobytes(), "little") for row in scalars]
    assert values == [2 * 5 + 3 * 7, 4 * 9, 2, 3, 4, 0]


def test_random_scalars_are_128_bit_and_differ():
    z = batch.random_scalars(64)
    assert len(set(z)) == 64 and max(z) < 2**128 and max(z) > 2**120


def test_method_arguments_and_backends_without_batch():
    keys, msgs, sigs = signed_batch(3)
    with pytest.raises(ValueError, match="needs rules='zip215'"):
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", method="batch")
    with pytest.raises(ValueError, match="unknown method"):
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215", method="pippenger")
    with pytest.raises(BackendUnavailable, match="libsodium"):
        ed25519_verify_batch(keys, msgs, sigs, backend="library", rules="zip215", method="batch")
    from kernels import devices

    if devices.unavailable_reason("opencl") is None:
        with pytest.raises(BackendUnavailable, match="batch verification is not implemented"):
            ed25519_verify_batch(keys, msgs, sigs, backend="opencl", rules="zip215", method="batch")


def test_cache_with_batch_verification():
    from kernels.signatures.cache import VerificationCache

    keys, msgs, sigs = signed_batch(20, seed=8)
    msgs[3] += b"!"
    cache = VerificationCache(rules="zip215", method="batch")
    assert cache.verify_batch(keys, msgs, sigs, backend="numba_cpu").tolist() == [i != 3 for i in range(20)]
    assert len(cache) == 19
    assert cache.verify_batch(keys, msgs, sigs, backend="numba_cpu").sum() == 19 and cache.hits == 19
    with pytest.raises(ValueError, match="needs rules='zip215'"):
        VerificationCache(method="batch")


# --- the hot path: the ZIP 215 sweep, its findings and the batch target ----------------------------------------------

def test_zip215_sweep_rows_and_findings():
    from kernels.measure import Settings
    from kernels.signatures import HOT_PATH, findings

    frame = HOT_PATH.run_sweep("zip215", "smoke", ["library", "numba_cpu"], progress=False,
                               settings=Settings(warmup=1, min_repeats=1, min_seconds=0.0))
    assert set(frame.backend) == {"numba_cpu"} and (frame.rules == "zip215").all()  # library: no ZIP 215
    assert set(frame.method) == {"single", "batch"} and set(frame.batch_size) == {1, 4, 16}
    assert set(frame.phase) == {"pack", "kernel", "end_to_end"}
    assert set(frame.distinct_keys) == {False, True}
    text = findings.zip215_markdown(frame)
    assert "`numba_cpu`, a key per signature, at 16 signatures: batch verification" in text
    assert "`numba_cpu`, repeated keys (64 signers), at 16 signatures" in text and "batching pays from" in text


def test_batch_target_smoke_checks_its_candidates(monkeypatch):
    from kernels.signatures import HOT_PATH

    result = HOT_PATH.targets()["ed25519_verify_zip215_batch"]("smoke")
    assert result.goal_ratio == 6.0 and result.checked and result.candidate == "numba_cpu"
    assert "opencl" in result.unavailable or "opencl" not in result.candidates
    monkeypatch.setattr(numba_cpu, "verify_prepared_batch", lambda prepared: np.ones(prepared.count, dtype=bool))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["ed25519_verify_zip215_batch"]("smoke")
