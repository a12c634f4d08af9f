"""The block stage, per message: ingress selection into a block payload, hashing the block, and the consensus
signatures a node checks per block (notarization, finalization and certification shares at n - f, the random
beacon's f + 1, the block maker's Ed25519 signature), spread over the block's messages. Full blocks of
`BLOCK_MESSAGES` are assumed (the cap; docs/REFERENCES.md section 5), so the per-message share is the least.
"""
from __future__ import annotations

import hashlib

from ..bls import bls12381_verify_batch
from ..bls import workloads as bls_workloads
from .stages import Candidate, per_item, noop, rows_for

BLOCK_MESSAGES = 1_000  # at most 1 000 ingress messages per block (dfinity/ic rs/limits)
BLOCK_BYTES = 4 * 1024 * 1024  # at most 4 MiB of ingress per block (dfinity/ic rs/limits)
SUBNET_NODES = 13  # an application subnet (docs/REFERENCES.md section 1, Signatures)
# Per block and per kind, the shares a node checks: n - f for notarization, finalization and the round's
# certification, f + 1 for the random beacon (IC consensus; kernels.bls.workloads.shares_needed).
SHARE_KINDS = {"notarization": "notarization", "finalization": "finalization", "random_beacon": "random_beacon",
               "certification": "notarization"}  # certification shares are n - f on one message, as notarization's


def select_ingress(pool: list[tuple[bytes, int, int]], now_ns: int, limit: int = BLOCK_MESSAGES,
                   max_bytes: int = BLOCK_BYTES) -> list[bytes]:
    """The ids of the pool's messages a block maker puts in a payload: unexpired, not seen before, in arrival
    order, until the message or byte limit. `pool`: (request id, size in bytes, expiry) per message."""
    chosen, seen, used = [], set(), 0
    for request_id, size, expiry in pool:
        if expiry < now_ns or request_id in seen or used + size > max_bytes:
            continue
        chosen.append(request_id)
        seen.add(request_id)
        used += size
        if len(chosen) == limit:
            break
    return chosen


def block_hash(parent: bytes, height: int, ids: list[bytes]) -> bytes:
    """SHA-256 of a block: parent hash, height, and the payload's message ids (hashes in blocks)."""
    h = hashlib.sha256(parent + height.to_bytes(8, "big"))
    for request_id in ids:
        h.update(request_id)
    return h.digest()


def consensus_triples(n_nodes: int = SUBNET_NODES) -> dict[str, tuple[list, list, list]]:
    """The BLS shares one node checks per block, by kind (keys, messages, signatures)."""
    out = {}
    for kind, shape in SHARE_KINDS.items():
        count = bls_workloads.shares_needed(shape, n_nodes)
        keys, msgs, sigs = bls_workloads.consensus_shares(n_nodes, shape, count=count, seed=len(out))
        out[kind] = (keys, msgs, sigs)
    return out


def block_maker_signature() -> tuple[bytes, bytes, bytes]:
    from nacl.signing import SigningKey

    key = SigningKey(hashlib.sha256(b"block maker").digest())
    message = b"\x0bic-block" + hashlib.sha256(b"block").digest()
    return bytes(key.verify_key), message, key.sign(message).signature


def stage_rows(workload: str, kind: str, request_ids: list[bytes], sizes: list[int], expiry: int, now_ns: int,
               repeats: int = 3, threads: int = 1, block_messages: int = BLOCK_MESSAGES) -> list:
    """StageRows of the block stage per message at `block_messages` messages per block."""
    from ..signatures import ed25519_verify_batch

    pool = [(r, s, expiry) for r, s in zip(request_ids, sizes)]
    n = len(pool)
    scale = n / block_messages  # the timed work is one block's; per message it is shared by block_messages
    rows = rows_for("ingress selection", "block", workload, kind, [
        Candidate("library", "python", lambda: select_ingress(pool, now_ns), n, per_item(noop, pool))], repeats)
    ids = select_ingress(pool, now_ns)
    rows += rows_for("block hashing", "block", workload, kind, [
        Candidate("library", "hashlib", lambda: block_hash(b"\0" * 32, 1, ids), n)], repeats)
    for share_kind, (keys, msgs, sigs) in consensus_triples().items():
        rows += rows_for(f"consensus {share_kind} shares", "block", workload, kind, [
            Candidate("library", "library", lambda k=keys, m=msgs, s=sigs: bls12381_verify_batch(
                k, m, s, backend="library"), n),
            Candidate("numba_cpu", "numba_cpu", lambda k=keys, m=msgs, s=sigs: bls12381_verify_batch(
                k, m, s, backend="numba_cpu"), n, cores=threads, per_item_latency=False)], repeats, scale=scale,
            note=f"{len(keys)} BLS shares per block of {block_messages} messages ({SUBNET_NODES} nodes)")
    maker = block_maker_signature()
    rows += rows_for("consensus block maker signature", "block", workload, kind, [
        Candidate("library", "library", lambda: ed25519_verify_batch(*map(list, zip(maker)), backend="library"), n)],
        repeats, scale=scale, note=f"one Ed25519 check per block of {block_messages} messages")
    return rows
