"""numba_cpu's AVX-512 IFMA path (kernels/signatures/ifma.py: radix 2^52, eight signatures per vector) and its
radix-2^51 fallback. The field operations are checked first, against Python integers mod p on edge and random
inputs; then verification under both rules, on both paths, against published vectors, verdicts known from
the construction and the RFC 8032 reference (hypothesis fuzzing), with batch lengths around the 8 lanes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ed25519 import edge_verdicts, small_order_and_edge_inputs
from test_zip215 import adversarial_triples, wycheproof_cases, wycheproof_zip215_expected

from kernels import BackendUnavailable
from kernels.signatures import check_batch, ed25519_verify_batch, ifma, numba_cpu, prepare, tables
from kernels.signatures.batch import first_of_equal
from kernels.signatures import reference as ref
from kernels.signatures.workloads import RFC8032, adversarial_batch, correctness_batch, signed_batch, zip215_vectors

P = ref.P
needs_ifma = pytest.mark.skipif(not ifma.HAS_IFMA, reason="this CPU has no AVX-512 IFMA")
PATHS = [pytest.param(True, marks=needs_ifma, id="ifma"), pytest.param(False, id="radix51-fallback")]

# ---- the field, before any verification ------------------------------------------------------------------------

EDGES = [0, 1, 2, 19, 2**51, 2**52 - 1, 2**52, 2**208 - 1, 2**208, ref.D, ref.SQRT_M1, P - 1, P, P + 1, P + 18,
         2**255 - 1, 2**255, 2**255 + 18, 2**256 - 1, 2 * P + 5, 2**259, 2**260 - 1]  # all below 2^260
OPS = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "neg": lambda x, y: -x, "mul": lambda x, y: x * y,
       "sq": lambda x, y: x * x, "invert": lambda x, y: pow(x, P - 2, P),
       "pow22523": lambda x, y: pow(x, (P - 5) // 8, P)}


def check_field(op, xs, ys):
    """Every result is congruent to the integer result mod p and has strict limbs (each below 2^52)."""
    got = ifma.field_eval(op, xs, ys)
    for x, y, g in zip(xs, ys, got):
        assert g < 2**260 and all(limb < 2**52 for limb in ifma.limbs52(g)), (op, x, y, g)
        assert (g - OPS[op](x, y)) % P == 0, (op, x, y, g)


def check_exact(xs):
    """canonical is x mod p exactly; iszero all ones where x = 0 mod p; parity the low bit of x mod p."""
    assert ifma.field_eval("canonical", xs) == [x % P for x in xs]
    assert ifma.field_eval("iszero", xs) == [2**64 - 1 if x % P == 0 else 0 for x in xs]
    assert ifma.field_eval("parity", xs) == [x % P & 1 for x in xs]


def test_limbs_round_trip_without_reduction():
    for x in EDGES:
        assert ifma.from_limbs52(ifma.limbs52(x)) == x
    assert ifma.limbs52(P) == (2**52 - 19, 2**52 - 1, 2**52 - 1, 2**52 - 1, 2**47 - 1)
    with pytest.raises(AssertionError):
        ifma.limbs52(2**260)


@needs_ifma
def test_the_field_is_made_of_ifma_instructions_on_512_bit_registers():
    ifma.field_eval("mul", [3], [5])
    asm = ifma._field_kernel.inspect_asm(ifma._field_kernel.signatures[0])
    assert "vpmadd52luq" in asm and "vpmadd52huq" in asm and "zmm" in asm


@needs_ifma
@pytest.mark.parametrize("op", sorted(OPS))
def test_field_ops_on_every_pair_of_edge_inputs(op):
    xs = [x for x in EDGES for _ in EDGES]
    ys = [y for _ in EDGES for y in EDGES]
    check_field(op, xs, ys)


@needs_ifma
def test_canonical_iszero_parity_on_edge_inputs():
    check_exact(EDGES + [P - 19, 2 * P - 1, 2 * P, 2 * P + 1, 2**255 - 20, 2**255 - 19])


@needs_ifma
@settings(max_examples=30, deadline=None)
@given(xs=st.lists(st.integers(0, 2**260 - 1), max_size=20), data=st.data())
def test_field_ops_on_random_inputs(xs, data):
    ys = data.draw(st.lists(st.integers(0, 2**260 - 1), min_size=len(xs), max_size=len(xs)))
    for op in OPS:
        check_field(op, xs, ys)
    check_exact(xs)


# ---- verification on both paths ----------------------------------------------------------------------------------

def verify(ifma_path, keys, msgs, sigs, rules="libsodium"):
    return numba_cpu.verify_prepared(prepare(*check_batch(keys, msgs, sigs)), rules, ifma_path=ifma_path)


@pytest.mark.parametrize("path", PATHS)
def test_rfc8032_under_both_rules(path):
    keys, msgs, sigs = ([bytes.fromhex(v[i]) for v in RFC8032] for i in (1, 2, 3))
    for rules in ("libsodium", "zip215"):
        assert verify(path, keys, msgs, sigs, rules).all()
        assert not verify(path, keys, [m + b"!" for m in msgs], sigs, rules).any()


@pytest.mark.parametrize("path", PATHS)
def test_wycheproof_under_both_rules(path):
    keys, msgs, sigs, valid = wycheproof_cases()
    np.testing.assert_array_equal(verify(path, keys, msgs, sigs, "libsodium"), valid)
    np.testing.assert_array_equal(verify(path, keys, msgs, sigs, "zip215"), wycheproof_zip215_expected()[0])


@pytest.mark.parametrize("path", PATHS)
def test_the_196_zip215_vectors(path):
    vectors = zip215_vectors()
    assert verify(path, *vectors, "zip215").all()
    assert not verify(path, *vectors, "libsodium").any()


@pytest.mark.parametrize("path", PATHS)
def test_batches_with_verdicts_known_from_the_construction(path):
    keys, msgs, sigs, expected = correctness_batch()
    batch = adversarial_batch(6, seed=3)
    for rules in ("libsodium", "zip215"):
        np.testing.assert_array_equal(verify(path, keys, msgs, sigs, rules), expected)
        np.testing.assert_array_equal(verify(path, batch["public_keys"], batch["messages"], batch["signatures"], rules),
                                      batch[rules])


@pytest.mark.parametrize("path", PATHS)
def test_libsodium_rejection_paths(path):
    np.testing.assert_array_equal(verify(path, *small_order_and_edge_inputs()), edge_verdicts())


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 17])
def test_batch_lengths_around_the_lanes(path, n):
    """Valid signatures with one bit flipped at random positions (a flipped bit always breaks a signature): the
    verdicts land in their own rows, and spare lanes of the last group write nothing."""
    keys, msgs, sigs = signed_batch(n, seed=n)
    rng = np.random.default_rng(n)
    bad = rng.random(n) < 0.4
    for i in np.flatnonzero(bad):
        bit = int(rng.integers(512))
        sigs[i] = sigs[i][:bit // 8] + bytes([sigs[i][bit // 8] ^ (1 << bit % 8)]) + sigs[i][bit // 8 + 1:]
    for rules in ("libsodium", "zip215"):
        got = verify(path, keys, msgs, sigs, rules)
        assert got.dtype == bool and got.shape == (n,)
        np.testing.assert_array_equal(got, ~bad)


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=12, deadline=None)
@given(triples=st.lists(adversarial_triples(), max_size=17))
def test_fuzz_both_rules_against_the_reference(path, triples):
    keys, msgs, sigs = [list(c) for c in zip(*triples)] if triples else ([], [], [])
    for rules in ("zip215", "libsodium"):
        np.testing.assert_array_equal(verify(path, keys, msgs, sigs, rules),
                                      ref.ed25519_verify_batch(keys, msgs, sigs, rules))


# ---- batch verification's decompression on both paths -------------------------------------------------------------

def decompression_inputs():
    """The 196 ZIP 215 vectors (non-canonical and small-order A and R), the adversarial batch (with encodings that
    are not points), and 17 honest signatures by few keys (equal keys decoded once)."""
    sets = [zip215_vectors(), signed_batch(17, seed=2)]
    batch = adversarial_batch(3, seed=5)
    sets.append((batch["public_keys"], batch["messages"], batch["signatures"]))
    return [prepare(*check_batch(*s)) for s in sets]


def value51(limbs) -> int:
    return sum(int(x) << (51 * i) for i, x in enumerate(limbs)) % P


@pytest.mark.parametrize("path", PATHS)
def test_decompression_for_batch_verification_against_the_reference(path):
    """Every decoded row is -P in cached form (Y + X, Y - X, Z, 2dT) of the reference's ZIP 215 decoding of its
    encoding; ok is the reference's decodability of A and R and S < L; B sits in the last row."""
    for prepared in decompression_inputs():
        n, first = prepared.count, first_of_equal(prepared.public_keys)
        pts, ok = numba_cpu.decompress(prepared, first, ifma_path=path)
        assert pts.shape == (2 * n + 1, 4, 5) and ok.shape == (n,)
        assert not path or (pts < 2**51).all()  # the IFMA path stores canonical 51-bit limbs
        want_ok = []
        for i in range(n):
            a = ref.decode_zip215(prepared.public_keys[i].tobytes())
            r = ref.decode_zip215(prepared.signatures[i, :32].tobytes())
            s_ok = int.from_bytes(prepared.signatures[i, 32:].tobytes(), "little") < ref.L
            want_ok.append(a is not None and r is not None and s_ok)
            for row, point in ((i, a), (n + i, r)):
                if point is None or (row == i and first[i] != i):
                    continue
                x, y = (P - point[0]) % P, point[1]
                assert [value51(pts[row, c]) for c in range(4)] == [(y + x) % P, (y - x) % P, 1, 2 * ref.D * x * y % P]
        np.testing.assert_array_equal(ok, want_ok)
        b = [value51(pts[2 * n, c]) for c in range(4)]
        assert b == [(ref.B_Y + ref.B_X) % P, (ref.B_Y - ref.B_X) % P, 1, 2 * ref.D * ref.B_X * ref.B_Y % P]


X8 = ref.recover_x(ref.Y_ORDER8, 0)
TORSION = (X8, ref.Y_ORDER8, 1, X8 * ref.Y_ORDER8 % P)  # a point of order 8


def msm_case(points, scalars):
    """numba_cpu's MSM inputs (cached points in radix-2^51 limbs, rows, 32-byte scalars) and the reference's
    answer: [8](sum [s_j] P_j) is the identity."""
    pts = np.array([[tables.limbs51(y + x), tables.limbs51(y - x), tables.limbs51(z), tables.limbs51(2 * ref.D * t)]
                    for x, y, z, t in points], dtype=np.uint64).reshape(-1, 4, 5)
    scal = np.array([list(v.to_bytes(32, "little")) for v in scalars], dtype=np.uint8).reshape(-1, 32)
    total = ref.IDENTITY
    for v, q in zip(scalars, points):
        total = ref.point_add(total, ref.scalar_mult(v, q))
    return (pts, np.arange(len(points)), scal), ref.is_identity(ref.scalar_mult(8, total))


@pytest.mark.parametrize("method", numba_cpu.MSM_METHODS)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("m", [1, 7, 8, 9, 40])
def test_msm_against_the_reference(path, m, method):
    """Terms whose sum cancels (True), the same with torsion added (True: the check is cofactored), and with
    one scalar changed (False)."""
    rng = np.random.default_rng(m)
    points = [ref.scalar_mult(int(rng.integers(1, 2**62)) * 7919 + 1, ref.BASE) for _ in range(m)]
    scalars = [int.from_bytes(rng.bytes(32), "little") % ref.L for _ in range(m)]
    total = ref.IDENTITY
    for v, q in zip(scalars, points):
        total = ref.point_add(total, ref.scalar_mult(v, q))
    for extra, tweak, want in ((ref.negate(total), 0, True), (ref.point_add(ref.negate(total), TORSION), 0, True),
                               (ref.negate(total), 1, False)):
        args, reference = msm_case(points + [extra], [scalars[0] ^ tweak] + scalars[1:] + [1])
        assert reference == want
        assert numba_cpu.msm_is_small_order(*args, ifma_path=path, method=method) == want


@pytest.mark.parametrize("method", numba_cpu.MSM_METHODS)
@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=8, deadline=None)
@given(terms=st.lists(st.tuples(st.integers(0, 7), st.integers(1, ref.L - 1), st.integers(0, 2**253 - 1)),
                      min_size=1, max_size=10))
def test_fuzz_msm_against_the_reference(path, method, terms):
    """Random points (a multiple of B plus torsion) and scalars below 2^253: rarely small order, so the check
    mostly answers False, as the reference does; the cancelling term makes it True."""
    points = [ref.point_add(ref.scalar_mult(k, ref.BASE), ref.scalar_mult(t, TORSION)) for t, k, _ in terms]
    scalars = [v for _, _, v in terms]
    args, want = msm_case(points, scalars)
    assert numba_cpu.msm_is_small_order(*args, ifma_path=path, method=method) == want
    total = ref.IDENTITY
    for v, q in zip(scalars, points):
        total = ref.point_add(total, ref.scalar_mult(v, q))
    args, want = msm_case(points + [ref.negate(total)], scalars + [1])
    assert want and numba_cpu.msm_is_small_order(*args, ifma_path=path, method=method)


@pytest.mark.parametrize("flag", [pytest.param("1", marks=needs_ifma, id="ifma"), pytest.param("0", id="radix51")])
def test_batch_verification_on_both_paths_against_the_construction(flag, monkeypatch):
    """ZIP 215 batch verification (numba_cpu.verify_prepared_batch: decompression on the path the environment
    picks, bisection to single verification) on honest signatures with bad ones at random positions."""
    monkeypatch.setenv(ifma.DISABLE_ENV, flag)
    keys, msgs, sigs = signed_batch(40, seed=9)
    bad = np.zeros(40, bool)
    bad[[3, 17, 18, 39]] = True
    for i in np.flatnonzero(bad):
        sigs[i] = sigs[i][:40] + bytes([sigs[i][40] ^ 4]) + sigs[i][41:]
    np.testing.assert_array_equal(numba_cpu.verify_prepared_batch(prepare(*check_batch(keys, msgs, sigs))), ~bad)


# ---- which path runs ----------------------------------------------------------------------------------------------

def spy_on_ifma(monkeypatch):
    calls = []
    real = ifma.verify_prepared
    monkeypatch.setattr(ifma, "verify_prepared", lambda p, rules: calls.append(rules) or real(p, rules))
    return calls


@needs_ifma
def test_numba_cpu_takes_the_ifma_path_where_the_cpu_has_it(monkeypatch):
    monkeypatch.delenv(ifma.DISABLE_ENV, raising=False)
    calls = spy_on_ifma(monkeypatch)
    keys, msgs, sigs = signed_batch(3)
    assert ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu", rules="zip215").all()
    assert calls == ["zip215"]


def test_the_environment_or_the_argument_forces_the_fallback(monkeypatch):
    calls = spy_on_ifma(monkeypatch)
    keys, msgs, sigs = signed_batch(3)
    monkeypatch.setenv(ifma.DISABLE_ENV, "0")
    assert not ifma.enabled()
    assert ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu").all()
    monkeypatch.delenv(ifma.DISABLE_ENV)
    assert verify(False, keys, msgs, sigs).all()
    assert calls == []


@needs_ifma
def test_compile_builds_the_serial_and_threaded_kernels():
    ifma.compile()
    for kernel in (ifma._verify_serial, ifma._verify_all, ifma._decompress_caller, ifma._decompress_claim,
                   ifma._msm_caller, ifma._msm_claim):
        assert kernel.signatures, kernel


# ---- batch verification's kernels shared with helper threads (caller runs) ---------------------------------------

def msm_inputs(count: int, seed: int):
    """The MSM of a combination over `count` honest signatures (passes: identity), as ifma's pass kernels take it."""
    from kernels.signatures import batch

    prepared = prepare(*check_batch(*signed_batch(count, seed=seed, distinct_keys=True)))
    first = first_of_equal(prepared.public_keys)
    pts, ok = numba_cpu.decompress(prepared, first, ifma_path=True)
    rows, scal = batch.combination(np.arange(count), first, prepared.signatures, prepared.challenges,
                                   batch.random_scalar_bytes(count))
    c = ifma.msm_window_bits(rows.size)
    windows = -(-253 // c)
    q52 = np.empty((rows.size, 4, 5), np.uint64)
    ifma.points52(pts, rows, q52)
    digits = np.empty((-(-windows // ifma.LANES), rows.size, ifma.LANES), np.int64)
    ifma.window_digits(scal, c, windows, digits)
    return (pts, rows, scal), (q52, digits, c, windows)


def run_msm_caller(q52, digits, c, windows, claimed):
    """totals from the caller alone, with passes 0 .. claimed - 1 claimed by helpers that never run."""
    passes = digits.shape[0]
    totals = np.zeros((windows, 4, 5), np.uint64)
    ifma._msm_caller(q52, digits, c, ifma.CONSTS, totals, np.full(1, claimed, np.int64), np.zeros(passes, np.int64),
                     np.zeros(passes, np.int64), 1 << 12)
    return totals


@needs_ifma
def test_msm_caller_redoes_the_passes_of_helpers_that_never_run():
    """Passes claimed by a helper that is never scheduled are computed by the caller after its patience: the same
    window sums as when the caller claims every pass, and the MSM of honest signatures is the identity."""
    (pts, rows, scal), (q52, digits, c, windows) = msm_inputs(40, 3)
    assert digits.shape[0] > 1
    alone = run_msm_caller(q52, digits, c, windows, 0)
    for claimed in (1, digits.shape[0]):
        np.testing.assert_array_equal(run_msm_caller(q52, digits, c, windows, claimed), alone)
    assert ifma.horner_is_small_order(alone, c, ifma._D2_51)
    assert numba_cpu.msm_is_small_order(pts, rows, scal, ifma_path=True)
    scal = scal.copy()
    scal[0, 0] ^= 1
    assert not numba_cpu.msm_is_small_order(pts, rows, scal, ifma_path=True)


@needs_ifma
def test_decompress_caller_redoes_the_pieces_of_helpers_that_never_run():
    prepared = prepare(*check_batch(*signed_batch(70, seed=4, distinct_keys=True)))
    first = first_of_equal(prepared.public_keys)
    enc = np.ascontiguousarray(np.concatenate([prepared.public_keys, prepared.signatures[:, :32]]))
    rows = np.arange(2 * 70, dtype=np.int64)
    results = []
    for claimed in (0, 3, ifma.pieces_of(rows.size)):
        pts, decoded = np.zeros((2 * 70 + 1, 4, 5), np.uint64), np.zeros(rows.size, np.bool_)
        ifma._decompress_caller(enc, rows, ifma.CONSTS, pts, decoded, np.full(1, claimed, np.int64),
                                np.zeros(ifma.pieces_of(rows.size), np.int64))
        results.append((pts, decoded))
    want_pts, want_ok = numba_cpu.decompress(prepared, first, ifma_path=False)  # the radix-2^51 kernel
    assert want_ok.all() and (first == np.arange(70)).all()
    want = [[value51(want_pts[row, c]) for c in range(4)] for row in range(2 * 70)]
    for pts, decoded in results:
        assert decoded.all() and (pts[:-1] < 2**51).all()
        assert [[value51(pts[row, c]) for c in range(4)] for row in range(2 * 70)] == want


@needs_ifma
@pytest.mark.parametrize("count", [1, 9, 40])
def test_batch_verification_with_helper_threads(count, monkeypatch):
    """The helpers take part from the smallest sizes on (threshold lowered): verdicts equal single verification on
    batches with bad signatures, many times over (the helpers race the caller differently each time)."""
    monkeypatch.setattr(ifma, "SERIAL_POINTS_BELOW", 1)
    keys, msgs, sigs = signed_batch(count, seed=count, distinct_keys=True)
    bad = np.zeros(count, bool)
    bad[::7] = True
    for i in np.flatnonzero(bad):
        msgs[i] = msgs[i] + b"!"
    prepared = prepare(*check_batch(keys, msgs, sigs))
    for _ in range(5):
        np.testing.assert_array_equal(numba_cpu.verify_prepared_batch(prepared), ~bad)
    honest = prepare(*check_batch(*signed_batch(count, seed=count + 1)))
    assert all(numba_cpu.verify_prepared_batch(honest).all() for _ in range(5))


def test_single_thread_threshold_matches_the_fallback():
    """The hot path labels numba_cpu batches below numba_cpu.SERIAL_BELOW as single-core: both paths agree."""
    assert ifma.SERIAL_BELOW == numba_cpu.SERIAL_BELOW


def test_without_the_instruction_the_fallback_runs_and_forcing_ifma_says_why(monkeypatch):
    monkeypatch.setattr(ifma, "HAS_IFMA", False)
    monkeypatch.delenv(ifma.DISABLE_ENV, raising=False)
    assert not ifma.enabled()
    keys, msgs, sigs = signed_batch(2)
    assert ed25519_verify_batch(keys, msgs, sigs, backend="numba_cpu").all()
    with pytest.raises(BackendUnavailable, match="avx512ifma"):
        verify(True, keys, msgs, sigs)


def test_findings_say_which_numba_path_ran(monkeypatch):
    from kernels.signatures import findings, ifma

    monkeypatch.setattr(ifma, "HAS_IFMA", True)
    monkeypatch.delenv(ifma.DISABLE_ENV, raising=False)
    assert "AVX-512 IFMA path" in findings.numba_path_line()
    monkeypatch.setenv(ifma.DISABLE_ENV, "0")
    assert "radix-2^51 path here (switched off" in findings.numba_path_line()
    monkeypatch.setattr(ifma, "HAS_IFMA", False)
    assert "no AVX-512 IFMA" in findings.numba_path_line()
