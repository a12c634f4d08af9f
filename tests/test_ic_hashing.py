"""IC structures on SHA-256: hash trees, request ids (and the value hash with LEB128 / SLEB128 integers),
manifest chunks, on every fast backend; the hashing hot path's correctness check and IC sweeps."""
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import backend_params
from kernels.hashing import HOT_PATH, Int, Nat, hash_value, manifest_chunk_hashes, numba_cpu, request_id, request_ids
from kernels.hashing import hashtree as ht
from kernels.hashing import workloads
from kernels.hashing.request_id import leb128, sleb128
from kernels.hashing.spec_examples import SPEC_REQUEST, SPEC_REQUEST_ID, SPEC_TREE, SPEC_TREE_DIGEST
from kernels.measure import Settings

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


def test_shared_subtree_hashes_right():
    shared = ht.leaf(b"same")
    tree = ht.fork(ht.labeled("a", shared), ht.labeled("b", shared))
    assert ht.digest(tree) == ht.digest_recursive(tree)


def test_plan_is_breadth_first_levels_with_parents_and_payloads():
    tree = ht.labeled("top", ht.fork(ht.leaf(b"v"), ht.pruned(bytes(32))))
    p = ht.plan(tree)
    assert p.kind.tolist() == [3, 2, 1, 4] and p.parent.tolist() == [-1, 0, 1, 1] and p.slot.tolist() == [0, 0, 0, 1]
    assert p.levels.tolist() == [0, 1, 2, 4]
    payloads = [p.payload[a:a + n].tobytes() for a, n in zip(p.payload_start, p.payload_len)]
    assert payloads == [b"top", b"", b"v", bytes(32)]


def test_plan_lists_each_nodes_children_in_order_after_its_left_neighbours():
    left, right = ht.fork(ht.leaf(b"a"), ht.leaf(b"b")), ht.labeled("c", ht.empty())
    p = ht.plan(ht.fork(left, right))
    assert p.kind.tolist() == [2, 2, 3, 1, 1, 0] and p.parent.tolist() == [-1, 0, 0, 1, 1, 2]
    assert p.slot.tolist() == [0, 0, 1, 0, 1, 0] and p.levels.tolist() == [0, 1, 3, 6]
    assert ht.leaf(b"v").children == () and right.children == (right.subtree,) and left.children == (left.left, left.right)


def test_assembled_messages_are_the_specs_with_child_digests_filled_in():
    """The packed buffer holds each node's message (separator, payload, zeroed slots for child digests, pruned
    digests already in place); hashing the levels fills the slots and ends at the recursive root digest."""
    tree = ht.labeled("top", ht.fork(ht.leaf(b"v"), ht.pruned(bytes(range(32)))))
    buffer, msg_off, hashed, level_starts, dest = ht.messages(ht.plan(tree))
    assert hashed.tolist() == [2, 1, 0] and level_starts.tolist() == [0, 1, 2, 3]  # the pruned node is not hashed
    fork = buffer[msg_off[1]:msg_off[2]].tobytes()
    assert fork[:len(ht.DS_FORK)] == ht.DS_FORK and fork[-32:] == bytes(range(32))
    assert ht.hash_levels(buffer, msg_off, hashed, level_starts, dest, "library") == ht.digest_recursive(tree)


def test_unknown_node_inside_a_tree_is_a_type_error():
    with pytest.raises(TypeError, match="not a hash tree node: str"):
        ht.digest(ht.Fork(ht.empty(), "x"))


@pytest.mark.parametrize("backend", FAST)
def test_request_status_workload(backend):
    tree = workloads.request_status_tree(100, seed=1)
    assert ht.digest(tree, backend=backend) == ht.digest_recursive(tree)
    assert ht.count_nodes(tree) == 100 * 7 - 1 + 1  # 6 per subtree, 99 forks, the top label


def test_hashed_bytes_is_what_the_levels_hash():
    tree = workloads.request_status_tree(5, seed=3)
    buffer, msg_off, hashed, _, _ = ht.messages(ht.plan(tree))
    assert ht.hashed_bytes(tree) == buffer.size == msg_off[-1] and hashed.size == ht.count_nodes(tree)


def test_hashtree_target_checks_against_the_recursive_definition():
    result = HOT_PATH.targets()["hashtree"]("smoke")
    assert result.goal_ratio == 2.0 and result.checked and result.items == 700
    assert result.baseline == "hashtree.digest(tree, backend='library')"
    assert "numba_cpu" in result.candidates and result.candidates["numba_cpu"]["kernel_ratio"] > 0


def test_hashtree_target_rejects_a_wrong_kernel(monkeypatch):
    real = numba_cpu.hash_levels
    monkeypatch.setattr(numba_cpu, "hash_levels", lambda *levels: bytes(31) + real(*levels)[:1])
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.targets()["hashtree"]("smoke")


# --- plan (marshalled rows read at compiled speed) against plan_objects (the node objects walked) ---------------
def assert_same_plan(p, q):
    for name in ("kind", "parent", "slot", "payload_len", "levels"):
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name), err_msg=name)
    assert [p.payload[a:a + n].tobytes() for a, n in zip(p.payload_start, p.payload_len)] == \
        [q.payload[a:a + n].tobytes() for a, n in zip(q.payload_start, q.payload_len)]


@settings(max_examples=60, deadline=None)
@given(tree=trees(max_leaves=40))
def test_plan_matches_the_object_walk(tree):
    assert_same_plan(ht.plan(tree), ht.plan_objects(tree))


def test_plan_of_shared_subtrees_and_of_the_spec_tree_matches_the_object_walk():
    shared = ht.fork(ht.leaf(b"same"), ht.pruned(bytes(range(32))))
    for tree in (ht.fork(ht.labeled("a", shared), ht.labeled("b", shared)), SPEC_TREE,
                 workloads.request_status_tree(37, seed=4), ht.empty(), ht.leaf(b""), ht.pruned(bytes(32))):
        assert_same_plan(ht.plan(tree), ht.plan_objects(tree))


def test_rows_are_the_nodes_as_plain_tuples():
    left, right = ht.leaf(b"v"), ht.pruned(bytes(32))
    tree = ht.labeled("l", ht.fork(left, right))
    assert tree.row == (ht.LABELED, b"l", (ht.FORK, b"", (ht.LEAF, b"v"), (ht.PRUNED, bytes(32))))
    assert ht.empty().row == (ht.EMPTY, b"")


def test_read_rows_rejects_a_cut_or_padded_stream():
    import marshal

    stream = np.frombuffer(marshal.dumps(workloads.request_status_tree(3, seed=2).row, 2), np.uint8)
    assert ht._read_rows(stream, ht._CHILDREN)[-1].size > 0
    for end in range(stream.size):
        assert ht._read_rows(stream[:end], ht._CHILDREN)[-1].size == 0, end
    padded = np.concatenate([stream, np.zeros(1, np.uint8)])
    assert ht._read_rows(padded, ht._CHILDREN)[-1].size == 0


@pytest.mark.parametrize("make", [lambda: ht.Leaf(3), lambda: ht.Leaf("text"), lambda: ht.Labeled(b"l", "x"),
                                  lambda: ht.Fork(ht.leaf(b"a"), None), lambda: ht.Fork(ht.empty(), (ht.LEAF, b"v")),
                                  lambda: ht.Labeled(b"l", ht.Leaf(object()))],
                         ids=["int-value", "str-value", "str-subtree", "none-child", "tuple-child", "object-value"])
def test_malformed_nodes_built_directly_are_type_errors(make):
    """Classes called directly skip the constructors' checks; digest still refuses what is not a tree."""
    with pytest.raises(TypeError):
        ht.digest(make())


@pytest.mark.parametrize("path", [pytest.param(p, id=p, marks=[pytest.mark.skip(reason=r)]
                                               if (r := numba_cpu.path_unavailable_reason(p)) else [])
                                  for p in numba_cpu.PATHS])
@pytest.mark.parametrize("parallel", [False, True], ids=["one-call", "big-levels-on-all-cores"])
def test_numba_cpu_hash_levels_on_every_path(path, parallel, monkeypatch):
    """The whole tree in one compiled call, and (threshold lowered) with its bigger levels on all cores, on every
    numba_cpu path (fallbacks forced), against the recursive definition with hashlib."""
    monkeypatch.setattr(numba_cpu, "SERIAL_BELOW_BLOCKS", 64 if parallel else 1 << 40)
    for tree in (SPEC_TREE, workloads.request_status_tree(150, seed=5), ht.leaf(b""),
                 ht.labeled("a", ht.pruned(bytes(32)))):
        assert numba_cpu.hash_levels(*ht.messages(ht.plan(tree)), path=path) == ht.digest_recursive(tree)


@pytest.mark.parametrize("bad, error", [(lambda: ht.leaf(3), TypeError), (lambda: ht.fork(ht.empty(), "x"), TypeError),
                                        (lambda: ht.pruned(b"short"), ValueError), (lambda: ht.digest("tree"), TypeError)])
def test_bad_tree_input(bad, error):
    with pytest.raises(error):
        bad()


@pytest.mark.parametrize("n, encoded", [(0, "00"), (63, "3f"), (64, "40"), (127, "7f"), (128, "8001"),
                                        (624485, "e58e26")])
def test_leb128_known_encodings(n, encoded):
    assert leb128(n).hex() == encoded


def test_leb128_rejects_negative_pointing_to_sleb128():
    with pytest.raises(ValueError, match="sleb128"):
        leb128(-1)


@pytest.mark.parametrize("n, encoded", [(0, "00"), (-1, "7f"), (63, "3f"), (64, "c000"), (-64, "40"), (-65, "bf7f"),
                                        (127, "ff00"), (-128, "807f"), (-123456, "c0bb78")])
def test_sleb128_known_encodings(n, encoded):
    assert sleb128(n).hex() == encoded


def sha(hex_bytes):
    return hashlib.sha256(bytes.fromhex(hex_bytes)).digest()


@pytest.mark.parametrize("value, encoded", [(64, "40"), (Nat(64), "40"), (Int(64), "c000"), (Int(5), "05"),
                                            (-1, "7f"), (Int(-1), "7f"), (-65, "bf7f"), (Int(-123456), "c0bb78")])
def test_value_hash_of_integers_uses_leb128_for_nat_and_sleb128_for_int(value, encoded):
    assert hash_value(value) == sha(encoded)


def test_value_hash_of_text_blob_array_and_map():
    assert hash_value("é") == sha("c3a9")  # UTF-8
    assert hash_value(b"\x00\x01") == sha("0001")
    assert hash_value(["a", b"b"]) == hashlib.sha256(sha("61") + sha("62")).digest()
    pairs = sorted([sha("6b") + sha("76"), sha("61") + sha("7f")])  # {"k": "v", "a": -1}
    assert hash_value({"k": "v", "a": -1}) == hashlib.sha256(b"".join(pairs)).digest()


def test_nat_and_int_reject_bad_values():
    with pytest.raises(ValueError, match=r"Int\(-1\)"):
        Nat(-1)
    with pytest.raises(TypeError):
        Nat(True)
    with pytest.raises(TypeError):
        Int("3")
    with pytest.raises(TypeError):
        hash_value(1.5)


@pytest.mark.parametrize("backend", FAST)
def test_request_ids_hash_signed_fields_like_the_value_hash(backend):
    contents = [{"a": Int(-5), "b": Nat(300), "c": -1, "d": [Int(64), 64]}, dict(SPEC_REQUEST, offset=Int(-7))]
    assert [bytes(g) for g in request_ids(contents, backend=backend)] == [hash_value(c) for c in contents]


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
    assert [bytes(g) for g in got] == [hash_value(c) for c in contents]


def _values():
    scalar = st.one_of(st.binary(max_size=70), st.text(max_size=20), st.integers(-2**70, 2**70),
                       st.integers(-2**70, 2**70).map(Int), st.integers(0, 2**70).map(Nat))
    return st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                        max_leaves=6)


@pytest.mark.parametrize("backend", FAST)
@settings(max_examples=30, deadline=None)
@given(contents=st.lists(st.dictionaries(st.text(max_size=8), _values(), max_size=8), max_size=6))
def test_request_ids_match_the_recursive_value_hash(backend, contents):
    """Fuzzed batches: shared and distinct field names, empty maps, every scalar type, nested arrays and maps."""
    got = request_ids(contents, backend=backend)
    assert got.shape == (len(contents), 32)
    assert [bytes(g) for g in got] == [hash_value(c) for c in contents]


def test_request_ids_sort_each_requests_fields_bytewise():
    """Many fields per request, so that the batched sort's order within a request is exercised (a request's map
    message is its field rows in bytewise order, not in insertion order or interleaved with other requests)."""
    contents = [{f"field{i}": i * j for i in range(40)} for j in range(3)] + [{"z": b"", "a": b""}]
    assert [bytes(g) for g in request_ids(contents)] == [hash_value(c) for c in contents]


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


# --- the hot path: correctness check and IC sweeps ------------------------------------------------------------
FAST_SETTINGS = Settings(warmup=0, min_repeats=1, min_seconds=0.0, energy_seconds=0.0)


def test_check_agrees_or_records_why_a_backend_did_not_run():
    table = HOT_PATH.check(["reference", "library", "numba_cpu", "cupy"], "smoke")
    assert set(table.operation) == set(HOT_PATH.operations)
    paths = {f"numba_cpu ({p} path)" for p in numba_cpu.PATHS}
    assert set(table.backend) == {"reference", "library", "numba_cpu", "cupy"} | paths
    assert all(r == "agrees" or r.startswith("unavailable: ") for r in table.result)
    for p in numba_cpu.PATHS:  # every path runs here, or says why not
        (result,) = table[table.backend == f"numba_cpu ({p} path)"].result
        assert result == ("agrees" if numba_cpu.path_unavailable_reason(p) is None else
                          f"unavailable: {numba_cpu.path_unavailable_reason(p)}")
    assert set(table[table.backend.isin(["reference", "library", "numba_cpu"])].result) == {"agrees"}


def test_check_fails_on_a_wrong_kernel(monkeypatch):
    def wrong(packed, path=None):
        out = numba_cpu_sha256(packed, path)
        out[-1, 0] ^= 1
        return out

    numba_cpu_sha256 = numba_cpu.sha256_packed
    monkeypatch.setattr(numba_cpu, "sha256_packed", wrong)
    with pytest.raises(AssertionError, match="numba_cpu"):
        HOT_PATH.check(["numba_cpu"], "smoke")


def test_ic_sweeps_carry_their_parameters_as_columns():
    backends = ["library", "numba_cpu"]
    trees = HOT_PATH.run_sweep("hashtree", "smoke", backends, settings=FAST_SETTINGS, progress=False)
    assert set(trees.subtrees) == {100} and set(trees.batch_size) == {700} and set(trees.phase) == {"end_to_end"}
    ids = HOT_PATH.run_sweep("request_id", "smoke", backends, settings=FAST_SETTINGS, progress=False)
    assert set(ids.requests) == {100} and set(ids.batch_size) == {100}
    chunks = HOT_PATH.run_sweep("manifest_chunks", "smoke", backends, settings=FAST_SETTINGS, progress=False)
    assert set(chunks.state_bytes) == {4 * 2**20} and set(chunks.chunk_bytes) == {2**20}
    assert set(chunks[chunks.backend == "numba_cpu"].phase) == {"kernel", "end_to_end"}  # one buffer: no pack


def test_reference_runs_only_the_small_tree():
    sweep = HOT_PATH.cases("quick")["hashtree"]
    sweep.workloads = sweep.workloads[1:2]  # 1 000 subtrees
    (item,) = list(sweep.cases(["reference"]))
    assert "reference" in str(item) and "bytes per batch" in str(item)
