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


# --- memory: orthogonal persistence (REFERENCES.md section 1) ----------------------------------------------

OS_PAGE_BYTES = 4096  # the unit the IC tracks and persists
WASM_PAGE_BYTES = 65536  # the unit of memory.grow
HEAP_MAX_BYTES = 4 << 30  # Wasm heap limit per canister (dfinity/ic embedders config)
ROUND_DIRTY_MAX_BYTES = 75 << 20  # dirty bytes per canister per round (dfinity/ic embedders config)
CHECKPOINT_ROUNDS = 500  # rounds between checkpoints
DIRTY_PATTERNS = ("sparse", "clustered", "stack")
MEAN_RUN_PAGES = 16  # clustered pattern: mean run length (assumed: a 64 KiB object or a Wasm page)
STACK_PAGES = 256  # Rust's default Wasm shadow stack, 1 MiB at the bottom of the memory (rustc wasm32 default)


def round_dirty_pages(heap_bytes: int, page_size: int = OS_PAGE_BYTES) -> int:
    """Dirty pages per round for a heap scaled down from the IC's limits: 75 MiB of a 4 GiB heap (1.83 %),
    the same fraction of `heap_bytes`, at least one page."""
    return max(1, heap_bytes * ROUND_DIRTY_MAX_BYTES // HEAP_MAX_BYTES // page_size)


def dirty_page_set(pattern: str, npages: int, count: int, seed: int = 0) -> np.ndarray:
    """`count` distinct page indices of a memory of `npages`, sorted (int64):
    sparse    uniformly random pages;
    clustered runs of consecutive pages (geometric lengths, mean MEAN_RUN_PAGES) at random starts;
    stack     the top of the shadow stack (the first STACK_PAGES pages, written from the top down) first,
              then sparse heap pages above it: stack-like hot pages."""
    if pattern not in DIRTY_PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(DIRTY_PATTERNS)}")
    if not 0 <= count <= npages:
        raise ValueError(f"count must lie in [0, {npages}], got {count}")
    rng = np.random.default_rng(seed)
    if pattern == "sparse" or count == npages:
        return np.sort(rng.choice(npages, count, replace=False)).astype(np.int64)
    if pattern == "stack":
        stack = min(STACK_PAGES, npages)
        hot = np.arange(stack - min(count, stack), stack, dtype=np.int64)
        rest = count - hot.size
        heap = stack + rng.choice(npages - stack, rest, replace=False) if rest else np.zeros(0, np.int64)
        return np.sort(np.concatenate([hot, heap])).astype(np.int64)
    mask = np.zeros(npages, bool)
    marked = 0
    while marked < count:
        start = int(rng.integers(npages))
        length = int(rng.geometric(1 / MEAN_RUN_PAGES))
        run = np.arange(start, min(start + length, npages))
        new = run[~mask[run]][: count - marked]
        mask[new] = True
        marked += new.size
    return np.flatnonzero(mask).astype(np.int64)


def heap_image(nbytes: int, seed: int = 0) -> np.ndarray:
    """A memory image to write into (random bytes: comparing and copying costs do not depend on content)."""
    return np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8)


def written_image(before: np.ndarray, pages: np.ndarray, page_size: int = OS_PAGE_BYTES, seed: int = 0,
                  writes_per_page: int = 4) -> np.ndarray:
    """A copy of `before` in which each page of `pages` has 1..writes_per_page bytes changed at random
    offsets (every change flips at least one bit, so exactly `pages` are dirty)."""
    after = before.copy()
    if len(pages) == 0:
        return after
    rng = np.random.default_rng(seed)
    pages = np.asarray(pages, np.int64)
    counts = rng.integers(1, writes_per_page + 1, pages.size)
    owners = np.repeat(pages, counts)
    offsets = owners * page_size + rng.integers(0, page_size, owners.size)
    offsets = np.unique(offsets)  # one flip per byte, so no two writes cancel out
    after[offsets] ^= rng.integers(1, 256, offsets.size, dtype=np.uint8)
    return after


HOT_FRACTION = 0.5  # assumed: half of a round's writes go to pages written every round (stack, counters)
WORKING_SET_FRACTION = 0.25  # assumed: the other half falls in the lowest quarter of the heap (the live data)


def round_page_sets(pattern: str, npages: int, per_round: int, rounds: int, seed: int = 0,
                    hot_fraction: float = HOT_FRACTION,
                    working_set_fraction: float = WORKING_SET_FRACTION) -> list[np.ndarray]:
    """Each round's dirty pages: a hot set rewritten every round (`hot_fraction` of `per_round`, the same
    pages each time) plus fresh pages drawn with `pattern` inside the working set (the lowest
    `working_set_fraction` of the memory). The union over rounds is the checkpoint delta."""
    hot = dirty_page_set(pattern, npages, int(per_round * hot_fraction), seed)
    working_set = max(per_round, int(npages * working_set_fraction))
    sets = []
    for r in range(rounds):
        fresh = dirty_page_set(pattern, working_set, per_round - hot.size, seed + 1 + r)
        sets.append(np.union1d(hot, fresh).astype(np.int64))
    return sets


def checkpoint_accumulation(pattern: str, npages: int, per_round: int, rounds: int = CHECKPOINT_ROUNDS,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The pages a checkpoint copies after `rounds` rounds (the union of every round's dirty pages, sorted)
    and the size of that union after each round (how the delta grows between checkpoints)."""
    mask = np.zeros(npages, bool)
    sizes = np.empty(rounds, np.int64)
    for r, pages in enumerate(round_page_sets(pattern, npages, per_round, rounds, seed)):
        mask[pages] = True
        sizes[r] = int(mask.sum())
    return np.flatnonzero(mask).astype(np.int64), sizes


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
    specs["dirty_pages_256MiB.npz"] = {"kind": "dirty_patterns", "heap_bytes": 256 << 20, "rounds": CHECKPOINT_ROUNDS,
                                       "seed": 0}
    return specs


def _write_one(path: Path, spec: dict) -> None:
    if spec["kind"] == "request_status":
        ids, replies = request_status_arrays(spec["subtrees"], spec["seed"])
        with open(path, "wb") as f:
            np.savez(f, ids=ids, replies=replies)
    elif spec["kind"] == "ingress_block":
        path.write_text(json.dumps(_ingress_to_json(ingress_block(spec["messages"], spec["seed"])), indent=0))
    elif spec["kind"] == "dirty_patterns":
        npages = spec["heap_bytes"] // OS_PAGE_BYTES
        per_round = round_dirty_pages(spec["heap_bytes"])
        arrays = {}
        for pattern in DIRTY_PATTERNS:
            arrays[f"{pattern}_round"] = dirty_page_set(pattern, npages, per_round, spec["seed"])
            union, sizes = checkpoint_accumulation(pattern, npages, per_round, spec["rounds"], spec["seed"])
            arrays[f"{pattern}_checkpoint"], arrays[f"{pattern}_checkpoint_growth"] = union, sizes
        with open(path, "wb") as f:
            np.savez(f, **arrays)
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


# --- checksum workloads (issue 5) ---------------------------------------------------------------------------

# Per-packet payloads a NIC checksums: a standard Ethernet MTU (IEEE 802.3), a jumbo frame, and the 64 KiB
# segments that TCP segmentation/receive offload hands the host (the IP total-length field caps them).
PACKET_BYTES = {"mtu-1500": 1500, "jumbo-9000": 9000, "segment-64KiB": 65536}
INGRESS_MAX_BYTES = 2 * 2**20  # ingress message up to 2 MiB (IC docs, dfinity/ic config)
INGRESS_MIN_BYTES = 100  # a call with a tiny Candid argument: envelope, sender, nonce, signature (assumed floor)
PRINCIPAL_BYTES = 29  # self-authenticating principal: SHA-224 of the public key (28 B) + 0x02


def packets(count: int, packet_bytes: int, seed: int = 0) -> list[bytes]:
    """`count` random packets of `packet_bytes` each (checksum cost does not depend on content)."""
    return random_messages(count, packet_bytes, seed)


def ingress_message_sizes(count: int, seed: int = 0) -> np.ndarray:
    """Sizes of `count` ingress messages: log-uniform between 100 B and the 2 MiB limit (most are small, a few
    approach the limit), an assumed mix since the IC publishes no size distribution."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(np.log(INGRESS_MIN_BYTES), np.log(INGRESS_MAX_BYTES), count)).astype(np.int64)


def ingress_messages(count: int, seed: int = 0) -> list[bytes]:
    """`count` random ingress-message bodies with the sizes of `ingress_message_sizes`."""
    sizes = ingress_message_sizes(count, seed)
    data = np.random.default_rng(seed + 1).integers(0, 256, int(sizes.sum()), dtype=np.uint8).tobytes()
    ends = np.cumsum(sizes)
    return [data[e - s:e] for s, e in zip(sizes.tolist(), ends.tolist())]


def principals(count: int, seed: int = 0) -> list[bytes]:
    """`count` self-authenticating principals: 28 random bytes (standing in for SHA-224 of a key) + 0x02."""
    return [m + b"\x02" for m in random_messages(count, PRINCIPAL_BYTES - 1, seed)]

# --- Ed25519 ingress signature trace (issue 3) ----------------------------------------------------------------

# Signed request: the sender key signs "\x0Aic-request" || request_id; each delegation is signed by the key
# before it over "\x1Aic-request-auth-delegation" || hash_of_map(delegation); up to 20 delegations, 1 to 21
# verifications per request (IC interface spec, "Authentication"; REFERENCES.md section 1).
REQUEST_DOMAIN = b"\x0Aic-request"
DELEGATION_DOMAIN = b"\x1Aic-request-auth-delegation"
MAX_DELEGATIONS = 20
# Skewed mix of delegation-chain lengths (assumption, stated in the notebook: most requests come from plain
# keys or one Internet Identity delegation, a long tail of deeper chains up to the limit of 20).
DELEGATION_WEIGHTS = {0: 0.45, 1: 0.40, 2: 0.08, 3: 0.03} | {d: 0.04 / 17 for d in range(4, MAX_DELEGATIONS + 1)}


def ingress_signature_trace(messages: int = 2_000, sessions: int = 200, per_block: int = 100,
                            invalid_fraction: float = 0.01, seed: int = 0) -> list[dict]:
    """Batches of Ed25519 checks as a replica sees them: each ingress message is verified on entry to the
    pool and again when the block carrying it is validated (REFERENCES.md section 1).

    Messages come from `sessions` user sessions chosen by a Zipf-like law (popular sessions send more);
    a session has a fixed delegation chain (length drawn from DELEGATION_WEIGHTS), so its delegation
    signatures repeat across its requests, while the request signature is new each time. A fraction of
    messages carries a corrupted request signature. Returns [{"stage": "pool" | "block", "block": k,
    "public_keys", "messages", "signatures": lists of bytes, "valid": list of expected verdicts}] in order.
    """
    from nacl.signing import SigningKey

    from .hashing.request_id import request_id

    rng = np.random.default_rng(seed)
    lengths = rng.choice(list(DELEGATION_WEIGHTS), size=sessions, p=list(DELEGATION_WEIGHTS.values()))
    chains = []
    for s in range(sessions):
        keys = [SigningKey(rng.bytes(32)) for _ in range(int(lengths[s]) + 1)]
        links = []  # (signer public key, signed message, signature) for each delegation
        for i in range(1, len(keys)):
            delegation = {"pubkey": bytes(keys[i].verify_key), "expiration": 1_700_000_000_000_000_000 + s}
            signed = DELEGATION_DOMAIN + request_id(delegation)
            links.append((bytes(keys[i - 1].verify_key), signed, keys[i - 1].sign(signed).signature))
        chains.append((keys[-1], links))
    popularity = 1.0 / np.arange(1, sessions + 1)
    chosen = rng.choice(sessions, size=messages, p=popularity / popularity.sum())
    corrupt = rng.random(messages) < invalid_fraction
    requests = []
    for m in range(messages):
        session_key, links = chains[int(chosen[m])]
        content = {"request_type": "call", "sender": rng.bytes(29), "canister_id": rng.bytes(10),
                   "method_name": "transfer", "arg": rng.bytes(int(rng.integers(8, 200))),
                   "ingress_expiry": 1_700_000_000_000_000_000 + m, "nonce": rng.bytes(8)}
        signed = REQUEST_DOMAIN + request_id(content)
        sig = session_key.sign(signed).signature
        if corrupt[m]:
            sig = sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]
        checks = links + [(bytes(session_key.verify_key), signed, sig)]
        requests.append((checks, [True] * len(links) + [not corrupt[m]]))
    pools = []
    for block, start in enumerate(range(0, messages, per_block)):
        flat = [(c, v) for checks, valid in requests[start:start + per_block] for c, v in zip(checks, valid)]
        pools.append({"block": block, "public_keys": [c[0] for c, _ in flat], "messages": [c[1] for c, _ in flat],
                      "signatures": [c[2] for c, _ in flat], "valid": [v for _, v in flat]})
    batches = []
    for block, pool in enumerate(pools):  # block k is validated while the messages of block k + 1 arrive
        batches.append(pool | {"stage": "pool"})
        if block > 0:
            batches.append(pools[block - 1] | {"stage": "block"})
    batches.append(pools[-1] | {"stage": "block"})
    return batches
