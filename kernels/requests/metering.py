"""Instruction metering by Wasm binary instrumentation, the way the IC replica meters canisters
(dfinity/ic rs/embedders/src/wasm_utils/instrumentation.rs), in pure Python.

`instrument(wasm, rule=...)` returns a module with two exported mutable i64 globals appended after every
existing global (so no existing global index moves): `instruction_counter` (starts at 0) and
`instruction_limit` (starts at 2**63 - 1). Invariants of the output:
- each straight-line segment (from function entry, or just after block ends, `loop`, `if`, `else`, branches,
  `return`, `unreachable` and calls) adds its whole static cost to the counter when it starts, so for a run
  that does not trap the counter is exact on every path; a trap over-counts by at most the rest of the
  segment it happened in;
- work proportional to a runtime operand (bulk memory/table ops, and for rule "fuel" successful grows) is
  added from the operand with scratch locals appended after the function's own locals;
- at function entry and at each loop header, after the charge, `counter > limit` traps with `unreachable`,
  so a host that catches a trap tells an exhausted limit by reading the two globals;
- rule "fuel" prices operators as wasmtime's fuel does (crates/environ/src/tunables.rs
  `default_operator_cost`, 1 per function entry from crates/cranelift/src/func_environ.rs), so the counter
  equals the fuel wasmtime consumes for the same run; rule "ic" uses the replica's `instruction_to_cost`.
Instruction bytes are copied verbatim; only function bodies, the global and export sections change. Custom
sections are kept, except DWARF (`.debug_*`), whose code offsets the instrumentation invalidates.
Supported: MVP, sign extension, 0xFC (saturating truncation, bulk memory, table ops), reference types,
multi-value, tail calls; 64-bit memories/tables, SIMD, threads, exceptions and GC types raise ValueError.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

COUNTER_EXPORT = "instruction_counter"
LIMIT_EXPORT = "instruction_limit"
UNLIMITED = 2**63 - 1
RULES = ("fuel", "ic")

_MAGIC = b"\x00asm\x01\x00\x00\x00"
_SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
_TYPE, _IMPORT, _FUNCTION, _TABLE, _MEMORY, _GLOBAL, _EXPORT, _CODE = 1, 2, 3, 4, 5, 6, 7, 10
_I32, _I64 = 0x7F, 0x7E
# numbers, v128, and the reference shorthands (funcref, externref, and the GC/exception ones 0x69..0x74)
_SINGLE_BYTE_VALTYPES = {0x7F, 0x7E, 0x7D, 0x7C, 0x7B, *range(0x69, 0x75)}


class _Reader:
    """A cursor over `data[pos:end]`; every read past `end` or malformed LEB128 raises ValueError(offset)."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def fail(self, what: str, at: int | None = None) -> ValueError:
        return ValueError(f"{what} at offset {self.pos if at is None else at}")

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end of data")
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise self.fail(f"{n} bytes run past the end ({self.end})")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def _leb128(self, bits: int) -> tuple[int, int, int, int]:
        """(start, value without sign extension, bits read, last byte) of one LEB128 number."""
        start, value, shift = self.pos, 0, 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return start, value, shift, b
            if shift >= bits + 7:
                raise self.fail("LEB128 too long", start)

    def unsigned(self, bits: int = 32) -> int:
        start, value, _, _ = self._leb128(bits)
        if value >> bits:
            raise self.fail(f"LEB128 exceeds {bits} bits", start)
        return value

    def signed(self, bits: int) -> int:
        start, value, shift, b = self._leb128(bits)
        if b & 0x40:
            value -= 1 << shift
        if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
            raise self.fail(f"signed LEB128 exceeds {bits} bits", start)
        return value

    def vector(self) -> int:
        return self.unsigned(32)


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def _name(text: str) -> bytes:
    raw = text.encode()
    return _uleb(len(raw)) + raw


# ---- opcodes: name and immediate kind ------------------------------------------------------------------

_NUMERIC = """i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u
i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u
f32.eq f32.ne f32.lt f32.gt f32.le f32.ge f64.eq f64.ne f64.lt f64.gt f64.le f64.ge
i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or
i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr
i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or
i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr
f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt f32.add f32.sub f32.mul f32.div f32.min
f32.max f32.copysign f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt f64.add f64.sub
f64.mul f64.div f64.min f64.max f64.copysign
i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u i64.extend_i32_s
i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u f32.convert_i32_s
f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64 f64.convert_i32_s f64.convert_i32_u
f64.convert_i64_s f64.convert_i64_u f64.promote_f32 i32.reinterpret_f32 i64.reinterpret_f64
f32.reinterpret_i32 f64.reinterpret_i64 i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s
i64.extend32_s""".split()
_MEMORY_ACCESS = """i32.load i64.load f32.load f64.load i32.load8_s i32.load8_u i32.load16_s i32.load16_u
i64.load8_s i64.load8_u i64.load16_s i64.load16_u i64.load32_s i64.load32_u i32.store i64.store f32.store
f64.store i32.store8 i32.store16 i64.store8 i64.store16 i64.store32""".split()

_OPCODES: dict[int, tuple[str, str]] = {
    0x00: ("unreachable", ""), 0x01: ("nop", ""), 0x02: ("block", "blocktype"), 0x03: ("loop", "blocktype"),
    0x04: ("if", "blocktype"), 0x05: ("else", ""), 0x0B: ("end", ""), 0x0C: ("br", "u32"),
    0x0D: ("br_if", "u32"), 0x0E: ("br_table", "br_table"), 0x0F: ("return", ""), 0x10: ("call", "u32"),
    0x11: ("call_indirect", "u32 u32"), 0x12: ("return_call", "u32"),
    0x13: ("return_call_indirect", "u32 u32"), 0x1A: ("drop", ""), 0x1B: ("select", ""),
    0x1C: ("select", "valtypes"), 0x20: ("local.get", "u32"), 0x21: ("local.set", "u32"),
    0x22: ("local.tee", "u32"), 0x23: ("global.get", "u32"), 0x24: ("global.set", "u32"),
    0x25: ("table.get", "u32"), 0x26: ("table.set", "u32"), 0x3F: ("memory.size", "u32"),
    0x40: ("memory.grow", "u32"), 0x41: ("i32.const", "s32"), 0x42: ("i64.const", "s64"),
    0x43: ("f32.const", "4 bytes"), 0x44: ("f64.const", "8 bytes"), 0xD0: ("ref.null", "heaptype"),
    0xD1: ("ref.is_null", ""), 0xD2: ("ref.func", "u32"),
    **{0x28 + i: (name, "memarg") for i, name in enumerate(_MEMORY_ACCESS)},
    **{0x45 + i: (name, "") for i, name in enumerate(_NUMERIC)},
}
_FC_OPCODES: dict[int, tuple[str, str]] = {
    **{i: (f"i{32 if i < 4 else 64}.trunc_sat_f{32 if i % 4 < 2 else 64}_{'su'[i % 2]}", "") for i in range(8)},
    8: ("memory.init", "u32 u32"), 9: ("data.drop", "u32"), 10: ("memory.copy", "u32 u32"),
    11: ("memory.fill", "u32"), 12: ("table.init", "u32 u32"), 13: ("elem.drop", "u32"),
    14: ("table.copy", "u32 u32"), 15: ("table.grow", "u32"), 16: ("table.size", "u32"), 17: ("table.fill", "u32"),
}
_UNSUPPORTED_PREFIXES = {0xFB: "GC", 0xFD: "SIMD", 0xFE: "threads"}


def _skip_blocktype(r: _Reader) -> None:
    at = r.pos
    if r.signed(33) < -64:  # one byte 0x40..0x7f: empty or a value type; otherwise a type index (>= 0)
        raise r.fail("unknown block type", at)


def _skip_valtype(r: _Reader) -> int:
    at, code = r.pos, r.byte()
    if code in (0x63, 0x64):  # (ref null? ht), typed function references
        r.signed(33)
    elif code not in _SINGLE_BYTE_VALTYPES:
        raise r.fail(f"unknown value type 0x{code:02x}", at)
    return code


def _skip_br_table(r: _Reader) -> None:
    for _ in range(r.vector() + 1):
        r.unsigned()


def _skip_memarg(r: _Reader) -> None:
    if r.unsigned() & 0x40:  # multi-memory: a memory index follows the alignment
        r.unsigned()
    r.unsigned(64)


def _skip_valtypes(r: _Reader) -> None:
    for _ in range(r.vector()):
        _skip_valtype(r)


_IMMEDIATE_READERS: dict[str, Callable[[_Reader], object]] = {
    "": lambda r: None, "u32": _Reader.unsigned, "u32 u32": lambda r: (r.unsigned(), r.unsigned()),
    "s32": lambda r: r.signed(32), "s64": lambda r: r.signed(64), "4 bytes": lambda r: r.take(4),
    "8 bytes": lambda r: r.take(8), "blocktype": _skip_blocktype, "br_table": _skip_br_table,
    "memarg": _skip_memarg, "valtypes": _skip_valtypes, "heaptype": lambda r: r.signed(33),
}


def _decode_instruction(r: _Reader) -> str:
    """Reads one instruction with its immediates and returns its name."""
    at, code = r.pos, r.byte()
    if code == 0xFC:
        sub = r.unsigned()
        if sub not in _FC_OPCODES:
            raise r.fail(f"unknown opcode 0xfc {sub}", at)
        name, kind = _FC_OPCODES[sub]
    elif code in _OPCODES:
        name, kind = _OPCODES[code]
    elif code in _UNSUPPORTED_PREFIXES:
        raise r.fail(f"unsupported {_UNSUPPORTED_PREFIXES[code]} opcode 0x{code:02x}", at)
    else:
        raise r.fail(f"unknown opcode 0x{code:02x}", at)
    _IMMEDIATE_READERS[kind](r)
    return name


# ---- cost rules -------------------------------------------------------------------------------------------

# wasmtime: crates/environ/src/tunables.rs `default_operator_cost`; the rest cost 1.
_FUEL_FREE = frozenset({"nop", "drop", "block", "loop", "unreachable", "return", "else", "end"})


def _ic_weights() -> dict[str, int]:
    """dfinity/ic rs/embedders/src/wasm_utils/instrumentation.rs `instruction_to_cost` (Wasm32); default 1."""
    w = dict.fromkeys(["block", "loop", "else", "end"], 0)
    w |= dict.fromkeys([f"i{b}.{op}" for b in (32, 64) for op in ("div_s", "div_u", "rem_s", "rem_u")], 10)
    for b in (32, 64):
        w |= dict.fromkeys([f"f{b}.{op}" for op in ("add", "sub", "mul", "ceil", "floor", "trunc", "nearest")], 2)
        w |= dict.fromkeys([f"f{b}.{op}" for op in ("eq", "ne", "lt", "gt", "le", "ge")], 3)
        w |= dict.fromkeys([f"f{b}.min", f"f{b}.max"], 18)
        w |= dict.fromkeys([f"f{b}.convert_i{s}_s" for s in (32, 64)], 3)
        w |= dict.fromkeys([f"f{b}.convert_i{s}_u" for s in (32, 64)], 16)
        w |= dict.fromkeys([f"i{b}.trunc_{t}f{s}_{u}" for t in ("", "sat_") for s in (32, 64) for u in "su"], 20)
    w |= {"f32.div": 3, "f64.div": 5, "f32.copysign": 2, "f64.copysign": 3, "f32.sqrt": 5, "f64.sqrt": 8}
    w |= {"global.get": 2, "global.set": 2, "table.get": 5, "table.set": 5, "memory.grow": 300,
          "table.grow": 300, "memory.size": 20, "table.size": 100, "data.drop": 300, "elem.drop": 300,
          "call": 5, "call_indirect": 10, "return_call": 3, "return_call_indirect": 60,
          "if": 2, "br": 2, "br_if": 2, "br_table": 2, "ref.is_null": 5, "ref.func": 130}
    w |= dict.fromkeys(["memory.fill", "memory.copy", "memory.init", "table.fill", "table.copy", "table.init"], 100)
    return w


_IC_WEIGHTS = _ic_weights()
_PER_UNIT_OPS = frozenset({"memory.copy", "memory.fill", "memory.init", "table.copy", "table.fill", "table.init"})
_GROW_OPS = frozenset({"memory.grow", "table.grow"})


@dataclass(frozen=True)
class _Rule:
    cost: Callable[[str], int]
    entry_cost: int  # both wasmtime and the replica charge 1 on entering any function
    per_unit_ops: frozenset[str]  # charged 1 per byte/element from the length on top of the stack
    grow_ops: frozenset[str]  # charged 1 per page/element requested, only when the grow succeeds


_RULES = {
    "fuel": _Rule(lambda name: 0 if name in _FUEL_FREE else 1, 1, _PER_UNIT_OPS, _GROW_OPS),
    "ic": _Rule(lambda name: _IC_WEIGHTS.get(name, 1), 1, _PER_UNIT_OPS, frozenset()),
}

# A segment ends after these: its successor starts at a branch target, after a call (so a trapping callee
# leaves the caller's count exact) or in code only reachable by branching.
_SEGMENT_ENDS = frozenset({"loop", "if", "else", "end", "br", "br_if", "br_table", "return", "unreachable",
                           "call", "call_indirect", "return_call", "return_call_indirect"})
_BLOCK_STARTS = frozenset({"block", "loop", "if"})


# ---- module structure -------------------------------------------------------------------------------------

@dataclass
class _Section:
    id: int
    payload: bytes
    offset: int = 0  # of the payload in `source`, so errors report offsets in the input
    source: bytes = b""


@dataclass
class _ModuleInfo:
    param_counts: list[int]  # per type index
    imported_functions: int
    imported_globals: int
    function_types: list[int]  # per defined function
    defined_globals: int
    export_names: set[str]


def _split_sections(wasm: bytes) -> list[_Section]:
    if not isinstance(wasm, (bytes, bytearray, memoryview)):
        raise ValueError("a Wasm module must be bytes at offset 0")
    wasm = bytes(wasm)
    if wasm[:8] != _MAGIC:
        raise ValueError("not a Wasm module (bad magic or version) at offset 0")
    r, sections, last_rank = _Reader(wasm, 8), [], 0
    while r.pos < r.end:
        at, section_id = r.pos, r.byte()
        size = r.unsigned()
        start = r.pos
        payload = r.take(size)
        if section_id != 0:
            rank = _SECTION_ORDER.get(section_id)
            if rank is None or rank <= last_rank:
                raise r.fail(f"unknown or out-of-order section {section_id}", at)
            last_rank = rank
        sections.append(_Section(section_id, payload, start, wasm))
    return sections


def _reader_for(section: _Section) -> _Reader:
    if not section.source:
        return _Reader(section.payload)
    return _Reader(section.source, section.offset, section.offset + len(section.payload))


def _expect_end(r: _Reader, what: str) -> None:
    if r.pos != r.end:
        raise r.fail(f"{what}: {r.end - r.pos} bytes left over")


def _parse_types(r: _Reader) -> list[int]:
    counts = []
    for _ in range(r.vector()):
        at, form = r.pos, r.byte()
        if form != 0x60:
            raise r.fail(f"unsupported type form 0x{form:02x} (only function types)", at)
        params = r.vector()
        for _ in range(params):
            _skip_valtype(r)
        _skip_valtypes(r)
        counts.append(params)
    return counts


def _skip_limits(r: _Reader, what: str) -> None:
    at, flags = r.pos, r.byte()
    if flags & 0x04:
        raise r.fail(f"64-bit {what} not supported", at)
    if flags & ~0x0B:
        raise r.fail(f"unknown {what} limits flags 0x{flags:02x}", at)
    r.unsigned(64)
    if flags & 0x01:
        r.unsigned(64)
    if flags & 0x08:  # custom page size
        r.unsigned()


def _skip_table_type(r: _Reader) -> None:
    _skip_valtype(r)
    _skip_limits(r, "table")


def _parse_imports(r: _Reader) -> tuple[int, int]:
    functions = globals_ = 0
    for _ in range(r.vector()):
        r.take(r.vector())
        r.take(r.vector())
        at, kind = r.pos, r.byte()
        if kind == 0x00:
            r.unsigned()
            functions += 1
        elif kind == 0x01:
            _skip_table_type(r)
        elif kind == 0x02:
            _skip_limits(r, "memory")
        elif kind == 0x03:
            _skip_valtype(r)
            r.byte()
            globals_ += 1
        else:
            raise r.fail(f"unsupported import kind 0x{kind:02x}", at)
    return functions, globals_


def _parse_exports(r: _Reader) -> set[str]:
    names = set()
    for _ in range(r.vector()):
        names.add(r.take(r.vector()).decode(errors="replace"))
        r.byte()
        r.unsigned()
    return names


def _check_memories_and_tables(sections: list[_Section]) -> None:
    for section in sections:
        if section.id in (_MEMORY, _TABLE):
            r = _reader_for(section)
            for _ in range(r.vector()):
                if section.id == _MEMORY:
                    _skip_limits(r, "memory")
                elif r.data[r.pos] == 0x40:
                    raise r.fail("tables with initialisers not supported")
                else:
                    _skip_table_type(r)
            _expect_end(r, "memory/table section")


def _module_info(sections: list[_Section]) -> _ModuleInfo:
    info = _ModuleInfo([], 0, 0, [], 0, set())
    for section in sections:
        r = _reader_for(section)
        if section.id == _TYPE:
            info.param_counts = _parse_types(r)
        elif section.id == _IMPORT:
            info.imported_functions, info.imported_globals = _parse_imports(r)
        elif section.id == _FUNCTION:
            info.function_types = [r.unsigned() for _ in range(r.vector())]
        elif section.id == _GLOBAL:
            info.defined_globals = r.vector()
            continue  # initialiser expressions are copied, not parsed
        elif section.id == _EXPORT:
            info.export_names = _parse_exports(r)
        else:
            continue
        _expect_end(r, f"section {section.id}")
    _check_memories_and_tables(sections)
    return info


# ---- function bodies ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Op:
    name: str
    start: int
    end: int


@dataclass
class _Body:
    local_groups: bytes  # the (count, valtype) entries, without their vector length
    group_count: int
    declared_locals: int
    ops: list[_Op]


def _decode_body(r: _Reader) -> _Body:
    group_count, declared = r.vector(), 0
    groups_start = r.pos
    for _ in range(group_count):
        declared += r.unsigned()
        _skip_valtype(r)
    if declared > 50_000:
        raise r.fail(f"{declared} locals exceed the 50000 limit")
    local_groups, ops, depth = r.data[groups_start:r.pos], [], 0
    while r.pos < r.end:
        start = r.pos
        name = _decode_instruction(r)
        ops.append(_Op(name, start, r.pos))
        depth += (name in _BLOCK_STARTS) - (name == "end")
        if depth < 0:
            break
    if depth >= 0 or r.pos != r.end:
        raise r.fail("function body does not end with its closing `end`")
    return _Body(local_groups, group_count, declared, ops)


def _plan_charges(ops: list[_Op], rule: _Rule) -> dict[int, tuple[int, bool]]:
    """Maps op index -> (static cost of the segment starting there, whether to check the limit there)."""
    charges: dict[int, tuple[int, bool]] = {}
    start, cost, check = 0, rule.entry_cost, True
    for i, op in enumerate(ops):
        cost += rule.cost(op.name)
        if op.name in _SEGMENT_ENDS:
            charges[start] = (cost, check)
            start, cost, check = i + 1, 0, op.name == "loop"
    return charges


class _Emitter:
    """Wasm snippets that read and update the two appended globals; each leaves the operand stack as found."""

    def __init__(self, counter: int, scratch: int) -> None:
        self.counter, self.limit = _uleb(counter), _uleb(counter + 1)
        self.length, self.result = _uleb(scratch), _uleb(scratch + 1)

    def add_constant(self, cost: int) -> bytes:
        return b"\x23" + self.counter + b"\x42" + _sleb(cost) + b"\x7c\x24" + self.counter

    def trap_if_over_limit(self) -> bytes:  # global.get c; global.get l; i64.gt_s; if; unreachable; end
        return b"\x23" + self.counter + b"\x23" + self.limit + b"\x55\x04\x40\x00\x0b"

    def add_saved_length(self) -> bytes:  # counter += u64(length local)
        return b"\x23" + self.counter + b"\x20" + self.length + b"\xad\x7c\x24" + self.counter

    def save_length(self) -> bytes:  # local.tee length
        return b"\x22" + self.length

    def add_length_if_grown(self) -> bytes:  # local.tee result; if result != -1: add length; local.get result
        return (b"\x22" + self.result + b"\x41\x7f\x47\x04\x40" + self.add_saved_length() + b"\x0b"
                + b"\x20" + self.result)


def _instrument_body(r: _Reader, params: int, counter: int, rule: _Rule) -> bytes:
    body = _decode_body(r)
    emit = _Emitter(counter, params + body.declared_locals)
    charges = _plan_charges(body.ops, rule)
    code = bytearray()
    uses_scratch = False
    for i, op in enumerate(body.ops):
        cost, check = charges.get(i, (0, False))
        if cost:
            code += emit.add_constant(cost)
        if check:
            code += emit.trap_if_over_limit()
        raw = r.data[op.start:op.end]
        if op.name in rule.per_unit_ops:
            code += emit.save_length() + emit.add_saved_length() + raw
        elif op.name in rule.grow_ops:
            code += emit.save_length() + raw + emit.add_length_if_grown()
        else:
            code += raw
            continue
        uses_scratch = True
    groups = body.local_groups + (b"\x02\x7f" if uses_scratch else b"")
    return _uleb(body.group_count + uses_scratch) + groups + bytes(code)


def _instrument_code(section: _Section, info: _ModuleInfo, counter: int, rule: _Rule) -> bytes:
    r = _reader_for(section)
    count = r.vector()
    if count != len(info.function_types):
        raise r.fail(f"{count} function bodies for {len(info.function_types)} declared functions")
    out = bytearray(_uleb(count))
    for type_index in info.function_types:
        if type_index >= len(info.param_counts):
            raise r.fail(f"function type index {type_index} out of range")
        size = r.unsigned()
        body_reader = _Reader(r.data, r.pos, r.pos + size)
        r.take(size)
        body = _instrument_body(body_reader, info.param_counts[type_index], counter, rule)
        out += _uleb(len(body)) + body
    _expect_end(r, "code section")
    return bytes(out)


# ---- reassembly -------------------------------------------------------------------------------------------

def _with_appended_entries(section: _Section | None, entries: list[bytes]) -> bytes:
    if section is None:
        return _uleb(len(entries)) + b"".join(entries)
    r = _reader_for(section)
    count = r.vector()
    return _uleb(count + len(entries)) + section.payload[r.pos - section.offset:] + b"".join(entries)


def _insert_in_order(sections: list[_Section], new: _Section) -> None:
    rank = _SECTION_ORDER[new.id]
    for i, section in enumerate(sections):
        if section.id and _SECTION_ORDER[section.id] > rank:
            sections.insert(i, new)
            return
    sections.append(new)


def _replace_or_insert(sections: list[_Section], section_id: int, payload: bytes) -> None:
    for section in sections:
        if section.id == section_id:
            section.payload = payload
            return
    _insert_in_order(sections, _Section(section_id, payload))


def _is_dwarf(section: _Section) -> bool:
    if section.id != 0:
        return False
    r = _reader_for(section)
    return r.take(r.vector()).startswith(b".debug_")


def instrument(wasm: bytes, *, rule: str = "fuel") -> bytes:
    """Returns `wasm` with an exported instruction counter and limit (see the module docstring).

    rule "fuel": the counter after a call equals the fuel wasmtime consumes for the uninstrumented module;
    rule "ic": the replica's per-instruction weights. Raises ValueError (with an offset) on malformed input.
    """
    if rule not in _RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")
    sections = _split_sections(wasm)
    info = _module_info(sections)
    clash = info.export_names & {COUNTER_EXPORT, LIMIT_EXPORT}
    if clash:
        raise ValueError(f"module already exports {sorted(clash)} at offset 0")
    counter = info.imported_globals + info.defined_globals
    for section in sections:
        if section.id == _CODE:
            section.payload = _instrument_code(section, info, counter, _RULES[rule])
    sections = [s for s in sections if not _is_dwarf(s)]
    new_globals = [b"\x7e\x01\x42\x00\x0b", b"\x7e\x01\x42" + _sleb(UNLIMITED) + b"\x0b"]
    _replace_or_insert(sections, _GLOBAL, _with_appended_entries(
        next((s for s in sections if s.id == _GLOBAL), None), new_globals))
    new_exports = [_name(COUNTER_EXPORT) + b"\x03" + _uleb(counter), _name(LIMIT_EXPORT) + b"\x03" + _uleb(counter + 1)]
    _replace_or_insert(sections, _EXPORT, _with_appended_entries(
        next((s for s in sections if s.id == _EXPORT), None), new_exports))
    return _MAGIC + b"".join(bytes([s.id]) + _uleb(len(s.payload)) + s.payload for s in sections)
