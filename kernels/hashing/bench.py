"""What to time for the hashing hot path: cases for the sweep, the IC workloads and the CLI."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

from .. import devices, workloads
from ..measure.bench import Case, compile_row, timing_unavailable_reason
from ..measure.timing import time_phase
from ..packing import Packed, pack
from ..registry import BackendUnavailable, backend_module
from ..targets import record_best
from . import PACKED_INPUT, hashtree, request_ids, sha256_batch, sha256_packed

GPU = ("numba_cuda", "cupy")
# The pure-Python reference hashes about 20 kB/s: keep its batches small so a sweep stays in minutes.
REFERENCE_MAX_BYTES = 1 << 16


def _unavailable(operation: str, backend: str) -> BackendUnavailable | None:
    reason = timing_unavailable_reason(backend)
    return BackendUnavailable(f"{operation} on {backend}: {reason}") if reason else None


def compile_rows(backends: list[str]) -> list[dict]:
    """One `compile` row per backend that has a JIT or program build (measured once per process)."""
    rows = []
    for backend in backends:
        if timing_unavailable_reason(backend) is None and backend in PACKED_INPUT:
            rows.append(compile_row("sha256", backend, backend_module("sha256", backend).compile))
    return rows


def _staged_phases(backend: str, packed: Packed) -> tuple[dict, dict, object]:
    """h2d / kernel / d2h callables for device backends, and their sync and timers."""
    staged = backend_module("sha256", backend).Staged(packed)
    staged.h2d()
    staged.sync()
    phases = {"h2d": staged.h2d, "kernel": staged.kernel, "d2h": staged.d2h}
    timers = {"kernel": devices.cuda_event_timer(backend)} if backend in GPU else {}
    return phases, timers, staged.sync


def sha256_case(backend: str, messages: list[bytes], workload: str, operation: str = "sha256",
                packed: Packed | None = None) -> Case | BackendUnavailable:
    """All phases of SHA-256 over one batch. `packed` given: the data is already packed (no pack phase)."""
    missing = _unavailable(operation, backend)
    if missing:
        return missing
    n = len(messages) if packed is None else packed.count
    nbytes = sum(map(len, messages)) if packed is None else packed.data.size
    if backend == "reference" and nbytes > REFERENCE_MAX_BYTES:
        return BackendUnavailable(f"{operation} on reference: skipped above {REFERENCE_MAX_BYTES} bytes per batch "
                                  "(pure Python, minutes per point)")
    case = Case(operation, backend, workload, n, nbytes / max(n, 1), phases={})
    if backend not in PACKED_INPUT:
        if packed is None:
            case.phases["end_to_end"] = lambda: sha256_batch(messages, backend=backend)
        else:
            case.phases["end_to_end"] = lambda: sha256_packed(packed, backend=backend)
        return case
    if packed is None:
        case.phases["pack"] = lambda: pack(messages)
        packed_now = pack(messages)
    else:
        packed_now = packed
    if backend == "numba_cpu":
        case.phases["kernel"] = lambda: sha256_packed(packed_now, backend=backend)
    else:
        phases, case.timers, case.sync = _staged_phases(backend, packed_now)
        case.phases.update(phases)
    if packed is None:
        case.phases["end_to_end"] = lambda: sha256_batch(messages, backend=backend)
    else:
        case.phases["end_to_end"] = lambda: sha256_packed(packed, backend=backend)
    return case


STATE_BYTES = {"smoke": 4 * 2**20, "quick": 64 * 2**20, "full": 1 << 30}


def batch_sizes(profile: str) -> list[int]:
    """Log-scale batch sizes: 1 .. 2^18 by 4x (quick), 1 .. 2^20 by 2x (full), 1 .. 256 (smoke: tests)."""
    if profile == "smoke":
        return [1, 16, 256]
    if profile == "quick":
        return [4**k for k in range(10)]
    if profile == "full":
        return [2**k for k in range(21)]
    raise ValueError(f"unknown profile {profile!r}; use 'smoke', 'quick' or 'full'")


def sweep_cases(backends: list[str], sizes: list[int], message_bytes: int = 64, seed: int = 0) -> Iterator:
    """SHA-256 of `size` random messages of `message_bytes`, for every size and backend."""
    pool = workloads.random_messages(max(sizes), message_bytes, seed)
    for size in sizes:
        for backend in backends:
            yield sha256_case(backend, pool[:size], f"random-{message_bytes}B")


def ic_cases(backends: list[str], state_bytes: int = 64 * 2**20, seed: int = 0) -> Iterator:
    """The three IC workloads: request_status hash trees, a block of request ids, manifest chunks."""
    for subtrees in workloads.REQUEST_STATUS_SIZES:
        tree = workloads.request_status_tree(subtrees, seed)
        nodes = hashtree.count_nodes(tree)
        for backend in backends:
            missing = _unavailable("hashtree", backend)
            if missing is None and backend == "reference" and subtrees > 100:
                missing = BackendUnavailable("hashtree on reference: only the 100-subtree tree (pure Python)")
            yield missing or Case("hashtree", backend, f"request_status-{subtrees}", nodes,
                                  workloads.REPLY_BYTES, {"end_to_end": lambda t=tree, b=backend: hashtree.digest(t, backend=b)})
    block = workloads.ingress_block(workloads.BLOCK_MESSAGES, seed)
    block_bytes = sum(len(c["arg"]) for c in block) / len(block)
    for backend in backends:
        missing = _unavailable("request_id", backend)
        if missing is None and backend == "reference":
            missing = BackendUnavailable("request_id on reference: skipped (pure Python, 1.2 MB of arguments)")
        yield missing or Case("request_id", backend, "ingress-block-1000", len(block), block_bytes,
                              {"end_to_end": lambda b=backend: request_ids(block, backend=b)})
    state = workloads.state_bytes(state_bytes, seed)
    from .manifest import chunk_offsets

    chunks = Packed(state, chunk_offsets(state.size))
    for backend in backends:
        yield sha256_case(backend, [], f"state-{state_bytes >> 20}MiB", operation="manifest_chunks", packed=chunks)


def cli_cases(operation: str, backends: list[str], sizes: list[int], item_bytes: int) -> Iterator:
    """`python -m kernels bench sha256 ...`: random messages of `item_bytes`, one case per size and backend."""
    if operation != "sha256":
        raise ValueError(f"bench supports sha256 of the hashing operations; {operation} runs in the notebook")
    return sweep_cases(backends, sizes, item_bytes)


def profile_cases(backends: list[str], profile: str) -> Iterator:
    """Everything notebooks/01_hashing.ipynb measures for a profile (the GPU check runs the same)."""
    yield from sweep_cases(backends, batch_sizes(profile))
    yield from ic_cases(backends, state_bytes=STATE_BYTES[profile])


def check_ic_examples(backends: list[str]) -> dict[str, str]:
    """The spec's hash-tree and request-id examples on every backend; AssertionError on any mismatch."""
    from .spec_examples import SPEC_REQUEST, SPEC_REQUEST_ID, SPEC_TREE, SPEC_TREE_DIGEST

    verdict = {}
    for backend in backends:
        tree = hashtree.digest(SPEC_TREE, backend=backend).hex()
        rid = request_ids([SPEC_REQUEST], backend=backend)[0].tobytes().hex()
        assert tree == SPEC_TREE_DIGEST, f"{backend}: spec tree digest {tree}"
        assert rid == SPEC_REQUEST_ID, f"{backend}: spec request id {rid}"
        verdict[backend] = "spec tree and request id match"
    return verdict


def correctness_messages(seed: int = 0) -> list[bytes]:
    """Every length 0..130 (all block boundaries) plus random ragged lengths up to 2 KiB."""
    rng = np.random.default_rng(seed)
    return [rng.bytes(n) for n in range(131)] + [rng.bytes(int(n)) for n in rng.integers(0, 2048, 200)]


def target_count(profile: str) -> int:
    """Messages in the target check: the issue's 2^18, or 2^12 for smoke runs."""
    return 2**12 if profile == "smoke" else 2**18


def check_agreement(backends: list[str], messages: list[bytes]) -> dict[str, str]:
    """{backend: "agrees" or the reason it did not run}; raises AssertionError on any disagreement."""
    expected = sha256_batch(messages, backend="library")
    verdict = {}
    for backend in backends:
        try:
            got = sha256_batch(messages, backend=backend)
        except BackendUnavailable as e:
            verdict[backend] = f"unavailable: {e}"
            continue
        mismatched = np.flatnonzero((got != expected).any(axis=1))
        assert mismatched.size == 0, f"{backend} disagrees with hashlib on messages {mismatched[:10].tolist()}"
        verdict[backend] = "agrees with hashlib"
    return verdict


def sha256_target(count: int = 2**18, size: int = 64, min_seconds: float = 1.0) -> dict:
    """Messages per second of the best CPU kernel vs `[hashlib.sha256(m).digest() for m in msgs]` (goal 2x)."""
    msgs = workloads.random_messages(count, size)
    baseline = time_phase(lambda: [hashlib.sha256(m).digest() for m in msgs], min_seconds=min_seconds).median
    result = {"target": "sha256", "messages": count, "message_bytes": size, "goal_ratio": 2.0,
              "baseline": "[hashlib.sha256(m).digest() for m in msgs]", "baseline_msgs_per_s": count / baseline}
    packed = pack(msgs)
    for backend in ("numba_cpu", "opencl"):
        try:
            kernel = time_phase(lambda: sha256_packed(packed, backend=backend), min_seconds=min_seconds).median
            e2e = time_phase(lambda: sha256_batch(msgs, backend=backend), min_seconds=min_seconds).median
        except BackendUnavailable as e:
            result[backend] = str(e)
            continue
        result[f"{backend}_kernel_ratio"] = baseline / kernel
        result[f"{backend}_end_to_end_ratio"] = baseline / e2e
    ratios = {k.removesuffix("_kernel_ratio"): v for k, v in result.items() if k.endswith("_kernel_ratio")}
    return record_best(result, ratios, result["goal_ratio"])


TARGETS = {"sha256": sha256_target}
