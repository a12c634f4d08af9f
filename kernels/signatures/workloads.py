"""Ed25519 workloads shaped like an IC replica's: signed batches over random messages (the issue's target
shape), the batch every backend must judge exactly like libsodium, and the ingress signature trace.
Deterministic by seed (docs/REFERENCES.md section 1 for every shape used here)."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..random_data import random_messages

MESSAGE_BYTES = 100  # the target shape: signatures over 100-byte messages
SIGNERS = 64  # distinct keys in a synthetic batch (verification cost does not depend on repeats)


def signed_batch(count: int, message_bytes: int = MESSAGE_BYTES, seed: int = 0,
                 distinct_keys: bool = False) -> tuple[list, list, list]:
    """`count` valid (public key, message, signature) triples, random messages of `message_bytes`, signed by
    SIGNERS keys in turn, or by a key of its own each (`distinct_keys`: what batch verification pays most for,
    as in a consensus batch of different nodes' signatures)."""
    from nacl.signing import SigningKey

    rng = np.random.default_rng(seed)
    signers = [SigningKey(rng.bytes(32)) for _ in range(max(count, 1) if distinct_keys else min(SIGNERS, max(count, 1)))]
    msgs = random_messages(count, message_bytes, seed)
    keys = [bytes(signers[i % len(signers)].verify_key) for i in range(count)]
    sigs = [signers[i % len(signers)].sign(m).signature for i, m in enumerate(msgs)]
    return keys, msgs, sigs


# RFC 8032 section 7.1: (secret key, public key, message, signature) of TEST 1, TEST 2, TEST 3 (hex).
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def _flip(data: bytes, bit: int) -> bytes:
    return data[:bit // 8] + bytes([data[bit // 8] ^ (1 << bit % 8)]) + data[bit // 8 + 1:]


def correctness_batch(seed: int = 0) -> tuple[list, list, list, np.ndarray]:
    """Valid signatures, each kind of bad one (a flipped bit in R, S, A, M; wrong lengths; a small-order key;
    S >= L) and the verdicts known from the construction: the first four valid, every other one invalid."""
    keys, msgs, sigs = signed_batch(24, MESSAGE_BYTES, seed)
    for i in range(4, 20):
        part, bit = i % 4, (7 * i) % 256
        if part == 0:
            sigs[i] = _flip(sigs[i], bit)  # R
        elif part == 1:
            sigs[i] = _flip(sigs[i], 256 + bit)  # S
        elif part == 2:
            keys[i] = _flip(keys[i], bit)  # A
        else:
            msgs[i] = _flip(msgs[i], 40)  # M
    keys[20], sigs[21] = keys[20][:31], sigs[21] + b"\x00"
    keys[22] = bytes(32)  # y = 0: small order
    sigs[23] = sigs[23][:32] + bytes([0xFF] * 32)  # S >= L
    return keys, msgs, sigs, np.arange(24) < 4


# --- Ed25519 ingress signature trace (issue 3) ----------------------------------------------------------------

# Signed request: the sender key signs "\x0Aic-request" || request_id; each delegation is signed by the key
# before it over "\x1Aic-request-auth-delegation" || hash_of_map(delegation); up to 20 delegations, 1 to 21
# verifications per request (IC interface spec, "Authentication"; docs/REFERENCES.md section 1).
REQUEST_DOMAIN = b"\x0Aic-request"
DELEGATION_DOMAIN = b"\x1Aic-request-auth-delegation"
MAX_DELEGATIONS = 20
# Skewed mix of delegation-chain lengths (assumption, stated in the notebook: most requests come from plain
# keys or one Internet Identity delegation, a long tail of deeper chains up to the limit of 20).
DELEGATION_WEIGHTS = {0: 0.45, 1: 0.40, 2: 0.08, 3: 0.03} | {d: 0.04 / 17 for d in range(4, MAX_DELEGATIONS + 1)}


def ingress_signature_trace(messages: int = 2_000, sessions: int = 200, per_block: int = 100,
                            invalid_fraction: float = 0.01, seed: int = 0) -> list[dict]:
    """Batches of Ed25519 checks as a replica sees them: each ingress message is verified on entry to the
    pool and again when the block carrying it is validated (docs/REFERENCES.md section 1).

    Messages come from `sessions` user sessions chosen by a Zipf-like law (popular sessions send more);
    a session has a fixed delegation chain (length drawn from DELEGATION_WEIGHTS), so its delegation
    signatures repeat across its requests, while the request signature is new each time. A fraction of
    messages carries a corrupted request signature. Returns [{"stage": "pool" | "block", "block": k,
    "public_keys", "messages", "signatures": lists of bytes, "valid": list of expected verdicts}] in order.
    """
    from nacl.signing import SigningKey

    from ..hashing.request_id import request_id

    rng = np.random.default_rng(seed)
    lengths = rng.choice(list(DELEGATION_WEIGHTS), size=sessions, p=list(DELEGATION_WEIGHTS.values()))
    chains = []
    for s in range(sessions):
        keys = [SigningKey(rng.bytes(32)) for _ in range(int(lengths[s]) + 1)]
        links = []  # (signer public key, signed message, signature) for each delegation
        for i in range(1, len(keys)):
            delegation = {"pubkey": bytes(keys[i].verify_key), "expiration": 1_700_000_000_000_000_000 + s}
            signed = DELEGATION_DOMAIN + request_id(delegation)
            links.append((bytes(keys[i - 1].verify_key), signed, keys[i - 1].sign(signed).signature))
        chains.append((keys[-1], links))
    popularity = 1.0 / np.arange(1, sessions + 1)
    chosen = rng.choice(sessions, size=messages, p=popularity / popularity.sum())
    corrupt = rng.random(messages) < invalid_fraction
    requests = []
    for m in range(messages):
        session_key, links = chains[int(chosen[m])]
        content = {"request_type": "call", "sender": rng.bytes(29), "canister_id": rng.bytes(10),
                   "method_name": "transfer", "arg": rng.bytes(int(rng.integers(8, 200))),
                   "ingress_expiry": 1_700_000_000_000_000_000 + m, "nonce": rng.bytes(8)}
        signed = REQUEST_DOMAIN + request_id(content)
        sig = session_key.sign(signed).signature
        if corrupt[m]:
            sig = sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]
        checks = links + [(bytes(session_key.verify_key), signed, sig)]
        requests.append((checks, [True] * len(links) + [not corrupt[m]]))
    pools = []
    for block, start in enumerate(range(0, messages, per_block)):
        flat = [(c, v) for checks, valid in requests[start:start + per_block] for c, v in zip(checks, valid)]
        pools.append({"block": block, "public_keys": [c[0] for c, _ in flat], "messages": [c[1] for c, _ in flat],
                      "signatures": [c[2] for c, _ in flat], "valid": [v for _, v in flat]})
    batches = []
    for block, pool in enumerate(pools):  # block k is validated while the messages of block k + 1 arrive
        batches.append(pool | {"stage": "pool"})
        if block > 0:
            batches.append(pools[block - 1] | {"stage": "block"})
    batches.append(pools[-1] | {"stage": "block"})
    return batches


@lru_cache(maxsize=2)
def cached_trace(messages: int, seed: int = 0) -> tuple[dict, ...]:
    """The trace of `messages` ingress messages, made once per process (the cache study's two workloads,
    with and without a cache, replay the same trace; callers must not modify it)."""
    return tuple(ingress_signature_trace(messages, seed=seed))


# --- ZIP 215 (the IC replica's rules) against libsodium's: the published vectors and adversarial batches -------

ZIP215_MESSAGE = b"Zcash"  # the message of every ZIP 215 test vector (zcash src/gtest/test_consensus.cpp)


def small_order_encodings() -> list[bytes]:
    """The 14 encodings of small-order points behind the ZIP 215 test vectors (H. de Valence's set, as in
    zcash's ZIP215TestVectors and dfinity/ic packages/ic-ed25519/tests/data): [k]T for k = 0..7, T of order 8
    (canonical), then the 6 non-canonical ones: y = 1 and y = p - 1 with the sign bit set on x = 0, and
    y = p (= 0) and y = p + 1 (= 1), each with both sign bits."""
    from . import reference as ref

    y = ref.P - ref.Y_ORDER8  # T: the order-8 point encoded c7176a70...ac037a (sign bit clear)
    x = ref.recover_x(y, 0)
    t8 = (x, y, 1, x * y % ref.P)
    canonical = [ref.encode(ref.scalar_mult(k, t8)) for k in range(8)]
    sign = 1 << 255
    non_canonical = [(1 | sign), (ref.P - 1) | sign, ref.P, ref.P | sign, ref.P + 1, (ref.P + 1) | sign]
    return canonical + [v.to_bytes(32, "little") for v in non_canonical]


def zip215_vectors() -> tuple[list, list, list]:
    """The 196 ZIP 215 test vectors, generated: every (A, R) pair of the 14 small-order encodings, S = 0,
    message "Zcash", in the published order (A outer, R inner). All valid under ZIP 215, none under libsodium's
    rules (which reject small-order A and R); the tests compare this list with the published copy."""
    encodings = small_order_encodings()
    keys = [a for a in encodings for _ in encodings]
    sigs = [r + bytes(32) for _ in encodings for r in encodings]
    return keys, [ZIP215_MESSAGE] * len(keys), sigs


ADVERSARIAL_KINDS = ("honest", "mixed-order key", "R with a torsion component", "small-order A and R",
                     "non-canonical A or R", "S + L")


def adversarial_batch(per_kind: int = 4, seed: int = 0) -> dict:
    """Signatures built to sit where libsodium's rules and ZIP 215 differ, with both verdicts known from the
    construction (T_j = [j]T, T of order 8; a, r random scalars; k = SHA-512(R || A || M) mod L):

    - honest: A = [a]B, R = [r]B, S = r + k a: valid under both;
    - mixed-order key: A = [a]B + T_j, R = [r]B, S = r + k a: ZIP 215 valid ([8] kills T_j); libsodium valid
      only when [k]T_j = 0, i.e. ord(T_j) divides k (cofactorless equation);
    - R with a torsion component: A = [a]B, R = [r]B + T_j (j > 0), S = r + k a: ZIP 215 valid, libsodium not;
    - small-order A and R, S = 0 (canonical encodings): ZIP 215 valid, libsodium rejects small order;
    - non-canonical A or R (small-order points, non-canonical encodings), S = 0: ZIP 215 valid, libsodium not;
    - S + L (an honest signature with S made non-canonical): invalid under both.

    Returns {"kind", "public_keys", "messages", "signatures", "zip215", "libsodium"} (lists; verdict arrays)."""
    from . import reference as ref

    rng = np.random.default_rng(seed)
    encodings = small_order_encodings()
    canonical, non_canonical = encodings[:8], encodings[8:]
    torsion = [ref.decode_zip215(e) for e in canonical]  # [j]T for j = 0..7
    out = {"kind": [], "public_keys": [], "messages": [], "signatures": [], "zip215": [], "libsodium": []}

    def add(kind, a, m, sig, zip215, libsodium):
        for key, value in (("kind", kind), ("public_keys", a), ("messages", m), ("signatures", sig),
                           ("zip215", zip215), ("libsodium", libsodium)):
            out[key].append(value)

    def scalar():
        return int.from_bytes(rng.bytes(64), "little") % ref.L

    for i in range(per_kind):
        m = rng.bytes(int(rng.integers(0, 120)))
        a, r = scalar(), scalar()
        j = 1 + i % 7  # a torsion point other than the identity
        big_a, big_r = ref.scalar_mult(a, ref.BASE), ref.scalar_mult(r, ref.BASE)
        enc_a, enc_r = ref.encode(big_a), ref.encode(big_r)
        k = ref.challenge(enc_r, enc_a, m)
        s = (r + k * a) % ref.L
        add("honest", enc_a, m, enc_r + s.to_bytes(32, "little"), True, True)
        add("S + L", enc_a, m, enc_r + (s + ref.L).to_bytes(32, "little"), False, False)
        mixed = ref.encode(ref.point_add(big_a, torsion[j]))
        k = ref.challenge(enc_r, mixed, m)
        order = 8 // math.gcd(j, 8)
        add("mixed-order key", mixed, m, enc_r + ((r + k * a) % ref.L).to_bytes(32, "little"), True, k % order == 0)
        shifted = ref.encode(ref.point_add(big_r, torsion[j]))
        k = ref.challenge(shifted, enc_a, m)
        add("R with a torsion component", enc_a, m, shifted + ((r + k * a) % ref.L).to_bytes(32, "little"), True,
            False)
        add("small-order A and R", canonical[int(rng.integers(8))], m, canonical[int(rng.integers(8))] + bytes(32),
            True, False)
        pick = rng.integers(len(encodings), size=2)
        a_enc, r_enc = non_canonical[i % 6], encodings[int(pick[0])]
        if i % 2:
            a_enc, r_enc = encodings[int(pick[1])], non_canonical[i % 6]
        add("non-canonical A or R", a_enc, m, r_enc + bytes(32), True, False)
    out["zip215"], out["libsodium"] = np.array(out["zip215"]), np.array(out["libsodium"])
    return out
