"""The hashing hot path's IC-shaped inputs, deterministic by seed (docs/REFERENCES.md section 1 for every shape
used here): random messages, request_status hash trees, blocks of ingress call requests, checkpoint state."""
from __future__ import annotations

import numpy as np

from ..random_data import random_bytes, random_messages  # noqa: F401 (random_messages: for the hot path)

from . import hashtree as ht

# dfinity/ic rs/crypto/tree_hash/benches/tree_hash.rs: request_status trees of these sizes,
# 32-byte labels (request ids), 100-byte replies.
REQUEST_STATUS_SIZES = (100, 1_000, 10_000)
REQUEST_ID_BYTES = 32
REPLY_BYTES = 100
BLOCK_MESSAGES = 1_000  # at most 1 000 messages per block (IC docs, dfinity/ic config)
BLOCK_BYTES = 4 * 2**20  # at most 4 MiB per block
STATE_CHUNK_BYTES = 1 << 20  # state manifest chunk size


def correctness_messages(ragged: int = 200, seed: int = 0) -> list[bytes]:
    """Every length 0..130 (all padding boundaries: 55/56, 64, 119/120) plus `ragged` random lengths up to 2 KiB."""
    rng = np.random.default_rng(seed)
    return [rng.bytes(n) for n in range(131)] + [rng.bytes(int(n)) for n in rng.integers(0, 2048, ragged)]


def request_status_arrays(subtrees: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Request ids (n, 32) and replies (n, 100) of a request_status tree: the tree's raw content."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 256, (subtrees, REQUEST_ID_BYTES), dtype=np.uint8)
    ids = ids[np.lexsort(ids.T[::-1])]  # labels in a hash tree are sorted
    replies = rng.integers(0, 256, (subtrees, REPLY_BYTES), dtype=np.uint8)
    return ids, replies


def _balanced_forks(nodes: list) -> ht.Tree:
    if not nodes:
        return ht.empty()
    while len(nodes) > 1:
        paired = [ht.fork(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
        nodes = paired + ([nodes[-1]] if len(nodes) % 2 else [])
    return nodes[0]


def request_status_tree(subtrees: int, seed: int = 0) -> ht.Tree:
    """labeled("request_status", forks of labeled(id, fork(labeled("reply", leaf), labeled("status", leaf))))."""
    ids, replies = request_status_arrays(subtrees, seed)
    return tree_from_arrays(ids, replies)


def tree_from_arrays(ids: np.ndarray, replies: np.ndarray) -> ht.Tree:
    subtrees = [ht.labeled(i.tobytes(), ht.fork(ht.labeled("reply", ht.leaf(r.tobytes())),
                                                ht.labeled("status", ht.leaf("replied"))))
                for i, r in zip(ids, replies)]
    return ht.labeled("request_status", _balanced_forks(subtrees))


def ingress_block(messages: int = BLOCK_MESSAGES, seed: int = 0) -> list[dict]:
    """Call-request contents of one block: senders are self-authenticating principals (28-byte hash + 0x02),
    canister ids 10 bytes, argument sizes skewed small (log-uniform 8 B .. 8 KiB) within the 4 MiB block."""
    rng = np.random.default_rng(seed)
    methods = ("transfer", "icrc1_transfer", "http_request", "update", "set", "notify")
    arg_sizes = np.exp(rng.uniform(np.log(8), np.log(8192), messages)).astype(int)
    arg_sizes = np.minimum(arg_sizes, BLOCK_BYTES // max(messages, 1) * 2)
    contents = []
    for i in range(messages):
        contents.append({
            "request_type": "call",
            "sender": rng.integers(0, 256, 28, dtype=np.uint8).tobytes() + b"\x02",
            "canister_id": rng.integers(0, 256, 10, dtype=np.uint8).tobytes(),
            "method_name": methods[int(rng.integers(len(methods)))],
            "arg": b"DIDL" + rng.integers(0, 256, int(arg_sizes[i]), dtype=np.uint8).tobytes(),
            "ingress_expiry": 1_700_000_000_000_000_000 + int(rng.integers(0, 300_000_000_000)),
            "nonce": rng.integers(0, 256, 8, dtype=np.uint8).tobytes(),
        })
    return contents


def state_bytes(total_bytes: int, seed: int = 0) -> np.ndarray:
    """Checkpoint state to cut into manifest chunks (random bytes: SHA-256 cost does not depend on content)."""
    return random_bytes(total_bytes, seed)
