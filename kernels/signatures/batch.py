"""Batch verification under ZIP 215 with exact per-signature verdicts: the host side shared by every backend.

For signatures i with S_i < L and A_i, R_i decodable, draw independent 128-bit random z_i and check one
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
"""
from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from .reference import L

Z_BYTES = 16  # 128-bit random scalars z_i
SINGLE_AT_MOST = 4  # a failing sub-batch this small is verified one signature at a time


def random_scalars(count: int) -> list[int]:
    """`count` independent uniform 128-bit integers from the operating system's CSPRNG (os.urandom): the
    signer must not be able to predict them."""
    raw = os.urandom(Z_BYTES * count)
    return [int.from_bytes(raw[Z_BYTES * i:Z_BYTES * (i + 1)], "little") for i in range(count)]


def first_of_equal(public_keys: np.ndarray) -> np.ndarray:
    """(n,) int64: for each row of public_keys (n, 32), the index of the first row with the same bytes."""
    if public_keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(np.ascontiguousarray(public_keys).view(np.dtype((np.void, 32))).reshape(-1),
                                  return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)].astype(np.int64)


def combination(part: np.ndarray, first: np.ndarray, signatures: np.ndarray, challenges: np.ndarray,
                z: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The terms of one linear combination over the signatures `part` (indices into a batch of n): rows into
    the points (-A at row i, -R at row n + i, B at row 2n) and their 32-byte little-endian scalars:
    sum of z_i h_i mod L per distinct key (at its first row), z_i per R_i, and sum z_i S_i mod L for B."""
    n = first.size
    raw_h, raw_s = challenges.tobytes(), signatures.tobytes()
    per_key: dict[int, int] = {}
    b = 0
    for i, zi in zip(part.tolist(), z):
        key = int(first[i])
        per_key[key] = per_key.get(key, 0) + zi * int.from_bytes(raw_h[32 * i:32 * i + 32], "little")
        b += zi * int.from_bytes(raw_s[64 * i + 32:64 * i + 64], "little")
    rows = np.concatenate([np.fromiter(per_key, np.int64, len(per_key)), n + part, [2 * n]]).astype(np.int64)
    scalars = b"".join([(v % L).to_bytes(32, "little") for v in per_key.values()]
                       + [zi.to_bytes(32, "little") for zi in z] + [(b % L).to_bytes(32, "little")])
    return rows, np.frombuffer(scalars, np.uint8).reshape(-1, 32)


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
        rows, scalars = combination(part, first, prepared.signatures, prepared.challenges, random_scalars(part.size))
        return msm_is_small_order(points, rows, scalars)

    def one_by_one(part: np.ndarray) -> np.ndarray:
        return single(prepared.subset(part))

    bisect(candidates, passes, one_by_one, verdicts)
    return verdicts
