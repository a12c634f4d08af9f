"""secp256k1's faster CPU path (kernels/ecdsa/glv.py, numba_core.py): the endomorphism's constants, the scalar
split and the wNAF recoding in Python and in the kernel, the plain-number field arithmetic (reduction by
2^256 = c mod p, squaring, halving), the table of G's odd multiples, u1 G + u2 Q against the reference's
double-and-add, and the batched inversion mod n of numba_cpu (one inversion per run of signatures) with
invalid s anywhere in a run."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit

from kernels.ecdsa import ecdsa_verify_batch, glv, reference as ref
from kernels.ecdsa.curves import SECP256K1 as C
from kernels.ecdsa.tables import from_limbs, limbs
from kernels.ecdsa.workloads import raw_signature, signed_batch

N, P = C.n, C.p
G = (C.gx, C.gy)
# scalars at the edges: 0, 1, n - 1; n / 2 and n / 2 + 1, whose larger half is the bound minus one (the
# largest of 300 000 random scalars is below it); lambda and its neighbours (halves 0 and +-1); scalars built
# as k1 + k2 lambda from halves at +-(bound - 1) and 2^128 - 1
B = glv.HALF_BOUND - 1
EDGE_SCALARS = [0, 1, 2, N - 1, N - 2, N // 2, N // 2 + 1, glv.LAMBDA, glv.LAMBDA - 1, glv.LAMBDA + 1,
                N - glv.LAMBDA, (1 << 128) - 1, 1 << 128, (1 << 255) % N] + [
    (a + b * glv.LAMBDA) % N for a, b in [(B, B), (-B, B), (B, -B), (0, (1 << 128) - 1)]]
RNG = np.random.default_rng(14)
RANDOM_SCALARS = [int.from_bytes(RNG.bytes(32), "big") % N for _ in range(300)]


# ---- the constants and the Python model -------------------------------------------------------------------------

def test_endomorphism_constants():
    """lambda and beta are nontrivial cube roots of unity (mod n, mod p) and phi(G) = (beta x, y) = [lambda] G;
    g1, g2 are round(2^384 b2 / n) and round(2^384 (-b1) / n); (b1, b2) and the lattice vectors are in the kernel
    of k -> k1 + k2 lambda."""
    assert pow(glv.LAMBDA, 3, N) == 1 and glv.LAMBDA != 1
    assert pow(glv.BETA, 3, P) == 1 and glv.BETA != 1
    assert ref.scalar_mult(C, glv.LAMBDA, G) == (glv.BETA * C.gx % P, C.gy)
    q = ref.scalar_mult(C, 123456789, G)
    assert ref.scalar_mult(C, glv.LAMBDA, q) == (glv.BETA * q[0] % P, q[1])
    b1, b2 = -glv.MINUS_B1, N - glv.MINUS_B2
    rounded = lambda num: (2 * num + N) // (2 * N)  # noqa: E731
    assert glv.G1 == rounded(b2 << 384) and glv.G2 == rounded(-b1 << 384)
    # the reduced basis (a1, b1), (a2, b2) of libsecp256k1's comment, a1 = b2 and a2 = b2 - b1: both map to 0
    a1, a2 = b2, b2 - b1
    assert (a1 + b1 * glv.LAMBDA) % N == 0 and (a2 + b2 * glv.LAMBDA) % N == 0


@pytest.mark.parametrize("k", EDGE_SCALARS + RANDOM_SCALARS[:100])
def test_python_split_is_a_decomposition_within_the_bound(k):
    k1, k2 = glv.split(k)
    assert (k1 + k2 * glv.LAMBDA) % N == k % N
    assert abs(glv.signed(k1)) < glv.HALF_BOUND and abs(glv.signed(k2)) < glv.HALF_BOUND


@given(st.integers(0, (1 << 129) - 1), st.sampled_from([2, 4, 5, 8]))
def test_python_wnaf(k, width):
    digits = glv.wnaf(k, width)
    assert sum(d << i for i, d in enumerate(digits)) == k
    nonzero = [i for i, d in enumerate(digits) if d]
    assert all(d % 2 and abs(d) < 1 << (width - 1) for d in digits if d)
    assert all(b - a >= width for a, b in zip(nonzero, nonzero[1:]))  # a nonzero digit, then w - 1 zeros
    assert not digits or digits[-1] > 0


# ---- the kernel's pieces (CPU build) ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kernel():
    from kernels.ecdsa import numba_cpu
    from kernels.ecdsa.numba_core import NAF_SHAPE, QTABLE_SHAPE, field_r, kernel_g_table

    core = numba_cpu.CORES["secp256k1"]
    fmul, fsq, fhalf, split, half, wnaf = core.fmul, core.fsq, core.fhalf, core.split_lambda, core.half, core.wnaf
    double_mul = core.double_mul
    t = njit(lambda a: (a[0], a[1], a[2], a[3]))

    @njit
    def field(a, b):
        return fmul(t(a), t(b)), fsq(t(a)), fhalf(t(a))

    @njit
    def scalar(k, naf):
        k1, k2 = split(t(k))
        lo1, hi1, neg1 = half(k1)
        lo2, hi2, neg2 = half(k2)
        return k1, k2, neg1, neg2, wnaf(lo1, hi1, naf, 0, glv.WNAF_WIDTH), wnaf(lo2, hi2, naf, 1, glv.G_WNAF_WIDTH)

    gtable = kernel_g_table("secp256k1")

    @njit
    def mult(x, y, u1, u2, qtable, naf):
        return double_mul(t(x), t(y), t(u1), t(u2), gtable, qtable, naf)

    assert field_r("secp256k1") == 1  # plain numbers mod p: the kernel's values are the integers themselves
    return field, scalar, mult, np.empty(QTABLE_SHAPE, np.uint64), np.empty(NAF_SHAPE, np.int32)


def arr(x: int) -> np.ndarray:
    return np.array(limbs(x), np.uint64)


def test_field_product_and_square(kernel):
    field = kernel[0]
    values = [0, 1, 2, P - 1, P - 2, (1 << 255), P - (1 << 32), (1 << 256) - P, 977] + RANDOM_SCALARS[:100]
    for a, b in zip(values, values[1:] + values[:1]):
        a, b = a % P, b % P
        prod, sq, half = field(arr(a), arr(b))
        assert from_limbs(prod) == a * b % P and from_limbs(sq) == a * a % P and 2 * from_limbs(half) % P == a


@pytest.mark.parametrize("k", EDGE_SCALARS + RANDOM_SCALARS)
def test_kernel_split_and_wnaf(kernel, k):
    """The kernel's halves are the Python model's (same algorithm), and independently: k1 + k2 lambda = k,
    each within the bound, the sign right, and the wNAF digits (width 5 for k1, 10 for k2: both widths the
    kernel uses) sum back to each half's magnitude."""
    naf = kernel[4]
    k1, k2, neg1, neg2, n1, n2 = kernel[1](arr(k), naf)
    k1, k2 = from_limbs(k1), from_limbs(k2)
    assert (k1, k2) == glv.split(k)
    assert (k1 + k2 * glv.LAMBDA) % N == k
    for half, negative, row, length, width in ((k1, neg1, 0, n1, glv.WNAF_WIDTH), (k2, neg2, 1, n2, glv.G_WNAF_WIDTH)):
        magnitude = abs(glv.signed(half))
        assert magnitude < glv.HALF_BOUND and negative == (glv.signed(half) < 0)
        digits = naf[row, :length].tolist()
        assert digits == glv.wnaf(magnitude, width) and not naf[row, length:].any()
        assert sum(d << i for i, d in enumerate(digits)) == magnitude


@settings(max_examples=60, deadline=None)
@given(st.integers(0, N - 1))
def test_kernel_split_fuzz(kernel, k):
    naf = kernel[4]
    k1, k2, _, _, n1, n2 = kernel[1](arr(k), naf)
    k1, k2 = from_limbs(k1), from_limbs(k2)
    assert (k1 + k2 * glv.LAMBDA) % N == k
    assert sum(int(d) << i for i, d in enumerate(naf[0, :n1])) == abs(glv.signed(k1))
    assert sum(int(d) << i for i, d in enumerate(naf[1, :n2])) == abs(glv.signed(k2))


def affine(point3) -> tuple | None:
    X, Y, Z = (from_limbs(v) for v in point3)
    if Z == 0:
        return None
    zi = pow(Z, -1, P)
    return X * zi * zi % P, Y * zi ** 3 % P


def test_g_table():
    """The kernel's G table for secp256k1: [2 j + 1] G and [2 j + 1] phi(G) = [(2 j + 1) lambda] G, affine."""
    from kernels.ecdsa.numba_core import kernel_g_table

    table = kernel_g_table("secp256k1")
    assert table.shape == (2, glv.G_ENTRIES, 2, 4)
    for j in (0, 1, 2, 100, glv.G_ENTRIES - 1):
        point = ref.scalar_mult(C, 2 * j + 1, G)
        assert tuple(from_limbs(table[0, j, i]) for i in range(2)) == point
        phi = ref.scalar_mult(C, (2 * j + 1) * glv.LAMBDA % N, G)
        assert tuple(from_limbs(table[1, j, i]) for i in range(2)) == phi


@pytest.mark.parametrize("u", EDGE_SCALARS + RANDOM_SCALARS[:12])
def test_double_mul_matches_the_reference(kernel, u):
    """u1 G + u2 Q from the endomorphism (four halves, wNAF, Q's table on an isomorphic curve) = the reference's
    double-and-add, for scalars whose halves are 0, positive, negative and near the bound, on either side;
    and a sum that is the point at infinity (u1 G = -u2 Q)."""
    _, _, mult, qtable, naf = kernel
    d = 0xC0FFEE + u % 1000
    q = ref.scalar_mult(C, d, G)
    other = RANDOM_SCALARS[u % 300]
    for u1, u2 in ((0, u), (u, 0), (u, other), (other, u), ((N - u * d % N) % N, u)):
        want = ref.point_add(C, ref.scalar_mult(C, u1, G), ref.scalar_mult(C, u2, q))
        assert affine(mult(arr(q[0]), arr(q[1]), arr(u1), arr(u2), qtable, naf)) == want


# ---- numba_cpu's runs of signatures with one inversion -----------------------------------------------------------

def test_runs_with_invalid_s_anywhere():
    """Invalid s (0, n, above n, 2^256 - 1) at the start, middle and end of the 16-signature runs of numba_cpu
    (one shared inversion mod n) reject only their own signature; the rest keep their verdicts."""
    from kernels.ecdsa.numba_cpu import CHUNK

    keys, msgs, sigs = signed_batch("secp256k1", 2 * CHUNK + 5, seed=3)
    r = sigs[0][:32]
    bad = {0: 0, 7: N, CHUNK - 1: N + 1, CHUNK: (1 << 256) - 1, 2 * CHUNK + 4: 0}
    for i, s in bad.items():
        sigs[i] = r + s.to_bytes(32, "big")
    sigs[9] = sigs[9][:32] + (N - int.from_bytes(sigs[9][32:], "big")).to_bytes(32, "big")  # high s: valid
    msgs[11] = msgs[11] + b"!"  # a wrong message: invalid
    got = ecdsa_verify_batch("secp256k1", keys, msgs, sigs, backend="numba_cpu")
    want = ecdsa_verify_batch("secp256k1", keys, msgs, sigs, backend="reference")
    assert got.tolist() == want.tolist()
    assert not want[list(bad)].any() and want[9] and not want[11] and want.sum() == len(sigs) - len(bad) - 1
    for n in (1, CHUNK - 1, CHUNK, CHUNK + 1):  # run lengths at the chunk boundary; serial and threaded kernels
        assert ecdsa_verify_batch("secp256k1", keys[:n], msgs[:n], sigs[:n], backend="numba_cpu").tolist() == \
            want[:n].tolist()
