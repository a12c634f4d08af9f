"""The BLS12-381 group kernels in Numba on all CPU cores (msm_numba_core.py compiled with njit, i128 products;
the GF(p) product in x86-64 assembly where the CPU has BMI2 and ADX, fp_cpu.py, unless KERNELS_BLS_ADX=0).

Decoding runs one point per prange iteration. msm_groups sums each group's rows by whichever algorithm counts
fewer operations (prefers_chain): NAF chains (few points, or the batch's sparse scalars) split by point ranges
into tasks, the tasks binned per thread (one bin per prange iteration); or Pippenger, one window per prange
iteration (each with its own buckets), then the windows combined on the calling thread. Small calls run on the
calling thread: waking the pool costs more than it saves there (measured: on a busy 2-core VM a 23-point G1
msm took about 1 ms serial and over 15 ms through prange). threads=1 keeps a call on the calling thread, and
start_groups / start_decode_sum run serial kernels on one helper thread, all without the GIL, so that a batch
verifier can keep both cores busy while it runs blst's pairings (batch.py); the serial kernels never touch the
thread pool, so they may run beside a prange call.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numba
import numpy as np
from numba import njit, prange

from . import fp_cpu
from .msm import (DBL_OPS, MADD_OPS, P, chain_ops, compress_jacobian, input_words, naf_terms, pippenger,
                  pippenger_ops, point_words, scalar_bits, signed_digits, window_bits)
from .msm_numba_core import build, madd_i128

ADX = fp_cpu.enabled()  # the GF(p) product in mulx/adcx/adox assembly where the CPU has BMI2 and ADX
CORE = build(njit, madd_i128, fp_cpu.ops(P, ADX))
NAF_CHAINS = True  # msm_groups sums by NAF chains where they count fewer operations than Pippenger
SERIAL_BELOW = {"decode": 8, "msm": 256, "msm_groups": 16}  # points


def _kernels(group):
    decode_one, window_sum, combine = group.decode_one, group.window_sum, group.combine
    jw = group.jacobian_words

    def decode_all(words, out, valid):
        for i in prange(words.shape[0]):
            valid[i] = decode_one(words[i], out[i])

    def msm_points(points, digits, c, out):
        nwin = digits.shape[1]
        windows = np.zeros((nwin, jw), np.uint64)
        buckets = np.zeros((nwin, 1 << (c - 1), jw), np.uint64)
        for w in prange(nwin):
            window_sum(points, digits, w, buckets[w], windows[w])
        combine(windows, c, out)

    # {kind: (all cores, calling thread)}: prange is a plain range without parallel=True
    return {"decode": (njit(parallel=True)(decode_all), njit(nogil=True)(decode_all)),
            "msm": (njit(parallel=True)(msm_points), njit(msm_points))}


KERNELS = {"g1": _kernels(CORE.g1), "g2": _kernels(CORE.g2)}  # compiled lazily, on first call


def _both_groups_kernel(parallel: bool):
    """The msms of a batch's two groups in one parallel loop: every (row, window) of the G2 rows, then of the
    G1 rows, is one iteration (G2 first: its windows cost about three times G1's), then each row's windows
    are combined on the calling thread. Digits: (rows, points, windows); out: (rows, Jacobian words)."""
    sum1, sum2, combine1, combine2 = CORE.g1.window_sum, CORE.g2.window_sum, CORE.g1.combine, CORE.g2.combine
    jw1, jw2 = CORE.g1.jacobian_words, CORE.g2.jacobian_words

    def msm_both(p1, d1, c1, out1, p2, d2, c2, out2):
        r1, w1, r2, w2 = d1.shape[0], d1.shape[2], d2.shape[0], d2.shape[2]
        win1 = np.zeros((r1, w1, jw1), np.uint64)
        win2 = np.zeros((r2, w2, jw2), np.uint64)
        buckets1 = np.zeros((r1 * w1, 1 << (c1 - 1), jw1), np.uint64)
        buckets2 = np.zeros((r2 * w2, 1 << (c2 - 1), jw2), np.uint64)
        for k in prange(r2 * w2 + r1 * w1):
            if k < r2 * w2:
                sum2(p2, d2[k // w2], k % w2, buckets2[k], win2[k // w2, k % w2])
            else:
                j = k - r2 * w2
                sum1(p1, d1[j // w1], j % w1, buckets1[j], win1[j // w1, j % w1])
        for row in range(r1):
            combine1(win1[row], c1, out1[row])
        for row in range(r2):
            combine2(win2[row], c2, out2[row])

    return njit(parallel=True)(msm_both) if parallel else njit(nogil=True)(msm_both)


BOTH = {True: _both_groups_kernel(True), False: _both_groups_kernel(False)}  # {threaded: kernel}; serial: nogil


def _chain_kernel(parallel: bool):
    """NAF chains of both groups in one parallel loop: each iteration is one bin of tasks (a task: one row's
    terms over a range of its points, `chain` of the core), run in turn; then each row's task sums are added on
    the calling thread. tasks: (k, 4) int64 rows (group 1 or 2, first term, end, row); bins: task offsets."""
    chain1, chain2, into1, into2 = CORE.g1.chain, CORE.g2.chain, CORE.g1.add_into, CORE.g2.add_into

    def msm_chains(p1, e1, i1, n1, p2, e2, i2, n2, tasks, bins, part1, part2, out1, out2):
        for b in prange(bins.shape[0] - 1):
            for t in range(bins[b], bins[b + 1]):
                if tasks[t, 0] == 1:
                    chain1(p1, e1, i1, n1, tasks[t, 1], tasks[t, 2], part1[t])
                else:
                    chain2(p2, e2, i2, n2, tasks[t, 1], tasks[t, 2], part2[t])
        for t in range(tasks.shape[0]):
            if tasks[t, 0] == 1:
                into1(out1[tasks[t, 3]], part1[t])
            else:
                into2(out2[tasks[t, 3]], part2[t])

    return njit(parallel=True)(msm_chains) if parallel else njit(nogil=True)(msm_chains)


CHAINS = {True: _chain_kernel(True), False: _chain_kernel(False)}  # {threaded: kernel}; serial: nogil


def _kernel(group: str, kind: str, n: int):
    threaded, serial = KERNELS[group][kind]
    return serial if n < SERIAL_BELOW[kind] else threaded


def decode(group: str, points: list[bytes], threads: int | None = None):
    """msm.decode_groups' decode of one group, on all cores (threads=1: on this thread, without the GIL)."""
    words = input_words(group, points)
    out = np.zeros((len(points), point_words(group)), np.uint64)
    valid = np.zeros(len(points), np.bool_)
    if len(points):
        _kernel(group, "decode", len(points) if threads != 1 else 0)(words, out, valid)
    return valid, out


def msm(decoded, limbs: np.ndarray) -> bytes:
    group = decoded.group

    def run(points, digits, c):
        out = np.zeros(getattr(CORE, group).jacobian_words, np.uint64)
        _kernel(group, "msm", decoded.n)(points, digits, c, out)
        return out

    return pippenger(decoded, limbs, run)


def _job_digits(group: str, job) -> tuple:
    """(points, digits (rows, points, windows), c, out) of one group's job; an empty job for a missing group."""
    if job is None:
        words = point_words(group)
        return (np.zeros((0, words), np.uint64), np.zeros((0, 0, 1), np.int32), 1,
                np.zeros((0, getattr(CORE, group).jacobian_words), np.uint64))
    decoded, rows = job
    c = window_bits(decoded.n, max(scalar_bits(limbs) for limbs in rows))
    per_row = [signed_digits(limbs, c) for limbs in rows]
    windows = max(d.shape[1] for d in per_row)
    digits = np.zeros((len(rows), decoded.n, windows), np.int32)
    for row, d in enumerate(per_row):
        digits[row, :, :d.shape[1]] = d  # a row of smaller scalars has fewer windows: the rest are zero digits
    out = np.zeros((len(rows), getattr(CORE, group).jacobian_words), np.uint64)
    return np.ascontiguousarray(decoded.payload), digits, c, out


def _row_tasks(exponent: np.ndarray, point: np.ndarray, threads: int) -> list[np.ndarray]:
    """One row's NAF terms split by point ranges into parts of about equal term counts (index arrays into the
    row's terms, each still by descending exponent): as many parts as threads when the additions outweigh the
    doubling chain that every extra part repeats, else one."""
    ops_add, ops_dbl = exponent.size * MADD_OPS, int(exponent.max(initial=0)) * DBL_OPS
    parts = int(min(threads, max(1, ops_add // max(ops_dbl, 1))))
    if parts == 1:
        return [np.arange(exponent.size)]
    per_point = np.bincount(point, minlength=int(point.max()) + 1).cumsum()
    cuts = np.searchsorted(per_point, per_point[-1] * np.arange(1, parts) / parts)
    edges = np.concatenate(([-1], cuts, [per_point.size - 1]))
    return [np.nonzero((point > lo) & (point <= hi))[0] for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]


def _chain_args(group: str, job, threads: int) -> tuple[list, list]:
    """A group's chain arrays (points, exponents, point indices, signs) and its tasks (group number, first
    term, end, row) with their operation counts (G2's GF(p^2) products as three of GF(p)); empty for a missing
    group. job: (decoded, rows of NAF terms)."""
    if job is None:
        return [np.zeros((0, point_words(group)), np.uint64), np.zeros(0, np.int32), np.zeros(0, np.int32),
                np.zeros(0, np.bool_)], []
    decoded, rows = job
    number, weight = (1, 1) if group == "g1" else (2, 3)
    parts, tasks, start = [], [], 0
    for r, (exponent, point, negative) in enumerate(rows):
        for take in _row_tasks(exponent, point, threads):
            parts.append((exponent[take], point[take], negative[take]))
            tasks.append(((number, start, start + take.size, r), weight * chain_ops(exponent[take])))
            start += take.size
    return [np.ascontiguousarray(decoded.payload)] + _term_arrays(parts), tasks


def _term_arrays(parts: list) -> list[np.ndarray]:
    """NAF terms (exponents, point indices, signs) of several parts, each concatenated in order."""
    return [np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, t)
            for k, t in enumerate((np.int32, np.int32, np.bool_))]


def _bins(tasks: list, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """The tasks ordered bin by bin, largest first into the least loaded of `threads` bins (LPT), and the bins'
    offsets into that order."""
    loads, members = [0] * threads, [[] for _ in range(threads)]
    for task, ops in sorted(tasks, key=lambda t: -t[1]):
        b = loads.index(min(loads))
        loads[b] += ops
        members[b].append(task)
    members = [m for m in members if m]
    order = [t for m in members for t in m]
    bins = np.cumsum([0] + [len(m) for m in members]).astype(np.int64)
    return np.array(order, np.int64).reshape(-1, 4), bins


def _chains(jobs: dict, threads: int) -> tuple:
    """The kernel call (kernel, arguments) summing the jobs by NAF chains, both groups in one call, and its
    {group: row sums (Jacobian words)}."""
    a1, t1 = _chain_args("g1", jobs.get("g1"), threads)
    a2, t2 = _chain_args("g2", jobs.get("g2"), threads)
    tasks, bins = _bins(t1 + t2, threads)
    rows = {g: len(jobs[g][1]) if g in jobs else 0 for g in ("g1", "g2")}
    jw1, jw2 = CORE.g1.jacobian_words, CORE.g2.jacobian_words
    part1, part2 = np.zeros((len(tasks), jw1), np.uint64), np.zeros((len(tasks), jw2), np.uint64)
    out1, out2 = np.zeros((rows["g1"], jw1), np.uint64), np.zeros((rows["g2"], jw2), np.uint64)
    return (CHAINS[bins.size > 2], (*a1, *a2, tasks, bins, part1, part2, out1, out2)), {"g1": out1, "g2": out2}


def _pippengers(jobs: dict, threads: int) -> tuple:
    """The kernel call summing the jobs by Pippenger, both groups in one call (BOTH), on all cores from
    SERIAL_BELOW["msm_groups"] points in all (with threads > 1), and its {group: row sums}."""
    a1 = _job_digits("g1", jobs.get("g1"))
    a2 = _job_digits("g2", jobs.get("g2"))
    points = sum(decoded.n * len(rows) for decoded, rows in jobs.values())
    return (BOTH[threads > 1 and points >= SERIAL_BELOW["msm_groups"]], (*a1, *a2)), {"g1": a1[3], "g2": a2[3]}


def prefers_chain(decoded, rows: list, terms: list) -> bool:
    """True when NAF chains (terms: each row's msm.naf_terms) count fewer operations than Pippenger over these
    scalar rows (msm.chain_ops, msm.pippenger_ops): few points, or sparse scalars."""
    chains = sum(chain_ops(exponent) for exponent, _, _ in terms)
    return chains < sum(pippenger_ops(decoded.n, scalar_bits(limbs)) for limbs in rows)


def _calls(jobs, threads: int) -> tuple[list, dict]:
    """The kernel calls for msm.msm_groups' jobs, each group's rows by NAF chains or by Pippenger, whichever counts
    fewer operations (prefers_chain), the groups that chose the same algorithm in one call; {group: sums}."""
    chained, bucketed = {}, {}
    for decoded, rows in jobs:
        terms = [naf_terms(limbs) for limbs in rows]
        if prefers_chain(decoded, rows, terms):
            chained[decoded.group] = (decoded, terms)
        else:
            bucketed[decoded.group] = (decoded, rows)
    calls, sums = [], {}
    for chosen, plan in ((chained, _chains), (bucketed, _pippengers)):
        if chosen:
            call, words = plan(chosen, threads)
            calls.append(call)
            sums.update({g: words[g] for g in chosen})
    return calls, sums


def _compressed(jobs, sums: dict) -> list[list[bytes]]:
    return [[compress_jacobian(decoded.group, w) for w in sums[decoded.group]] for decoded, _ in jobs]


def msm_groups(jobs, threads: int | None = None) -> list[list[bytes]]:
    """msm.msm_groups on this backend, on `threads` cores (all by default; 1: this thread, without the GIL)."""
    calls, sums = _calls(jobs, threads or numba.get_num_threads())
    for kernel, args in calls:
        kernel(*args)
    return _compressed(jobs, sums)


_HELPER: list = []  # the one helper thread of start_groups and start_decode_sum, made on first use


def _helper() -> ThreadPoolExecutor:
    if not _HELPER:
        _HELPER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="bls-msm-helper"))
    return _HELPER[0]


def start_groups(jobs) -> Callable[[], list[list[bytes]]]:
    """msm.start_groups on this backend: the host work done here, the kernels (one core, without the GIL) on a
    helper thread; the function returned waits for them and gives msm_groups' result."""
    calls, sums = _calls(jobs, 1)
    future = _helper().submit(lambda: [kernel(*args) for kernel, args in calls])

    def wait() -> list[list[bytes]]:
        future.result()
        return _compressed(jobs, sums)

    return wait


def _decode_sum_kernel(group: str):
    """Decode the points, then one NAF chain per row over them (rows: term offsets), on the calling thread
    without the GIL: a point that is not valid is skipped by `chain` (its flag word is not 0)."""
    decode_one, chain = getattr(CORE, group).decode_one, getattr(CORE, group).chain

    def decode_sum(words, points, valid, exponent, point, negative, starts, out):
        for i in range(words.shape[0]):
            valid[i] = decode_one(words[i], points[i])
        for r in range(starts.size - 1):
            chain(points, exponent, point, negative, starts[r], starts[r + 1], out[r])

    return njit(nogil=True)(decode_sum)


def _add_rows_kernel(group: str):
    """out[r] += other[r] for Jacobian rows."""
    add_into = getattr(CORE, group).add_into

    def add_rows(out, other):
        for r in range(out.shape[0]):
            add_into(out[r], other[r])

    return njit(add_rows)


DECODE_SUM = {g: _decode_sum_kernel(g) for g in ("g1", "g2")}
ADD_ROWS = {g: _add_rows_kernel(g) for g in ("g1", "g2")}


def _decode_sum_args(group: str, words: np.ndarray, payload: np.ndarray, valid: np.ndarray, terms: list,
                     first: int, end: int) -> tuple:
    """DECODE_SUM's arguments for points [first, end): their rows of words, payload and valid, each row's terms
    on those points (renumbered from 0), and the output rows."""
    kept = [[t[k][(t[1] >= first) & (t[1] < end)] for k in range(3)] for t in terms]
    for t in kept:
        t[1] = t[1] - first
    starts = np.cumsum([0] + [t[0].size for t in kept]).astype(np.int64)
    out = np.zeros((len(terms), getattr(CORE, group).jacobian_words), np.uint64)
    return (words[first:end], payload[first:end], valid[first:end], *_term_arrays(kept), starts, out)


def start_decode_sum(group: str, points: list[bytes], rows: list[np.ndarray], caller_share: int = 0) -> Callable:
    """msm.start_decode_sum on this backend: the NAF terms and arrays made here; the helper thread decodes and
    sums all points but the last `caller_share` (DECODE_SUM), and the function returned does those on this
    thread, waits for the helper, adds the two sums and gives (valid, payload, sums)."""
    n = len(points)
    split = n - min(max(caller_share, 0), n)
    words = input_words(group, points)
    payload = np.zeros((n, point_words(group)), np.uint64)
    valid = np.zeros(n, np.bool_)
    terms = [naf_terms(limbs) for limbs in rows]
    helper_args = _decode_sum_args(group, words, payload, valid, terms, 0, split)
    caller_args = _decode_sum_args(group, words, payload, valid, terms, split, n)
    future = _helper().submit(DECODE_SUM[group], *helper_args)

    def wait() -> tuple:
        DECODE_SUM[group](*caller_args)
        future.result()
        ADD_ROWS[group](caller_args[-1], helper_args[-1])
        return valid, payload, [compress_jacobian(group, w) for w in caller_args[-1]]

    return wait


def compile() -> None:
    """JIT-compile the decode and msm kernels of both groups, serial and threaded."""
    from .msm import SIZES, Decoded

    for group, size in SIZES.items():
        for kind in ("decode", "msm"):
            for n in (1, SERIAL_BELOW[kind]):
                valid, payload = decode(group, [bytes([0xC0]) + bytes(size - 1)] * n)
                assert valid.all()
                limbs = np.zeros((n, 4), np.uint64)
                limbs[:, 0] = 1
                assert msm(Decoded(group, valid, n, payload, "numba_cpu"), limbs)[0] == 0xC0
