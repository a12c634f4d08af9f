"""Batch verification of BLS12-381 min-sig signatures with exact per-item verdicts.

A random linear combination turns n checks e(sig_i, g2) = e(H(m_i), pk_i) into one (Bellare, Garay and Rabin,
"Fast batch verification for modular exponentiation and digital signatures", EUROCRYPT 1998; Boneh, Drijvers
and Neven, "Compact multi-signatures for smaller blockchains", ASIACRYPT 2018, section 3.1):

    e(sum_i r_i sig_i, g2) == prod_messages e(H(m), sum_{i: m_i = m} r_i pk_i)

Shares on one message need two Miller loops and two multi-scalar multiplications (over the signatures in G1
and the keys in G2); n distinct messages need n + 1 Miller loops (with r_i H(m_i) in G1, the cheaper group) and
one final exponentiation. The scalars r_i are 64-bit, drawn from os.urandom per call: if any item is invalid,
a batch passes with probability at most 2^-64 per check (the failing linear form sum r_i d_i = 0 mod r has at
most one solution in each r_i, and r_i < 2^64 < r), at most 2n checks by the union bound. 64 bits halve the
MSM work of 128 at a bound still far below any other risk; Ethereum clients batch-verify with the same size
(blst's Rust `verify_multiple_aggregate_signatures` takes the scalars' bit length; Lighthouse passes
RAND_BITS = 64, crypto/bls/src/impls/blst.rs). 128 bits are one argument away (`scalar_bits`). The bound only
needs each r_i drawn uniformly from a set of 2^64 distinct residues: on a backend that sums by NAF chains
(msm.naf_chains), the items of shared messages get sparse scalars instead (sparse_scalars: 12 signed digits among
130 bits, 2^64.08 of them), which cut the 23-share msm of a 34-node subnet 2.4-fold in operations against 64-bit
scalars by Pippenger (msm.chain_ops, msm.pippenger_ops); one-off items keep 64-bit ones, as blst multiplies
H(m_i) by them. Every point is decoded with the subgroup check first: the bound needs prime
order. A failed batch is bisected; sub-batches smaller than SINGLES_BELOW are verified one by one with blst,
so every verdict equals single verification's (for a valid item always; for an invalid one except with
probability 2^-64 per check). The `backend` decodes the signatures (and the keys of shared messages) and
computes the MSMs (kernels.bls.msm); hash-to-curve and pairings stay in blst (pyblst), timed as their own steps.
pyblst holds the GIL, so on a backend with a helper thread (numba_cpu) a batch whose messages are all shared or
all distinct runs Batch.verdicts_pipelined: the backend decodes and sums on one core while blst works on the other.
"""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from math import comb

import numpy as np
from pyblst import BlstP1Element, BlstP2Element, final_verify, miller_loop

from . import msm
from .library import G2_GENERATOR, decode_public_key, pairing_check

SCALAR_BITS = 64  # the soundness bound per check is 2^-SCALAR_BITS (module docstring)
SINGLES_BELOW = 4  # a failed sub-batch smaller than this is verified item by item
# verdicts_pipelined: the keys' decode and sums run on the helper thread but for 1 / CALLER_KEYS of them, which
# this thread does after decoding the signatures, hashing and its Miller loop (a G1 point decodes in about 0.65
# of a G2 point's time: 54 and 85 us on numba_cpu). Of 1/4, 1/6, 1/8 and 1/12, a sixth was fastest on 23 shares
# (a 2-core Xeon VM, interleaved in one process)
CALLER_KEYS = 6
IDENTITY_G1 = b"\xc0" + bytes(47)
IDENTITY_G2 = b"\xc0" + bytes(95)


def random_scalars(n: int, bits: int = SCALAR_BITS) -> np.ndarray:
    """(n, 4) uint64 limbs of uniform nonzero scalars below 2^bits (bits a multiple of 64, at most 192)."""
    if bits % 64 or not 64 <= bits <= 192:
        raise ValueError("scalar_bits must be 64, 128 or 192")
    words = bits // 64
    limbs = np.zeros((n, 4), np.uint64)
    limbs[:, :words] = np.frombuffer(os.urandom(8 * words * n), np.uint64).reshape(n, words)
    limbs[~limbs.any(axis=1), 0] = 1  # zero would drop the item from the check (probability 2^-bits)
    return limbs


# Sparse scalars for the items whose keys the backend sums itself: SPARSE_WEIGHT nonzero signed digits among
# SPARSE_BITS, non-adjacent. C(130 - 12 + 1, 12) 2^11 = 2^64.08 of them, so the bound stays 2^-64 per check,
# while an msm over them by NAF chains (msm_numba_cpu) costs 12 mixed additions per point and one chain of 129
# doublings: 130 and 12 minimise 7 x 130 + 11 x 12 n (msm.DBL_OPS, MADD_OPS) for 23 to 40 points.
SPARSE_BITS, SPARSE_WEIGHT = 130, 12
assert comb(SPARSE_BITS - SPARSE_WEIGHT + 1, SPARSE_WEIGHT) << (SPARSE_WEIGHT - 1) >= 1 << SCALAR_BITS


def sparse_scalars(n: int, bits: int = SPARSE_BITS, weight: int = SPARSE_WEIGHT) -> np.ndarray:
    """(n, 4) uint64 limbs of s = sum_k d_k 2^e_k, d_k = +-1, `weight` exponents below `bits` with no two
    adjacent and the top digit +1: a non-adjacent form, so distinct draws are distinct integers in (0, 2^bits),
    below r. Uniform over the C(bits - weight + 1, weight) 2^(weight - 1) of them (os.urandom): the exponents are
    a uniform weight-subset of the slots (_subsets) spread by one gap each (e_k = slot_k + k)."""
    exponents = _subsets(n, bits - weight + 1, weight) + np.arange(weight)
    negative = (np.frombuffer(os.urandom(n * weight), np.uint8).reshape(n, weight) & 1).astype(bool)
    negative[:, -1] = False
    halves = []
    for sign in (False, True):
        digits = np.zeros((n, 256), np.uint8)
        np.put_along_axis(digits, exponents, (negative == sign).astype(np.uint8), axis=1)
        halves.append(np.packbits(digits, axis=1, bitorder="little").view("<u8"))
    plus, minus = halves
    limbs = plus - minus
    borrow = plus < minus
    for k in range(1, 4):  # plus > minus (the top digit is +1): the last borrow is 0
        limbs[:, k] -= borrow[:, k - 1].astype(np.uint64)
        borrow[:, k] |= (plus[:, k] == minus[:, k]) & borrow[:, k - 1]
    return np.ascontiguousarray(limbs, dtype=np.uint64)


def _subsets(n: int, slots: int, weight: int) -> np.ndarray:
    """(n, weight) int64: n uniform weight-subsets of range(slots), slots <= 128, each sorted. A row of `weight`
    independent uniform 7-bit draws is kept when every draw is below `slots` and none repeats: given that, every
    ordered tuple of distinct slots is equally likely, so every subset is (rows are kept with probability about
    1/4 here; more rows are drawn until n are kept)."""
    kept, have = [np.zeros((0, weight), np.uint8)], 0
    while have < n:
        m = 5 * (n - have) + 8
        draw = np.sort(np.frombuffer(os.urandom(m * weight), np.uint8).reshape(m, weight) & 0x7F, axis=1)
        good = draw[(draw[:, -1] < slots) & (np.diff(draw, axis=1) > 0).all(axis=1)]
        kept.append(good)
        have += good.shape[0]
    return np.concatenate(kept)[:n].astype(np.int64)


@dataclass
class Batch:
    """One batch, decoded once: the steps of batch verification as methods, so each can be timed apart."""

    keys: list
    msgs: list
    sigs: list
    dst: bytes
    backend: str
    scalar_bits: int = SCALAR_BITS
    ok: np.ndarray = field(init=False)  # decodable, not the identity: candidates for the pairing check
    shared: np.ndarray = field(init=False)  # indices whose message appears more than once (keys summed in G2)
    sig_points: msm.Decoded = field(init=False)
    key_points: msm.Decoded = field(init=False)  # decoded keys of `shared`, in that order
    key_elements: dict = field(init=False)  # index -> blst key, for messages that appear once
    scalars: np.ndarray = field(init=False)
    hashes: dict = field(init=False)
    single_loops: dict = field(init=False)  # index -> ML(r_i H(m_i), pk_i), computed once per batch

    def _prepare(self) -> dict:
        """Which items share a message (self.shared) and the scalars (sparse for shared items where the backend
        sums by NAF chains); returns each message's count."""
        n = len(self.keys)
        count = Counter(self.msgs)
        self.shared = np.array([i for i in range(n) if count[self.msgs[i]] > 1], dtype=np.int64)
        self.scalars = random_scalars(n, self.scalar_bits)
        if self.scalar_bits == SCALAR_BITS and msm.naf_chains(self.backend):
            self.scalars[self.shared] = sparse_scalars(self.shared.size)  # their sums are the backend's msms
        return count

    def _decode_one_off_keys(self, count: dict) -> None:
        """The keys of one-off messages decoded with blst (they enter a Miller loop as they are)."""
        self.key_elements = {}
        for i in range(len(self.keys)):
            if count[self.msgs[i]] == 1:
                element = decode_public_key(self.keys[i])  # None for the identity and any invalid key
                if element is not None:
                    self.key_elements[i] = element

    def _candidates(self) -> None:
        """self.ok from the decoded points and keys."""
        key_ok = np.zeros(len(self.keys), bool)
        key_ok[self.shared] = self.key_points.valid & np.array([self.keys[i] != IDENTITY_G2 for i in self.shared],
                                                               dtype=bool)
        key_ok[list(self.key_elements)] = True
        # the identity signature verifies only if H(m) is the identity (probability ~2^-255): never, here
        not_identity = np.array([s != IDENTITY_G1 for s in self.sigs], dtype=bool)
        self.ok = self.sig_points.valid & key_ok & not_identity

    def decode(self) -> "Batch":
        """Decode every signature and the keys of shared messages on the backend (ZCash encoding, on the curve,
        in the subgroup), the keys of one-off messages with blst (they enter a Miller loop as they are)."""
        count = self._prepare()
        self.sig_points, self.key_points = msm.decode_groups(
            [("g1", self.sigs), ("g2", [self.keys[i] for i in self.shared])], backend=self.backend)
        self._decode_one_off_keys(count)
        self._candidates()
        return self

    def pipelines(self) -> bool:
        """True when verdicts_pipelined applies: a backend with a helper thread (msm.starts_groups), and every
        message shared (as a block's shares are) or every message distinct (as certificates' are)."""
        counts = set(Counter(self.msgs).values())
        return len(self.keys) > 1 and msm.starts_groups(self.backend) and (1 not in counts or counts == {1})

    def verdicts_pipelined(self) -> np.ndarray:
        """decode().hash().singles().verdicts() with both cores kept busy while this thread runs blst: the
        backend's decode and sums for the whole batch start on the helper thread (msm.start_decode_sum). Shares
        (every message shared): the helper decodes and sums the keys but for a share of them that this thread
        takes after decoding the signatures, hashing, summing them and running their Miller loop. Distinct
        messages: the helper decodes and sums the signatures while this thread decodes the keys, hashes and runs
        a Miller loop per item (blst). When every item decoded as a candidate the sums are the first check's;
        otherwise they are dropped and the checks run on the decoded points as verdicts() does."""
        count = self._prepare()
        everything = np.arange(len(self.keys))
        if self.shared.size:
            rows, messages = self._key_rows(everything)
            wait = msm.start_decode_sum("g2", self.keys, rows, backend=self.backend,
                                        caller_share=len(self.keys) // CALLER_KEYS)
            self.sig_points = msm.decode_groups([("g1", self.sigs)], backend=self.backend, threads=1)[0]
            self.hashes = {m: BlstP1Element.hash_to_group(m, self.dst) for m in messages}
            sig_scalars = np.where(self.sig_points.valid[:, None], self.scalars, 0).astype(np.uint64)
            left = self._left(msm.msm_groups([(self.sig_points, [sig_scalars])], backend=self.backend,
                                             threads=1)[0][0])
            self.key_points, key_sums = wait()
            self.key_elements, self.single_loops, key_sums = {}, {}, dict(zip(messages, key_sums))
        else:
            wait = msm.start_decode_sum("g1", self.sigs, [self.scalars], backend=self.backend)
            self._decode_one_off_keys(count)
            self.hashes = {m: BlstP1Element.hash_to_group(m, self.dst)
                           for m in dict.fromkeys(self.msgs[i] for i in self.key_elements)}
            self.singles(every_key=True)
            self.key_points = msm.decode_groups([("g2", [])], backend=self.backend)[0]
            self.sig_points, (sigma,) = wait()
            left, key_sums = self._left(sigma), {}
        self._candidates()
        if self.ok.all() and self._holds(everything, left, key_sums):
            return np.ones(len(self.keys), bool)
        return self.verdicts()

    def hash(self) -> "Batch":
        """H(m) once per distinct message among the candidates (blst hash_to_group, RFC 9380)."""
        self.hashes = {m: BlstP1Element.hash_to_group(m, self.dst)
                       for m in dict.fromkeys(self.msgs[i] for i in np.nonzero(self.ok)[0])}
        return self

    def _key_rows(self, subset: np.ndarray) -> tuple[list, list]:
        """One scalar row over the shared keys per shared message with items in `subset` (zero elsewhere), and
        those messages."""
        in_shared = np.isin(self.shared, subset)
        by_message: dict = defaultdict(list)
        for position, i in enumerate(self.shared.tolist()):
            if in_shared[position]:
                by_message[self.msgs[i]].append(position)
        rows, messages = [], list(by_message)
        for m in messages:
            row = np.zeros((len(self.shared), 4), np.uint64)
            picked = np.array(by_message[m], dtype=np.int64)
            row[picked] = self.scalars[self.shared[picked]]
            rows.append(row)
        return rows, messages

    def _jobs(self, subset: np.ndarray) -> tuple[tuple, tuple | None, list]:
        """The msm jobs of one check: (signatures, their scalars inside `subset`), (shared keys, _key_rows) or
        None when there is none, and those messages."""
        mask = np.zeros(len(self.keys), bool)
        mask[subset] = True
        sig_scalars = np.where(mask[:, None], self.scalars, 0).astype(np.uint64)
        rows, messages = self._key_rows(subset)
        return (self.sig_points, [sig_scalars]), ((self.key_points, rows) if rows else None), messages

    def combine(self, subset: np.ndarray) -> tuple[bytes, dict]:
        """The MSMs of one check: sum r_i sig_i over `subset`, and sum r_i pk_i per shared message in it."""
        return self._sums(*self._jobs(subset))

    def _sums(self, sig_job: tuple, key_job: tuple | None, messages: list) -> tuple[bytes, dict]:
        sums = msm.msm_groups([sig_job] + ([key_job] if key_job else []), backend=self.backend)
        return sums[0][0], dict(zip(messages, sums[1] if key_job else []))

    def singles(self, every_key: bool = False) -> "Batch":
        """ML(r_i H(m_i), pk_i) for every candidate whose message appears once (reused by every check); with
        every_key, for every such item whose key decoded, before its signature's validity is known."""
        r = msm.scalar_ints(self.scalars)
        self.single_loops = {i: miller_loop(self.hashes[self.msgs[i]].scalar_mul(r[i]), pk)
                             for i, pk in self.key_elements.items() if every_key or self.ok[i]}
        return self

    @staticmethod
    def _left(sigma: bytes):
        """ML(sigma, g2); None for the identity (a failed check: probability about 2^-64 for valid items)."""
        return None if sigma == IDENTITY_G1 else miller_loop(BlstP1Element.uncompress(sigma), G2_GENERATOR)

    def _holds(self, subset: np.ndarray, left, key_sums: dict) -> bool:
        """left == prod e(H(m), K_m) * prod_singles e(r_i H(m_i), pk_i), one final exponentiation; an identity
        sum fails the check."""
        if left is None or any(k == IDENTITY_G2 for k in key_sums.values()):
            return False
        right = None
        for m, k in key_sums.items():
            loop = miller_loop(self.hashes[m], BlstP2Element.uncompress(k))
            right = loop if right is None else right * loop
        for i in subset.tolist():
            if i in self.single_loops:
                right = self.single_loops[i] if right is None else right * self.single_loops[i]
        return final_verify(left, right)

    def pair(self, subset: np.ndarray, combined: tuple[bytes, dict]) -> bool:
        """e(sigma, g2) == prod e(H(m), K_m) * prod_singles e(r_i H(m_i), pk_i): Miller loops, one final exp.
        A sum that is the identity (probability about 2^-64 for valid items) counts as a failed check."""
        sigma, key_sums = combined
        return self._holds(subset, self._left(sigma), key_sums)

    def check(self, subset: np.ndarray) -> bool:
        """pair(subset, combine(subset)). Where the backend can (msm.starts_groups) and there are shared keys,
        their msms run on a helper core while this thread sums the signatures on the other and runs their Miller
        loop: the two cores stay busy through the pairing step."""
        sig_job, key_job, messages = self._jobs(subset)
        if key_job is None or not msm.starts_groups(self.backend):
            return self.pair(subset, self._sums(sig_job, key_job, messages))
        wait = msm.start_groups([key_job], backend=self.backend)
        left = self._left(msm.msm_groups([sig_job], backend=self.backend, threads=1)[0][0])
        return self._holds(subset, left, dict(zip(messages, wait()[0])))

    def single(self, i: int) -> bool:
        """Item i alone, with blst (the per-item check)."""
        try:
            sig = BlstP1Element.uncompress(self.sigs[i])
        except ValueError:
            return False
        pk = self.key_elements.get(i) or decode_public_key(self.keys[i])
        return pk is not None and pairing_check(sig, self.hashes[self.msgs[i]], pk)

    def verdicts(self) -> np.ndarray:
        """Exact per-item verdicts: the whole batch first, halves of a failed batch, singles below SINGLES_BELOW."""
        out = np.zeros(len(self.keys), bool)
        pending = [np.nonzero(self.ok)[0]]
        while pending:
            subset = pending.pop()
            if subset.size == 0:
                continue
            if subset.size < SINGLES_BELOW:
                for i in subset.tolist():
                    out[i] = self.single(i)
            elif self.check(subset):
                out[subset] = True
            else:
                half = subset.size // 2
                pending += [subset[:half], subset[half:]]
        return out


def batch_verify(keys: list[bytes], msgs: list[bytes], sigs: list[bytes], *, backend: str, dst: bytes,
                 scalar_bits: int = SCALAR_BITS) -> np.ndarray:
    """(n,) bool verdicts, each equal to single verification's (module docstring)."""
    if not keys:
        return np.zeros(0, bool)
    batch = Batch(keys, msgs, sigs, dst, backend, scalar_bits)
    if batch.pipelines():
        return batch.verdicts_pipelined()
    return batch.decode().hash().singles().verdicts()
