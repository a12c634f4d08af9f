"""BLS12-381 group kernels behind one dispatcher: point decompression (with on-curve and subgroup checks) and
multi-scalar multiplication in G1 and G2. Decode once, sum many times: a batch verifier that bisects a failed
batch re-uses the decoded points.

    decode_g1(points, *, backend="library") -> Decoded   # 48-byte compressed G1 points (ZCash encoding)
    decode_g2(points, *, backend="library") -> Decoded   # 96-byte compressed G2 points
    msm(decoded, scalars, *, backend="library") -> bytes # compressed sum of scalars[i] * point[i]
    msm_many(decoded, scalar_rows, *, backend=...)        # one msm per row of scalars, over the same points
    hash_to_g1(messages, dst, *, backend)                 # RFC 9380 hash_to_curve on a kernel backend: G1 rows

- Encodings: the ZCash serialization (zkcrypto/pairing, "BLS12-381 serialization"; the IETF pairing-friendly
  curves draft, appendix C): the top three bits of the first byte are (compressed, infinity, sign); the
  identity is 0xc0 followed by zeros; a G2 x is x_im || x_re. `valid` is True only for a canonical encoding of
  a point on the curve and in the prime-order subgroup (the identity is valid here: rejecting it as a public
  key is the caller's rule).
- Scalars: Python ints in [0, r), or a numpy (n, 4) uint64 array of little-endian 64-bit limbs.
- `msm` of no points is the identity. A point that is not valid may only be passed with the scalar 0
  (ValueError otherwise): skipping invalid points is the caller's job, not the kernel's.
- Backends: "reference" (py_ecc, slow, for correctness), "library" (blst through pyblst: one scalar_mul per
  point, the per-point loop a node would write), "numba_cpu", "opencl", "numba_cuda", "cupy" (one algorithm,
  msm_numba_core.py in Numba and kernels/common/bls12_381.h in C). The kernel backends share one payload
  (Montgomery limbs), so points decoded by one of them can be summed by another; "reference" and "library"
  payloads are their own. A backend that cannot run raises kernels.registry.BackendUnavailable.
- The device msm (OpenCL, CUDA) gives one work-item to each (window, bucket), and each reads every point's
  digit: meant for batches up to a few thousand points, as the IC's blocks and certificate streams are.
- `bench()` (or `python -m kernels.bls.msm`) times decode and msm per point, the backends interleaved in one
  process, outputs checked against the library.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..registry import BackendUnavailable

# BLS12-381 (draft-irtf-cfrg-pairing-friendly-curves-11, section 4.2.1): the base field prime p, the prime
# order r of G1 and G2, and the curve parameter x (the BLS parameter, here X = -0xd201000000010000).
P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
X = -0xD201000000010000
B_G1 = 4  # E: y^2 = x^3 + 4 over GF(p)
B_G2 = (4, 4)  # E': y^2 = x^3 + 4(1 + i) over GF(p^2) = GF(p)[i] / (i^2 + 1)

SIZES = {"g1": 48, "g2": 96}
BACKENDS = ("reference", "library", "numba_cpu", "opencl", "cupy", "numba_cuda")
MODULES = {"reference": "msm_reference", "library": "msm_library", "numba_cpu": "msm_numba_cpu",
           "opencl": "msm_opencl", "cupy": "msm_cupy", "numba_cuda": "msm_numba_cuda"}
LIMB_BACKENDS = ("numba_cpu", "opencl", "cupy", "numba_cuda")  # share the Montgomery-limbs payload


@dataclass
class Decoded:
    """Points decoded by one backend. `valid[i]`: canonical, on the curve, in the subgroup. `payload` is the
    backend's own form: py_ecc points (reference), pyblst elements (library), or for the kernel backends a
    (n, words) uint64 array of Montgomery affine coordinates (x then y, Fp2 as re, im) and a last word that is
    0 for a finite point, 1 for the identity and 2 for an invalid encoding."""
    group: str
    valid: np.ndarray
    n: int
    payload: Any
    backend: str


def _module(backend: str):
    if backend not in MODULES:
        raise ValueError(f"unknown backend {backend!r}; one of {BACKENDS}")
    return importlib.import_module(f".{MODULES[backend]}", __package__)


def _padded(group: str, points: Sequence[bytes]) -> tuple[list[bytes], np.ndarray]:
    """The points as bytes, any of the wrong length replaced by 0x00... (never valid), and which were sized right."""
    size = SIZES[group]
    points = [bytes(p) for p in points]
    well_sized = np.array([len(p) == size for p in points], dtype=bool)
    return [p if ok else bytes(size) for p, ok in zip(points, well_sized)], well_sized


HASH_MODULES = {"numba_cpu": "hash_numba_cpu", "numba_cuda": "hash_numba_cuda", "opencl": "msm_opencl",
                "cupy": "msm_cupy"}  # the kernel backends' hash-to-curve (map_to_g1)


def hash_to_g1(messages: Sequence[bytes], dst: bytes, *, backend: str) -> np.ndarray:
    """(n, 13) uint64 decoded-G1 rows (Montgomery x, y, flag 0 finite / 1 the identity) of RFC 9380 hash_to_curve
    (BLS12381G1_XMD:SHA-256_SSWU_RO_) on a kernel backend: the field hash (SHA-256) on the host
    (hash_numba_core.hash_to_field), the map, cofactor clearing and inversion on the backend (map_to_g1)."""
    from .hash_numba_core import hash_to_field  # here: hash_numba_core imports this module

    if backend not in HASH_MODULES:
        raise ValueError(f"no hash-to-curve kernel on {backend!r}; one of {tuple(HASH_MODULES)}")
    module = importlib.import_module(f".{HASH_MODULES[backend]}", __package__)
    return module.map_to_g1(hash_to_field(messages, dst))


def naf_chains(backend: str) -> bool:
    """True for a backend whose msm picks NAF chains when they count fewer operations (msm_numba_cpu): sparse
    scalars then pay (batch.sparse_scalars)."""
    return getattr(_module(backend), "NAF_CHAINS", False)


def decode_groups(requests: Sequence[tuple[str, Sequence[bytes]]], *, backend: str = "library",
                  threads: int | None = None) -> list[Decoded]:
    """Decompress (group, points) requests, at most one per group ("g1", "g2"), one group after the other.
    threads=1 keeps a backend with a thread pool (numba_cpu) on the calling thread."""
    if len({g for g, _ in requests}) != len(requests) or any(g not in SIZES for g, _ in requests):
        raise ValueError(f"at most one request per group, groups from {tuple(SIZES)}")
    module = _module(backend)
    padded = [(group, *_padded(group, points)) for group, points in requests]
    pooled = threads and _has_helper(module)
    results = [module.decode(group, points, threads) if pooled else module.decode(group, points)
               for group, points, _ in padded]
    return [Decoded(group, np.asarray(valid, dtype=bool) & well_sized, len(points), payload, backend)
            for (group, points, well_sized), (valid, payload) in zip(padded, results)]


def decode_g1(points: Sequence[bytes], *, backend: str = "library") -> Decoded:
    """Decompress 48-byte G1 points; a wrong length is an invalid point, never an exception."""
    return decode_groups([("g1", points)], backend=backend)[0]


def decode_g2(points: Sequence[bytes], *, backend: str = "library") -> Decoded:
    """Decompress 96-byte G2 points; a wrong length is an invalid point, never an exception."""
    return decode_groups([("g2", points)], backend=backend)[0]


def scalar_limbs(scalars) -> np.ndarray:
    """Scalars as a (n, 4) uint64 little-endian limb array, each checked to lie in [0, r)."""
    if isinstance(scalars, np.ndarray):
        if scalars.ndim != 2 or scalars.shape[1] != 4:
            raise ValueError(f"scalar limbs must have shape (n, 4), not {scalars.shape}")
        limbs = np.ascontiguousarray(scalars, dtype=np.uint64)
        values = scalar_ints(limbs)
    else:
        values = [int(s) for s in scalars]
        limbs = np.array([[(s >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(4)] for s in values if 0 <= s],
                         dtype=np.uint64).reshape(-1, 4)
    if any(s < 0 or s >= R for s in values):
        raise ValueError("scalars must lie in [0, r)")
    return limbs


def scalar_ints(limbs: np.ndarray) -> list[int]:
    raw = np.ascontiguousarray(limbs, dtype="<u8").tobytes()
    return [int.from_bytes(raw[32 * i:32 * (i + 1)], "little") for i in range(limbs.shape[0])]


# ---- the kernel backends' shared layout: 64-bit limbs, least significant first --------------------------------
LIMBS = 6  # a number mod p in 6 x 64 bits
COMPONENTS = {"g1": 1, "g2": 2}  # GF(p) or GF(p^2) coordinates
MONT_R = 1 << 384  # the Montgomery radix
MONT_R_INV = pow(MONT_R, -1, P)


def input_words(group: str, points: list[bytes]) -> np.ndarray:
    """(n, 6 k + 1) uint64 for k = 1 (G1) or 2 (G2): x as limbs with the three flag bits cleared (for G2
    x_re then x_im), then the flags (bit 2: compressed, bit 1: infinity, bit 0: sign), as the decode kernels
    read them."""
    k, n = COMPONENTS[group], len(points)
    raw = np.frombuffer(b"".join(points), dtype=np.uint8).reshape(n, 48 * k).copy()
    flags = (raw[:, 0] >> 5).astype(np.uint64)
    raw[:, 0] &= 0x1F
    halves = raw.view(">u8").reshape(n, k, LIMBS)[:, ::-1, ::-1]  # x_im || x_re, big-endian -> re, im; LSB first
    words = np.empty((n, LIMBS * k + 1), dtype=np.uint64)
    words[:, :-1] = halves.reshape(n, LIMBS * k)
    words[:, -1] = flags
    return words


def point_words(group: str) -> int:
    """Words per decoded point: Montgomery x, y (6 k limbs each), then 0 (finite), 1 (identity), 2 (invalid)."""
    return 2 * LIMBS * COMPONENTS[group] + 1


def jacobian_words(group: str) -> int:
    """Words of a Jacobian point in Montgomery limbs: X, Y, Z of 6 k limbs each."""
    return 3 * LIMBS * COMPONENTS[group]


def identity(group: str) -> bytes:
    """The ZCash encoding of the point at infinity: the compression and infinity flags, then zeros."""
    return bytes([0xC0]) + bytes(48 * COMPONENTS[group] - 1)


def pippenger(decoded, limbs: np.ndarray, run) -> bytes:
    """The host side every kernel backend's msm shares: the window from the scalars' size (window_bits), the
    signed digits, and the compression of the Jacobian sum that `run(points, digits, c)` computes on the
    backend; all scalars zero: the identity, without a launch."""
    bits = scalar_bits(limbs)
    if not bits:
        return identity(decoded.group)
    c = window_bits(decoded.n, bits)
    return compress_jacobian(decoded.group, run(np.ascontiguousarray(decoded.payload), signed_digits(limbs, c), c))


def _int(limbs) -> int:
    return sum(int(w) << (64 * i) for i, w in enumerate(limbs))


def compress_jacobian(group: str, words: np.ndarray) -> bytes:
    """The ZCash encoding of a Jacobian point given as Montgomery limbs (X, Y, Z; Z = 0: the identity), made
    affine here with Python integers: one point per msm, so the host does it."""
    k = COMPONENTS[group]
    c = [_int(words[LIMBS * j:LIMBS * (j + 1)]) * MONT_R_INV % P for j in range(3 * k)]
    X, Y, Z = (c[0:k], c[k:2 * k], c[2 * k:3 * k])
    if not any(Z):
        return identity(group)
    if k == 1:
        zi = pow(Z[0], -1, P)
        x, y = (X[0] * zi * zi % P,), (Y[0] * zi * zi * zi % P,)
    else:
        zi = _fp2_inv(Z)
        zi2 = _fp2_mul(zi, zi)
        x, y = _fp2_mul(X, zi2), _fp2_mul(Y, _fp2_mul(zi2, zi))
    sign = y[-1] > (P - 1) // 2 if y[-1] else y[0] > (P - 1) // 2  # the largest nonzero component decides
    first = x[-1] | (1 << 383) | (int(sign) << 381)
    return first.to_bytes(48, "big") + b"".join(v.to_bytes(48, "big") for v in x[:-1][::-1])


def _fp2_mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def _fp2_inv(a):
    t = pow(a[0] * a[0] + a[1] * a[1], -1, P)
    return (a[0] * t % P, -a[1] * t % P)


def window_bits(n: int, bits: int) -> int:
    """Pippenger's window c minimising (ceil(bits / c) + 1) (n + 2^c) additions: with signed digits each of the
    windows (one more for the last carry) has 2^(c-1) buckets, filled by n additions and summed by 2 running
    sums each; 1 <= c <= 16."""
    return min(range(1, 17), key=lambda c: (-(-bits // c) + 1) * (n + (1 << c)))


def signed_digits(limbs: np.ndarray, c: int) -> np.ndarray:
    """(n, windows) int32 signed c-bit digits d_w in (-2^(c-1), 2^(c-1)] with sum_w d_w 2^(c w) = s for each
    scalar s: unsigned windows, a digit above 2^(c-1) becomes d - 2^c and carries one into the next window (so
    a point enters a bucket as P or -P, and only 2^(c-1) buckets are needed). Windows: ceil(bits / c) + 1."""
    n, nwin = limbs.shape[0], -(-scalar_bits(limbs) // c) + 1
    digits = np.zeros((n, nwin), np.int64)
    carry = np.zeros(n, np.int64)
    mask = np.uint64((1 << c) - 1)
    for w in range(nwin - 1):
        k, off = divmod(w * c, 64)
        u = limbs[:, k] >> np.uint64(off)
        if off + c > 64 and k < 3:
            u = u | (limbs[:, k + 1] << np.uint64(64 - off))
        d = (u & mask).astype(np.int64) + carry
        carry = (d > (1 << (c - 1))).astype(np.int64)
        digits[:, w] = d - (carry << c)
    digits[:, nwin - 1] = carry
    return digits.astype(np.int32)


# Operation counts of the two msm algorithms of the kernel backends, in GF products (squarings counted as
# products) of the Jacobian formulas for a = 0 (msm_numba_core.py): dbl-2009-l 2M + 5S, madd-2007-bl 7M + 4S,
# add-2007-bl 11M + 5S. The same in G1 and G2 (G2's products are GF(p^2) ones), so a ratio decides.
DBL_OPS, MADD_OPS, ADD_OPS = 7, 11, 16


def naf_terms(limbs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero digits of every scalar's non-adjacent form s = sum_k d_k 2^e_k (d_k = +-1, no two exponents
    adjacent; Reitwiesner 1960): arrays (exponent e, point index i, d_k < 0) sorted by descending exponent, then
    point. From s: h = s >> 1, t = s + h, c = h ^ t; the +1 digits are the bits of t & c, the -1 digits those
    of h & c (Prodinger, "On binary representations of integers with digits -1, 0, 1", Integers 2000)."""
    n = limbs.shape[0]
    plus, minus = [], []
    for s in scalar_ints(limbs):
        h = s >> 1
        t = s + h
        c = h ^ t
        plus.append((t & c).to_bytes(33, "little"))
        minus.append((h & c).to_bytes(33, "little"))
    bits = 8 * 33
    p = np.unpackbits(np.frombuffer(b"".join(plus), np.uint8).reshape(n, 33), axis=1, bitorder="little")
    m = np.unpackbits(np.frombuffer(b"".join(minus), np.uint8).reshape(n, 33), axis=1, bitorder="little")
    e_desc, point = np.nonzero((p | m).T[::-1])  # rows: exponents from the top down
    exponent = (bits - 1 - e_desc).astype(np.int32)
    return exponent, point.astype(np.int32), m[point, exponent].astype(np.bool_)


def chain_ops(exponents: np.ndarray) -> int:
    """One doubling chain over NAF terms (msm_numba_core's `chain`): a mixed addition per term, a doubling per
    bit below the top term."""
    return int(exponents.size * MADD_OPS + (exponents.max() * DBL_OPS if exponents.size else 0))


def pippenger_ops(points: int, bits: int) -> int:
    """Pippenger at window_bits (every digit counted as nonzero): per window a mixed addition per point and two
    running-sum additions per bucket; c doublings and an addition between windows."""
    if not bits:
        return 0
    c = window_bits(points, bits)
    windows = -(-bits // c) + 1
    return windows * (points * MADD_OPS + (1 << c) * ADD_OPS) + (windows - 1) * (c * DBL_OPS + ADD_OPS)


def scalar_bits(limbs: np.ndarray) -> int:
    """The bit length of the largest scalar (0 when all are zero)."""
    for k in range(3, -1, -1):
        top = int(limbs[:, k].max()) if limbs.shape[0] else 0
        if top:
            return 64 * k + top.bit_length()
    return 0


def _check(decoded: Decoded, limbs: np.ndarray, backend: str) -> None:
    if limbs.shape[0] != decoded.n:
        raise ValueError(f"{limbs.shape[0]} scalars for {decoded.n} points")
    nonzero = limbs.any(axis=1)
    if (nonzero & ~decoded.valid).any():
        raise ValueError("an invalid point has a nonzero scalar")
    same_family = decoded.backend == backend or (decoded.backend in LIMB_BACKENDS and backend in LIMB_BACKENDS)
    if not same_family:
        raise ValueError(f"points decoded by {decoded.backend!r} cannot be summed by {backend!r}: decode them "
                         f"with {backend!r} (the kernel backends {LIMB_BACKENDS} share one payload)")


def msm(decoded: Decoded, scalars, *, backend: str = "library") -> bytes:
    """The compressed encoding of sum(scalars[i] * point[i]); the identity for no points."""
    return msm_many(decoded, [scalars], backend=backend)[0]


def msm_many(decoded: Decoded, scalar_rows, *, backend: str = "library") -> list[bytes]:
    """One msm per row of scalars over the same decoded points (a bisection's subsets are rows with zeros)."""
    return msm_groups([(decoded, scalar_rows)], backend=backend)[0]


def _checked_jobs(jobs, backend: str) -> list:
    if len({d.group for d, _ in jobs}) != len(jobs):
        raise ValueError("at most one job per group")
    jobs = [(decoded, [scalar_limbs(s) for s in rows]) for decoded, rows in jobs]
    for decoded, rows in jobs:
        for limbs in rows:
            _check(decoded, limbs, backend)
    return jobs


def msm_groups(jobs: Sequence[tuple[Decoded, Sequence]], *, backend: str = "library",
               threads: int | None = None) -> list[list[bytes]]:
    """msm_many for each (decoded, scalar rows) job, at most one per group (a batch's signatures and keys).
    threads=1 keeps a backend with a thread pool (numba_cpu) on the calling thread."""
    module = _module(backend)
    jobs = _checked_jobs(jobs, backend)
    if hasattr(module, "msm_groups"):  # a backend that sums both groups in one call
        return module.msm_groups(jobs, threads) if threads and _has_helper(module) else module.msm_groups(jobs)
    return [[module.msm(decoded, limbs) for limbs in rows] for decoded, rows in jobs]


def start_decode_sum(group: str, points: Sequence[bytes], scalar_rows, *, backend: str = "library",
                     caller_share: int = 0) -> Callable[[], tuple[Decoded, list[bytes]]]:
    """decode_groups([(group, points)]) and then msm_many over the decoded points, where a point that is not
    valid counts as a zero term, begun on one helper core where the backend can (starts_groups; the decode and
    the sums in one call, without the GIL), so the caller can work meanwhile; the function returned gives
    (Decoded, sums), after decoding and summing the last `caller_share` points itself. Meant for batches that
    are all valid, where no point is skipped."""
    module = _module(backend)
    padded, well_sized = _padded(group, points)
    rows = [scalar_limbs(s) for s in scalar_rows]
    for limbs in rows:
        if limbs.shape[0] != len(padded):
            raise ValueError(f"{limbs.shape[0]} scalars for {len(padded)} points")
    if _has_helper(module):
        wait = module.start_decode_sum(group, padded, rows, caller_share)

        def done() -> tuple[Decoded, list[bytes]]:
            valid, payload, sums = wait()
            return Decoded(group, np.asarray(valid, dtype=bool) & well_sized, len(padded), payload, backend), sums

        return done
    decoded = decode_groups([(group, padded)], backend=backend)[0]
    decoded.valid &= well_sized
    sums = msm_many(decoded, [np.where(decoded.valid[:, None], limbs, 0).astype(np.uint64) for limbs in rows],
                    backend=backend)
    return lambda: (decoded, sums)


def _has_helper(module) -> bool:
    """A backend module with a thread pool and a helper thread: its decode and msm_groups take `threads`, and it
    has start_groups and start_decode_sum (numba_cpu)."""
    return hasattr(module, "start_groups")


def starts_groups(backend: str) -> bool:
    """True for a backend whose start_groups and start_decode_sum run on a helper thread (numba_cpu)."""
    return _has_helper(_module(backend))


def start_groups(jobs: Sequence[tuple[Decoded, Sequence]], *, backend: str = "library") -> Callable[[], list]:
    """msm_groups begun on one helper core where the backend can (starts_groups; on one core, without the GIL),
    so the caller can work meanwhile; the function returned gives msm_groups' result (computed here, at once,
    on other backends)."""
    module = _module(backend)
    if _has_helper(module):
        return module.start_groups(_checked_jobs(jobs, backend))
    sums = msm_groups(jobs, backend=backend)
    return lambda: sums


__all__ = ["Decoded", "decode_g1", "decode_g2", "decode_groups", "msm", "msm_many", "msm_groups", "hash_to_g1",
           "scalar_limbs", "BackendUnavailable", "P", "R", "X", "BACKENDS"]


def bench(groups=("g1", "g2"), sizes=(23, 1000), backends=("library", "numba_cpu", "opencl"), bits: int = 128,
          repeats: int = 5, seed: int = 1) -> list[dict]:
    """Per-point cost of decode and msm, the backends timed interleaved in this process (each repeat runs
    every backend once, in turn), outputs checked against the library's; the median of `repeats` after one
    warm-up call. Rows: group, n, backend, phase ("decode" or "msm"), seconds per point."""
    import random
    import time

    from pyblst import BlstP1Element, BlstP2Element

    from .. import devices

    backends = [b for b in backends if devices.unavailable_reason(b) is None]
    rng = random.Random(seed)
    element = {"g1": BlstP1Element, "g2": BlstP2Element}
    rows = []
    for group in groups:
        for n in sizes:
            points = [element[group].hash_to_group(rng.randbytes(8), b"BENCH").compress() for _ in range(n)]
            scalars = [rng.getrandbits(bits) for _ in range(n)]
            decoder = decode_g1 if group == "g1" else decode_g2
            want = msm(decoder(points, backend="library"), scalars, backend="library")
            times = {(b, phase): [] for b in backends for phase in ("decode", "msm")}
            for repeat in range(repeats + 1):
                for b in backends:
                    t0 = time.perf_counter()
                    decoded = decoder(points, backend=b)
                    t1 = time.perf_counter()
                    got = msm(decoded, scalars, backend=b)
                    t2 = time.perf_counter()
                    if got != want or not decoded.valid.all():
                        raise AssertionError(f"{b} disagrees with the library on {group}, n = {n}")
                    if repeat:  # the first round compiles and warms up
                        times[(b, "decode")].append((t1 - t0) / n)
                        times[(b, "msm")].append((t2 - t1) / n)
            rows += [{"group": group, "n": n, "backend": b, "phase": phase, "bits": bits,
                      "seconds_per_point": float(np.median(v))} for (b, phase), v in times.items()]
    return rows


if __name__ == "__main__":  # python -m kernels.bls.msm: the per-point table
    for row in bench():
        print(f"{row['group']} n={row['n']:5d} {row['backend']:10s} {row['phase']:6s} "
              f"{row['seconds_per_point'] * 1e6:10.1f} us/point")
