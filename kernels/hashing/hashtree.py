"""The IC certification hash tree (IC interface spec, "Certification"; dfinity/ic rs/crypto/tree_hash).

empty = H(ds_empty); leaf(v) = H(ds_leaf || v); labeled(l, t) = H(ds_labeled || l || digest(t));
fork(a, b) = H(ds_fork || digest(a) || digest(b)); pruned(h) = h. Each domain separator is one length
byte followed by ASCII. `digest` hashes the whole tree level by level, one batch per level.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Union

import numpy as np
from numba import njit

from ..packing import Packed


def _separator(name: str) -> bytes:
    return bytes([len(name)]) + name.encode("ascii")


DS_EMPTY = _separator("ic-hashtree-empty")
DS_FORK = _separator("ic-hashtree-fork")
DS_LABELED = _separator("ic-hashtree-labeled")
DS_LEAF = _separator("ic-hashtree-leaf")


# Every node also keeps `payload` (its bytes besides the domain separator and child digests) and `children` (the
# nodes whose digests end its message, in order), set once when it is built, so that `plan` reads any node the same
# way, one C-level pass per level (see plan).
@dataclass(frozen=True, eq=False, slots=True)
class Empty:
    payload: bytes = field(default=b"", init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)


@dataclass(frozen=True, eq=False, slots=True)
class Leaf:
    value: bytes
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.value)


@dataclass(frozen=True, eq=False, slots=True)
class Fork:
    left: "Tree"
    right: "Tree"
    payload: bytes = field(default=b"", init=False, repr=False)
    children: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "children", (self.left, self.right))


@dataclass(frozen=True, eq=False, slots=True)
class Labeled:
    label: bytes
    subtree: "Tree"
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.label)
        object.__setattr__(self, "children", (self.subtree,))


@dataclass(frozen=True, eq=False, slots=True)
class Pruned:
    digest: bytes
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.digest)


Tree = Union[Empty, Leaf, Fork, Labeled, Pruned]
_TREE_TYPES = (Empty, Leaf, Fork, Labeled, Pruned)


def _blob(value, name: str) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes or str, got {type(value).__name__}")
    return bytes(value)


def _tree(value, name: str) -> Tree:
    if not isinstance(value, _TREE_TYPES):
        raise TypeError(f"{name} must be a hash tree node, got {type(value).__name__}")
    return value


def empty() -> Empty:
    return Empty()


def leaf(value: bytes | str) -> Leaf:
    return Leaf(_blob(value, "value"))


def fork(left: Tree, right: Tree) -> Fork:
    return Fork(_tree(left, "left"), _tree(right, "right"))


def labeled(label: bytes | str, subtree: Tree) -> Labeled:
    return Labeled(_blob(label, "label"), _tree(subtree, "subtree"))


def pruned(digest: bytes) -> Pruned:
    digest = _blob(digest, "digest")
    if len(digest) != 32:
        raise ValueError(f"digest must be 32 bytes, got {len(digest)}")
    return Pruned(digest)


# --- digest: the tree planned once, then each level's messages assembled in one pass ----------------------------
_KINDS = {Empty: 0, Leaf: 1, Fork: 2, Labeled: 3, Pruned: 4}
PRUNED = 4
_SEPARATORS = (DS_EMPTY, DS_LEAF, DS_FORK, DS_LABELED, b"")  # by kind; a pruned node is not hashed
_SEP_BYTES = np.frombuffer(b"".join(_SEPARATORS), np.uint8)
_SEP_OFF = np.cumsum([0] + [len(s) for s in _SEPARATORS]).astype(np.int64)
_CHILDREN = np.array([0, 0, 2, 1, 0], np.int64)  # child digests at the end of each kind's message


@dataclass(frozen=True)
class Plan:
    """A tree as arrays, nodes in breadth-first levels (root level first; every level one contiguous run, each
    node's children in order after its left neighbour's). A node's payload is its bytes besides its domain
    separator and child digests: a leaf's value, a label, a pruned node's digest, nothing for a fork or empty;
    payloads lie back to back in `payload`, in node order."""

    kind: np.ndarray  # int64, _KINDS code per node
    parent: np.ndarray  # int64, the parent's index (-1 for the root)
    slot: np.ndarray  # int64, which child digest of the parent (0 or 1)
    payload: np.ndarray  # uint8, every payload
    payload_start: np.ndarray  # int64, where each node's payload starts in `payload`
    payload_len: np.ndarray  # int64, its length (0 for none)
    levels: np.ndarray  # int64, boundaries of the levels


_PAYLOAD, _CHILDREN_OF = attrgetter("payload"), attrgetter("children")


def _kinds(level: list) -> np.ndarray:
    try:
        return np.fromiter(map(_KINDS.__getitem__, map(type, level)), np.int64, count=len(level))
    except KeyError as e:
        raise TypeError(f"not a hash tree node: {e.args[0].__name__}") from None


def plan(root: Tree) -> Plan:
    """The tree walked level by level with three C-level passes over each level's objects (their types, payloads
    and children), never a Python statement per node; parents and slots follow from the kinds with numpy. A
    subtree referenced twice is planned (and hashed) twice, as the recursive definition does; any depth is fine
    (no recursion)."""
    level = [root]
    base = 0
    kinds, parents, slots, bounds, payloads = [], [np.full(1, -1, np.int64)], [np.zeros(1, np.int64)], [0], []
    while level:
        n = len(level)
        kind = _kinds(level)
        kinds.append(kind)
        payloads.extend(map(_PAYLOAD, level))
        level = list(chain.from_iterable(map(_CHILDREN_OF, level)))
        count = _CHILDREN[kind]  # children per node: a fork's left then right, a label's subtree
        first = np.cumsum(count) - count
        parents.append(np.repeat(np.arange(base, base + n, dtype=np.int64), count))
        slots.append(np.arange(len(level), dtype=np.int64) - np.repeat(first, count))
        base += n
        bounds.append(base)
    payload_len = np.fromiter(map(len, payloads), np.int64, count=base)
    payload_start = np.cumsum(payload_len) - payload_len
    return Plan(np.concatenate(kinds), np.concatenate(parents)[:base], np.concatenate(slots)[:base],
                np.frombuffer(b"".join(payloads), np.uint8), payload_start, payload_len, np.array(bounds, np.int64))


@njit
def _assemble(kind, payload, payload_start, payload_len, sep_bytes, sep_off, hashed, msg_off, buffer):
    """Each hashed node's message without its child digests: domain separator, then payload, at msg_off."""
    for j in range(hashed.size):
        k = hashed[j]
        d = msg_off[j]
        for b in range(sep_off[kind[k]], sep_off[kind[k] + 1]):
            buffer[d] = sep_bytes[b]
            d += 1
        for b in range(payload_start[k], payload_start[k] + payload_len[k]):
            buffer[d] = payload[b]
            d += 1


@njit
def _scatter(buffer, dest, digests):
    """digests[j] (32 bytes) to buffer[dest[j]:] for every j with dest[j] >= 0 (the root has nowhere to go)."""
    for j in range(dest.size):
        if dest[j] >= 0:
            for b in range(32):
                buffer[dest[j] + b] = digests[j, b]


def messages(p: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The packed messages of every hashed node, deepest level first, child digests not yet filled in:
    (buffer, msg_off (per hashed node, + 1 boundary), hashed (their node indices), level_starts (boundaries of
    each level among the hashed nodes, deepest first), dest (per node: where its digest goes in its parent's
    message, -1 for the root))."""
    n = p.kind.size
    levels = [np.arange(p.levels[d], p.levels[d + 1]) for d in range(p.levels.size - 2, -1, -1)]
    order = np.concatenate(levels) if levels else np.zeros(0, np.int64)
    hashed = order[p.kind[order] != PRUNED]
    sep_len = np.diff(_SEP_OFF)
    own = sep_len[p.kind] + p.payload_len  # bytes before the child digests
    length = own + 32 * _CHILDREN[p.kind]
    msg_off = np.zeros(hashed.size + 1, np.int64)
    np.cumsum(length[hashed], out=msg_off[1:])
    start = np.full(n, -1, np.int64)
    start[hashed] = msg_off[:-1]
    dest = np.full(n, -1, np.int64)
    dest[1:] = start[p.parent[1:]] + own[p.parent[1:]] + 32 * p.slot[1:]
    buffer = np.empty(int(msg_off[-1]), np.uint8)
    _assemble(p.kind, p.payload, p.payload_start, p.payload_len, _SEP_BYTES, _SEP_OFF, hashed, msg_off, buffer)
    pruned = np.flatnonzero(p.kind == PRUNED)
    if pruned.size:  # a pruned node's digest is its payload: straight into its parent's message
        _scatter(buffer, dest[pruned], p.payload[p.payload_start[pruned][:, None] + np.arange(32)])
    sizes = [int((p.kind[level] != PRUNED).sum()) for level in levels]
    level_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return buffer, msg_off, hashed, level_starts, dest


def digest(tree: Tree, *, backend: str = "library") -> bytes:
    """Root digest of `tree`: planned once (plan), every level's messages assembled in one pass into one packed
    buffer (domain separators, labels and values; pruned digests), then hashed level by level, deepest first,
    each level as one batch on `backend`, its digests written straight into their parents' messages."""
    root = _tree(tree, "tree")
    if isinstance(root, Pruned):
        return root.digest
    return hash_levels(*messages(plan(root)), backend)


def hash_levels(buffer: np.ndarray, msg_off: np.ndarray, hashed: np.ndarray, level_starts: np.ndarray,
                dest: np.ndarray, backend: str) -> bytes:
    """Hash the assembled messages level by level, deepest first, each level one batch on `backend` (a slice of
    the buffer, no copy), its digests written into their parents' messages; returns the root's digest."""
    from . import sha256_packed

    digests = np.zeros((0, 32), np.uint8)
    for a, b in zip(level_starts[:-1].tolist(), level_starts[1:].tolist()):
        if a == b:
            continue
        base = msg_off[a]
        level = Packed(buffer[base:msg_off[b]], msg_off[a:b + 1] - base)
        digests = sha256_packed(level, backend=backend)
        _scatter(buffer, dest[hashed[a:b]], digests)
    return digests[-1].tobytes()


def digest_recursive(tree: Tree) -> bytes:
    """The spec's recursive definition with hashlib, one hash at a time: the oracle for `digest`."""
    if isinstance(tree, Empty):
        return hashlib.sha256(DS_EMPTY).digest()
    if isinstance(tree, Leaf):
        return hashlib.sha256(DS_LEAF + tree.value).digest()
    if isinstance(tree, Pruned):
        return tree.digest
    if isinstance(tree, Fork):
        return hashlib.sha256(DS_FORK + digest_recursive(tree.left) + digest_recursive(tree.right)).digest()
    if isinstance(tree, Labeled):
        return hashlib.sha256(DS_LABELED + tree.label + digest_recursive(tree.subtree)).digest()
    raise TypeError(f"not a hash tree node: {type(tree).__name__}")


def count_nodes(tree: Tree) -> int:
    """Number of nodes (hashes to compute, pruned ones aside), for throughput figures."""
    n, stack = 0, [tree]
    while stack:
        node = stack.pop()
        n += not isinstance(node, Pruned)
        if isinstance(node, Fork):
            stack += [node.left, node.right]
        elif isinstance(node, Labeled):
            stack.append(node.subtree)
    return n


def hashed_bytes(tree: Tree) -> int:
    """Bytes SHA-256 reads to digest `tree` (every node's domain separator, label or value, child digests)."""
    n, stack = 0, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Empty):
            n += len(DS_EMPTY)
        elif isinstance(node, Leaf):
            n += len(DS_LEAF) + len(node.value)
        elif isinstance(node, Fork):
            n += len(DS_FORK) + 64
            stack += [node.left, node.right]
        elif isinstance(node, Labeled):
            n += len(DS_LABELED) + len(node.label) + 32
            stack.append(node.subtree)
    return n
