"""BLS12-381 min-sig verification with the IC's rules: RFC 9380 hash-to-curve vectors, a recorded mainnet
certificate, verdicts known from construction (bad encodings, points off the curve or outside the subgroup,
the identity key), batch verification with bisection against single verification (differential fuzzing),
certificates with and without delegation, consensus counts, empty batches and bad arguments. The reference
(py_ecc, a quarter of a second per pairing check) runs on a few items only."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kernels.bls import IC_DST, POP_DST, bls12381_verify_batch, certificate as cert, library, reference
from kernels.bls import msm as M
from kernels.bls.batch import SINGLES_BELOW, SPARSE_BITS, SPARSE_WEIGHT, Batch, random_scalars, sparse_scalars
from kernels.bls.prediction import consensus_verifications, cost_model
from kernels.bls.workloads import (MAINNET_ROOT_KEY, RECORDED_CERTIFICATE, RECORDED_DELEGATION_ROOT, RECORDED_ROOT,
                                   RFC9380_G1_DST, RFC9380_G1_VECTORS, build_certificate, certificate_stream,
                                   compress_xy, consensus_shares, correctness_batch, delegation, distinct_messages,
                                   off_subgroup_points, root_key, shares_needed, with_bad_items)
from kernels.hashing import hashtree
from kernels.registry import HOT_PATHS, BackendUnavailable

FAST_BATCH = ["library", "opencl"]  # the batch method's decode + MSM backends quick to start here


def batch_or_skip(keys, msgs, sigs, backend, **kw):
    try:
        return bls12381_verify_batch(keys, msgs, sigs, backend=backend, method="batch", **kw)
    except BackendUnavailable as e:
        pytest.skip(str(e))


def test_registered():
    assert HOT_PATHS["kernels.bls"] == ("bls12381_verify",)


@pytest.mark.parametrize("message, x, y", RFC9380_G1_VECTORS)
def test_hash_to_curve_rfc9380(message, x, y):
    from pyblst import BlstP1Element

    assert reference.hash_to_g1_bytes(message, RFC9380_G1_DST) == x + y
    assert BlstP1Element.hash_to_group(message, RFC9380_G1_DST).compress() == compress_xy(x, y)


def test_generators_match_py_ecc():
    from py_ecc.optimized_bls12_381 import G1, G2

    assert reference.compress_g1(G1) == library.G1_GENERATOR_BYTES
    assert reference.compress_g2(G2) == library.G2_GENERATOR_BYTES


def test_recorded_mainnet_certificate():
    parsed = cert.parse(RECORDED_CERTIFICATE)
    assert parsed.root == RECORDED_ROOT == hashtree.digest_recursive(parsed.tree)
    assert parsed.delegation.root == RECORDED_DELEGATION_ROOT
    key = cert.signing_key(parsed, MAINNET_ROOT_KEY)
    assert len(key) == 96 and key != MAINNET_ROOT_KEY
    for method in ("per_item", "batch"):
        assert cert.verify_certificates([RECORDED_CERTIFICATE], MAINNET_ROOT_KEY, method=method).tolist() == [True]
        assert cert.verify_certificates([RECORDED_CERTIFICATE], cert.DER_PREFIX + MAINNET_ROOT_KEY,
                                        method=method).tolist() == [True]
    assert not cert.verify_certificate(RECORDED_CERTIFICATE, root_key())  # another root key


def test_recorded_certificate_on_the_reference():
    parsed = cert.parse(RECORDED_CERTIFICATE)
    (k, m, s), (dk, dm, ds) = cert.checks(parsed, MAINNET_ROOT_KEY)
    assert reference.verify(k, m, s, IC_DST)
    assert not reference.verify(k, m, ds, IC_DST)  # the delegation's signature over the certificate's root


@pytest.mark.parametrize("position", [10, 200, len(RECORDED_CERTIFICATE) - 5])
def test_tampered_recorded_certificate(position):
    data = bytearray(RECORDED_CERTIFICATE)
    data[position] ^= 0x01
    assert not cert.verify_certificate(bytes(data), MAINNET_ROOT_KEY)


@pytest.mark.parametrize("delegated", [False, True])
def test_built_certificates(delegated):
    stream = certificate_stream(3, delegated)
    for method in ("per_item", "batch"):
        assert cert.verify_certificates(stream, root_key(), method=method).tolist() == [True] * 3
        assert cert.verify_certificates(stream, MAINNET_ROOT_KEY, method=method).tolist() == [False] * 3
    assert cert.verify_certificates([], root_key()).tolist() == []


def test_delegation_rules():
    subnet_id, inner = delegation(0)
    tree = hashtree.labeled(b"time", hashtree.leaf(b"\x01"))
    good = build_certificate(tree, (100, 0), (subnet_id, inner))
    other_subnet = build_certificate(tree, (100, 0), (b"\x00" * 29, inner))  # no key at that path
    wrong_signer = build_certificate(tree, (100, 1), (subnet_id, inner))  # signed by subnet 1's key
    nested = build_certificate(tree, (100, 0), (subnet_id, good))  # a delegation inside a delegation
    verdicts = cert.verify_certificates([good, other_subnet, wrong_signer, nested, b"", b"\xa0"], root_key())
    assert verdicts.tolist() == [True, False, False, False, False, False]
    with pytest.raises(ValueError):
        cert.parse(nested)


def test_der_key():
    key = bytes(range(96))
    assert cert.der_key(cert.DER_PREFIX + key) == key
    assert cert.der_key(key) is None and cert.der_key(None) is None
    assert cert.der_key(cert.DER_PREFIX[:-1] + b"\x01" + key) is None


def test_lookup():
    tree = hashtree.fork(hashtree.labeled(b"a", hashtree.leaf(b"1")),
                         hashtree.labeled(b"b", hashtree.labeled(b"c", hashtree.leaf(b"2"))))
    assert cert.lookup(tree, [b"a"]) == b"1" and cert.lookup(tree, [b"b", b"c"]) == b"2"
    assert cert.lookup(tree, [b"b"]) is None and cert.lookup(tree, [b"z"]) is None


def test_off_subgroup_points_are_on_the_curve():
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2

    points = off_subgroup_points()
    g1 = decompress_G1(int.from_bytes(points["g1_off_subgroup"], "big"))
    g2 = decompress_G2((int.from_bytes(points["g2_off_subgroup"][:48], "big"),
                        int.from_bytes(points["g2_off_subgroup"][48:], "big")))
    assert not reference.in_subgroup(g1) and not reference.in_subgroup(g2)
    assert library.decode_signature(points["g1_off_subgroup"]) is None  # pyblst's uncompress checks the subgroup
    assert library.decode_public_key(points["g2_off_subgroup"]) is None
    with pytest.raises(ValueError):
        decompress_G1(int.from_bytes(points["g1_off_curve"], "big"))


def test_correctness_batch_library():
    keys, msgs, sigs, want, kinds = correctness_batch()
    assert len(set(kinds)) > 20 and want.sum() and (~want).sum()
    got = bls12381_verify_batch(keys, msgs, sigs, backend="library")
    assert [k for k, g, w in zip(kinds, got, want) if g != w] == []


@pytest.mark.parametrize("backend", FAST_BATCH)
def test_correctness_batch_batched(backend):
    keys, msgs, sigs, want, kinds = correctness_batch()
    got = batch_or_skip(keys, msgs, sigs, backend)
    assert [k for k, g, w in zip(kinds, got, want) if g != w] == []


def test_reference_on_invalid_encodings_and_two_pairings():
    keys, msgs, sigs, want, kinds = correctness_batch()
    cheap = [i for i in range(len(keys)) if library.decode_public_key(keys[i]) is None
             or library.decode_signature(sigs[i]) is None]
    assert len(cheap) >= 10
    valid = kinds.index("valid share (one message)")
    wrong = kinds.index("wrong message")
    picked = cheap + [valid, wrong]
    got = bls12381_verify_batch([keys[i] for i in picked], [msgs[i] for i in picked], [sigs[i] for i in picked],
                                backend="reference")
    assert got.tolist() == want[picked].tolist()


@pytest.mark.parametrize("backend", FAST_BATCH)
@pytest.mark.parametrize("n", [1, 2, SINGLES_BELOW, SINGLES_BELOW + 1, 9])
def test_bad_item_at_every_position(backend, n):
    keys, msgs, sigs = consensus_shares(13, "notarization", 0, n)
    for position in range(n):
        bad = list(sigs)
        bad[position] = sigs[(position + 1) % n] if n > 1 else sigs[0][:47]
        want = np.ones(n, bool)
        want[position] = False
        assert batch_or_skip(keys, msgs, bad, backend).tolist() == want.tolist()


@pytest.mark.parametrize("backend", FAST_BATCH)
def test_all_bad_and_all_identity(backend):
    keys, msgs, sigs = distinct_messages(6)
    assert not batch_or_skip(keys, msgs, sigs[1:] + sigs[:1], backend).any()
    identity = [b"\xc0" + bytes(47)] * 6
    assert not batch_or_skip(keys, msgs, identity, backend).any()
    assert not batch_or_skip([b"\xc0" + bytes(95)] * 6, msgs, sigs, backend).any()


# A pool of items: valid ones on a shared message and on distinct messages, and every kind of invalid item.
POOL = correctness_batch()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(POOL[0]) - 1), min_size=0, max_size=24), st.sampled_from(FAST_BATCH))
def test_batch_equals_single_verification(indices, backend):
    """Differential fuzzing: any mix of pool items, repeats included, in any order: the batch method's verdicts
    equal blst's one by one (and the construction's)."""
    keys, msgs, sigs, want, _ = POOL
    k, m, s = [keys[i] for i in indices], [msgs[i] for i in indices], [sigs[i] for i in indices]
    got = batch_or_skip(k, m, s, backend)
    assert got.tolist() == library.verify_batch(k, m, s, IC_DST).tolist() == want[indices].tolist()


@pytest.mark.slow
def test_batch_on_numba_cpu():
    """numba_cpu's decode and MSM (a minute of JIT compilation when its cache is cold)."""
    keys, msgs, sigs, want, kinds = correctness_batch()
    got = batch_or_skip(keys, msgs, sigs, "numba_cpu")
    assert [k for k, g, w in zip(kinds, got, want) if g != w] == []


def _on_the_shares_message():
    """The items of POOL on the shares' message: valid shares and every bad signature and key among them."""
    keys, msgs, sigs, want, kinds = POOL
    message = consensus_shares(13, "notarization", 0)[1][0]
    picked = [i for i, m in enumerate(msgs) if m == message]
    return ([keys[i] for i in picked], [msgs[i] for i in picked], [sigs[i] for i in picked], want[picked],
            [kinds[i] for i in picked])


SHARED_POOL = _on_the_shares_message()


def _on_distinct_messages():
    """The items of POOL whose message no other item has: valid distinct-message items and the bad ones."""
    keys, msgs, sigs, want, kinds = POOL
    counts = {m: msgs.count(m) for m in msgs}
    picked = [i for i, m in enumerate(msgs) if counts[m] == 1]
    return ([keys[i] for i in picked], [msgs[i] for i in picked], [sigs[i] for i in picked], want[picked],
            [kinds[i] for i in picked])


DISTINCT_POOL = _on_distinct_messages()


@pytest.mark.slow
def test_pipelined_batch_on_numba_cpu():
    """Batch.verdicts_pipelined (every message shared, numba_cpu): valid shares on two messages pass at the first
    check; with every kind of bad share and key among them it falls back to the usual steps; the verdicts equal
    the construction's and blst's one by one."""
    k1, m1, s1 = consensus_shares(13, "notarization", 0, 9)
    k2, m2, s2 = consensus_shares(13, "finalization", 0, 7)
    batch = Batch(k1 + k2, m1 + m2, s1 + s2, IC_DST, "numba_cpu")
    try:
        assert batch.pipelines()
    except BackendUnavailable as e:
        pytest.skip(str(e))
    assert batch.verdicts_pipelined().all()
    keys, msgs, sigs, want, kinds = SHARED_POOL
    assert len(kinds) > 15 and not want.all() and Batch(keys, msgs, sigs, IC_DST, "numba_cpu").pipelines()
    got = batch_or_skip(keys, msgs, sigs, "numba_cpu")
    assert [k for k, g, w in zip(kinds, got, want) if g != w] == []
    keys, msgs, sigs, want, kinds = DISTINCT_POOL
    assert len(kinds) > 8 and not want.all() and Batch(keys, msgs, sigs, IC_DST, "numba_cpu").pipelines()
    got = batch_or_skip(keys, msgs, sigs, "numba_cpu")
    assert [k for k, g, w in zip(kinds, got, want) if g != w] == []
    assert Batch(keys[:3], msgs[:3], sigs[:3], IC_DST, "numba_cpu").pipelines()
    assert batch_or_skip(*distinct_messages(5), "numba_cpu").all()
    assert not Batch(k1[:1], m1[:1], s1[:1], IC_DST, "numba_cpu").pipelines()  # one item
    assert not Batch(k1 + k2[:1], m1 + m2[:1], s1 + s2[:1], IC_DST, "numba_cpu").pipelines()  # shared and one-off
    assert not Batch(k1, m1, s1, IC_DST, "library").pipelines()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_pipelined_batch_equals_single_verification(data):
    """Differential fuzzing of the pipelined path: any mix of the shares' message's items (repeats included), or
    of the distinct-message items (each at most once)."""
    pool = data.draw(st.sampled_from([SHARED_POOL, DISTINCT_POOL]))
    keys, msgs, sigs, want, _ = pool
    n = len(keys)
    if pool is SHARED_POOL:
        indices = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=20))
    else:
        indices = data.draw(st.permutations(range(n)))[:data.draw(st.integers(2, n))]
    k, m, s = [keys[i] for i in indices], [msgs[i] for i in indices], [sigs[i] for i in indices]
    got = batch_or_skip(k, m, s, "numba_cpu")
    assert got.tolist() == library.verify_batch(k, m, s, IC_DST).tolist() == want[indices].tolist()


def test_with_bad_items_and_targets_precheck():
    keys, msgs, sigs = consensus_shares(34)
    k, m, s, want = with_bad_items(keys, msgs, sigs, 3, seed=1)
    assert (~want).sum() == 3
    assert library.verify_batch(k, m, s, IC_DST).tolist() == want.tolist()
    assert batch_or_skip(k, m, s, "library").tolist() == want.tolist()


def test_dst_matters():
    keys, msgs, sigs = consensus_shares(13, count=2)
    assert library.verify_batch(keys, msgs, sigs, IC_DST).all()
    assert not library.verify_batch(keys, msgs, sigs, POP_DST).any()
    assert not bls12381_verify_batch(keys, msgs, sigs, backend="library", dst=POP_DST).any()


@pytest.mark.parametrize("method", ["per_item", "batch"])
def test_empty_batch(method):
    out = bls12381_verify_batch([], [], [], backend="library", method=method)
    assert out.dtype == bool and out.shape == (0,)


def test_bad_arguments():
    keys, msgs, sigs = consensus_shares(13, count=2)
    with pytest.raises(ValueError, match="same length"):
        bls12381_verify_batch(keys, msgs[:1], sigs, backend="library")
    with pytest.raises(TypeError):
        bls12381_verify_batch([1, 2], msgs, sigs, backend="library")
    with pytest.raises(ValueError, match="backend"):
        bls12381_verify_batch(keys, msgs, sigs, backend="gpu")
    with pytest.raises(ValueError, match="method"):
        bls12381_verify_batch(keys, msgs, sigs, backend="library", method="fast")
    with pytest.raises(ValueError, match="batch"):
        bls12381_verify_batch(keys, msgs, sigs, backend="opencl", method="per_item")
    with pytest.raises(ValueError, match="dst"):
        bls12381_verify_batch(keys, msgs, sigs, backend="library", dst=b"x" * 256)
    with pytest.raises(ValueError):
        random_scalars(3, 100)


def test_random_scalars():
    r = random_scalars(1000)
    assert r.shape == (1000, 4) and r[:, 1:].sum() == 0 and r[:, 0].all()
    assert len(set(r[:, 0].tolist())) == 1000
    assert random_scalars(4, 128)[:, 2:].sum() == 0


def test_sparse_scalars():
    """batch.sparse_scalars: SPARSE_WEIGHT non-adjacent signed digits below 2^SPARSE_BITS, the top one +1 (so
    msm.naf_terms finds exactly those), distinct draws; every exponent and both signs occur."""
    r = sparse_scalars(2000)
    values = M.scalar_ints(r)
    assert r.shape == (2000, 4) and all(0 < v < 1 << SPARSE_BITS for v in values) and len(set(values)) == 2000
    exponent, point, negative = M.naf_terms(r)
    assert (np.bincount(point) == SPARSE_WEIGHT).all()
    top = np.zeros(2000, np.int64)
    np.maximum.at(top, point, exponent)
    assert not negative[exponent == top[point]].any()
    assert set(exponent.tolist()) == set(range(SPARSE_BITS)) and 0.4 < negative.mean() < 0.5
    assert sparse_scalars(0).shape == (0, 4)


def test_batch_draws_sparse_scalars_for_the_keys_the_backend_sums():
    """On numba_cpu (NAF chains) the items of shared messages get sparse scalars and the others 64-bit ones
    (blst multiplies H(m) by those); on the library every item gets 64-bit ones."""
    keys, msgs, sigs = consensus_shares(13, "notarization", 0, 6)
    keys, msgs, sigs = keys + keys[:2], msgs + [b"one", b"two"], sigs + sigs[:2]
    for backend, sparse in (("numba_cpu", True), ("library", False)):
        batch = Batch(keys, msgs, sigs, IC_DST, backend).decode()
        exponent, point, _ = M.naf_terms(batch.scalars)
        weights = np.bincount(point, minlength=len(keys))
        assert (batch.scalars[6:, 1:] == 0).all()
        if sparse:
            assert (weights[:6] == SPARSE_WEIGHT).all() and batch.scalars[:6, 1].any()
        else:
            assert (batch.scalars[:, 1:] == 0).all()


def test_consensus_counts():
    """docs/REFERENCES.md: 13/28/34/40 nodes -> n - f = 9/19/23/27, f + 1 = 5/10/12/14."""
    for n, big, small in ((13, 9, 5), (28, 19, 10), (34, 23, 12), (40, 27, 14)):
        c = consensus_verifications(n)
        assert c["notarization_shares"] == c["finalization_shares"] == big == shares_needed("notarization", n)
        assert c["random_beacon_shares"] == small
        assert c["shares_at_threshold"] == 2 * big + small
    with pytest.raises(ValueError):
        consensus_verifications(0)
    with pytest.raises(ValueError):
        shares_needed("proposal", 13)


def test_cost_model():
    costs = {"decode_g1": 1.0, "decode_g2": 1.0, "hash_to_g1": 1.0, "scalar_mul_g1": 1.0, "scalar_mul_g2": 2.0,
             "miller_loop": 4.0, "final_exp": 5.0}
    m = cost_model(10, costs)
    assert m["per_item_s"] == 10 * (2 + 1 + 8 + 5)
    assert m["one_message_s"] == 10 * (2 + 3) + 1 + 2 + 1 + 8 + 5
    assert m["distinct_s"] == 10 * (2 + 1 + 2 + 4) + 1 + 4 + 5


def test_hot_path_contract():
    from kernels.bls import HOT_PATH
    from kernels.hotpath import PROFILES

    for profile in PROFILES:
        sweeps = HOT_PATH.cases(profile)
        assert set(sweeps) == {"per_item", "batch", "steps"}
    assert set(HOT_PATH.targets()) == {"bls12381_verify_shares_34", "bls12381_verify_distinct"}


def test_smoke_sweep_and_target_on_library():
    from kernels.bls import HOT_PATH

    frame = HOT_PATH.run_sweep("batch", "smoke", ["library"], progress=False)
    assert set(frame.phase) == {"kernel", "end_to_end"} and (frame.method == "batch").all()
    steps = HOT_PATH.run_sweep("steps", "smoke", ["library"], progress=False)
    assert set(steps.step) == {"decode", "hash_to_curve", "msm", "pairing"}
