"""The execution stage: real Wasm canisters (kernels/requests/canisters) in wasmtime, the replica's engine, with
the IC system API (ic0) as Python host functions; host_call_overhead_s() measures what each such call adds.

Instances. A new Instance per message, as in the replica. The heap persists because the module imports its
memory from a zero-filled `wasmtime.Memory` the host creates, and canisters keep all state at fixed addresses
from STATE_BASE up (support.h); instantiation re-applies data segments, so build.py rejects .data/.bss. One
Engine per metering mode, one Module per canister and mode, one Store per canister at a time: a Store keeps
every instance (~1 KiB) and allows 10 000, so every MESSAGES_PER_STORE messages the canister moves to a fresh
Store, copying the 4 KiB state pages its updates' undo logs named (no heap scan); `memory` is read-only.

Rollback. A trapped update, and every query, leaves no trace. Heap: each persistent write first copies the old
bytes into the canister's undo log and commits the entry (support.h), so replaying the log backwards undoes a
trap anywhere, out of instructions included; stable memory and certified data: the host's own records. Cost:
one extra copy of the bytes written (in the instructions), never of the heap (kv's 1 GiB costs nothing more).
memory.grow is not undone (these canisters never grow). [CONTROL_BASE, STATE_BASE) is this bookkeeping: leave
it out when counting dirty pages.

Metering. "fuel": the instruction limit is wasmtime fuel (~1 per Wasm operator; host calls and instantiation
cost none), reported as Outcome.instructions. Fuel is checked at function entries and loop headers, so a
message may finish a loop-free tail past its limit and then reports the limit. "off": no fuel, instructions
None, performance_counter 0. Bad input never raises from update/query: it is a rejection with a reason.
"""
from __future__ import annotations

import ctypes
import functools
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .canisters.build import check_no_mutable_globals, wasm_path

WASM_PAGE = 1 << 16
STABLE_PAGE = 1 << 16
SCRATCH_BASE, CONTROL_BASE, UNDO_BASE, UNDO_END, STATE_BASE = 0x80000, 0x100000, 0x101000, 0x200000, 0x200000
MAX_HEAP_BYTES = 1 << 32  # a 32-bit Wasm memory: 65 536 pages of 64 KiB
MAX_STABLE_BYTES = 4 << 30  # stable64_grow answers -1 beyond this host buffer size
MAX_PAYLOAD_BYTES = 2 << 20  # the IC's 2 MiB limit on an ingress message's argument and on a reply
MAX_PRINCIPAL_BYTES = 29
MAX_CERTIFIED_BYTES = 32
DEFAULT_INSTRUCTION_LIMIT = 40_000_000_000  # the replica's per-update instruction limit
INSTANTIATION_FUEL = 1 << 40  # ample for applying data segments; not counted as the message's instructions
MESSAGES_PER_STORE = 10_000  # wasmtime's default limit on instances (and tables) per Store
STATE_PAGE = 4096  # the granularity at which written state is tracked (the IC's page size)
DEFAULT_HEAP_BYTES = {"counter": 4 << 20, "ledger": 64 << 20, "kv": 1 << 30}
_U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Outcome:
    """One message's result: a reply or a rejection with its reason; instructions (fuel) when metered."""

    reply: bytes | None
    reject: str | None
    instructions: int | None
    host_calls: int = 0  # ic0 calls the message made (each pays the Python callback: host_call_overhead_s)


class _Trap(Exception):
    """Raised by a host function to trap the running message; the message is its reason."""


@dataclass
class _Message:
    """What the system API sees during one message, and what a rollback needs."""

    kind: str
    arg: bytes
    caller: bytes
    limit: int | None
    reply: bytearray = field(default_factory=bytearray)
    replied: bool = False
    stable_writes: list[tuple[int, bytes]] = field(default_factory=list)
    stable_size_before: int | None = None
    certified_before: bytes | None = None
    host_calls: int = 0


@functools.cache
def _engine(metering: str):
    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = metering == "fuel"
    return wasmtime.Engine(config)


@functools.cache
def _canister_module(path: Path, mtime: float, metering: str):
    import wasmtime

    check_no_mutable_globals(path)
    return wasmtime.Module(_engine(metering), path.read_bytes())


def _check_options(metering: str, heap_bytes: int, instruction_limit: int) -> None:
    if metering not in ("fuel", "off"):
        raise ValueError(f"metering must be 'fuel' or 'off', got {metering!r}")
    if not STATE_BASE + WASM_PAGE <= heap_bytes <= MAX_HEAP_BYTES or heap_bytes % WASM_PAGE:
        raise ValueError(f"heap_bytes must be a multiple of {WASM_PAGE} in [{STATE_BASE + WASM_PAGE}, "
                         f"{MAX_HEAP_BYTES}], got {heap_bytes}")
    if instruction_limit <= 0:
        raise ValueError(f"instruction_limit must be positive, got {instruction_limit}")


def _export(store, instance, name: str):
    """One export of an instance by name. wasmtime-py's public `instance.exports(store)` wraps every export
    first (about 25 us for these canisters, per message); the C API's export_get wraps only the one asked."""
    try:
        from ctypes import byref

        from wasmtime import _ffi as ffi
        from wasmtime._extern import wrap_extern
    except ImportError:  # a wasmtime-py without these internals: the public path
        return instance.exports(store)[name]
    item, raw = ffi.wasmtime_extern_t(), name.encode()
    found = ffi.wasmtime_instance_export_get(store._context(), byref(instance._instance), raw, len(raw),
                                             byref(item))
    if not found:
        raise KeyError(name)
    return wrap_extern(item)


def _memory_import_pages(module) -> int:
    """The minimum pages the module's env.memory import asks for; ValueError when it imports none."""
    for item in module.imports:
        if (item.module, item.name) == ("env", "memory"):
            return item.type.limits.min
    raise ValueError("the canister module must import its memory as env.memory (link with --import-memory)")


class Canister:
    """One canister: its Wasm module, its heap (a host-created Memory that outlives the per-message
    instances), its stable memory and its certified data."""

    def __init__(self, name: str, *, metering: str = "fuel", heap_bytes: int | None = None,
                 instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT):
        heap_bytes = DEFAULT_HEAP_BYTES.get(name, 4 << 20) if heap_bytes is None else heap_bytes
        _check_options(metering, heap_bytes, instruction_limit)
        path = wasm_path(name)
        module = _canister_module(path, path.stat().st_mtime, metering)
        self._start(name, module, metering, heap_bytes, instruction_limit)

    @classmethod
    def _from_module(cls, name: str, module, metering: str, heap_bytes: int,
                     instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT) -> "Canister":
        """A canister from an already compiled module (for the host-call overhead probe)."""
        _check_options(metering, heap_bytes, instruction_limit)
        canister = cls.__new__(cls)
        canister._start(name, module, metering, heap_bytes, instruction_limit)
        return canister

    def _start(self, name: str, module, metering: str, heap_bytes: int, instruction_limit: int) -> None:
        if _memory_import_pages(module) * WASM_PAGE > SCRATCH_BASE:
            raise ValueError(f"canister {name}: its data and stack reach past SCRATCH_BASE ({SCRATCH_BASE:#x})")
        self.name, self.metering, self.instruction_limit = name, metering, instruction_limit
        self.messages_per_store = MESSAGES_PER_STORE
        self._module = module
        self._exports = {item.name for item in module.exports}
        self._stable = bytearray()
        self._certified = b""
        self._message: _Message | None = None
        self._written_pages: set[int] = set()
        self._open_store(heap_bytes // WASM_PAGE)

    def _open_store(self, pages: int) -> None:
        """A fresh Store with a zeroed Memory of `pages` Wasm pages, the system API and the module linked."""
        import wasmtime

        engine = _engine(self.metering)
        self._store = wasmtime.Store(engine)
        limits = wasmtime.Limits(pages, MAX_HEAP_BYTES // WASM_PAGE)
        self._memory = wasmtime.Memory(self._store, wasmtime.MemoryType(limits))
        self._view = self._map_memory()
        linker = wasmtime.Linker(engine)
        linker.define(self._store, "env", "memory", self._memory)
        self._define_system_api(linker)
        self._pre = linker.instantiate_pre(self._module)
        self._instances = 0

    def _move_to_fresh_store(self) -> None:
        """Replace the Store (full of dead instances) by a fresh one holding the same state pages."""
        old_store, old_view = self._store, self._map_memory()  # the old store keeps old_view's memory alive
        self._open_store(len(old_view) // WASM_PAGE)
        pages = np.fromiter(sorted(self._written_pages), dtype=np.int64, count=len(self._written_pages))
        self._view.reshape(-1, STATE_PAGE)[pages] = old_view.reshape(-1, STATE_PAGE)[pages]
        del old_view, old_store

    # ---- public state ------------------------------------------------------------------------------------

    @property
    def memory(self) -> np.ndarray:
        """The linear memory as a read-only uint8 array (no copy; valid until the canister moves to a fresh
        Store, every `messages_per_store` messages: take it again after messages)."""
        view = self._map_memory()
        view.flags.writeable = False
        return view

    @property
    def stable(self) -> bytes:
        """A copy of the stable memory (a host buffer, whole 64 KiB pages)."""
        return bytes(self._stable)

    @property
    def certified_data(self) -> bytes:
        """The data the canister last certified with ic0.certified_data_set (empty before)."""
        return self._certified

    def update(self, method: str, arg: bytes = b"", caller: bytes = b"\x04") -> Outcome:
        """Execute `canister_update <method>` on a new instance; a trap rolls its changes back. The caller is
        a principal's bytes (at most 29; the default is the anonymous principal)."""
        return self._execute("update", method, bytes(arg), bytes(caller))

    def query(self, method: str, arg: bytes = b"", caller: bytes = b"\x04") -> Outcome:
        """Execute `canister_query <method>` on a new instance; its changes are always discarded."""
        return self._execute("query", method, bytes(arg), bytes(caller))

    # ---- one message -------------------------------------------------------------------------------------

    def _map_memory(self) -> np.ndarray:
        size = self._memory.data_len(self._store)
        ptr = self._memory.data_ptr(self._store)
        buf = (ctypes.c_ubyte * size).from_address(ctypes.addressof(ptr.contents))
        return np.frombuffer(buf, dtype=np.uint8)

    def _refuse(self, kind: str, method: str, arg: bytes, caller: bytes) -> str | None:
        if f"canister_{kind} {method}" not in self._exports:
            return f"canister {self.name} has no {kind} method {method!r}"
        if len(arg) > MAX_PAYLOAD_BYTES:
            return f"argument of {len(arg)} bytes exceeds the IC's {MAX_PAYLOAD_BYTES}-byte limit"
        if len(caller) > MAX_PRINCIPAL_BYTES:
            return f"caller of {len(caller)} bytes is not a principal (at most {MAX_PRINCIPAL_BYTES} bytes)"
        return None

    def _execute(self, kind: str, method: str, arg: bytes, caller: bytes) -> Outcome:
        refusal = self._refuse(kind, method, arg, caller)
        if refusal is not None:
            return Outcome(None, refusal, None)
        if self._instances >= self.messages_per_store:
            self._move_to_fresh_store()
        limit = self.instruction_limit if self.metering == "fuel" else None
        self._message = message = _Message(kind, arg, caller, limit)
        self._view[CONTROL_BASE:CONTROL_BASE + 4] = 0  # an empty undo log
        try:
            reject = self._run(f"canister_{kind} {method}", limit)
        finally:
            self._message = None
        instructions = None if limit is None else limit - self._store.get_fuel()
        if reject is None and not message.replied:
            reject = f"canister {self.name} did not reply to {method!r}"
        if reject is not None or kind == "query":
            self._roll_back(message)
        else:
            self._note_written_pages()
        return Outcome(None if reject else bytes(message.reply), reject, instructions, message.host_calls)

    def _run(self, export: str, limit: int | None) -> str | None:
        """Instantiate and call the export with `limit` fuel (instantiation, which applies the data segments,
        is not counted, as the replica applies them once at install); the rejection reason when it traps."""
        import wasmtime

        try:
            self._instances += 1
            if limit is not None:
                self._store.set_fuel(INSTANTIATION_FUEL)
            instance = self._last_instance = self._pre.instantiate(self._store)
            if limit is not None:
                self._store.set_fuel(limit)
            _export(self._store, instance, export)(self._store)
        except _Trap as trap:
            return f"canister trapped: {trap}"
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                return f"instruction limit exceeded ({self.instruction_limit})"
            return f"canister trapped: {trap.message.splitlines()[0]}"
        except wasmtime.WasmtimeError as error:  # a trap wasmtime reports as an error, e.g. a stack overflow
            return f"canister trapped: {str(error).splitlines()[0]}"
        return None

    def last_global(self, name: str) -> int:
        """The value an exported global had when the last message ended (its instance is gone after it): how a
        host reads a counter that kernels.requests.metering.instrument added."""
        return self._last_instance.exports(self._store)[name].value(self._store)

    def _roll_back(self, message: _Message) -> None:
        """Undo the message's heap writes (the canister's undo log), stable writes and certified data."""
        entries = self._undo_entries()
        for pos, addr, length in reversed(entries):
            self._view[addr:addr + length] = self._view[pos + 8:pos + 8 + length]
        for offset, old in reversed(message.stable_writes):
            self._stable[offset:offset + len(old)] = old
        if message.stable_size_before is not None:
            del self._stable[message.stable_size_before:]
        if message.certified_before is not None:
            self._certified = message.certified_before

    def _note_written_pages(self) -> None:
        """Add the state pages a completed update wrote (its undo log) to those a Store move copies."""
        for _, addr, length in self._undo_entries():
            self._written_pages.update(range(addr // STATE_PAGE, (addr + length - 1) // STATE_PAGE + 1))

    def _undo_entries(self) -> list[tuple[int, int, int]]:
        """(log position, address, length) of the undo log's committed entries, in the order written;
        RuntimeError when malformed (a canister writing outside its state discipline)."""
        if self._memory.data_len(self._store) != len(self._view):
            self._view = self._map_memory()  # the canister grew its memory
        view = self._view
        used = struct.unpack_from("<I", view, CONTROL_BASE)[0]
        if used > UNDO_END - UNDO_BASE:
            raise RuntimeError(f"canister {self.name}: corrupt undo log ({used} bytes committed)")
        entries, pos, end = [], UNDO_BASE, UNDO_BASE + used
        while pos < end:
            addr, length = struct.unpack_from("<II", view, pos)
            if pos + 8 + length > end or addr < STATE_BASE or addr + length > len(view):
                raise RuntimeError(f"canister {self.name}: corrupt undo log entry at {pos:#x}")
            entries.append((pos, addr, length))
            pos += (8 + length + 3) & ~3
        return entries

    # ---- the system API ----------------------------------------------------------------------------------

    def _heap(self, addr: int, size: int, what: str) -> slice:
        """The heap bytes [addr, addr + size), checked; traps the message when out of bounds."""
        if addr + size > len(self._view):
            self._view = self._map_memory()  # the canister may have grown its memory
            if addr + size > len(self._view):
                raise _Trap(f"{what}: heap range [{addr}, {addr + size}) outside the {len(self._view)}-byte heap")
        return slice(addr, addr + size)

    def _define_system_api(self, linker) -> None:
        import wasmtime

        i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
        signatures = {
            "msg_arg_data_size": ([], [i32]), "msg_arg_data_copy": ([i32, i32, i32], []),
            "msg_caller_size": ([], [i32]), "msg_caller_copy": ([i32, i32, i32], []),
            "msg_reply_data_append": ([i32, i32], []), "msg_reply": ([], []),
            "stable64_size": ([], [i64]), "stable64_grow": ([i64], [i64]),
            "stable64_read": ([i64, i64, i64], []), "stable64_write": ([i64, i64, i64], []),
            "certified_data_set": ([i32, i32], []), "performance_counter": ([i32], [i64]),
            "trap": ([i32, i32], []),
        }
        for name, (params, results) in signatures.items():
            linker.define_func("ic0", name, wasmtime.FuncType(params, results), self._counted(getattr(self, f"_ic0_{name}")))

    def _counted(self, function):
        """`function`, counting each call on the running message (Outcome.host_calls)."""
        def call(*args):
            if self._message is not None:
                self._message.host_calls += 1
            return function(*args)
        return call

    def _msg(self) -> _Message:
        if self._message is None:
            raise _Trap("system API called outside a message")
        return self._message

    def _ic0_msg_arg_data_size(self) -> int:
        return len(self._msg().arg)

    def _ic0_msg_arg_data_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out(self._msg().arg, dst, offset, size, "msg_arg_data_copy")

    def _ic0_msg_caller_size(self) -> int:
        return len(self._msg().caller)

    def _ic0_msg_caller_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out(self._msg().caller, dst, offset, size, "msg_caller_copy")

    def _copy_out(self, source: bytes, dst: int, offset: int, size: int, what: str) -> None:
        dst, offset, size = dst & 0xFFFFFFFF, offset & 0xFFFFFFFF, size & 0xFFFFFFFF
        if offset + size > len(source):
            raise _Trap(f"{what}: [{offset}, {offset + size}) exceeds the {len(source)} bytes available")
        self._view[self._heap(dst, size, what)] = np.frombuffer(source, np.uint8, size, offset)

    def _ic0_msg_reply_data_append(self, src: int, size: int) -> None:
        message, src, size = self._msg(), src & 0xFFFFFFFF, size & 0xFFFFFFFF
        if message.replied:
            raise _Trap("msg_reply_data_append: the message was already replied to")
        if len(message.reply) + size > MAX_PAYLOAD_BYTES:
            raise _Trap(f"msg_reply_data_append: the reply exceeds {MAX_PAYLOAD_BYTES} bytes")
        message.reply += self._view[self._heap(src, size, "msg_reply_data_append")].tobytes()

    def _ic0_msg_reply(self) -> None:
        message = self._msg()
        if message.replied:
            raise _Trap("msg_reply: the message was already replied to")
        message.replied = True

    def _ic0_stable64_size(self) -> int:
        return len(self._stable) // STABLE_PAGE

    def _ic0_stable64_grow(self, new_pages: int) -> int:
        message, new_pages = self._msg(), new_pages & _U64
        old = len(self._stable)
        if old + new_pages * STABLE_PAGE > MAX_STABLE_BYTES:
            return -1
        if message.stable_size_before is None:
            message.stable_size_before = old
        self._stable.extend(bytes(new_pages * STABLE_PAGE))
        return old // STABLE_PAGE

    def _stable_range(self, offset: int, size: int, what: str) -> slice:
        if offset + size > len(self._stable):
            raise _Trap(f"{what}: stable range [{offset}, {offset + size}) outside {len(self._stable)} bytes")
        return slice(offset, offset + size)

    def _ic0_stable64_read(self, dst: int, offset: int, size: int) -> None:
        dst, offset, size = dst & _U64, offset & _U64, size & _U64
        source = self._stable_range(offset, size, "stable64_read")
        self._view[self._heap(dst, size, "stable64_read")] = np.frombuffer(self._stable[source], np.uint8)

    def _ic0_stable64_write(self, offset: int, src: int, size: int) -> None:
        message, offset, src, size = self._msg(), offset & _U64, src & _U64, size & _U64
        target = self._stable_range(offset, size, "stable64_write")
        data = self._view[self._heap(src, size, "stable64_write")].tobytes()
        message.stable_writes.append((offset, bytes(self._stable[target])))
        self._stable[target] = data

    def _ic0_certified_data_set(self, src: int, size: int) -> None:
        message, src, size = self._msg(), src & 0xFFFFFFFF, size & 0xFFFFFFFF
        if message.kind == "query":
            raise _Trap("certified_data_set: not allowed in a query")
        if size > MAX_CERTIFIED_BYTES:
            raise _Trap(f"certified_data_set: {size} bytes exceed the {MAX_CERTIFIED_BYTES}-byte limit")
        if message.certified_before is None:
            message.certified_before = self._certified
        self._certified = self._view[self._heap(src, size, "certified_data_set")].tobytes()

    def _ic0_performance_counter(self, counter_type: int) -> int:
        message = self._msg()
        if counter_type not in (0, 1):
            raise _Trap(f"performance_counter: unknown counter type {counter_type}")
        return 0 if message.limit is None else message.limit - self._store.get_fuel()

    def _ic0_trap(self, src: int, size: int) -> None:
        src, size = src & 0xFFFFFFFF, min(size & 0xFFFFFFFF, 1024)
        text = self._view[self._heap(src, size, "trap")].tobytes().decode("utf-8", "replace")
        raise _Trap(text)


_OVERHEAD_WAT = """(module
  (import "ic0" "msg_arg_data_size" (func $size (result i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "env" "memory" (memory 1))
  (func (export "canister_query with_call") (local $i i32)
    (loop $l (drop (call $size))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {calls}))))
    (call $reply))
  (func (export "canister_query without_call") (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {calls}))))
    (call $reply)))"""


def host_call_overhead_s(calls: int = 100_000, repeats: int = 5) -> float:
    """Seconds one Python ic0 host call adds (here msg_arg_data_size, the cheapest): a Wasm loop making
    `calls` calls minus the same loop without them, best of `repeats`, unmetered. The replica's system API
    is native Rust, so subtract this per call from execution times measured here."""
    import wasmtime

    if calls <= 0 or repeats <= 0:
        raise ValueError(f"calls and repeats must be positive, got {calls} and {repeats}")
    module = wasmtime.Module(_engine("off"), _OVERHEAD_WAT.replace("{calls}", str(calls)))
    probe = Canister._from_module("host-call-probe", module, "off", STATE_BASE + WASM_PAGE)

    def best(method: str) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            outcome = probe.query(method)
            times.append(time.perf_counter() - start)
            if outcome.reject is not None:
                raise RuntimeError(f"host-call probe rejected: {outcome.reject}")
        return min(times)

    return max(0.0, (best("with_call") - best("without_call")) / calls)
