"""Dataset files: the hot paths' IC-shaped workloads stored with a manifest of SHA-256 digests, so a run can
prove it used the same inputs as another (`python -m kernels datasets`). The generators live with their hot
paths (`kernels/<hot path>/workloads.py`); this module only writes, loads and checks files."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .hashing import hashtree as ht
from .hashing import workloads as hashing_workloads
from .memory import workloads as memory_workloads

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
MANIFEST = DATASETS / "MANIFEST.json"


def _ingress_to_json(contents: list[dict]) -> list[dict]:
    return [{k: (v.hex() if isinstance(v, bytes) else v) for k, v in c.items()} for c in contents]


def ingress_from_json(records: list[dict]) -> list[dict]:
    blobs = ("sender", "canister_id", "arg", "nonce")
    return [{k: (bytes.fromhex(v) if k in blobs else v) for k, v in r.items()} for r in records]


def dataset_specs() -> dict[str, dict]:
    """Every dataset file the suite generates, with its generator parameters."""
    specs = {f"request_status_{n}.npz": {"kind": "request_status", "subtrees": n, "seed": 0}
             for n in hashing_workloads.REQUEST_STATUS_SIZES}
    specs["ingress_block_1000.json"] = {"kind": "ingress_block", "messages": hashing_workloads.BLOCK_MESSAGES, "seed": 0}
    specs["state_64MiB.bin"] = {"kind": "state", "bytes": 64 * 2**20, "seed": 0}
    specs["dirty_pages_256MiB.npz"] = {"kind": "dirty_patterns", "heap_bytes": 256 << 20,
                                       "rounds": memory_workloads.CHECKPOINT_ROUNDS, "seed": 0}
    return specs


def _write_one(path: Path, spec: dict) -> None:
    if spec["kind"] == "request_status":
        ids, replies = hashing_workloads.request_status_arrays(spec["subtrees"], spec["seed"])
        with open(path, "wb") as f:
            np.savez(f, ids=ids, replies=replies)
    elif spec["kind"] == "ingress_block":
        block = hashing_workloads.ingress_block(spec["messages"], spec["seed"])
        path.write_text(json.dumps(_ingress_to_json(block), indent=0))
    elif spec["kind"] == "dirty_patterns":
        mw = memory_workloads
        npages = spec["heap_bytes"] // mw.OS_PAGE_BYTES
        per_round = mw.round_dirty_pages(spec["heap_bytes"])
        arrays = {}
        for pattern in mw.DIRTY_PATTERNS:
            arrays[f"{pattern}_round"] = mw.dirty_page_set(pattern, npages, per_round, spec["seed"])
            union, sizes = mw.checkpoint_accumulation(pattern, npages, per_round, spec["rounds"], spec["seed"])
            arrays[f"{pattern}_checkpoint"], arrays[f"{pattern}_checkpoint_growth"] = union, sizes
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    elif spec["kind"] == "state":
        hashing_workloads.state_bytes(spec["bytes"], spec["seed"]).tofile(path)
    else:
        raise ValueError(f"unknown dataset kind {spec['kind']!r}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_datasets(folder: str | Path, names: list[str] | None = None) -> dict:
    """Generate dataset files into `folder`; return {name: spec + sha256 + bytes} (the manifest's entries)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, spec in dataset_specs().items():
        if names is not None and name not in names:
            continue
        _write_one(folder / name, spec)
        manifest[name] = spec | {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
    return manifest


def check_against_manifest(generated: dict, manifest_path: str | Path = MANIFEST) -> list[str]:
    """Names whose regenerated SHA-256 differs from the committed manifest (empty list: identical inputs)."""
    committed = json.loads(Path(manifest_path).read_text())
    return [name for name, entry in generated.items() if committed.get(name, {}).get("sha256") != entry["sha256"]]


def load_request_status_tree(path: str | Path) -> ht.Tree:
    with np.load(path) as f:
        return hashing_workloads.tree_from_arrays(f["ids"], f["replies"])
