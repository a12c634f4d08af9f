"""Batch verification under ZIP 215 with exact per-signature verdicts: the host side shared by every backend.

For signatures i with S_i < L and A_i, R_i decodable, draw independent 128-bit random z_i (os.urandom) and check one
random linear combination (Bernstein et al., "High-speed high-security signatures", 2011, section 5; as
ed25519-zebra and the IC's ``ic-ed25519`` ``batch_verify`` do under ZIP 215):

    [8]( [sum z_i S_i mod L] B - sum [z_i h_i mod L] A_i - sum [z_i] R_i ) = identity,

one multi-scalar multiplication over 2n + 1 points. Every valid signature has [8]([S_i]B - [h_i]A_i - R_i) = 0,
so a batch of valid signatures always passes (the cofactored check is what makes batch and single
verification agree); a batch holding an invalid one passes with probability at most 2^-128 over the z_i
(the [8]-multiple of an invalid signature's defect is a non-zero point of prime order L > 2^252).

Equal public keys are one point: their scalars are added (mod L) and the key is decompressed once, so a batch
signed by few keys costs about one decompression and one 128-bit-scalar term per signature (reducing mod L
is sound under [8]: [8][c]A = [8][c mod L]A for any A, torsion included).

When a batch fails, the bad signatures are found by bisection: each half is checked with its own linear
combination, and sub-batches of at most ``SINGLE_AT_MOST`` signatures are verified one by one. Signatures that
fail the structural checks (S >= L, A or R not a curve point, wrong lengths) are False before any batching.

Every backend plugs two kernels into ``batch_verdicts``: a decompression (once per batch; the points stay where
the backend keeps them, on the device for OpenCL and CUDA) and a multi-scalar multiplication with the cofactored
check (once per combination). numba_cpu on AVX-512 IFMA shares passes of eight windows between the calling thread
and helpers that it never waits for (ifma.py), its radix-2^51 fallback deals the terms across its threads; the C
core (OpenCL, CuPy) gives each
work-item one window of a chunk of the terms, and numba_cuda one chunk over every window, as ``msm_plan`` lays out.

Small combinations use Straus's method instead of buckets on numba_cpu (numba_core.msm_straus: a table of
[1..2^(c-1)]P per term, one shared chain of doublings), chosen by ``prefer_straus``, an operation-count model
(``straus_ops`` against ``pippenger_ops``), not a measurement (the measurement that agrees with it is quoted in
``prefer_straus``). On AVX-512 IFMA CPUs the lane-wise Pippenger (eight windows per vector) is faster from about
ten terms, so there Straus runs on the radix-2^51 kernel (one term at a time) up to numba_cpu's measured
``IFMA_STRAUS_AT_MOST`` terms only; a lane-parallel IFMA Straus is not written (by the same way of counting it would
not beat the lane-wise Pippenger: its one chain of doublings per window does not shrink with lanes). The C core
(OpenCL, CuPy) and numba_cuda keep Pippenger at every size.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from numba import njit

from .scalars import (CARRY_EVERY, L_LIMBS, MINUS_C, WIDE_LIMBS, X_LIMBS, Z_LIMBS, carry, limbs21, mul_add,
                      reduce_mod_l)

Z_BYTES = 16  # 128-bit random scalars z_i
SINGLE_AT_MOST = 4  # a failing sub-batch this small is verified one signature at a time
SCALAR_BITS = 253  # every scalar of a combination is reduced mod L < 2^253, or a 128-bit z_i
POINT_BYTES = 160  # one point of the C core (ge_cached, ge_p3): four field elements of 40 bytes in either layout
GPU_THREADS_PER_UNIT = 128  # work-items counted as running at once per GPU compute unit (SM): a modelling choice
                            # for a register-heavy kernel in msm_plan, not a measured figure


def random_scalars(count: int) -> list[int]:
    """`count` independent uniform 128-bit integers from the operating system's CSPRNG (os.urandom): the
    signer must not be able to predict them."""
    raw = os.urandom(Z_BYTES * count)
    return [int.from_bytes(raw[Z_BYTES * i:Z_BYTES * (i + 1)], "little") for i in range(count)]


def random_scalar_bytes(count: int) -> np.ndarray:
    """(count, 16) uint8: the same draw as random_scalars (os.urandom), kept as little-endian bytes."""
    return np.frombuffer(os.urandom(Z_BYTES * count), np.uint8).reshape(count, Z_BYTES)


def first_of_equal(public_keys: np.ndarray) -> np.ndarray:
    """(n,) int64: for each row of public_keys (n, 32), the index of the first row with the same bytes."""
    if public_keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(np.ascontiguousarray(public_keys).view(np.dtype((np.void, 32))).reshape(-1),
                                  return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)].astype(np.int64)


# ---- the scalars of a combination, compiled (integers mod L as 21-bit limbs: scalars.py) ----------------------


@njit
def _accumulate(acc, added, k, zl, xl):
    """acc[k] += z * x (limbs), carried every CARRY_EVERY products."""
    mul_add(acc[k], zl, xl)
    added[k] += 1
    if added[k] == CARRY_EVERY:
        carry(acc[k])
        added[k] = 0


@njit
def _combine(part, first, signatures, challenges, z, minus_c, l_limbs, key_rows, scalars):
    """The terms of combination(): key rows (first appearance in part) into key_rows, the scalars into scalars
    (keys, then the z_i, then the one of B); returns the number of distinct keys."""
    m = part.size
    slot = np.full(first.size, -1, np.int64)
    acc = np.zeros((m + 1, WIDE_LIMBS), np.int64)  # one per distinct key, and B's at row m
    added = np.zeros(m + 1, np.int64)  # products since the accumulator's last carry
    zl, xl = np.empty(Z_LIMBS, np.int64), np.empty(X_LIMBS, np.int64)
    keys = 0
    for j in range(m):
        i = part[j]
        key = first[i]
        if slot[key] < 0:
            slot[key] = keys
            key_rows[keys] = key
            keys += 1
        limbs21(z[j], 0, 16, zl)
        limbs21(challenges[i], 0, 32, xl)
        _accumulate(acc, added, slot[key], zl, xl)
        limbs21(signatures[i], 32, 32, xl)
        _accumulate(acc, added, m, zl, xl)
    for k in range(keys):
        carry(acc[k])
        reduce_mod_l(acc[k], minus_c, l_limbs, scalars[k])
    for j in range(m):
        for b in range(32):
            scalars[keys + j, b] = z[j, b] if b < 16 else 0
    carry(acc[m])
    reduce_mod_l(acc[m], minus_c, l_limbs, scalars[keys + m])
    return keys


def scalar_bytes(z) -> np.ndarray:
    """(k, 16) uint8 of 128-bit scalars given as that array or as a list of ints below 2^128."""
    if isinstance(z, np.ndarray):
        if z.dtype != np.uint8 or z.ndim != 2 or z.shape[1] != Z_BYTES:
            raise ValueError(f"z must be (k, {Z_BYTES}) uint8")
        return np.ascontiguousarray(z)
    return np.frombuffer(b"".join(int(v).to_bytes(Z_BYTES, "little") for v in z), np.uint8).reshape(-1, Z_BYTES)


def combination(part: np.ndarray, first: np.ndarray, signatures: np.ndarray, challenges: np.ndarray,
                z) -> tuple[np.ndarray, np.ndarray]:
    """The terms of one linear combination over the signatures `part` (indices into a batch of n) with the
    128-bit scalars z ((len(part), 16) uint8, or ints): rows into the points (-A at row i, -R at row n + i, B at
    row 2n) and their 32-byte little-endian scalars: sum of z_i h_i mod L per distinct key (at its first row, in
    order of first appearance), z_i per R_i, and sum z_i S_i mod L for B. Compiled (_combine)."""
    n = first.size
    part = np.ascontiguousarray(part, dtype=np.int64)
    z = scalar_bytes(z)
    if z.shape[0] != part.size:
        raise ValueError("one z per signature of the part")
    key_rows = np.empty(part.size, np.int64)
    scalars = np.empty((2 * part.size + 1, 32), np.uint8)
    keys = _combine(part, np.ascontiguousarray(first, dtype=np.int64), np.ascontiguousarray(signatures),
                    np.ascontiguousarray(challenges), z, MINUS_C, L_LIMBS, key_rows, scalars)
    rows = np.concatenate([key_rows[:keys], n + part, np.array([2 * n], np.int64)])
    return rows, scalars[:keys + part.size + 1]


def bisect(candidates: np.ndarray, batch_passes: Callable[[np.ndarray], bool],
           single: Callable[[np.ndarray], np.ndarray], verdicts: np.ndarray) -> None:
    """Fill verdicts[candidates]: True for the whole sub-batch when its combination passes; otherwise split in
    halves and recurse, down to one-by-one verification at SINGLE_AT_MOST signatures. `batch_passes(indices)`
    draws fresh z_i for each call; `single(indices)` returns the single-verification verdicts."""
    stack = [candidates]
    while stack:
        part = stack.pop()
        if part.size == 0:
            continue
        if part.size <= SINGLE_AT_MOST:
            verdicts[part] = single(part)
        elif batch_passes(part):
            verdicts[part] = True
        else:
            half = part.size // 2
            stack += [part[half:], part[:half]]


def batch_verdicts(prepared, decompress: Callable, msm_is_small_order: Callable, single: Callable) -> np.ndarray:
    """Exact ZIP 215 verdicts of a prepared batch (prepare.Prepared) with a backend's kernels:
    `decompress(prepared, first) -> (points, ok)` (-A_i at row i where first[i] == i, -R_i at row n + i, B at
    row 2n; ok: A_i and R_i decode and S_i < L); `msm_is_small_order(points, rows, scalars) -> bool`;
    `single(prepared) -> verdicts` (per-signature ZIP 215)."""
    n = prepared.count
    verdicts = np.zeros(n, dtype=bool)
    if n == 0:
        return verdicts
    first = first_of_equal(prepared.public_keys)
    points, ok = decompress(prepared, first)
    candidates = np.flatnonzero(np.asarray(ok, dtype=bool) & prepared.well_formed)

    def passes(part: np.ndarray) -> bool:
        rows, scalars = combination(part, first, prepared.signatures, prepared.challenges,
                                     random_scalar_bytes(part.size))
        return msm_is_small_order(points, rows, scalars)

    def one_by_one(part: np.ndarray) -> np.ndarray:
        return single(prepared.subset(part))

    bisect(candidates, passes, one_by_one, verdicts)
    return verdicts


def decoded(ok_a: np.ndarray, ok_r: np.ndarray, first: np.ndarray) -> np.ndarray:
    """(n,) bool from a decompression kernel's flags: R_i decodes and S_i < L (ok_r[i]) and the first signature
    with the same key found that key decodable (ok_a[first[i]])."""
    return np.asarray(ok_r, dtype=bool) & np.asarray(ok_a, dtype=bool)[first]


def check_scalars(scalars: np.ndarray) -> np.ndarray:
    """(m, 32) uint8 scalars below 2^SCALAR_BITS (the device kernels read no higher bit); ValueError otherwise."""
    scalars = np.ascontiguousarray(scalars, dtype=np.uint8)
    if scalars.ndim != 2 or scalars.shape[1] != 32 or (scalars[:, 31] >> (SCALAR_BITS - 248)).any():
        raise ValueError(f"scalars must be (m, 32) little-endian bytes below 2^{SCALAR_BITS}")
    return scalars


def signed_windows(c: int) -> int:
    """Windows of c-bit signed digits for scalars below 2^253: one bit more than the scalars, for the last carry."""
    return -(-(SCALAR_BITS + 1) // c)


def signed_digits(scalars: np.ndarray, c: int) -> np.ndarray:
    """(W, m) int32, window-major: the signed c-bit digits d_w in [-2^(c-1), 2^(c-1)) (the top one in
    [0, 2^(c-1)]) of each of the m scalars (32-byte little-endian, below 2^253), scalar = sum_w d_w 2^(w c). A
    window's digit of 2^(c-1) or more becomes d - 2^c with a carry into the next window, so buckets are needed for
    |d| only (2^(c-1) of them: P - Q costs what P + Q does)."""
    scalars = check_scalars(scalars)
    m, windows = scalars.shape[0], signed_windows(c)
    bits = np.zeros((m, windows * c), dtype=np.int64)
    bits[:, :256] = np.unpackbits(scalars, axis=1, bitorder="little")[:, :windows * c]
    raw = bits.reshape(m, windows, c) @ (np.int64(1) << np.arange(c, dtype=np.int64))
    digits = np.empty((windows, m), dtype=np.int32)
    carry = np.zeros(m, dtype=np.int64)
    for w in range(windows - 1):
        v = raw[:, w] + carry
        carry = (v >= 1 << (c - 1)).astype(np.int64)
        digits[w] = v - (carry << c)
    digits[windows - 1] = raw[:, windows - 1] + carry  # at most c - 1 bits of the scalar, plus the carry
    return digits


def msm_plan(terms: int, lanes: int, max_buckets: int, split_windows: bool = True) -> tuple[int, int]:
    """(c, chunks) for a device multi-scalar multiplication of `terms` points: the window bits c (2..16) and the
    chunks the terms are dealt into, minimising point operations along the longest path, with `lanes` work-items
    running at once (a cost model, not a measurement).

    split_windows (the C core: signed digits, signed_windows(c) windows, 2^(c-1) buckets): W * chunks work-items,
    each ceil(terms / chunks) bucket additions and 2^c running-sum additions, in ceil(W * chunks / lanes) rounds;
    then chunks additions per window and W c doublings on one work-item. Otherwise (numba_cuda:
    numba_core.msm_pippenger, unsigned digits, ceil(253 / c) windows, 2^c - 1 buckets): chunks work-items, each
    every window of its chunk with 253 doublings; then chunks additions on one. Buckets <= max_buckets."""
    best = None
    for c in range(2, 17):
        if split_windows:
            windows, buckets, running = signed_windows(c), 1 << (c - 1), 1 << c
        else:
            windows, buckets, running = -(-SCALAR_BITS // c), (1 << c) - 1, 1 << (c + 1)
        chunks = 1
        while chunks <= max(1, min(terms, 4096)):
            items = windows * chunks if split_windows else chunks
            if items * buckets <= max_buckets or (c == 2 and chunks == 1):
                per_item = -(-terms // chunks) + running
                rounds = -(-items // max(lanes, 1))
                if split_windows:
                    cost = rounds * per_item + chunks + windows * (c + 1)
                else:
                    cost = rounds * (windows * per_item + SCALAR_BITS) + chunks
                if best is None or cost < best[0]:
                    best = (cost, c, chunks)
            chunks *= 2
    return best[1], best[2]


STRAUS_WINDOW_BITS = (3, 4, 5, 6)  # table sizes 4..32 points per term tried by straus_window_bits


def straus_ops(terms: int, c: int) -> int:
    """Point operations of numba_core.msm_straus with c-bit signed windows (a model, not a measurement; an
    addition and a doubling counted alike, every digit taken non-zero): 2^(c-1) additions per term for its
    table, then signed_windows(c) windows of c doublings and one addition per term."""
    return terms * (1 << (c - 1)) + signed_windows(c) * (c + terms)


def straus_window_bits(terms: int) -> int:
    """The window c of STRAUS_WINDOW_BITS that straus_ops counts cheapest for `terms` terms (a model)."""
    return min(STRAUS_WINDOW_BITS, key=lambda c: straus_ops(terms, c))


def pippenger_ops(terms: int) -> int:
    """Point operations of numba_core.msm_pippenger on one thread at its best window c (a model, not a
    measurement): ceil(253 / c) windows of c doublings, one addition per term and 2 (2^c - 1) running-sum
    additions."""
    return min(-(-SCALAR_BITS // c) * (c + terms + 2 * ((1 << c) - 1)) for c in range(2, 17))


def prefer_straus(terms: int) -> bool:
    """Straus rather than Pippenger for a one-thread multi-scalar multiplication of `terms` points: true when the
    operation-count model (straus_ops at straus_window_bits, pippenger_ops) counts it cheaper. The model puts
    the crossover between 192 and 224 terms; measured on the radix-2^51 kernels (one process, interleaved,
    best of repeats, a shared 2-core VM, noisy), Straus took 92 / 124 / 207 / 380 / 745 / 1528 / 2146 us at
    5 / 8 / 16 / 32 / 64 / 128 / 192 terms against Pippenger's 254 / 311 / 457 / 654 / 1066 / 1708 / 2174 us,
    and 2469 against 2392 us at 224: the same crossover."""
    return terms > 0 and straus_ops(terms, straus_window_bits(terms)) < pippenger_ops(terms)
