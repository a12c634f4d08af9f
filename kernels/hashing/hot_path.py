"""The hashing hot path (kernels/hotpath.py contract): SHA-256 batches and the IC structures built on them.

Sweeps: `sha256` (random messages by batch size), `sha256_inputs` (the same messages as a Python list, a 2-D
array and a packed buffer: column `input`), `sha256_peer` (`openssl speed` beside the kernels, a `peer` row with
its command and version), and the three IC workloads `hashtree` (request_status trees), `request_id` (a block of
ingress call requests) and `manifest_chunks` (checkpoint state in 1 MiB chunks). Phases: `pack` (the Python list into data + offsets), `h2d` / `kernel` / `d2h` for device backends,
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
from ..measure.peer import openssl_peer, openssl_speed, openssl_version
from ..measure.timing import interleaved_timings
from ..packing import Packed, pack, pack_rows
from ..registry import BACKENDS, BackendUnavailable, backend_module, packed_input, staged
from ..targets import Candidate, TargetResult, run_target
from . import hashtree, manifest_chunk_hashes, reference, request_ids, sha256_batch, sha256_packed
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
TARGET_SUBTREES = {"smoke": 100, "quick": 10_000, "full": 10_000}  # the request_status tree
# The input forms measured as workloads of their own (a Python list, a 2-D array, a packed buffer), and sizes.
INPUT_FORMS = ("list", "rows", "packed")
INPUT_BATCHES = {"smoke": [256], "quick": [2**12, 2**18], "full": [2**10, 2**14, 2**18]}
# The peer: `openssl speed -multi <cores> -bytes 64 sha256`, -seconds per run (openssl's smallest is 1).
PEER = "openssl"
PEER_SECONDS = {"smoke": 1, "quick": 1, "full": 3}
# The targets: the CPU-side kernels against the production loop, and against the peer binary.
TARGET_CANDIDATES = ("numba_cpu", "opencl")
TARGET_BASELINE = "[hashlib.sha256(m).digest() for m in msgs]"
GOALS = {"sha256": 3.0, "sha256_rows": 6.0, "sha256_openssl": 1.5, "hashtree": 2.0}


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


def _threads(operation: str, backend: str, packed: Packed) -> int | None:
    """Threads a kernel really uses on this batch, where its module says (numba_cpu: 1 for small batches)."""
    if not packed_input(backend) or staged(backend):
        return None
    return getattr(backend_module(operation, backend), "threads", lambda p: None)(packed)


def _messages(workload: Workload, batch_size: int) -> list[bytes]:
    return wl.random_messages(batch_size, workload.params["message_bytes"])


def _sha256_case(operation: str, backend: str, workload: Workload, batch_size: int, messages: list[bytes]) -> Case:
    require_timeable(operation, backend)
    nbytes = sum(map(len, messages))
    _reference_cap(operation, backend, nbytes)
    n = len(messages)
    packed = pack(messages)
    case = Case.of(operation, backend, workload, n, nbytes / max(n, 1), threads=_threads(operation, backend, packed))
    form = workload.params.get("input", "list")
    given = {"list": messages, "rows": packed.data.reshape(n, -1) if n else np.zeros((0, 0), np.uint8),
             "packed": packed}[form]
    if packed_input(backend):
        case.phases["pack"] = {"list": lambda: pack(messages), "rows": lambda: pack_rows(given),
                               "packed": lambda: given}[form]
        _add_kernel_phases(case, packed)
    case.phases["end_to_end"] = lambda: sha256_batch(given, backend=backend)
    return case


def _peer_case(operation: str, backend: str, workload: Workload, batch_size: int, data) -> Case:
    """The peer binary beside the kernels: `openssl speed -multi <cores> -bytes <size> sha256`, timed by openssl
    itself (not interleaved); each repeat is one openssl run, recorded as the time `batch_size` messages take at
    its rate. The command and the version are columns of the row (its provenance). BackendUnavailable with the
    reason where openssl is missing."""
    cores = os.cpu_count() or 1
    size, seconds = workload.params["message_bytes"], workload.params["peer_seconds"]
    version = openssl_version()
    command = f"openssl speed -mr -multi {cores} -seconds {seconds} -bytes {size} sha256"
    case = Case.of(operation, backend, workload, batch_size, float(size), threads=cores,
                   phases={"end_to_end": lambda: None})
    case.params = {**case.params, "peer_command": command, "peer_version": version, "peer_timed_by": "openssl"}
    case.timers["end_to_end"] = lambda fn: batch_size / openssl_speed("sha256", cores, seconds, size).items_per_s
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
                   threads=_threads(operation, backend, chunks))
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
        forms = [Workload(f"random-{MESSAGE_BYTES}B-{form}", {"message_bytes": MESSAGE_BYTES, "input": form})
                 for form in INPUT_FORMS]
        peer = Workload(f"openssl-speed-{MESSAGE_BYTES}B", {"message_bytes": MESSAGE_BYTES, "input": "openssl speed",
                                                             "peer_seconds": PEER_SECONDS[profile]})
        return [
            self.sha256_sweep([Workload(f"random-{MESSAGE_BYTES}B", {"message_bytes": MESSAGE_BYTES})],
                              BATCH_SIZES[profile]),
            # each input form as a workload of its own: what the Python list costs against a 2-D array or a
            # packed buffer read in place
            Sweep("sha256_inputs", ("sha256",), forms, INPUT_BATCHES[profile], BACKENDS, STAGED_PHASES,
                  _sha256_case, _messages),
            Sweep("sha256_peer", ("sha256",), [peer], [TARGET_MESSAGES[profile]], (PEER,), ("end_to_end",),
                  _peer_case),
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
        if "numba_cpu" in (BACKENDS if backends is None else backends):
            rows += _path_checks(messages, fips)
        return pd.DataFrame(rows, columns=["backend", "operation", "check", "result"])

    # --- targets -------------------------------------------------------------------------------------------
    def targets(self) -> dict:
        return {"sha256": self.sha256_target, "sha256_rows": self.sha256_rows_target,
                "sha256_openssl": self.sha256_openssl_target, "hashtree": self.hashtree_target}

    def sha256_target(self, profile: str = "quick") -> TargetResult:
        """numba_cpu / opencl >= 3x `[hashlib.sha256(m).digest() for m in msgs]` on 2^18 messages of 64 bytes
        (2^12 in the smoke profile), end to end from the Python list of `bytes`; kernel-only beside it. Every
        candidate's digests are compared with hashlib's, computed once (hashlib is not a candidate)."""
        check_profile(profile)
        msgs, expected = _target_messages(profile)
        candidates = {backend: _target_candidate(backend, msgs) for backend in TARGET_CANDIDATES}
        return run_target("sha256", "sha256", (TARGET_BASELINE, lambda: [hashlib.sha256(m).digest() for m in msgs]),
                          candidates, lambda out: np.array_equal(out, expected), items=len(msgs), unit="messages",
                          goal_ratio=GOALS["sha256"], min_seconds=TARGET_SECONDS[profile])

    def sha256_rows_target(self, profile: str = "quick") -> TargetResult:
        """numba_cpu >= 6x the hashlib loop when the same messages arrive as a 2-D uint8 array (n, 64) or as a
        packed buffer, both read in place; the peer `openssl speed` (timed by openssl, not interleaved) beside."""
        check_profile(profile)
        msgs, expected = _target_messages(profile)
        packed = pack(msgs)
        rows = packed.data.reshape(len(msgs), MESSAGE_BYTES)
        candidates: dict[str, Candidate | Exception] = {}
        try:
            require_timeable("sha256", "numba_cpu")
            candidates["numba_cpu (2-D array)"] = Candidate(lambda: sha256_batch(rows, backend="numba_cpu"),
                                                            kernel=lambda: sha256_packed(packed, backend="numba_cpu"))
            candidates["numba_cpu (Packed)"] = Candidate(lambda: sha256_batch(packed, backend="numba_cpu"))
        except BackendUnavailable as e:
            candidates["numba_cpu"] = e
        result = run_target("sha256_rows", "sha256",
                            (TARGET_BASELINE, lambda: [hashlib.sha256(m).digest() for m in msgs]), candidates,
                            lambda out: np.array_equal(out, expected), items=len(msgs), unit="messages",
                            goal_ratio=GOALS["sha256_rows"], min_seconds=TARGET_SECONDS[profile])
        peer = openssl_peer("sha256", PEER_SECONDS[profile], MESSAGE_BYTES)
        if peer is not None:
            result.peer, result.peer_items_per_s = peer
        return result

    def sha256_openssl_target(self, profile: str = "quick") -> TargetResult:
        """numba_cpu on a 2-D array of 2^18 messages of 64 bytes >= 1.5x `openssl speed -multi <cores> -bytes 64
        sha256`. The peer is timed by openssl in its own processes right after the candidate, so this target is
        not interleaved (marked so); the candidate's digests are checked against hashlib's."""
        check_profile(profile)
        msgs, expected = _target_messages(profile)
        packed = pack(msgs)
        rows = packed.data.reshape(len(msgs), MESSAGE_BYTES)
        command = f"openssl speed -multi {os.cpu_count() or 1} -bytes {MESSAGE_BYTES} sha256"
        result = TargetResult("sha256_openssl", "sha256", command, len(msgs), "messages", GOALS["sha256_openssl"],
                              interleaved=False)
        try:
            require_timeable("sha256", "numba_cpu")
            peer = openssl_speed("sha256", os.cpu_count() or 1, PEER_SECONDS[profile], MESSAGE_BYTES)
        except BackendUnavailable as e:
            result.unavailable["numba_cpu"] = str(e)
            return result
        fns = {"end_to_end": lambda: sha256_batch(rows, backend="numba_cpu"),
               "kernel": lambda: sha256_packed(packed, backend="numba_cpu")}
        for name, fn in fns.items():
            assert np.array_equal(fn(), expected), f"target sha256_openssl: numba_cpu ({name}) returned wrong digests"
        result.checked = True
        timings = interleaved_timings(fns, min_seconds=TARGET_SECONDS[profile])
        rate = {name: len(msgs) / t.median for name, t in timings.items()}
        result.repeats = timings["end_to_end"].repeats
        result.candidate = "numba_cpu (2-D array)"
        result.baseline_items_per_s = peer.items_per_s
        result.candidate_items_per_s = rate["end_to_end"]
        result.ratio = rate["end_to_end"] / peer.items_per_s
        result.kernel_ratio = rate["kernel"] / peer.items_per_s
        result.peer, result.peer_items_per_s = f"{peer.command} ({peer.version})", peer.items_per_s
        result.candidates[result.candidate] = {"ratio": result.ratio, "kernel_ratio": result.kernel_ratio,
                                               "items_per_s": rate["end_to_end"]}
        return result

    def hashtree_target(self, profile: str = "quick") -> TargetResult:
        """`hashtree.digest(tree, backend=...)` of a request_status tree of 10 000 subtrees (100 in the smoke
        profile) >= 2x the library backend, end to end from the tree objects; kernel-only beside it (the levels'
        messages already assembled, only the hashing). The oracle is the spec's recursive definition with hashlib,
        computed once."""
        check_profile(profile)
        tree = wl.request_status_tree(TARGET_SUBTREES[profile])
        expected = hashtree.digest_recursive(tree)
        nodes = hashtree.count_nodes(tree)
        candidates: dict[str, Candidate | Exception] = {}
        for backend in TARGET_CANDIDATES:
            try:
                require_timeable("hashtree", backend)
                backend_module("hashtree", backend)
                candidates[backend] = Candidate(lambda b=backend: hashtree.digest(tree, backend=b),
                                                kernel=_levels_only(tree, backend))
            except BackendUnavailable as e:
                candidates[backend] = e
        result = run_target("hashtree", "hashtree", ("hashtree.digest(tree, backend='library')",
                                                     lambda: hashtree.digest(tree, backend="library")),
                            candidates, lambda out: out == expected, items=nodes, unit="tree nodes",
                            goal_ratio=GOALS["hashtree"], min_seconds=TARGET_SECONDS[profile])
        library_levels = _levels_only(tree, "library")
        if result.candidate:  # kernel-only ratios against the library's own kernel-only time (hashlib on the levels)
            base = interleaved_timings({"library": library_levels,
                                        **{k: _levels_only(tree, k) for k in result.candidates}},
                                       min_seconds=TARGET_SECONDS[profile] / 2)
            for name, entry in result.candidates.items():
                entry["kernel_ratio"] = base["library"].median / base[name].median
            result.kernel_ratio = result.candidates[result.candidate]["kernel_ratio"]
        return result

    # --- prediction ----------------------------------------------------------------------------------------
    def prediction(self, message_bytes: int = MESSAGE_BYTES, cores: int | None = None) -> dict:
        """Bytes in and out, compressions and integer operations per message, and the rates published anchors
        allow (SHA-NI per core, AVX-512 multi-buffer on every core, an H100, the PCIe bound)."""
        return sha256_prediction(message_bytes, cores or os.cpu_count() or 1)


def _path_checks(messages: list[bytes], fips: np.ndarray) -> list[dict]:
    """Every numba_cpu path (SHA-NI lanes, 16 lanes, scalar) forced in turn, against the FIPS 180-4 examples and
    the reference on this run's messages; a path this CPU cannot run is a row with the reason."""
    from . import numba_cpu

    expected = reference.sha256_batch(messages)
    rows = []
    for path in numba_cpu.PATHS:
        row = {"backend": f"numba_cpu ({path} path)", "operation": "sha256",
               "check": f"FIPS 180-4 examples and {len(messages)} messages vs reference"}
        reason = numba_cpu.path_unavailable_reason(path)
        if reason is not None:
            rows.append(row | {"result": f"unavailable: {reason}"})
            continue
        got_fips = numba_cpu.sha256_packed(pack([m for m, _ in FIPS_VECTORS]), path)
        got = numba_cpu.sha256_packed(pack(messages), path)
        assert np.array_equal(got_fips, fips), f"sha256 on numba_cpu ({path} path): FIPS 180-4 examples disagree"
        bad = np.flatnonzero((got != expected).any(axis=1))
        assert bad.size == 0, f"sha256 on numba_cpu ({path} path): wrong digests at {bad[:10].tolist()}"
        rows.append(row | {"result": "agrees"})
    return rows


def _target_messages(profile: str) -> tuple[list[bytes], np.ndarray]:
    """The targets' messages (2^18 of 64 bytes; 2^12 in the smoke profile) and hashlib's digests of them."""
    msgs = wl.random_messages(TARGET_MESSAGES[profile], MESSAGE_BYTES)
    return msgs, _digests(msgs, "hashlib")


def _levels_only(tree: hashtree.Tree, backend: str):
    """The hashing of a tree's levels alone, on messages assembled beforehand (kernel-only for a tree): a fresh
    copy of the assembled buffer each call, since hashing writes child digests into it."""
    buffer, msg_off, hashed, level_starts, dest = hashtree.messages(hashtree.plan(tree))

    def run():
        return hashtree.hash_levels(buffer.copy(), msg_off, hashed, level_starts, dest, backend)

    return run


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
