"""Certification per round: the state tree a node hashes and signs every round (IC interface spec,
"Certification"): the request statuses of the round's messages (/request_status/<id>/{reply, status}), each
canister's certified data (/canister/<id>/certified_data) and /time, hashed with the suite's hash tree (library
and numba_cpu). Its cost per message is the round's cost over the round's messages. The canister count is an
assumption, stated as a constant.
"""
from __future__ import annotations

import numpy as np

from ..hashing import hashtree
from .stages import Candidate, rows_for

CANISTERS = 10_000  # assumed: canisters on a busy application subnet, each with certified data
REPLY_BYTES = 100  # tree-hash bench shape (dfinity/ic rs/crypto/tree_hash/benches; docs/REFERENCES.md s1)


def _balanced(leaves: list) -> hashtree.Tree:
    """A balanced fork tree over `leaves` (the replica's labeled trees are sorted, balanced forks)."""
    while len(leaves) > 1:
        leaves = [hashtree.fork(leaves[i], leaves[i + 1]) if i + 1 < len(leaves) else leaves[i]
                  for i in range(0, len(leaves), 2)]
    return leaves[0] if leaves else hashtree.empty()


def state_tree(statuses: int, canisters: int, seed: int = 0) -> hashtree.Tree:
    """A state tree with `statuses` request statuses (status + reply) and `canisters` certified data leaves."""
    rng = np.random.default_rng(seed)
    ids = sorted(rng.bytes(32) for _ in range(statuses))
    status = [hashtree.labeled(i, hashtree.fork(hashtree.labeled(b"reply", hashtree.leaf(rng.bytes(REPLY_BYTES))),
                                                hashtree.labeled(b"status", hashtree.leaf(b"replied"))))
              for i in ids]
    cans = [hashtree.labeled(rng.bytes(10), hashtree.labeled(b"certified_data", hashtree.leaf(rng.bytes(32))))
            for _ in range(canisters)]
    return hashtree.fork(hashtree.fork(hashtree.labeled(b"canister", _balanced(cans)),
                                       hashtree.labeled(b"request_status", _balanced(status))),
                         hashtree.labeled(b"time", hashtree.leaf(b"\x80\x80\x80\x80\x80\x80\x80\x80\x01")))


def stage_rows(workload: str, kind: str, messages_per_round: int, repeats: int = 3, threads: int = 1,
               canisters: int = CANISTERS) -> tuple[list, dict]:
    """StageRows of hashing one round's whole state tree, per message at `messages_per_round`, and facts about
    the tree (nodes, bytes hashed, seconds per round) for the validation table."""
    statuses = messages_per_round
    tree = state_tree(statuses, canisters)
    expected = hashtree.digest(tree, backend="library")
    if hashtree.digest(tree, backend="numba_cpu") != expected:
        raise AssertionError("numba_cpu hash tree disagrees with the library")
    candidates = [Candidate("library", "hashlib", lambda: hashtree.digest(tree, backend="library"),
                            messages_per_round, per_item_latency=False),
                  Candidate("numba_cpu", "numba_cpu", lambda: hashtree.digest(tree, backend="numba_cpu"),
                            messages_per_round, cores=threads, per_item_latency=False)]
    note = (f"the round's {statuses:,} request statuses and {canisters:,} canisters' certified data, hashed once "
            f"per round, over {messages_per_round:,} messages")
    rows = rows_for("state tree hashing", "certification", workload, kind, candidates, repeats, note=note)
    facts = {"nodes": hashtree.count_nodes(tree), "bytes_hashed": hashtree.hashed_bytes(tree),
             "round_s_library": rows[0].latency_s_per_request, "round_s_best": rows[1].latency_s_per_request}
    return rows, facts
