"""Batch verification under ZIP 215 (`method="batch"`) on every device backend (numba_cpu, OpenCL, numba_cuda on
the CUDA simulator, CuPy where installed): verdicts identical to single ZIP 215 verification on mixed batches
(invalid signatures at random positions, adversarial ones, repeated keys, the ZIP 215 vectors), each backend's
multi-scalar multiplication against the reference's arithmetic, bisection, the device plan, bad input, and the
library backend without it."""
from pathlib import Path

import numpy as np
import pytest
from conftest import backend_params
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import BackendUnavailable, devices
from kernels.registry import backend_module
from kernels.signatures import batch, check_batch, ed25519_verify_batch, numba_cpu, prepare, scalars
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
BATCH_BACKENDS = backend_params("ed25519_verify", exclude=("reference", "library"))  # every device kernel
FAST_BATCH_BACKENDS = backend_params("ed25519_verify", exclude=("reference", "library", "numba_cuda"))
MIXED = [(0, 0), (1, 0), (1, 1), (5, 2), (64, 1), (300, 3), (300, 0), (40, 40)]
SIMULATOR_MIXED = [(0, 0), (1, 0), (1, 1), (6, 0), (7, 2)]  # the CUDA simulator: seconds per verification


def mixed_cases():
    for backend in BATCH_BACKENDS:
        for n, bad in SIMULATOR_MIXED if backend.id == "numba_cuda" else MIXED:
            yield pytest.param(backend.values[0], n, bad, marks=backend.marks, id=f"{backend.id}-{n}-{bad}")


@pytest.mark.parametrize("backend,n,bad", list(mixed_cases()))
def test_batch_equals_single_on_mixed_batches(backend, n, bad):
    keys, msgs, sigs = signed_batch(n, seed=n + bad)
    rng = np.random.default_rng(n * 7 + bad)
    positions = rng.choice(n, size=bad, replace=False) if n else []
    keys, msgs, sigs = spoil(keys, msgs, sigs, positions, rng.choice(SPOILS, size=bad))
    single = ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215")
    got = ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="zip215", method="batch")
    assert got.dtype == bool and got.shape == (n,)
    np.testing.assert_array_equal(got, single)
    assert int((~got).sum()) == bad


@pytest.mark.parametrize("backend", FAST_BATCH_BACKENDS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_fuzz_batch_against_single(backend, data):
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
        ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="zip215", method="batch"),
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215"))


@pytest.mark.parametrize("backend", FAST_BATCH_BACKENDS)
def test_batches_of_the_zip215_vectors_and_adversarial_signatures(backend):
    """The crate's tests verify the 196 vectors singly and in random batches: all of them, and random subsets
    mixed with adversarial signatures (verdicts known from the construction)."""
    keys, msgs, sigs = zip215_vectors()
    assert ed25519_verify_batch(keys, msgs, sigs, backend=backend, rules="zip215", method="batch").all()
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
                                   backend=backend, rules="zip215", method="batch")
        np.testing.assert_array_equal(got, want[order])


@pytest.mark.skipif(devices.unavailable_reason("numba_cuda") is not None, reason="numba.cuda unavailable")
def test_numba_cuda_batches_of_zip215_vectors_and_adversarial_signatures():
    """The CUDA simulator on small batches: ZIP 215 vectors alone (one combination that passes: small-order
    and non-canonical points inside the MSM), then mixed with adversarial signatures (bisection)."""
    keys, msgs, sigs = zip215_vectors()
    pick = np.random.default_rng(2).choice(len(keys), size=6, replace=False)
    k, m, s = [keys[i] for i in pick], [msgs[i] for i in pick], [sigs[i] for i in pick]
    assert ed25519_verify_batch(k, m, s, backend="numba_cuda", rules="zip215", method="batch").all()
    adv = adversarial_batch(1, seed=5)
    k, m, s = k[:3] + adv["public_keys"], m[:3] + adv["messages"], s[:3] + adv["signatures"]
    want = np.concatenate([np.ones(3, bool), adv["zip215"]])
    assert not want.all()
    np.testing.assert_array_equal(ed25519_verify_batch(k, m, s, backend="numba_cuda", rules="zip215", method="batch"),
                                  want)


def test_reference_batch_equals_reference_single():
    keys, msgs, sigs = signed_batch(6, seed=2)
    keys, msgs, sigs = spoil(keys, msgs, sigs, [1, 4], ["R", "message"])
    adv = adversarial_batch(1, seed=3)
    keys, msgs, sigs = keys + adv["public_keys"], msgs + adv["messages"], sigs + adv["signatures"]
    want = ref.ed25519_verify_batch(keys, msgs, sigs, "zip215")
    np.testing.assert_array_equal(ed25519_verify_batch(keys, msgs, sigs, backend="reference", rules="zip215",
                                                       method="batch"), want)
    assert want.sum() == len(keys) - 3  # two spoilt, one S + L


def msm_terms(terms: int, seed: int):
    """(prepared, r, s, t): points P_j = [r_j]B + a torsion point, encoded as keys (and as R), scalars s_j, and
    t = -sum s_j r_j mod L, so that [8](sum [s_j] P_j + [t] B) is the identity."""
    rng = np.random.default_rng(seed)
    r = [int.from_bytes(rng.bytes(40), "little") % ref.L for _ in range(terms)]
    s = [int.from_bytes(rng.bytes(40), "little") % ref.L for _ in range(terms)]
    torsion = [ref.decode_zip215(e) for e in small_order_encodings()[:8]]
    encoded = [ref.encode(ref.point_add(ref.scalar_mult(rj, ref.BASE), torsion[j % 8])) for j, rj in enumerate(r)]
    t = (-sum(a * b for a, b in zip(r, s))) % ref.L
    return prepare(*check_batch(encoded, [b""] * terms, [e + bytes(32) for e in encoded])), r, s, t


def check_msm(module, terms: int, seed: int, **msm_options) -> None:
    """The module's decompress and msm_is_small_order on msm_terms: the identity, then not with one scalar off by
    one. Both the key rows (0..n-1) and the R rows (n..2n-1) are used, and B (row 2n)."""
    prepared, r, s, t = msm_terms(terms, seed)
    pts, ok = module.decompress(prepared, np.arange(terms))
    assert ok.all()
    half = terms // 2  # the first half of the terms through the keys' rows, the rest through the R rows
    rows = np.concatenate([np.arange(half), terms + np.arange(half, terms), [2 * terms]]).astype(np.int64)
    # the points are stored negated (-P_j), so the base term takes -t: sum [s_j](-P_j) + [-t]B = -(sum [s_j]P_j + [t]B)
    scalars = b"".join(v.to_bytes(32, "little") for v in s + [(-t) % ref.L])
    assert module.msm_is_small_order(pts, rows, np.frombuffer(scalars, np.uint8).reshape(-1, 32), **msm_options)
    s[terms // 2] += 1
    scalars = b"".join(v.to_bytes(32, "little") for v in s + [(-t) % ref.L])
    assert not module.msm_is_small_order(pts, rows, np.frombuffer(scalars, np.uint8).reshape(-1, 32), **msm_options)


@pytest.mark.parametrize("c", [2, 5, 8, 11])
@pytest.mark.parametrize("terms", [1, 3, 40, 300])
def test_msm_against_the_reference_arithmetic(c, terms, monkeypatch):
    """sum [s_j] P_j + [t] B with t = -sum s_j r_j mod L, P_j = [r_j]B (+ torsion): identity after [8]; one
    scalar off by one: not. Every window width, serial and threaded paths."""
    monkeypatch.setattr(numba_cpu, "window_bits", lambda points: c)
    check_msm(numba_cpu, terms, terms * 100 + c, method="pippenger")


# ---- Straus's method (numba_core.msm_straus) on numba_cpu, and the model that chooses it ----------------------------


def straus_points(count: int, seed: int):
    """(pts, points): `count` points [r]B + torsion (every eighth one a pure torsion point, the identity
    included) decoded by numba_cpu's radix-2^51 kernel (stored negated, cached) and as reference points."""
    rng = np.random.default_rng(seed)
    torsion = [ref.decode_zip215(e) for e in small_order_encodings()[:8]]
    points = [torsion[j % 8] if j % 8 == 3 else
              ref.point_add(ref.scalar_mult(int.from_bytes(rng.bytes(40), "little") % ref.L, ref.BASE), torsion[j % 8])
              for j in range(count)]
    encoded = [ref.encode(q) for q in points]
    pts, ok = numba_cpu.decompress(prepare(*check_batch(encoded, [b""] * count, [e + bytes(32) for e in encoded])),
                                   np.arange(count), ifma_path=False)
    assert ok.all()
    return pts, points


def straus_sum(pts, rows, values) -> tuple[int, ...]:
    """numba_core.msm_straus of the terms (rows into pts, integer scalars) as a reference point (X, Y, Z, T)."""
    m = len(rows)
    c = batch.straus_window_bits(m)
    table = np.empty((max(m, 1) << (c - 1), 4, 5), np.uint64)
    digits = np.empty((max(m, 1), batch.signed_windows(c)), np.int8)
    sc = np.frombuffer(b"".join(v.to_bytes(32, "little") for v in values), np.uint8).reshape(-1, 32)
    got = numba_cpu.CORE.msm_straus(pts, np.asarray(rows, np.int64), sc, 0, m, c, table, digits, numba_cpu.D2)
    return tuple(sum(int(x) << (51 * i) for i, x in enumerate(f)) % ref.P for f in got)


def same_point(p, q) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % ref.P == 0 and (p[1] * q[2] - q[1] * p[2]) % ref.P == 0


def reference_sum(points, rows, values):
    """-(sum_j [values_j] points[rows_j]) in the reference's arithmetic (the kernel's points are stored negated)."""
    acc = ref.IDENTITY
    for j, v in zip(rows, values):
        acc = ref.point_add(acc, ref.scalar_mult(v, points[j]))
    return ref.negate(acc)


STRAUS_POOL = straus_points(24, 3)
EDGE_SCALARS = [0, 1, 2, ref.L - 1, ref.L, 2**128 - 1, 2**252, 2**253 - 1]


@pytest.mark.parametrize("terms", range(0, 41))
def test_straus_msm_against_the_reference_arithmetic(terms):
    """msm_straus at 0..40 terms equals the reference's sum: torsion points, repeated points, edge scalars (0,
    L - 1, L, 2^253 - 1) among random ones, and a cancelling sum (a term and its negation) that leaves the rest."""
    pts, points = STRAUS_POOL
    rng = np.random.default_rng(terms)
    rows = [int(r) for r in rng.integers(0, len(points), size=terms)]
    values = [EDGE_SCALARS[j // 3 % len(EDGE_SCALARS)] if j % 3 == 0
              else int.from_bytes(rng.bytes(32), "little") % 2**253 for j in range(terms)]
    if terms >= 2:  # [v]P + [L - v]P: cancels but for P's torsion part
        rows[-1], values[-1] = rows[0], (-values[0]) % ref.L
    assert same_point(straus_sum(pts, rows, values), reference_sum(points, rows, values))


def test_straus_cancelling_sum_is_the_identity():
    pts, points = STRAUS_POOL
    rows = [0, 8, 0, 8, 16]  # points [r]B + the identity (torsion index 0)
    values = [5, ref.L - 1, ref.L - 5, 1, 0]
    assert same_point(straus_sum(pts, rows, values), ref.IDENTITY)
    assert numba_cpu.straus_is_small_order(pts, np.array(rows), np.frombuffer(
        b"".join(v.to_bytes(32, "little") for v in values), np.uint8).reshape(-1, 32))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_fuzz_straus_against_the_reference(data):
    pts, points = STRAUS_POOL
    terms = data.draw(st.integers(0, 12))
    rows = data.draw(st.lists(st.integers(0, len(points) - 1), min_size=terms, max_size=terms))
    values = data.draw(st.lists(st.one_of(st.sampled_from(EDGE_SCALARS), st.integers(0, 2**253 - 1)),
                                min_size=terms, max_size=terms))
    assert same_point(straus_sum(pts, rows, values), reference_sum(points, rows, values))


@pytest.mark.parametrize("ifma_path", [False, True])
@pytest.mark.parametrize("terms", [1, 5, 17, 40])
def test_straus_and_pippenger_agree_on_the_cofactored_check(terms, ifma_path):
    if ifma_path and not numba_cpu.ifma.HAS_IFMA:
        pytest.skip("no AVX-512 IFMA on this CPU")
    for method in numba_cpu.MSM_METHODS:
        check_msm(numba_cpu, terms, terms, ifma_path=ifma_path, method=method)


def test_straus_refuses_bad_scalars_and_methods():
    pts, _ = STRAUS_POOL
    with pytest.raises(ValueError):
        numba_cpu.straus_is_small_order(pts, np.array([0]), np.full((1, 32), 255, np.uint8))
    with pytest.raises(ValueError):
        numba_cpu.msm_is_small_order(pts, np.array([0]), np.zeros((1, 32), np.uint8), method="bos-coster")


def test_the_straus_pippenger_model():
    """The operation-count model: Straus for small combinations, Pippenger from some size on, one crossover."""
    choice = [batch.prefer_straus(m) for m in range(1, 600)]
    assert choice[0] and not choice[-1]
    crossover = choice.index(False) + 1
    assert not any(choice[crossover - 1:]) and 64 < crossover < numba_cpu.SERIAL_MSM_BELOW
    assert not batch.prefer_straus(0)
    assert batch.straus_ops(10, 4) == 10 * 8 + 64 * (4 + 10)
    assert numba_cpu.msm_method(5, ifma_path=False) == "straus"
    assert numba_cpu.msm_method(1000, ifma_path=False) == "pippenger"
    assert numba_cpu.msm_method(numba_cpu.IFMA_STRAUS_AT_MOST, ifma_path=True) == "straus"
    assert numba_cpu.msm_method(numba_cpu.IFMA_STRAUS_AT_MOST + 1, ifma_path=True) == "pippenger"


def straus_mixed_cases():
    rng = np.random.default_rng(13)
    for n in (5, 9, 22, 40):
        yield n, int(rng.integers(1, max(2, n // 4) + 1))


@pytest.mark.parametrize("ifma", ["0", "1"])
@pytest.mark.parametrize("n,bad", list(straus_mixed_cases()))
def test_straus_batches_equal_single_verification(n, bad, ifma, monkeypatch):
    """Batch verdicts with every combination evaluated by Straus equal single ZIP 215 verdicts on mixed batches of
    5..40 signatures (bad ones at random positions, keys repeated), on the IFMA path and the radix-2^51 fallback
    (KERNELS_ED25519_IFMA=0)."""
    if ifma == "1" and not numba_cpu.ifma.HAS_IFMA:
        pytest.skip("no AVX-512 IFMA on this CPU")
    monkeypatch.setenv(numba_cpu.ifma.DISABLE_ENV, ifma)
    keys, msgs, sigs = signed_batch(n, seed=100 + n)
    keys[n // 2], msgs[n // 2], sigs[n // 2] = keys[0], msgs[0], sigs[0]  # a repeated key (and signature)
    rng = np.random.default_rng(n * 31 + bad)
    positions = rng.choice(n, size=bad, replace=False)
    keys, msgs, sigs = spoil(keys, msgs, sigs, positions, rng.choice(SPOILS, size=bad))
    single = ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215")
    methods = []
    real = numba_cpu.msm_method
    monkeypatch.setattr(numba_cpu, "msm_method", lambda terms, ifma_path: methods.append(real(terms, ifma_path))
                        or "straus")
    got = numba_cpu.verify_prepared_batch(prepare(*check_batch(keys, msgs, sigs)))
    np.testing.assert_array_equal(got, single)
    assert int((~got).sum()) >= 1 and (methods or n - bad <= batch.SINGLE_AT_MOST)


C_CORE_BACKENDS = [p for p in BATCH_BACKENDS if p.id in ("opencl", "cupy")]  # the shared C core's batch kernels


@pytest.mark.parametrize("backend", C_CORE_BACKENDS)
@pytest.mark.parametrize("c,chunks", [(2, 1), (5, 3), (8, 1), (11, 2), (16, 1)])
@pytest.mark.parametrize("terms", [1, 3, 40, 300])
def test_c_core_msm_against_the_reference_arithmetic(backend, c, chunks, terms, monkeypatch):
    """The C core's MSM kernels (OpenCL; CuPy where installed): every window width up to 16 bits, one or several
    chunks per window (chunks above the terms: empty ones)."""
    module = backend_module("ed25519_verify", backend)
    monkeypatch.setattr(module, "msm_plan", lambda *args, **kwargs: (c, chunks))
    check_msm(module, terms, terms * 100 + c)


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
@pytest.mark.parametrize("source,options", [("SOURCE", []), ("SOURCE_FE51", []), ("SOURCE_FE51", ["-D", "ED25519_NO_INT128"])],
                         ids=["radix25.5", "radix51-int128", "radix51-mul_hi"])
def test_batch_kernels_in_every_field_layout_of_the_c_core(source, options, monkeypatch):
    """The C core's batch kernels in its three field layouts (radix 2^25.5 is what GPUs run, CuPy included),
    whichever this OpenCL device would pick: the MSM against the reference's arithmetic, then batches of ZIP 215
    vectors and adversarial signatures."""
    import pyopencl as cl

    from kernels.signatures import opencl

    queue = devices.opencl_queue()
    program = cl.Program(queue.context, Path(getattr(opencl, source)).read_text()).build(
        options=["-I", str(devices.COMMON_DIR), *options])
    monkeypatch.setattr(opencl, "_kernel",
                        lambda name: (cl.Kernel(program, name), queue, opencl.local_size(queue.device)))
    monkeypatch.setattr(opencl, "msm_plan", lambda *args, **kwargs: (6, 3))
    check_msm(opencl, 40, 11)
    keys, msgs, sigs = zip215_vectors()
    adv = adversarial_batch(2, seed=6)
    k, m, s = keys[:30] + adv["public_keys"], msgs[:30] + adv["messages"], sigs[:30] + adv["signatures"]
    assert opencl.verify_prepared_batch(prepare(*check_batch(keys, msgs, sigs))).all()
    np.testing.assert_array_equal(opencl.verify_prepared_batch(prepare(*check_batch(k, m, s))),
                                  np.concatenate([np.ones(30, bool), adv["zip215"]]))


@pytest.mark.skipif(devices.unavailable_reason("numba_cuda") is not None, reason="numba.cuda unavailable")
@pytest.mark.parametrize("chunks", [None, 2])
def test_numba_cuda_msm_against_the_reference_arithmetic(chunks):
    """numba_core's MSM as CUDA device functions (the simulator here): the plan's chunks, and two threads."""
    from kernels.signatures import numba_cuda

    check_msm(numba_cuda, 3, 7, chunks=chunks)


@pytest.mark.parametrize("backend", FAST_BATCH_BACKENDS)
def test_bisection_isolates_a_bad_signature(backend, monkeypatch):
    module = backend_module("ed25519_verify", backend)
    keys, msgs, sigs = signed_batch(64, seed=4)
    msgs[37] += b"x"
    calls = []
    real = module.msm_is_small_order
    monkeypatch.setattr(module, "msm_is_small_order", lambda *a: calls.append(a[1].size) or real(*a))
    got = module.verify_prepared_batch(prepare(*check_batch(keys, msgs, sigs)))
    assert got.tolist() == [i != 37 for i in range(64)]
    assert 1 < len(calls) <= 2 * 5  # the whole batch, then two halves per level down to SINGLE_AT_MOST
    valid = module.verify_prepared_batch(prepare(*check_batch(keys[:37], msgs[:37], sigs[:37])))
    assert valid.all()


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
def test_opencl_batch_larger_than_the_largest_buffer_is_verified_in_parts(monkeypatch):
    from kernels.signatures import opencl

    monkeypatch.setattr(opencl, "batch_signatures_per_buffer", lambda device: 7)
    keys, msgs, sigs = signed_batch(30, seed=12)
    keys, msgs, sigs = spoil(keys, msgs, sigs, [6, 7, 20], ["message", "S+L", "undecodable R"])
    got = ed25519_verify_batch(keys, msgs, sigs, backend="opencl", rules="zip215", method="batch")
    assert got.tolist() == [i not in (6, 7, 20) for i in range(30)]
    assert opencl.batch_signatures_per_buffer(devices.opencl_queue().device) == 7
    monkeypatch.undo()
    assert opencl.batch_signatures_per_buffer(devices.opencl_queue().device) >= 1 << 16  # the full sweep's largest


@pytest.mark.parametrize("backend", FAST_BATCH_BACKENDS)
def test_decompression_flags_agree_with_numba_cpu(backend):
    """ok[i] (A_i and R_i decode, S_i < L) from the device kernel equals numba_cpu's on the adversarial batch
    with undecodable points, S >= L and repeated keys (the first of equal keys carries the key's flag)."""
    adv = adversarial_batch(2, seed=9)
    keys, msgs, sigs = signed_batch(6, seed=9)
    keys, msgs, sigs = spoil(keys, msgs, sigs, [0, 2, 4], ["A", "undecodable R", "S+L"])
    keys, msgs, sigs = (keys + adv["public_keys"] + keys[:2], msgs + adv["messages"] + msgs[:2],
                        sigs + adv["signatures"] + sigs[:2])
    prepared = prepare(*check_batch(keys, msgs, sigs))
    first = batch.first_of_equal(prepared.public_keys)
    _, want = numba_cpu.decompress(prepared, first)
    _, got = backend_module("ed25519_verify", backend).decompress(prepared, first)
    assert not want.all() and want.any()
    np.testing.assert_array_equal(np.asarray(got, dtype=bool), want)


def test_msm_plan_bounds():
    """Window bits 2..16, at least one chunk, no more chunks than terms (beyond one), the bucket budget kept; one
    lane: one chunk (more would only add work); many lanes on the C core split each window into chunks."""
    for terms in (1, 5, 41, 513, 4097, 65537):
        for lanes in (1, 2, 16, 16_896):
            for split in (True, False):
                c, chunks = batch.msm_plan(terms, lanes, 1 << 22, split_windows=split)
                assert 2 <= c <= 16 and 1 <= chunks <= max(terms, 1)
                buckets = batch.signed_windows(c) * chunks << (c - 1) if split else chunks * ((1 << c) - 1)
                assert buckets <= 1 << 22
                if lanes == 1:
                    assert chunks == 1
    assert batch.msm_plan(4097, 16_896, 1 << 24)[1] > 1
    assert batch.msm_plan(4097, 16_896, 10) == (2, 1)  # a budget too small for any plan: the smallest


@pytest.mark.parametrize("c", range(2, 17))
def test_signed_digits_sum_to_the_scalar(c):
    """sum_w d_w 2^(w c) = s with |d_w| <= 2^(c-1), on random scalars below 2^253 and the edges (0, 1, L - 1,
    2^253 - 1, and runs of bits that carry through every window)."""
    rng = np.random.default_rng(c)
    values = [0, 1, ref.L - 1, 2**253 - 1, 2**128 - 1, sum(1 << (c * w + c - 1) for w in range(253 // c))]
    values += [int.from_bytes(rng.bytes(32), "little") >> 3 for _ in range(40)]
    scalars = np.frombuffer(b"".join(v.to_bytes(32, "little") for v in values), np.uint8).reshape(-1, 32)
    digits = batch.signed_digits(scalars, c)
    assert digits.shape == (batch.signed_windows(c), len(values)) and digits.dtype == np.int32
    assert np.abs(digits).max() <= 1 << (c - 1) and digits.min() >= -(1 << (c - 1))
    for j, v in enumerate(values):
        assert sum(int(d) << (w * c) for w, d in enumerate(digits[:, j])) == v


def test_scalars_above_2_253_are_refused():
    ok = np.zeros((3, 32), np.uint8)
    ok[:, 31] = 0x1F
    assert batch.check_scalars(ok) is not None
    high = ok.copy()
    high[1, 31] = 0x20
    with pytest.raises(ValueError, match="below 2\\^253"):
        batch.check_scalars(high)
    with pytest.raises(ValueError):
        batch.check_scalars(np.zeros((3, 31), np.uint8))


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
    raw = batch.random_scalar_bytes(64)
    assert raw.shape == (64, 16) and raw.dtype == np.uint8
    values = [int.from_bytes(row.tobytes(), "little") for row in raw]
    assert len(set(values)) == 64 and max(values) > 2**120
    assert not np.array_equal(raw, batch.random_scalar_bytes(64))  # a fresh draw each call, never fixed
    assert batch.random_scalar_bytes(0).shape == (0, 16)


# --- the compiled scalars mod L (scalars.py) and the combination step, against Python integers --------------------

SCALAR_EDGES = [0, 1, 2, ref.L - 1, ref.L, ref.L + 1, 2 * ref.L - 1, 2 * ref.L, 2**252 - 1, 2**252, 2**253 - 1,
                2**253, 2**255 + 7, 2**256 - 1, 2**384 - 1, (2**512 - 1) // ref.L * ref.L,
                (2**512 - 1) // ref.L * ref.L - 1, 2**511, 2**512 - 1]
SCALAR_EDGES += [k * ref.L + e for k in (1, 2, 3, 2**200, 2**259 - 1) for e in
                 (2**251, 2**251 - 1, 2**251 + 1, 2**251 + ref.L - 2**252, 2**251 - (ref.L - 2**252),
                  2**252 - 2**231, 2**251 + 2**230, ref.L - 2**251 - 1)]  # around the balanced limbs' range


def as_rows(values, width):
    return np.frombuffer(b"".join(v.to_bytes(width, "little") for v in values), np.uint8).reshape(-1, width)


def test_limb_constants_are_those_of_l():
    assert sum(int(d) << (21 * j) for j, d in enumerate(scalars.MINUS_C)) == 2**252 - ref.L
    assert all(-(2**20) <= int(d) < 2**20 for d in scalars.MINUS_C)
    assert sum(int(d) << (21 * j) for j, d in enumerate(scalars.L_LIMBS)) == ref.L
    with pytest.raises(ValueError):
        scalars.signed_limbs(2**130, 6)


def test_reduce_mod_l_on_edge_values():
    got = scalars.reduce_bytes(as_rows(SCALAR_EDGES, 64))
    assert [int.from_bytes(row.tobytes(), "little") for row in got] == [v % ref.L for v in SCALAR_EDGES]
    short = [v for v in SCALAR_EDGES if v < 2**256]  # 32-byte rows: h and S as they are stored
    got = scalars.reduce_bytes(as_rows(short, 32))
    assert [int.from_bytes(row.tobytes(), "little") for row in got] == [v % ref.L for v in short]
    assert scalars.reduce_bytes(np.zeros((0, 64), np.uint8)).shape == (0, 32)
    with pytest.raises(ValueError):
        scalars.reduce_bytes(np.zeros((2, 65), np.uint8))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**512 - 1), min_size=1, max_size=8))
def test_fuzz_reduce_mod_l(values):
    got = scalars.reduce_bytes(as_rows(values, 64))
    assert [int.from_bytes(row.tobytes(), "little") for row in got] == [v % ref.L for v in values]


def test_prepared_challenges_are_the_reference_challenges():
    keys, msgs, sigs = signed_batch(9, seed=3)
    msgs[0], msgs[1] = b"", bytes(1000)
    prepared = prepare(*check_batch(keys, msgs, sigs))
    assert [int.from_bytes(h.tobytes(), "little") for h in prepared.challenges] == \
        [ref.challenge(s[:32], k, m) for k, m, s in zip(keys, msgs, sigs)]


def combination_by_ints(part, first, signatures, challenges, z):
    """batch.combination written with Python integers: the oracle of the compiled one."""
    n, per_key, b = first.size, {}, 0
    for i, zi in zip(part.tolist(), z):
        key = int(first[i])
        per_key[key] = per_key.get(key, 0) + zi * int.from_bytes(challenges[i].tobytes(), "little")
        b += zi * int.from_bytes(signatures[i, 32:].tobytes(), "little")
    return [*per_key, *(n + part).tolist(), 2 * n], [v % ref.L for v in per_key.values()] + list(z) + [b % ref.L]


def check_combination(part, first, signatures, challenges, z):
    want_rows, want = combination_by_ints(part, first, signatures, challenges, z)
    for given_z in (z, as_rows(z, 16).reshape(-1, 16)):  # ints, and the bytes batch_verdicts draws
        rows, got = batch.combination(part, first, signatures, challenges, given_z)
        assert rows.dtype == np.int64 and rows.tolist() == want_rows
        assert got.shape == (len(want), 32) and [int.from_bytes(r.tobytes(), "little") for r in got] == want


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fuzz_combination_against_python_integers(data):
    """Random parts of a batch with repeated keys; z, h and S drawn from the edges (0, 1, L - 1, 2^128 - 1,
    2^256 - 1) and at random."""
    n = data.draw(st.integers(0, 30))
    keys = data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    first = np.array([keys.index(k) for k in keys], dtype=np.int64)
    wide = st.one_of(st.sampled_from([0, 1, ref.L - 1, ref.L, 2**253 - 1, 2**256 - 1]), st.integers(0, 2**256 - 1))
    h = as_rows(data.draw(st.lists(wide, min_size=n, max_size=n)), 32).reshape(n, 32)
    s = as_rows(data.draw(st.lists(wide, min_size=n, max_size=n)), 32).reshape(n, 32)
    signatures = np.concatenate([np.zeros((n, 32), np.uint8), s], axis=1)
    part = np.array(data.draw(st.permutations(range(n)))[:data.draw(st.integers(0, n))], dtype=np.int64)
    z = data.draw(st.lists(st.one_of(st.sampled_from([0, 1, 2**128 - 1]), st.integers(0, 2**128 - 1)),
                           min_size=part.size, max_size=part.size))
    check_combination(part, first, signatures, h, z)


def test_combination_edges_and_long_sums():
    """An empty part (only B, scalar 0); every z, h, S at its largest; and one key over more products than
    scalars.CARRY_EVERY (the accumulator is carried on the way)."""
    first = np.zeros(3, np.int64)
    big = as_rows([2**256 - 1] * 3, 32)
    signatures = np.concatenate([big, big], axis=1)
    check_combination(np.zeros(0, np.int64), first, signatures, big, [])
    check_combination(np.arange(3), first, signatures, big, [2**128 - 1] * 3)
    n = scalars.CARRY_EVERY + 3
    first, h = np.zeros(n, np.int64), np.broadcast_to(as_rows([ref.L - 1], 32), (n, 32))
    signatures = np.broadcast_to(np.frombuffer(bytes(32) + (2**256 - 1).to_bytes(32, "little"), np.uint8), (n, 64))
    rows, got = batch.combination(np.arange(n), first, signatures, h, np.full((n, 16), 255, np.uint8))
    values = [int.from_bytes(r.tobytes(), "little") for r in got]
    assert rows.tolist()[:2] == [0, n] and len(values) == n + 2
    assert values[0] == n * (2**128 - 1) * (ref.L - 1) % ref.L
    assert values[-1] == n * (2**128 - 1) * (2**256 - 1) % ref.L
    with pytest.raises(ValueError, match="one z per signature"):
        batch.combination(np.arange(2), first, signatures, h, [1])
    with pytest.raises(ValueError, match="uint8"):
        batch.combination(np.arange(2), first, signatures, h, np.zeros((2, 15), np.uint8))


def test_method_arguments_and_backends_without_batch():
    keys, msgs, sigs = signed_batch(3)
    with pytest.raises(ValueError, match="needs rules='zip215'"):
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", method="batch")
    with pytest.raises(ValueError, match="unknown method"):
        ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215", method="pippenger")
    with pytest.raises(BackendUnavailable, match="libsodium"):
        ed25519_verify_batch(keys, msgs, sigs, backend="library", rules="zip215", method="batch")
    reason = devices.unavailable_reason("cupy")
    if reason is not None:  # CuPy absent or no GPU: unavailable with the reason, batch or not
        with pytest.raises(BackendUnavailable, match="CuPy|CUDA"):
            ed25519_verify_batch(keys, msgs, sigs, backend="cupy", rules="zip215", method="batch")


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
    assert result.goal_ratio == 6.0 and result.checked and result.candidate in ("numba_cpu", "opencl")
    assert "numba_cpu" in result.candidates
    assert ("opencl" in result.candidates) == (devices.unavailable_reason("opencl") is None)
    for row in result.candidates.values():  # end to end and kernel-only, each candidate
        assert row["ratio"] > 0 and row["kernel_ratio"] > 0
    monkeypatch.setattr(numba_cpu, "verify_prepared_batch", lambda prepared: np.ones(prepared.count, dtype=bool))
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["ed25519_verify_zip215_batch"]("smoke")
    if devices.unavailable_reason("opencl") is None:
        from kernels.signatures import opencl

        monkeypatch.undo()
        monkeypatch.setattr(opencl, "msm_is_small_order", lambda *a: True)  # a kernel that passes every batch
        with pytest.raises(AssertionError, match="opencl"):
            HOT_PATH.targets()["ed25519_verify_zip215_batch"]("smoke")


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
def test_zip215_sweep_measures_batch_verification_on_opencl():
    from kernels.measure import Settings
    from kernels.signatures import HOT_PATH

    frame = HOT_PATH.run_sweep("zip215", "smoke", ["opencl"], progress=False,
                               settings=Settings(warmup=1, min_repeats=1, min_seconds=0.0))
    batch_rows = frame[(frame.method == "batch") & (frame.backend == "opencl")]
    assert set(batch_rows.phase) == {"pack", "kernel", "end_to_end"} and set(batch_rows.batch_size) == {1, 4, 16}
    assert (batch_rows.items_per_s > 0).all()


class _FakeCupyArray:
    """A CuPy array stand-in backed by an OpenCL buffer (test double for cupy_cuda's host code)."""

    def __init__(self, host):
        import pyopencl as cl

        self.host = np.ascontiguousarray(host)
        self.buffer = cl.Buffer(devices.opencl_queue().context, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR,
                                hostbuf=self.host if self.host.size else np.zeros(1, self.host.dtype))

    def get(self):
        import pyopencl as cl

        cl.enqueue_copy(devices.opencl_queue(), self.host, self.buffer)
        return self.host.copy()


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
def test_cupy_host_code_with_the_c_core_on_opencl(monkeypatch):
    """cupy_cuda's batch host code (buffers, argument order and types, grid sizes) run without a GPU: a stand-in
    `cupy` whose RawModule launches the same C core kernels, radix 2^25.5 as on CUDA, through OpenCL with
    grid x block work-items. Verdicts against numba_cpu's single ZIP 215 verification; the MSM against the
    reference's arithmetic with several plans."""
    import sys
    from types import SimpleNamespace

    import pyopencl as cl

    from kernels.signatures import cupy_cuda, opencl

    queue = devices.opencl_queue()
    program = cl.Program(queue.context, Path(opencl.SOURCE).read_text()).build(options=["-I", str(devices.COMMON_DIR)])

    def get_function(name):
        def launch(grid, block, args):
            bufs = [a.buffer if isinstance(a, _FakeCupyArray) else a for a in args]
            cl.Kernel(program, name)(queue, (grid[0] * block[0],), (block[0],), *bufs)
        return launch

    fake = SimpleNamespace(uint8=np.uint8, empty=lambda shape, dtype: _FakeCupyArray(np.zeros(shape, dtype)),
                           zeros=lambda shape, dtype: _FakeCupyArray(np.zeros(shape, dtype)), asarray=_FakeCupyArray,
                           cuda=SimpleNamespace(Device=lambda: SimpleNamespace(attributes={"MultiProcessorCount": 2},
                                                                               mem_info=(1 << 28, 1 << 28))))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(cupy_cuda.devices, "cupy_module", lambda source: SimpleNamespace(get_function=get_function))
    monkeypatch.setattr(cupy_cuda, "verify_prepared", lambda p, rules: numba_cpu.verify_prepared(p, rules))
    keys, msgs, sigs = signed_batch(70, seed=13)
    keys, msgs, sigs = spoil(keys, msgs, sigs, [3, 40, 41], ["R", "message", "undecodable R"])
    adv = adversarial_batch(1, seed=13)
    keys, msgs, sigs = keys + adv["public_keys"], msgs + adv["messages"], sigs + adv["signatures"]
    prepared = prepare(*check_batch(keys, msgs, sigs))
    want = numba_cpu.verify_prepared(prepared, "zip215")
    assert (~want).sum() >= 4
    np.testing.assert_array_equal(cupy_cuda.verify_prepared_batch(prepared), want)
    for plan in [(4, 1), (7, 5)]:
        monkeypatch.setattr(cupy_cuda, "msm_plan", lambda *args, plan=plan, **kwargs: plan)
        check_msm(cupy_cuda, 40, plan[0])
