"""IC-shaped workloads, deterministic by seed (REFERENCES.md section 1 for every shape used here).

Generators return Python objects ready for the kernels; `write_datasets` stores them as files with a
manifest of SHA-256 digests so a run can prove it used the same inputs as another.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .hashing import hashtree as ht

# dfinity/ic rs/crypto/tree_hash/benches/tree_hash.rs: request_status trees of these sizes,
# 32-byte labels (request ids), 100-byte replies.
REQUEST_STATUS_SIZES = (100, 1_000, 10_000)
REQUEST_ID_BYTES = 32
REPLY_BYTES = 100
BLOCK_MESSAGES = 1_000  # at most 1 000 messages per block (IC docs, dfinity/ic config)
BLOCK_BYTES = 4 * 2**20  # at most 4 MiB per block
STATE_CHUNK_BYTES = 1 << 20  # state manifest chunk size


def random_messages(count: int, size: int, seed: int = 0) -> list[bytes]:
    """`count` random messages of `size` bytes each."""
    data = np.random.default_rng(seed).integers(0, 256, count * size, dtype=np.uint8).tobytes()
    return [data[i * size:(i + 1) * size] for i in range(count)]


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
    return np.random.default_rng(seed).integers(0, 256, total_bytes, dtype=np.uint8)


# --- dataset files ------------------------------------------------------------------------------------------

def _ingress_to_json(contents: list[dict]) -> list[dict]:
    return [{k: (v.hex() if isinstance(v, bytes) else v) for k, v in c.items()} for c in contents]


def ingress_from_json(records: list[dict]) -> list[dict]:
    blobs = ("sender", "canister_id", "arg", "nonce")
    return [{k: (bytes.fromhex(v) if k in blobs else v) for k, v in r.items()} for r in records]


def dataset_specs() -> dict[str, dict]:
    """Every dataset file the suite generates, with its generator parameters."""
    specs = {f"request_status_{n}.npz": {"kind": "request_status", "subtrees": n, "seed": 0}
             for n in REQUEST_STATUS_SIZES}
    specs["ingress_block_1000.json"] = {"kind": "ingress_block", "messages": BLOCK_MESSAGES, "seed": 0}
    specs["state_64MiB.bin"] = {"kind": "state", "bytes": 64 * 2**20, "seed": 0}
    return specs


def _write_one(path: Path, spec: dict) -> None:
    if spec["kind"] == "request_status":
        ids, replies = request_status_arrays(spec["subtrees"], spec["seed"])
        with open(path, "wb") as f:
            np.savez(f, ids=ids, replies=replies)
    elif spec["kind"] == "ingress_block":
        path.write_text(json.dumps(_ingress_to_json(ingress_block(spec["messages"], spec["seed"])), indent=0))
    elif spec["kind"] == "state":
        state_bytes(spec["bytes"], spec["seed"]).tofile(path)
    else:
        raise ValueError(f"unknown dataset kind {spec['kind']!r}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


DATASETS = Path(__file__).resolve().parents[1] / "datasets"
MANIFEST = DATASETS / "MANIFEST.json"


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
        return tree_from_arrays(f["ids"], f["replies"])
