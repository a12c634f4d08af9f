"""Pieces of one call shared between the calling thread and helper threads, without ever waiting for a helper.

A fork-join loop (Numba's ``prange``) ends only when every thread of the pool has checked in. When another
process holds a core, that core's thread may not run for a scheduler time slice (milliseconds), and a 3 ms
checksum of 64 MiB then takes several times longer on "all cores" than on one. Here the calling thread and
the helpers claim pieces from one atomic counter; once the counter is exhausted the caller computes itself any
piece a helper claimed but has not finished (the value is the same whoever computes it), so the call never
waits for a thread the OS has not scheduled: with a free core it runs at the speed of two, with a busy one at
the speed of one.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def fetch_add(typingctx, arr, i, value):
    """arr[i] += value atomically (int64 array), returning the old value."""
    sig = types.int64(arr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", builder.gep(a.data, [args[1]]), args[2], "seq_cst")

    return sig, codegen


@intrinsic
def load(typingctx, arr, i):
    """arr[i] read atomically (int64 array): sees a helper's `store` and everything written before it."""
    sig = types.int64(arr, types.int64)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.load_atomic(builder.gep(a.data, [args[1]]), "seq_cst", 8)

    return sig, codegen


@intrinsic
def store(typingctx, arr, i, value):
    """arr[i] = value atomically (int64 array), after every write before it."""
    sig = types.void(arr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        builder.store_atomic(args[2], builder.gep(a.data, [args[1]]), "seq_cst", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def cycles(typingctx):
    """The CPU's time-stamp counter (``llvm.readcyclecounter``): the caller's clock for its patience."""

    def codegen(context, builder, sig, args):
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=ir.FunctionType(ir.IntType(64), []))
        return builder.call(fn, [])

    return types.int64(), codegen


class Helpers:
    """A few long-lived helper threads. `offer(fn, count)` queues `fn()` for up to `count` of them and returns at
    once; offers beyond the helpers still busy or queued are dropped (a helper that is not running cannot help)."""

    def __init__(self, threads: int):
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="caller-runs-helper") if threads else None
        self._pending = 0
        self._lock = threading.Lock()

    def _done(self, _future) -> None:
        with self._lock:
            self._pending -= 1

    def offer(self, fn, count: int) -> int:
        """Queue `fn` for up to `count` helpers; returns how many were queued."""
        queued = 0
        with self._lock:
            free = min(count, self.threads - self._pending)
            self._pending += max(free, 0)
        for _ in range(max(free, 0)):
            self._pool.submit(fn).add_done_callback(self._done)
            queued += 1
        return queued


_HELPERS: dict[int, Helpers] = {}


def helpers(threads: int) -> Helpers:
    """The shared helper pool with `threads` threads (made on first use)."""
    if threads not in _HELPERS:
        _HELPERS[threads] = Helpers(threads)
    return _HELPERS[threads]
