"""Workloads are deterministic and IC-shaped; dataset files match the committed manifest."""
import json

import numpy as np

from kernels import datasets
from kernels.hashing import hashtree as ht
from kernels.hashing import workloads
from kernels.random_data import random_messages

SMALL = ["request_status_100.npz", "request_status_1000.npz", "ingress_block_1000.json"]


def test_same_seed_same_workload():
    assert random_messages(5, 7, seed=3) == random_messages(5, 7, seed=3)
    assert random_messages(5, 7, seed=3) != random_messages(5, 7, seed=4)
    assert ht.digest(workloads.request_status_tree(50, 1)) == ht.digest(workloads.request_status_tree(50, 1))


def test_request_status_shape():
    ids, replies = workloads.request_status_arrays(100)
    assert ids.shape == (100, 32) and replies.shape == (100, 100)
    as_bytes = [bytes(r) for r in ids]
    assert as_bytes == sorted(as_bytes)


def test_ingress_block_shape():
    block = workloads.ingress_block(200, seed=1)
    assert len(block) == 200
    for content in block:
        assert content["request_type"] == "call"
        assert len(content["sender"]) == 29 and content["sender"][-1] == 2
        assert len(content["canister_id"]) == 10
    assert sum(len(c["arg"]) for c in block) <= workloads.BLOCK_BYTES


def test_datasets_match_committed_manifest(tmp_path):
    generated = datasets.write_datasets(tmp_path, SMALL)
    assert set(generated) == set(SMALL)
    assert datasets.check_against_manifest(generated) == []


def test_manifest_detects_a_changed_file(tmp_path):
    generated = datasets.write_datasets(tmp_path, ["request_status_100.npz"])
    generated["request_status_100.npz"]["sha256"] = "0" * 64
    assert datasets.check_against_manifest(generated) == ["request_status_100.npz"]


def test_sample_file_loads_to_the_same_tree():
    sample = datasets.DATASETS / "samples" / "request_status_100.npz"
    manifest = json.loads(datasets.MANIFEST.read_text())
    assert datasets.sha256_file(sample) == manifest["request_status_100.npz"]["sha256"]
    assert ht.digest(datasets.load_request_status_tree(sample)) == ht.digest(workloads.request_status_tree(100, 0))


def test_ingress_json_round_trip(tmp_path):
    datasets.write_datasets(tmp_path, ["ingress_block_1000.json"])
    loaded = datasets.ingress_from_json(json.loads((tmp_path / "ingress_block_1000.json").read_text()))
    assert loaded == workloads.ingress_block(1000, 0)


def test_state_bytes_deterministic():
    np.testing.assert_array_equal(workloads.state_bytes(1000, 5), workloads.state_bytes(1000, 5))
