"""Instruction metering by instrumentation (kernels.requests.metering): for hand-written modules the
instrumented counter equals wasmtime's fuel for the same call, exactly, and results are unchanged; the
limit traps long loops; rule "ic" follows the replica's weights; malformed input is a ValueError."""
import functools
import importlib
import pathlib

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.requests import metering

FUEL = 10**12
CANISTERS = pathlib.Path(metering.__file__).parent / "canisters"


@functools.lru_cache(maxsize=None)
def engines() -> tuple[wasmtime.Engine, wasmtime.Engine]:
    fueled = wasmtime.Config()
    fueled.consume_fuel = True
    return wasmtime.Engine(fueled), wasmtime.Engine()


@functools.lru_cache(maxsize=None)
def compiled(wat: str, rule: str = "fuel") -> tuple[wasmtime.Module, wasmtime.Module]:
    fueled, plain = engines()
    wasm = wasmtime.wat2wasm(wat)
    return wasmtime.Module(fueled, wasm), wasmtime.Module(plain, metering.instrument(wasm, rule=rule))


def host_imports(store: wasmtime.Store, module: wasmtime.Module) -> list:
    """Imports for the test modules: env.add1 (i32 -> i32), env.log (i32 ->), env.g (immutable i32 = 7)."""
    made = {"add1": lambda: wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()]),
                                          lambda x: x + 1),
            "log": lambda: wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], []), lambda x: None),
            "g": lambda: wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), False),
                                         wasmtime.Val.i32(7))}
    return [made[imp.name]() for imp in module.imports]


def run_both(wat: str, name: str, *args, rule: str = "fuel"):
    """(result, fuel consumed) of the original and (result, instruction_counter) of the instrumented module."""
    fueled_module, instrumented_module = compiled(wat, rule)
    store = wasmtime.Store(engines()[0])
    store.set_fuel(FUEL)
    original = wasmtime.Instance(store, fueled_module, host_imports(store, fueled_module)).exports(store)
    store.set_fuel(FUEL)  # instantiation itself may burn fuel (evaluating element segments)
    expected = original[name](store, *args)
    fuel = FUEL - store.get_fuel()
    store2 = wasmtime.Store(engines()[1])
    inst = wasmtime.Instance(store2, instrumented_module, host_imports(store2, instrumented_module)).exports(store2)
    got = inst[name](store2, *args)
    return (expected, fuel), (got, inst[metering.COUNTER_EXPORT].value(store2))


def assert_counts_fuel(wat: str, name: str, *args) -> None:
    (expected, fuel), (got, count) = run_both(wat, name, *args)
    assert got == expected
    assert count == fuel, f"{name}{args}: counter {count} != fuel {fuel}"


STRAIGHT = """(module
  (func (export "f") (param i32 i32) (result i32) (local i64 f64)
    nop local.get 0 local.get 1 i32.add local.get 0 i32.mul i32.const 3 drop
    local.get 1 i64.extend_i32_s local.tee 2 i64.const 9 i64.rem_s i32.wrap_i64 i32.xor
    local.get 0 f64.convert_i32_s f64.const 1.5 f64.mul local.tee 3 i32.trunc_sat_f64_s i32.add
    i32.extend8_s local.get 1 i32.const 1 i32.or i32.div_s
    i32.const 1 i32.const 2 local.get 0 select i32.add))"""

NESTED_BLOCKS = """(module
  (func (export "f") (param i32) (result i32) (local i32)
    block $out
      block $a
        local.get 0 i32.const 3 i32.lt_s br_if $a
        i32.const 10 local.set 1
        block $b
          local.get 0 i32.const 10 i32.gt_s br_if $out
          i32.const 20 local.set 1 br $b
          i32.const 99 local.set 1
        end
        local.get 1 i32.const 1 i32.add local.set 1
      end
      local.get 1 i32.const 100 i32.add local.set 1
    end
    local.get 1))"""

LOOP_SUM = """(module
  (func (export "f") (param i32) (result i32) (local i32)
    block $done
      loop $next
        local.get 0 i32.eqz br_if $done
        local.get 1 local.get 0 i32.add local.set 1
        local.get 0 i32.const 1 i32.sub local.set 0
        br $next
      end
    end
    local.get 1))"""

BR_TABLE = """(module
  (func (export "f") (param i32) (result i32)
    block $d block $c block $b block $a
      local.get 0 br_table $a $b $c $d
    end i32.const 10 return
    end i32.const 20 local.get 0 i32.add return
    end i32.const 30 local.get 0 i32.mul return
    end i32.const -1))"""

IF_ELSE = """(module
  (func (export "f") (param i32) (result i32)
    local.get 0 i32.const 2 i32.rem_u
    if (result i32)
      local.get 0 i32.const 5 i32.gt_u
      if (result i32) i32.const 1 else i32.const 2 local.get 0 i32.mul end
    else
      local.get 0 i32.const 4 i32.lt_u if i32.const 0 return end
      i32.const 3
    end))"""

EARLY_RETURN = """(module
  (func (export "f") (param i32) (result i32) (local i32)
    loop $l
      local.get 1 local.get 0 i32.ge_s if local.get 1 i32.const 1000 i32.add return end
      local.get 1 i32.const 7 i32.eq if i32.const -7 return end
      local.get 1 i32.const 1 i32.add local.set 1
      br $l
    end
    unreachable))"""

CALLS = """(module
  (type $un (func (param i32) (result i32)))
  (table 2 funcref) (elem (i32.const 0) $double $fib)
  (func $fib (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end)
  (func $double (param i32) (result i32) local.get 0 local.get 0 i32.add)
  (func (export "f") (param i32) (result i32)
    local.get 0 i32.const 12 i32.rem_u call $fib
    local.get 0 i32.const 10 i32.rem_u local.get 0 i32.const 2 i32.rem_u call_indirect (type $un) i32.add))"""

IMPORTS_AND_GLOBALS = """(module
  (import "env" "add1" (func $add1 (param i32) (result i32)))
  (import "env" "g" (global $g i32))
  (import "env" "log" (func $log (param i32)))
  (global $acc (mut i32) (i32.const 0))
  (global $k i32 (i32.const 5))
  (global $seen (mut i64) (i64.const 0))
  (export "acc" (global $acc))
  (func (export "f") (param i32) (result i32)
    global.get $g global.set $acc
    block $done loop $l
      local.get 0 i32.eqz br_if $done
      global.get $acc call $add1 global.get $k i32.add global.set $acc
      global.get $seen i64.const 1 i64.add global.set $seen
      local.get 0 call $log
      local.get 0 i32.const 1 i32.sub local.set 0 br $l
    end end
    global.get $acc global.get $seen i32.wrap_i64 i32.add))"""

MULTI_VALUE = """(module
  (func $swap (param i32 i32) (result i32 i32) local.get 1 local.get 0)
  (func (export "f") (param i32) (result i32)
    local.get 0 i32.const 3
    block (param i32 i32) (result i32 i32)
      call $swap
      local.get 0 i32.const 4 i32.gt_s br_if 0
      i32.const 1 i32.add
    end
    i32.sub
    i32.const 0
    loop (param i32 i32) (result i32)
      i32.add
    end
    local.get 0 i32.const 1 i32.and
    if (param i32) (result i32 i32) i32.const 100 else i32.const 200 end
    i32.add))"""

BULK_MEMORY = """(module
  (memory 1 4) (data $d "the quick brown fox") (table 4 16 funcref) (elem $e func $noop) (func $noop)
  (func (export "f") (param i32) (result i32)
    i32.const 100 i32.const 0 local.get 0 i32.const 19 i32.rem_u memory.init $d
    i32.const 200 i32.const 100 local.get 0 memory.copy
    i32.const 300 local.get 0 i32.const 255 i32.and local.get 0 memory.fill
    i32.const 0 i32.const 0 i32.const 64 memory.copy
    local.get 0 i32.const 4 i32.rem_u memory.grow drop
    ref.null func local.get 0 i32.const 16 i32.rem_u table.grow drop
    i32.const 0 ref.func $noop local.get 0 i32.const 4 i32.rem_u table.fill
    i32.const 1 i32.const 0 i32.const 2 table.copy
    i32.const 0 i32.const 0 i32.const 1 table.init $e elem.drop $e
    data.drop $d
    i32.const 200 i32.load8_u memory.size i32.add table.size i32.add))"""

CASES = {"nested_blocks": NESTED_BLOCKS, "loop_sum": LOOP_SUM, "br_table": BR_TABLE,
         "if_else": IF_ELSE, "early_return": EARLY_RETURN, "calls": CALLS,
         "imports_and_globals": IMPORTS_AND_GLOBALS, "multi_value": MULTI_VALUE, "bulk_memory": BULK_MEMORY}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("arg", [0, 1, 2, 3, 4, 5, 7, 11, 40])
def test_counter_equals_wasmtime_fuel(case, arg):
    assert_counts_fuel(CASES[case], "f", arg)


@settings(max_examples=25, deadline=None)
@given(case=st.sampled_from(sorted(CASES)), arg=st.integers(0, 300))
def test_counter_equals_fuel_for_any_argument(case, arg):
    assert_counts_fuel(CASES[case], "f", arg)


@settings(max_examples=15, deadline=None)
@given(a=st.integers(-2**31, 2**31 - 1), b=st.integers(-2**31, 2**31 - 1))
def test_straight_line_code(a, b):
    assert_counts_fuel(STRAIGHT, "f", a, b)


def test_empty_function_costs_one_and_globals_keep_working():
    assert_counts_fuel('(module (func (export "f")))', "f")
    (_, _), (_, count) = run_both('(module (func (export "f")))', "f")
    assert count == 1
    _, instrumented = compiled(IMPORTS_AND_GLOBALS)
    store = wasmtime.Store(engines()[1])
    exports = wasmtime.Instance(store, instrumented, host_imports(store, instrumented)).exports(store)
    assert exports["f"](store, 3) == 7 + 3 * 6 + 3 and exports["acc"].value(store) == 7 + 3 * 6
    names = [e.name for e in instrumented.exports]
    assert names[-2:] == [metering.COUNTER_EXPORT, metering.LIMIT_EXPORT]


def instrumented_instance(wat: str) -> tuple[wasmtime.Store, dict]:
    store = wasmtime.Store(engines()[1])
    return store, wasmtime.Instance(store, compiled(wat)[1], []).exports(store)


def test_limit_traps_a_long_loop_and_the_host_can_tell_why():
    store, exports = instrumented_instance(LOOP_SUM)
    exports[metering.LIMIT_EXPORT].set_value(store, wasmtime.Val.i64(10_000))
    with pytest.raises(wasmtime.Trap):
        exports["f"](store, 10**6)
    counter = exports[metering.COUNTER_EXPORT].value(store)
    assert 10_000 < counter < 10_000 + 20  # checked at every loop header: at most one iteration over
    exports[metering.COUNTER_EXPORT].set_value(store, wasmtime.Val.i64(0))
    exports[metering.LIMIT_EXPORT].set_value(store, wasmtime.Val.i64(metering.UNLIMITED))
    assert exports["f"](store, 1000) == 500500


def test_an_ordinary_trap_leaves_the_counter_within_the_limit():
    store, exports = instrumented_instance(EARLY_RETURN)
    exports[metering.LIMIT_EXPORT].set_value(store, wasmtime.Val.i64(0))
    with pytest.raises(wasmtime.Trap):
        exports["f"](store, 3)
    assert exports[metering.COUNTER_EXPORT].value(store) == 1  # the entry charge, then the check traps
    store, exports = instrumented_instance('(module (func (export "f") i32.const 1 i32.const 0 i32.div_u drop))')
    with pytest.raises(wasmtime.Trap):
        exports["f"](store)
    assert exports[metering.COUNTER_EXPORT].value(store) <= exports[metering.LIMIT_EXPORT].value(store)


def test_ic_rule_uses_the_replica_weights():
    # entry 1 + local.get 1 + i32.const 1 + i32.div_u 10 + global.get 2 + i32.add 1 + call 5, callee entry 1
    wat = """(module (global $g i32 (i32.const 2)) (func $nothing)
      (func (export "f") (param i32) (result i32)
        local.get 0 i32.const 3 i32.div_u global.get $g i32.add call $nothing))"""
    (expected, fuel), (got, count) = run_both(wat, "f", 30, rule="ic")
    assert got == expected == 12 and count == 1 + 1 + 1 + 10 + 2 + 1 + 5 + 1 and fuel == 8
    one, two = (run_both(LOOP_SUM, "f", n, rule="ic")[1][1] for n in (1, 2))
    # one more iteration: local.get, i32.eqz, br_if (2); 2 local.get, i32.add, local.set; the same with
    # i32.const and i32.sub; br (2); the loop header itself costs 0
    assert two - one == (1 + 1 + 2) + 4 + 4 + 2


def test_ic_rule_charges_bulk_memory_per_byte():
    wat = """(module (memory 1) (func (export "f") (param i32)
      i32.const 0 i32.const 100 local.get 0 memory.copy))"""
    counts = [run_both(wat, "f", n, rule="ic")[1][1] for n in (0, 1000)]
    assert counts == [1 + 3 + 100, 1 + 3 + 100 + 1000]


@settings(max_examples=60, deadline=None)
@given(seed=st.sampled_from(sorted(CASES)), position=st.integers(8, 10**6), value=st.integers(0, 255),
       cut=st.booleans())
def test_corrupted_modules_raise_value_error_or_stay_valid(seed, position, value, cut):
    wasm = bytearray(wasmtime.wat2wasm(CASES[seed]))
    wasm[position % len(wasm)] = value
    corrupted = bytes(wasm[:position % len(wasm)] if cut else wasm)
    try:
        wasmtime.Module.validate(engines()[1], corrupted)
        valid = True
    except wasmtime.WasmtimeError:
        valid = False
    try:
        instrumented = metering.instrument(corrupted)
    except ValueError as error:
        assert not valid or "support" in str(error)  # e.g. a flag byte turned into a 64-bit memory
        return
    if valid:
        wasmtime.Module.validate(engines()[1], instrumented)


def test_name_section_is_kept():
    wasm = wasmtime.wat2wasm('(module $m (func $named (export "f")))')
    assert b"\x04name" in wasm and b"named" in metering.instrument(wasm)


@pytest.mark.parametrize("garbage", [b"", b"not wasm at all", b"\x00asm\x02\x00\x00\x00",
                                     b"\x00asm\x01\x00\x00\x00\x01\x10\x00"])
def test_garbage_raises_value_error_with_offset(garbage):
    with pytest.raises(ValueError, match="offset"):
        metering.instrument(garbage)


def test_truncated_and_unknown_opcode_raise_value_error():
    wasm = wasmtime.wat2wasm(LOOP_SUM)
    for cut in (len(wasm) - 1, len(wasm) - 5, 12):
        with pytest.raises(ValueError, match="offset"):
            metering.instrument(wasm[:cut])
    patched = bytearray(wasmtime.wat2wasm('(module (func (export "f") nop))'))
    patched[patched.rindex(0x01)] = 0xFF  # the nop, the last 0x01 before the body's end
    with pytest.raises(ValueError, match="unknown opcode 0xff at offset"):
        metering.instrument(bytes(patched))
    with pytest.raises(ValueError, match="rule"):
        metering.instrument(wasm, rule="gas")


def canister_wasm(name: str) -> bytes:
    """The compiled canister from kernels/requests/canisters (another part of the suite), or a skip."""
    if not (CANISTERS / "build.py").exists() or not (CANISTERS / f"{name}.c").exists():
        pytest.skip("canister sources or build.py not present")
    build = importlib.import_module("kernels.requests.canisters.build")
    try:
        return pathlib.Path(build.wasm_path(name)).read_bytes()
    except Exception as error:  # no clang/wasm-ld for wasm32 here
        pytest.skip(f"cannot build canister {name}: {error}")


@pytest.mark.parametrize("name", ["counter", "ledger"])
@pytest.mark.parametrize("rule", metering.RULES)
def test_compiled_canisters_still_validate(name, rule):
    wasm = canister_wasm(name)
    module = wasmtime.Module(engines()[1], metering.instrument(wasm, rule=rule))
    exports = [e.name for e in module.exports]
    assert exports[-2:] == [metering.COUNTER_EXPORT, metering.LIMIT_EXPORT]
    assert exports[:-2] == [e.name for e in wasmtime.Module(engines()[1], wasm).exports]


def run_canister_method(engine: wasmtime.Engine, wasm: bytes, method: str, arg: bytes, fuel: bool):
    """Runs one exported method with the ic0 imports stubbed from the interface spec (argument in, reply
    out); returns (reply bytes, fuel consumed or the instrumented counter)."""
    module = wasmtime.Module(engine, wasm)
    store, reply = wasmtime.Store(engine), bytearray()
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(64, None)))  # state lives at 2 MiB

    def arg_copy(dst, offset, size):
        memory.write(store, arg[offset:offset + size], dst)

    behaviour = {"msg_arg_data_size": lambda: len(arg), "msg_arg_data_copy": arg_copy,
                 "msg_reply_data_append": lambda src, size: reply.extend(memory.read(store, src, src + size))}

    def stub(imp):  # anything else (reply, certified data, performance counter) answers 0 or nothing
        action, default = behaviour.get(imp.name, lambda *args: None), 0 if imp.type.results else None
        return wasmtime.Func(store, imp.type, lambda *args: (lambda result: default if result is None
                                                             else result)(action(*args)))

    imports = [memory if i.name == "memory" else stub(i) for i in module.imports]
    if fuel:
        store.set_fuel(FUEL)
    exports = wasmtime.Instance(store, module, imports).exports(store)
    if fuel:
        store.set_fuel(FUEL)
    exports[method](store)
    used = FUEL - store.get_fuel() if fuel else exports[metering.COUNTER_EXPORT].value(store)
    return bytes(reply), used


@pytest.mark.parametrize("name, method, arg", [("counter", "canister_update inc", b""),
                                               ("counter", "canister_update burn", (0).to_bytes(8, "little")),
                                               ("counter", "canister_update burn", (1000).to_bytes(8, "little")),
                                               ("ledger", "canister_query supply", b"")])
def test_canister_counter_equals_fuel(name, method, arg):
    wasm = canister_wasm(name)
    fueled, plain = engines()
    reply, fuel = run_canister_method(fueled, wasm, method, arg, fuel=True)
    reply_instrumented, count = run_canister_method(plain, metering.instrument(wasm), method, arg, fuel=False)
    assert reply_instrumented[:8] == reply[:8] and count == fuel  # burn's bytes 8.. are performance_counter(0)
