"""IC structures on SHA-256: hash trees, request ids, manifest chunks, on every fast backend."""
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels.hashing import hashtree as ht
from kernels.hashing import manifest_chunk_hashes, request_id, request_ids
from kernels.hashing.request_id import hash_of_value, leb128
from kernels.hashing.spec_examples import SPEC_REQUEST, SPEC_REQUEST_ID, SPEC_TREE, SPEC_TREE_DIGEST
from kernels import workloads

FAST = backend_params("hashtree", exclude=("numba_cuda",))
ALL = backend_params("hashtree")


def test_domain_separators_are_length_prefixed():
    assert ht.DS_EMPTY == b"\x11ic-hashtree-empty"
    assert ht.DS_FORK == b"\x10ic-hashtree-fork"
    assert ht.DS_LABELED == b"\x13ic-hashtree-labeled"
    assert ht.DS_LEAF == b"\x10ic-hashtree-leaf"


@pytest.mark.parametrize("backend", ALL)
def test_spec_tree_example(backend):
    assert ht.digest(SPEC_TREE, backend=backend).hex() == SPEC_TREE_DIGEST
    assert SPEC_TREE_DIGEST == "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"


def test_recursive_definition_matches_spec():
    assert ht.digest_recursive(SPEC_TREE).hex() == SPEC_TREE_DIGEST


def test_single_nodes():
    assert ht.digest(ht.empty()) == hashlib.sha256(b"\x11ic-hashtree-empty").digest()
    assert ht.digest(ht.leaf(b"v")) == hashlib.sha256(b"\x10ic-hashtree-leafv").digest()
    h = bytes(range(32))
    assert ht.digest(ht.pruned(h)) == h
    inner = ht.digest(ht.leaf(b"v"))
    assert ht.digest(ht.labeled(b"l", ht.pruned(inner))) == ht.digest(ht.labeled(b"l", ht.leaf(b"v")))


def trees(max_leaves=12):
    leaf = st.one_of(st.just(ht.empty()), st.binary(max_size=80).map(ht.leaf),
                     st.binary(min_size=32, max_size=32).map(ht.pruned))
    return st.recursive(leaf, lambda kids: st.one_of(
        st.tuples(kids, kids).map(lambda p: ht.fork(*p)),
        st.tuples(st.binary(max_size=40), kids).map(lambda p: ht.labeled(*p))), max_leaves=max_leaves)


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=30, deadline=None)
@given(tree=trees())
def test_level_by_level_matches_recursive(backend, tree):
    assert ht.digest(tree, backend=backend) == ht.digest_recursive(tree)


def test_deep_tree_does_not_recurse():
    tree = ht.leaf(b"x")
    for i in range(5000):
        tree = ht.labeled(str(i), tree)
    expected = ht.digest(ht.leaf(b"x"))
    for i in range(5000):
        expected = hashlib.sha256(ht.DS_LABELED + str(i).encode() + expected).digest()
    assert ht.digest(tree) == expected


def test_shared_subtree_is_hashed_once_and_right():
    shared = ht.leaf(b"same")
    tree = ht.fork(ht.labeled("a", shared), ht.labeled("b", shared))
    assert ht.digest(tree) == ht.digest_recursive(tree)


@pytest.mark.parametrize("backend", FAST)
def test_request_status_workload(backend):
    tree = workloads.request_status_tree(100, seed=1)
    assert ht.digest(tree, backend=backend) == ht.digest_recursive(tree)
    assert ht.count_nodes(tree) == 100 * 7 - 1 + 1  # 6 per subtree, 99 forks, the top label


@pytest.mark.parametrize("bad, error", [(lambda: ht.leaf(3), TypeError), (lambda: ht.fork(ht.empty(), "x"), TypeError),
                                        (lambda: ht.pruned(b"short"), ValueError), (lambda: ht.digest("tree"), TypeError)])
def test_bad_tree_input(bad, error):
    with pytest.raises(error):
        bad()


def test_leb128():
    assert leb128(0) == b"\x00"
    assert leb128(127) == b"\x7f"
    assert leb128(128) == b"\x80\x01"
    assert leb128(624485) == bytes.fromhex("e58e26")
    with pytest.raises(ValueError):
        leb128(-1)


@pytest.mark.parametrize("backend", ALL)
def test_spec_request_id(backend):
    assert request_id(SPEC_REQUEST).hex() == SPEC_REQUEST_ID
    assert request_ids([SPEC_REQUEST], backend=backend)[0].tobytes().hex() == SPEC_REQUEST_ID


@pytest.mark.parametrize("backend", FAST)
def test_request_ids_batch_matches_one_by_one(backend):
    block = workloads.ingress_block(30, seed=2)
    nested = dict(SPEC_REQUEST, paths=[[b"request_status", b"\x01" * 32], [b"time"]], extra={"k": 5, "m": "t"})
    contents = block + [nested, {}]
    got = request_ids(contents, backend=backend)
    assert [bytes(g) for g in got] == [hash_of_value(c) for c in contents]


def test_request_ids_empty_batch():
    assert request_ids([]).shape == (0, 32)


@pytest.mark.parametrize("bad", [{"a": True}, {"a": 1.5}, {1: b"x"}, {"a": None}])
def test_request_id_bad_values(bad):
    with pytest.raises(TypeError):
        request_id(bad)
    with pytest.raises(TypeError):
        request_ids([bad])


def test_request_id_rejects_non_dict():
    with pytest.raises(TypeError, match="content"):
        request_id([("a", 1)])


@pytest.mark.parametrize("backend", FAST)
@pytest.mark.parametrize("nbytes", [0, 1, 1000, 3 * 4096 + 17])
def test_manifest_chunks(backend, nbytes):
    data = np.random.default_rng(nbytes).integers(0, 256, nbytes, dtype=np.uint8)
    got = manifest_chunk_hashes(data, chunk_size=4096, backend=backend)
    expected = [hashlib.sha256(data[i:i + 4096].tobytes()).digest() for i in range(0, nbytes, 4096)]
    assert [bytes(g) for g in got] == expected


def test_manifest_default_chunk_is_one_mib():
    data = bytes(2**20 + 5)
    got = manifest_chunk_hashes(data, backend="numba_cpu")
    assert got.shape == (2, 32)
    assert bytes(got[1]) == hashlib.sha256(bytes(5)).digest()


def test_manifest_bad_input():
    with pytest.raises(TypeError):
        manifest_chunk_hashes("text")
    with pytest.raises(ValueError):
        manifest_chunk_hashes(b"abc", chunk_size=0)
