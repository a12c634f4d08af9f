"""The IC certification hash tree (IC interface spec, "Certification"; dfinity/ic rs/crypto/tree_hash).

empty = H(ds_empty); leaf(v) = H(ds_leaf || v); labeled(l, t) = H(ds_labeled || l || digest(t));
fork(a, b) = H(ds_fork || digest(a) || digest(b)); pruned(h) = h. Each domain separator is one length
byte followed by ASCII. `digest` hashes the whole tree level by level, one batch per level.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Union

from .levels import Job, run_levels


def _separator(name: str) -> bytes:
    return bytes([len(name)]) + name.encode("ascii")


DS_EMPTY = _separator("ic-hashtree-empty")
DS_FORK = _separator("ic-hashtree-fork")
DS_LABELED = _separator("ic-hashtree-labeled")
DS_LEAF = _separator("ic-hashtree-leaf")


@dataclass(frozen=True, eq=False)
class Empty:
    pass


@dataclass(frozen=True, eq=False)
class Leaf:
    value: bytes


@dataclass(frozen=True, eq=False)
class Fork:
    left: "Tree"
    right: "Tree"


@dataclass(frozen=True, eq=False)
class Labeled:
    label: bytes
    subtree: "Tree"


@dataclass(frozen=True, eq=False)
class Pruned:
    digest: bytes


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


def _jobs(root: Tree) -> Job | bytes:
    """The hash jobs of a tree (bytes for a pruned node, whose digest is given). Iterative post-order."""
    made: dict[int, Job | bytes] = {}
    stack: list[tuple[Tree, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in made:
            continue
        kids = (node.left, node.right) if isinstance(node, Fork) else (node.subtree,) if isinstance(node, Labeled) else ()
        if kids and not expanded:
            stack.append((node, True))
            stack.extend((k, False) for k in kids)
            continue
        if isinstance(node, Empty):
            made[id(node)] = Job([DS_EMPTY])
        elif isinstance(node, Leaf):
            made[id(node)] = Job([DS_LEAF, node.value])
        elif isinstance(node, Pruned):
            made[id(node)] = node.digest
        elif isinstance(node, Fork):
            made[id(node)] = Job([DS_FORK, made[id(node.left)], made[id(node.right)]])
        elif isinstance(node, Labeled):
            made[id(node)] = Job([DS_LABELED, node.label, made[id(node.subtree)]])
        else:
            raise TypeError(f"not a hash tree node: {type(node).__name__}")
    return made[id(root)]


def digest(tree: Tree, *, backend: str = "library") -> bytes:
    """Root digest of `tree`, every level of the tree hashed as one batch on `backend`."""
    from . import sha256_batch

    root = _jobs(_tree(tree, "tree"))
    if isinstance(root, bytes):
        return root
    return run_levels([root], lambda messages: sha256_batch(messages, backend=backend))[0]


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
