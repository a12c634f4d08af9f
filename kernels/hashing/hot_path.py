"""The hashing hot path (kernels/hotpath.py contract): SHA-256 batches and the IC structures built on them.

Sweeps: `sha256` (random messages by batch size), and the three IC workloads `hashtree` (request_status
trees), `request_id` (a block of ingress call requests) and `manifest_chunks` (checkpoint state in 1 MiB
chunks). Phases: `pack` (the Python list into data + offsets), `h2d` / `kernel` / `d2h` for device backends,
`kernel` for numba_cpu (the packed call), `end_to_end` (the public API from Python inputs).
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..hotpath import HotPath, Sweep, Workload, check_profile
from ..measure.bench import Case, require_timeable
from ..packing import Packed, pack
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import hashtree, manifest_chunk_hashes, reference, request_ids, sha256_batch
from . import workloads as wl
from .manifest import chunk_offsets
from .prediction import sha256_prediction
from .spec_examples import FIPS_VECTORS, SPEC_REQUEST, SPEC_REQUEST_ID, SPEC_TREE, SPEC_TREE_DIGEST

MESSAGE_BYTES = 64  # the message size: a request id, two digests, a small payload
# The pure-Python reference hashes a few hundred kB/s: batches above this are recorded as unavailable.
REFERENCE_MAX_BYTES = 1 << 16
STAGED_PHASES = ("pack", "h2d", "kernel", "d2h", "end_to_end")

# Sizes per profile ("smoke": tests, "quick": minutes on 2 cores, "full": the long sweeps).
BATCH_SIZES = {"smoke": [1, 16, 256], "quick": [4**k for k in range(10)], "full": [2**k for k in range(21)]}
TREE_SUBTREES = {"smoke": (100,), "quick": wl.REQUEST_STATUS_SIZES, "full": wl.REQUEST_STATUS_SIZES}
BLOCK_REQUESTS = {"smoke": 100, "quick": wl.BLOCK_MESSAGES, "full": wl.BLOCK_MESSAGES}
STATE_BYTES = {"smoke": 4 * 2**20, "quick": 64 * 2**20, "full": 1 << 30}
CHECK_RAGGED = {"smoke": 20, "quick": 200, "full": 200}  # random ragged messages in the correctness check
TARGET_MESSAGES = {"smoke": 2**12, "quick": 2**18, "full": 2**18}  # the 2^18; 2^12 for tests
TARGET_SECONDS = {"smoke": 0.0, "quick": 1.0, "full": 3.0}
# The target: the CPU-side kernels against the production loop.
TARGET_CANDIDATES = ("numba_cpu", "opencl")
TARGET_BASELINE = "[hashlib.sha256(m).digest() for m in msgs]"


def _reference_cap(operation: str, backend: str, nbytes: int) -> None:
    if backend == "reference" and nbytes > REFERENCE_MAX_BYTES:
        raise BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BYTES:,} bytes per batch "
                                 f"(pure Python; this batch is {nbytes:,} bytes)")



def _add_kernel_phases(case: Case, packed: Packed) -> Case:
    """`kernel` on data already packed (numba_cpu), or h2d / kernel / d2h through the backend's Staged object."""
    if not packed_input(case.backend):
        return case
    module = backend_module(case.operation, case.backend)
    if staged(case.backend):
        return case.add_staged(module.Staged(packed))
    case.phases["kernel"] = lambda: module.sha256_packed(packed)
    return case


def _threads(operation: str, backend: str, count: int) -> int | None:
    """Threads a kernel really uses on `count` messages, where its module says (numba_cpu: 1 for one lane group)."""
    if not packed_input(backend) or staged(backend):
        return None
    return getattr(backend_module(operation, backend), "threads", lambda n: None)(count)


def _messages(workload: Workload, batch_size: int) -> list[bytes]:
    return wl.random_messages(batch_size, workload.params["message_bytes"])


def _sha256_case(operation: str, backend: str, workload: Workload, batch_size: int, messages: list[bytes]) -> Case:
    require_timeable(operation, backend)
    nbytes = sum(map(len, messages))
    _reference_cap(operation, backend, nbytes)
    n = len(messages)
    case = Case.of(operation, backend, workload, n, nbytes / max(n, 1), threads=_threads(operation, backend, n))
    if packed_input(backend):
        case.phases["pack"] = lambda: pack(messages)
        _add_kernel_phases(case, pack(messages))
    case.phases["end_to_end"] = lambda: sha256_batch(messages, backend=backend)
    return case


def _tree(workload: Workload, batch_size: int) -> hashtree.Tree:
    return wl.request_status_tree(workload.params["subtrees"])


def _tree_case(operation: str, backend: str, workload: Workload, batch_size: int, tree: hashtree.Tree) -> Case:
    require_timeable(operation, backend)
    nbytes = hashtree.hashed_bytes(tree)
    _reference_cap(operation, backend, nbytes)
    nodes = hashtree.count_nodes(tree)
    return Case.of(operation, backend, workload, nodes, nbytes / nodes,
                   phases={"end_to_end": lambda: hashtree.digest(tree, backend=backend)})


def _block(workload: Workload, batch_size: int) -> list[dict]:
    return wl.ingress_block(workload.params["requests"])


def _request_id_case(operation: str, backend: str, workload: Workload, batch_size: int, block: list[dict]) -> Case:
    require_timeable(operation, backend)
    nbytes = sum(len(c["arg"]) for c in block)
    _reference_cap(operation, backend, nbytes)
    return Case.of(operation, backend, workload, len(block), nbytes / max(len(block), 1),
                   phases={"end_to_end": lambda: request_ids(block, backend=backend)})


def _state(workload: Workload, batch_size: int) -> tuple[np.ndarray, Packed]:
    state = wl.state_bytes(workload.params["state_bytes"])
    return state, Packed(state, chunk_offsets(state.size, workload.params["chunk_bytes"]))


def _chunks_case(operation: str, backend: str, workload: Workload, batch_size: int,
                 data: tuple[np.ndarray, Packed]) -> Case:
    state, chunks = data
    require_timeable(operation, backend)
    _reference_cap(operation, backend, state.size)
    chunk_bytes = workload.params["chunk_bytes"]
    case = Case.of(operation, backend, workload, chunks.count, state.size / max(chunks.count, 1),
                   threads=_threads(operation, backend, chunks.count))
    _add_kernel_phases(case, chunks)  # the state is one buffer already: no pack phase
    case.phases["end_to_end"] = lambda: manifest_chunk_hashes(state, chunk_size=chunk_bytes, backend=backend)
    return case


def _digests(messages: Sequence[bytes], oracle: str) -> np.ndarray:
    """Digests from an oracle independent of the backend under test: `reference` (FIPS 180-4 in Python) or
    `hashlib` (OpenSSL, called directly)."""
    if oracle == "reference":
        return reference.sha256_batch(list(messages))
    joined = b"".join(hashlib.sha256(bytes(m)).digest() for m in messages)
    return np.frombuffer(joined, np.uint8).reshape(len(messages), 32)


class HashingHotPath(HotPath):
    name = "hashing"
    title = "SHA-256 and the IC's hash structures"
    operations = ("sha256", "hashtree", "request_id", "manifest_chunks")
    notebook = "01_hashing.ipynb"
    compile_operation = "sha256"

    # --- what a profile measures ---------------------------------------------------------------------------
    def sha256_sweep(self, workloads: Sequence[Workload], batch_sizes: Sequence[int]) -> Sweep:
        return Sweep("sha256", ("sha256",), workloads, batch_sizes, BACKENDS, STAGED_PHASES, _sha256_case, _messages)

    def sweeps(self, profile: str) -> list[Sweep]:
        state = STATE_BYTES[profile]
        return [
            self.sha256_sweep([Workload(f"random-{MESSAGE_BYTES}B", {"message_bytes": MESSAGE_BYTES})],
                              BATCH_SIZES[profile]),
            Sweep("hashtree", ("hashtree",),
                  [Workload(f"request_status-{n}", {"subtrees": n}) for n in TREE_SUBTREES[profile]],
                  [0], BACKENDS, ("end_to_end",), _tree_case, _tree),
            Sweep("request_id", ("request_id",),
                  [Workload(f"ingress-block-{BLOCK_REQUESTS[profile]}", {"requests": BLOCK_REQUESTS[profile]})],
                  [0], BACKENDS, ("end_to_end",), _request_id_case, _block),
            Sweep("manifest_chunks", ("manifest_chunks",),
                  [Workload(f"state-{state >> 20}MiB", {"state_bytes": state, "chunk_bytes": wl.STATE_CHUNK_BYTES})],
                  [0], BACKENDS, STAGED_PHASES[1:], _chunks_case, _state),
        ]

    def cli_cases(self, operation: str, backends: Sequence[str], sizes: Sequence[int], item_bytes: int):
        """`python -m kernels bench sha256 ...`: random messages of `item_bytes`, one case per size and backend."""
        if operation != "sha256":
            raise ValueError(f"bench supports sha256 of the hashing operations; {operation} runs in the notebook")
        workload = Workload(f"random-{item_bytes}B", {"message_bytes": item_bytes})
        return self.sha256_sweep([workload], sizes).cases(backends)

    # --- correctness ---------------------------------------------------------------------------------------
    def check(self, backends: Sequence[str] | None = None, profile: str = "quick") -> pd.DataFrame:
        """Every backend against published vectors (FIPS 180-4, the IC spec's tree and request id) and against
        `reference` on this run's messages (every length 0..130, ragged ones up to 2 KiB) and on manifest
        chunks; the reference backend itself against hashlib. AssertionError on any disagreement."""
        check_profile(profile)
        messages = wl.correctness_messages(CHECK_RAGGED[profile])
        chunk = 4096
        state = wl.state_bytes(3 * chunk + 17, seed=1)
        chunks = [state[i:i + chunk].tobytes() for i in range(0, state.size, chunk)]
        fips = np.array([np.frombuffer(bytes.fromhex(h), np.uint8) for _, h in FIPS_VECTORS])
        oracles: dict[str, tuple] = {}  # computed once per oracle, on first use
        rows = []
        for backend in BACKENDS if backends is None else backends:
            oracle = "hashlib" if backend == "reference" else "reference"
            if oracle not in oracles:
                oracles[oracle] = (_digests(messages, oracle), _digests(chunks, oracle))
            on_messages, on_chunks = oracles[oracle]
            checks = [
                ("sha256", "FIPS 180-4 examples", lambda b: sha256_batch([m for m, _ in FIPS_VECTORS], backend=b),
                 fips),
                ("sha256", f"{len(messages)} messages of 0..2047 bytes vs {oracle}",
                 lambda b: sha256_batch(messages, backend=b), on_messages),
                ("hashtree", "IC spec tree example", lambda b: hashtree.digest(SPEC_TREE, backend=b).hex(),
                 SPEC_TREE_DIGEST),
                ("request_id", "IC spec request id example",
                 lambda b: request_ids([SPEC_REQUEST], backend=b)[0].tobytes().hex(), SPEC_REQUEST_ID),
                ("manifest_chunks", f"{len(chunks)} chunks of {chunk} B vs {oracle}",
                 lambda b: manifest_chunk_hashes(state, chunk_size=chunk, backend=b), on_chunks),
            ]
            for operation, what, run, expected in checks:
                row = {"backend": backend, "operation": operation, "check": what}
                try:
                    got = run(backend)
                except BackendUnavailable as e:
                    rows.append(row | {"result": f"unavailable: {e}"})
                    continue
                if isinstance(expected, np.ndarray):
                    bad = np.flatnonzero((np.asarray(got) != expected).any(axis=1))
                    assert bad.size == 0, f"{operation} on {backend}: {what}: wrong digests at {bad[:10].tolist()}"
                else:
                    assert got == expected, f"{operation} on {backend}: {what}: got {got}, expected {expected}"
                rows.append(row | {"result": "agrees"})
        return pd.DataFrame(rows, columns=["backend", "operation", "check", "result"])

    # --- targets -------------------------------------------------------------------------------------------
    def targets(self) -> dict:
        return {"sha256": self.sha256_target}

    def sha256_target(self, profile: str = "quick") -> TargetResult:
        """The issue's target: numba_cpu / opencl >= 2x `[hashlib.sha256(m).digest() for m in msgs]` on 2^18
        messages of 64 bytes (2^12 in the smoke profile), end to end; kernel-only beside it. Every candidate's
        digests are compared with hashlib's, computed once (hashlib is not a candidate)."""
        check_profile(profile)
        count = TARGET_MESSAGES[profile]
        msgs = wl.random_messages(count, MESSAGE_BYTES)
        expected = _digests(msgs, "hashlib")
        candidates = {backend: _target_candidate(backend, msgs) for backend in TARGET_CANDIDATES}
        return run_target("sha256", "sha256", (TARGET_BASELINE, lambda: [hashlib.sha256(m).digest() for m in msgs]),
                          candidates, lambda out: np.array_equal(out, expected), items=count, unit="messages",
                          goal_ratio=2.0, min_seconds=TARGET_SECONDS[profile])

    # --- prediction ----------------------------------------------------------------------------------------
    def prediction(self, message_bytes: int = MESSAGE_BYTES, cores: int | None = None) -> dict:
        """Bytes in and out, compressions and integer operations per message, and the rates published anchors
        allow (SHA-NI per core, AVX-512 multi-buffer on every core, an H100, the PCIe bound)."""
        return sha256_prediction(message_bytes, cores or os.cpu_count() or 1)


def _target_candidate(backend: str, msgs: list[bytes]) -> Candidate | BackendUnavailable:
    """End to end: the public call on the Python list. Kernel-only: the packed batch already where the kernel
    reads it (for a device, on the device; the digests are copied back)."""
    try:
        require_timeable("sha256", backend)
        module = backend_module("sha256", backend)
        packed = pack(msgs)
        if staged(backend):
            on_device = module.Staged(packed)
            on_device.h2d()
            on_device.sync()

            def kernel():
                on_device.kernel()
                return on_device.d2h()
        else:
            def kernel():
                return module.sha256_packed(packed)
    except BackendUnavailable as e:
        return e
    return Candidate(end_to_end=lambda: sha256_batch(msgs, backend=backend), kernel=kernel)


HOT_PATH = HashingHotPath()
