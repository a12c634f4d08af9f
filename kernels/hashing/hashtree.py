"""The IC certification hash tree (IC interface spec, "Certification"; dfinity/ic rs/crypto/tree_hash).

empty = H(ds_empty); leaf(v) = H(ds_leaf || v); labeled(l, t) = H(ds_labeled || l || digest(t));
fork(a, b) = H(ds_fork || digest(a) || digest(b)); pruned(h) = h. Each domain separator is one length
byte followed by ASCII. `digest` hashes the whole tree level by level, one batch per level: the tree is
planned into arrays (`plan`: marshal writes the nodes' plain-tuple rows in one C pass, a compiled pass reads
them), every message is laid out in one compiled pass (`messages`), then the levels are hashed deepest first.
"""
from __future__ import annotations

import hashlib
import marshal
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Union

import numpy as np
from numba import njit

from ..packing import Packed
from ..registry import backend_module


def _separator(name: str) -> bytes:
    return bytes([len(name)]) + name.encode("ascii")


DS_EMPTY = _separator("ic-hashtree-empty")
DS_FORK = _separator("ic-hashtree-fork")
DS_LABELED = _separator("ic-hashtree-labeled")
DS_LEAF = _separator("ic-hashtree-leaf")


EMPTY, LEAF, FORK, LABELED, PRUNED = range(5)  # node kinds, as plan and each node's `row` number them


# Every node also keeps, set once when it is built: `payload` (its bytes besides the domain separator and child
# digests), `children` (the nodes whose digests end its message, in order) and `row`, the same as plain tuples,
# (kind, payload, *the children's rows), referencing what the node already holds (no copy, nothing hashed). `plan`
# reads a whole tree from its root's row in two compiled-speed passes (see plan).
def _row(node) -> tuple | None:
    """A child's row; None for anything that is not a node, which plan then reports."""
    return node.row if type(node) in _KINDS else None


@dataclass(frozen=True, eq=False, slots=True)
class Empty:
    payload: bytes = field(default=b"", init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)
    row: tuple = field(default=(EMPTY, b""), init=False, repr=False)


@dataclass(frozen=True, eq=False, slots=True)
class Leaf:
    value: bytes
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)
    row: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.value)
        object.__setattr__(self, "row", (LEAF, self.value))


@dataclass(frozen=True, eq=False, slots=True)
class Fork:
    left: "Tree"
    right: "Tree"
    payload: bytes = field(default=b"", init=False, repr=False)
    children: tuple = field(init=False, repr=False)
    row: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "children", (self.left, self.right))
        object.__setattr__(self, "row", (FORK, b"", _row(self.left), _row(self.right)))


@dataclass(frozen=True, eq=False, slots=True)
class Labeled:
    label: bytes
    subtree: "Tree"
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(init=False, repr=False)
    row: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.label)
        object.__setattr__(self, "children", (self.subtree,))
        object.__setattr__(self, "row", (LABELED, self.label, _row(self.subtree)))


@dataclass(frozen=True, eq=False, slots=True)
class Pruned:
    digest: bytes
    payload: bytes = field(init=False, repr=False)
    children: tuple = field(default=(), init=False, repr=False)
    row: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "payload", self.digest)
        object.__setattr__(self, "row", (PRUNED, self.digest))


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
_KINDS = {Empty: EMPTY, Leaf: LEAF, Fork: FORK, Labeled: LABELED, Pruned: PRUNED}
_SEPARATORS = (DS_EMPTY, DS_LEAF, DS_FORK, DS_LABELED, b"")  # by kind; a pruned node is not hashed
_SEP_BYTES = np.frombuffer(b"".join(_SEPARATORS), np.uint8)
_SEP_OFF = np.cumsum([0] + [len(s) for s in _SEPARATORS]).astype(np.int64)
_CHILDREN = np.array([0, 0, 2, 1, 0], np.int64)  # child digests at the end of each kind's message


@dataclass(frozen=True)
class Plan:
    """A tree as arrays, nodes in breadth-first levels (root level first; every level one contiguous run, each
    node's children in order after its left neighbour's). A node's payload is its bytes besides its domain
    separator and child digests: a leaf's value, a label, a pruned node's digest, nothing for a fork or empty;
    every payload lies in `payload`, where `payload_start` says (`plan` leaves them in the stream it read,
    between the other fields; `plan_objects` puts them back to back, in node order)."""

    kind: np.ndarray  # int64, _KINDS code per node
    parent: np.ndarray  # int64, the parent's index (-1 for the root)
    slot: np.ndarray  # int64, which child digest of the parent (0 or 1)
    payload: np.ndarray  # uint8, holds every payload
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
    """The tree as arrays, at compiled speed: marshal writes the root's row (the whole tree as nested plain
    tuples) into one byte stream in C, then `_read_rows` reads that stream into the plan, numbering
    nodes breadth first; payloads stay where they lie in the stream. Format version 2 writes no back references,
    so a subtree referenced twice is planned (and hashed) twice, as the recursive definition does. A tree nested
    deeper than marshal allows (about 2 000 levels), or one holding something that is not a node, goes through
    `plan_objects` instead, which plans any depth and names the bad node. Nothing is kept between calls."""
    try:
        stream = np.frombuffer(marshal.dumps(_row(root), _MARSHAL_VERSION), np.uint8)
    except ValueError:  # too deep for marshal, or a payload it cannot write
        return plan_objects(root)
    kind, parent, slot, payload_start, payload_len, levels = _read_rows(stream, _CHILDREN)
    if levels.size == 0:  # not a stream of rows: a malformed node somewhere
        return plan_objects(root)
    return Plan(kind, parent, slot, stream, payload_start, payload_len, levels)


# CPython's marshal format, version 2 (Python/marshal.c; version 2 writes no back references): a tuple is b"("
# and its length, an int that fits 32 bits b"i" and its value, bytes-like data b"s", its length and the bytes;
# every number a little-endian int32. A row is therefore b"(", n, b"i", kind, b"s", len, payload, then the
# children's rows. The format is CPython's own and may change; `_read_rows` checks every type byte and count, and
# anything else sends the tree to `plan_objects`: slower then, never wrong.
_MARSHAL_VERSION = 2
_TUPLE, _INT, _BYTES = ord("("), ord("i"), ord("s")
_ROW_HEADER = 15  # b"(" n b"i" kind b"s" len: three type bytes and three int32


@njit
def _int32(stream, pos):
    return (np.int64(stream[pos]) | np.int64(stream[pos + 1]) << 8 | np.int64(stream[pos + 2]) << 16
            | np.int64(stream[pos + 3]) << 24)


@njit
def _read_rows(stream, children):
    """Plan arrays (kind, parent, slot, payload_start, payload_len, levels) of a marshalled row, nodes breadth
    first; every array empty if the stream is not exactly one well-formed row. Two passes over the stream: the
    first checks it and counts the nodes at each depth (the levels), the second writes each node straight into
    its place, each level left to right (the order `plan_objects` gives)."""
    empty = np.zeros(0, np.int64)
    cap = stream.size // _ROW_HEADER + 1  # at most this many rows, and as deep
    stack = np.empty((3, cap), np.int64)
    fill = np.zeros(cap, np.int64)
    n = _rows_pass(stream, children, False, fill, stack, empty, empty, empty, empty, empty)
    if n < 0:
        return empty, empty, empty, empty, empty, empty
    depths = 0
    while depths < cap and fill[depths]:
        depths += 1
    levels = np.zeros(depths + 1, np.int64)
    levels[1:] = np.cumsum(fill[:depths])
    fill[:depths] = levels[:-1]
    kind, parent, slot = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    start, length = np.empty(n, np.int64), np.empty(n, np.int64)
    _rows_pass(stream, children, True, fill, stack, kind, parent, slot, start, length)
    return kind, parent, slot, start, length, levels


@njit
def _rows_pass(stream, children, place, fill, stack, kind, parent, slot, start, length):
    """One pass in stream (depth-first) order. place=False: checks every row and counts the rows at each depth
    in fill; returns the count of rows, -1 if the stream is not one well-formed row. place=True: writes node
    fields at fill[depth] (the next free place in that level) and advances it. `stack` holds, per open node
    (one whose children are being read), its place, its child count and the children started."""
    open_node, open_children, started = stack[0], stack[1], stack[2]
    top = pos = n = 0
    while True:
        if not place and (pos + _ROW_HEADER > stream.size or stream[pos] != _TUPLE or stream[pos + 5] != _INT
                          or stream[pos + 10] != _BYTES):
            return -1
        k = _int32(stream, pos + 6)
        size = _int32(stream, pos + 11)
        if not place and (k < 0 or k > PRUNED or _int32(stream, pos + 1) != 2 + children[k]
                          or pos + _ROW_HEADER + size > stream.size or (k == PRUNED and size != 32)):
            return -1
        j = fill[top]
        fill[top] += 1
        if place:
            kind[j], start[j], length[j] = k, pos + _ROW_HEADER, size
            parent[j], slot[j] = (open_node[top - 1], started[top - 1]) if top else (-1, 0)
        if top:
            started[top - 1] += 1
        pos += _ROW_HEADER + size
        n += 1
        if children[k]:
            open_node[top], open_children[top], started[top] = j, children[k], 0
            top += 1
            continue
        while top and started[top - 1] == open_children[top - 1]:  # subtrees just completed
            top -= 1
        if top == 0:
            break
    if pos != stream.size:
        return -1
    return n


def plan_objects(root: Tree) -> Plan:
    """`plan` by walking the node objects level by level, with three C-level passes over each level's objects
    (their types, payloads and children), never a Python statement per node; parents and slots follow from the
    kinds with numpy. Plans any depth (no recursion): `plan`'s fallback, and its oracle in the tests."""
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
    message, -1 for the root)). Laid out and assembled in one compiled pass (`_lay_out`)."""
    return _lay_out(p.kind, p.parent, p.slot, p.payload, p.payload_start, p.payload_len, p.levels, _SEP_BYTES,
                    _SEP_OFF, _CHILDREN)


@njit
def _lay_out(kind, parent, slot, payload, payload_start, payload_len, levels, sep_bytes, sep_off, children):
    """`messages` of a plan: hashed nodes numbered deepest level first, each message's offset; then every
    message's domain separator and payload copied into place, and every pruned digest into its parent's
    message."""
    n = kind.size
    hashed, msg_off = np.empty(n, np.int64), np.zeros(n + 1, np.int64)
    level_starts = np.zeros(levels.size, np.int64)
    own, start = np.empty(n, np.int64), np.full(n, -1, np.int64)  # bytes before the child digests; message start
    h = 0
    for d in range(levels.size - 2, -1, -1):
        for k in range(levels[d], levels[d + 1]):
            own[k] = sep_off[kind[k] + 1] - sep_off[kind[k]] + payload_len[k]
            if kind[k] != PRUNED:
                hashed[h], start[k] = k, msg_off[h]
                msg_off[h + 1] = msg_off[h] + own[k] + 32 * children[kind[k]]
                h += 1
        level_starts[levels.size - 1 - d] = h
    dest = np.full(n, -1, np.int64)
    for k in range(n):
        if parent[k] >= 0:
            dest[k] = start[parent[k]] + own[parent[k]] + 32 * slot[k]
    buffer = np.empty(msg_off[h], np.uint8)
    for k in range(n):
        a, size = payload_start[k], payload_len[k]
        if kind[k] == PRUNED:  # its digest is its payload: straight into its parent's message
            if dest[k] >= 0:
                buffer[dest[k]:dest[k] + 32] = payload[a:a + 32]
            continue
        d, sep = start[k], sep_off[kind[k] + 1] - sep_off[kind[k]]
        buffer[d:d + sep] = sep_bytes[sep_off[kind[k]]:sep_off[kind[k] + 1]]
        buffer[d + sep:d + sep + size] = payload[a:a + size]
    return buffer, msg_off[:h + 1], hashed[:h], level_starts, dest


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
    the buffer, no copy), its digests written into their parents' messages; returns the root's digest. A backend
    module with its own `hash_levels` (numba_cpu: runs of levels in one compiled call) gets the whole tree."""
    from . import sha256_packed

    module = backend_module("sha256", backend)
    if hasattr(module, "hash_levels"):  # a backend that hashes a whole tree's levels in one call
        return module.hash_levels(buffer, msg_off, hashed, level_starts, dest)
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
