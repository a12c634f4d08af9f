"""The execution stage's real canisters in wasmtime, against oracles outside the Wasm: the counter's count, a
Python model of the ledger (balances, burned fees, and its hash chain recomputed with hashlib), kv values found
at the addresses their hashed slots give; bad input and traps (rejections that roll back, the next message
still works), fuel that is deterministic and linear in the work, metering off, Store moves, the build."""
import hashlib
import random
import struct

import numpy as np
import pytest

from kernels.registry import BackendUnavailable
from kernels.requests.canisters import build
from kernels.requests.execution import STATE_BASE, Canister, Outcome, host_call_overhead_s

pytestmark = pytest.mark.skipif(build.toolchain_reason() is not None, reason=str(build.toolchain_reason()))

MASK64 = (1 << 64) - 1


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def ok(outcome: Outcome) -> bytes:
    assert outcome.reject is None, outcome.reject
    return outcome.reply


# ---- counter ------------------------------------------------------------------------------------------------

def test_counter_increments_across_messages_each_on_a_new_instance():
    counter = Canister("counter")
    replies = [ok(counter.update("inc")) for _ in range(5)]
    assert replies == [u64(n) for n in range(1, 6)]
    assert ok(counter.query("read")) == u64(5)
    assert counter._instances == 6  # one instance per message
    assert bytes(counter.memory[STATE_BASE:STATE_BASE + 8]) == u64(5)


def test_memory_is_a_read_only_view_without_copy():
    counter = Canister("counter")
    view = counter.memory
    assert not view.flags.writeable and len(view) == 4 << 20
    ok(counter.update("inc"))
    assert bytes(view[STATE_BASE:STATE_BASE + 8]) == u64(1)  # the same memory, seen after the message


def test_state_survives_moves_to_fresh_stores():
    counter = Canister("counter")
    counter.messages_per_store = 7
    for n in range(1, 31):
        assert ok(counter.update("inc")) == u64(n)
    kv = Canister("kv", heap_bytes=8 << 20)
    kv.messages_per_store = 5
    values = {key: bytes([key]) * (key * 37 % 4097) for key in range(40)}
    for key, value in values.items():
        ok(kv.update("put", u64(key) + value))
    assert all(ok(kv.query("get", u64(key))) == value for key, value in values.items())


# ---- ledger -------------------------------------------------------------------------------------------------

def account(principal: bytes) -> bytes:
    return hashlib.sha256(principal).digest()


def block_bytes(prev: bytes, source: bytes, target: bytes, amount: int, fee: int, index: int) -> bytes:
    return prev + source + target + u64(amount) + u64(fee) + u64(index)


class LedgerModel:
    """The ledger's documented behaviour in Python: balances, burned fees, the block chain."""

    def __init__(self):
        self.balances, self.blocks, self.minted, self.burned, self.tip = {}, [], 0, 0, bytes(32)

    def append(self, source: bytes, target: bytes, amount: int, fee: int) -> int:
        block = block_bytes(self.tip, source, target, amount, fee, len(self.blocks))
        self.blocks.append(block)
        self.tip = hashlib.sha256(block).digest()
        return len(self.blocks) - 1

    def mint(self, target: bytes, amount: int) -> bytes:
        self.balances[target] = self.balances.get(target, 0) + amount
        self.minted += amount
        return b"\x00" + u64(self.append(bytes(32), target, amount, 0))

    def transfer(self, source: bytes, target: bytes, amount: int, fee: int) -> bytes:
        balance = self.balances.get(source, 0)
        if amount + fee > MASK64:
            return b"\x02" + u64(balance)
        if balance < amount + fee:
            return b"\x01" + u64(balance)
        self.balances[source] = balance - amount - fee
        self.balances[target] = self.balances.get(target, 0) + amount
        self.burned += fee
        return b"\x00" + u64(self.append(source, target, amount, fee))


def run_ledger_sequence(ledger: Canister, seed: int, transfers: int) -> LedgerModel:
    rng, model = random.Random(seed), LedgerModel()
    principals = [bytes([1 + i]) * (1 + 3 * i) for i in range(5)]
    for principal in principals[:3]:
        target = account(principal)
        assert ok(ledger.update("mint", target + u64(1000))) == model.mint(target, 1000)
    for _ in range(transfers):
        sender, receiver = rng.choice(principals), rng.choice(principals)
        amount = rng.choice([0, 1, rng.randrange(600), rng.randrange(3000), MASK64])
        fee = rng.randrange(11)
        arg = account(receiver) + u64(amount) + u64(fee)
        expected = model.transfer(account(sender), account(receiver), amount, fee)
        assert ok(ledger.update("transfer", arg, caller=sender)) == expected
    return model


def test_ledger_conserves_balances_and_certifies_the_chain_tip():
    ledger = Canister("ledger")
    model = run_ledger_sequence(ledger, seed=7, transfers=80)
    assert len(model.blocks) > 3 + 10  # many transfers went through
    balances = {acc: int.from_bytes(ok(ledger.query("balance", acc)), "little") for acc in model.balances}
    assert balances == model.balances
    assert sum(balances.values()) + model.burned == model.minted == 3000
    assert ok(ledger.query("supply")) == u64(model.minted) + u64(model.burned) + u64(len(model.blocks))
    assert ledger.certified_data == ok(ledger.query("tip")) == model.tip
    assert ledger.stable[:120 * len(model.blocks)] == b"".join(model.blocks)


def test_ledger_reports_insufficient_funds_without_trapping():
    ledger = Canister("ledger")
    alice, bob = b"alice", b"bob"
    ok(ledger.update("mint", account(alice) + u64(50)))
    assert ok(ledger.update("transfer", account(bob) + u64(45) + u64(10), caller=alice)) == b"\x01" + u64(50)
    assert ok(ledger.update("transfer", account(bob) + u64(MASK64) + u64(1), caller=alice)) == b"\x02" + u64(50)
    assert ok(ledger.update("transfer", account(bob) + u64(40) + u64(10), caller=alice)) == b"\x00" + u64(1)
    assert ok(ledger.query("balance", account(alice))) == u64(0)
    assert ok(ledger.query("balance", account(bob))) == u64(40)


# ---- kv -----------------------------------------------------------------------------------------------------

def kv_slot_address(kv: Canister, key: int) -> int:
    """Where kv.c keeps `key`'s value: its documented hashing, read against the header in the heap."""
    memory = kv.memory
    _, capacity, _, values_base = struct.unpack_from("<4Q", memory, STATE_BASE)
    index_base, i = STATE_BASE + 4096, ((key + 1) * 0x9E3779B97F4A7C15 & MASK64) % capacity
    while struct.unpack_from("<QI", memory, index_base + 16 * i) != (key, 1):
        assert struct.unpack_from("<I", memory, index_base + 16 * i + 8)[0] == 1, "probe reached an empty entry"
        i = (i + 1) % capacity
    return values_base + i * 4096


def test_kv_values_read_back_and_lie_on_far_apart_pages():
    kv = Canister("kv")
    assert len(kv.memory) == 1 << 30
    rng = random.Random(3)
    values = {rng.getrandbits(64): rng.randbytes(rng.randrange(4097)) for _ in range(300)}
    for key, value in values.items():
        ok(kv.update("put", u64(key) + value))
    overwritten = list(values)[::7]
    for key in overwritten:
        values[key] = rng.randbytes(rng.randrange(1, 4097))
        ok(kv.update("put", u64(key) + values[key]))
    assert all(ok(kv.query("get", u64(key))) == value for key, value in values.items())
    assert ok(kv.query("get", u64(12345))) == b""
    addresses = {key: kv_slot_address(kv, key) for key in values}
    for key, address in addresses.items():
        assert bytes(kv.memory[address:address + len(values[key])]) == values[key]
    pages = np.array(sorted(addresses.values())) // 4096
    assert len(set(pages)) == len(values) and pages[-1] - pages[0] > (512 << 20) // 4096


# ---- bad input, traps and rollback --------------------------------------------------------------------------

def test_bad_input_is_a_rejection_and_the_next_message_works():
    counter, ledger, kv = Canister("counter", instruction_limit=50_000), Canister("ledger"), Canister("kv")
    ok(counter.update("inc"))
    cases = [
        (counter.update("no_such_method"), "has no update method"),
        (counter.query("inc"), "has no query method"),
        (counter.update("fail"), "fail traps on purpose"),
        (counter.update("burn", u64(10**9)), "instruction limit exceeded (50000)"),
        (counter.update("burn", b"\x01\x02"), "iteration count"),
        (ledger.update("transfer", b"short"), "transfer takes"),
        (ledger.update("mint", bytes(32) + u64(5), caller=bytes(30)), "not a principal"),
        (kv.update("put", u64(1) + bytes(4097)), "at most 4096 bytes"),
        (kv.query("get", b""), "get takes a key"),
    ]
    for outcome, reason in cases:
        assert outcome.reply is None and reason in outcome.reject, outcome
    assert ok(counter.update("inc")) == u64(2)  # fail's +1000 was rolled back
    assert ok(ledger.update("mint", bytes(32) + u64(5))) == b"\x00" + u64(0)
    assert ok(kv.update("put", u64(1) + b"v")) == b"" and ok(kv.query("get", u64(1))) == b"v"


def test_an_update_out_of_instructions_mid_write_is_rolled_back():
    kv = Canister("kv", heap_bytes=8 << 20)
    ok(kv.update("put", u64(9) + b"a" * 4096))
    full = kv.update("put", u64(9) + b"b" * 4096).instructions
    kv.instruction_limit = full - 2000  # runs out while copying the value into place
    outcome = kv.update("put", u64(9) + b"c" * 4096)
    assert outcome.reject == f"instruction limit exceeded ({full - 2000})"
    kv.instruction_limit = 10**9
    assert ok(kv.query("get", u64(9))) == b"b" * 4096


def prepared_ledger() -> Canister:
    ledger = Canister("ledger")
    run_ledger_sequence(ledger, seed=1, transfers=10)
    ok(ledger.update("mint", account(b"\x01") + u64(100)))
    return ledger


def last_trapping_limit(make, method: str, arg: bytes, cost: int) -> int:
    """The largest limit at which the update still runs out (each probe on a fresh canister from `make`):
    wasmtime checks fuel at function entries and loop headers, so this is the message's last check, which
    for the ledger lies after its stable write."""
    low, high = 0, cost
    while high - low > 1:
        ledger = make()
        ledger.instruction_limit = (low + high) // 2
        if ledger.update(method, arg, caller=b"\x01").reject is not None:
            low = ledger.instruction_limit
        else:
            high = ledger.instruction_limit
    return low


def test_a_ledger_transfer_out_of_instructions_leaves_no_trace():
    ledger = prepared_ledger()
    arg = account(b"\x02\x02\x02\x02") + u64(1) + u64(1)
    cost = prepared_ledger().update("transfer", arg, caller=b"\x01").instructions

    def state():
        return (ledger.stable, ledger.certified_data, ok(ledger.query("supply")),
                ok(ledger.query("balance", account(b"\x01"))), ok(ledger.query("tip")))

    before = state()
    for limit in (cost // 2, last_trapping_limit(prepared_ledger, "transfer", arg, cost)):
        ledger.instruction_limit = limit
        assert ledger.update("transfer", arg, caller=b"\x01").reject == f"instruction limit exceeded ({limit})"
        assert state() == before
    ledger.instruction_limit = cost
    outcome = ledger.update("transfer", arg, caller=b"\x01")
    assert outcome.reply[0] == 0 and outcome.instructions == cost and state() != before


def test_a_first_mint_out_of_instructions_leaves_stable_memory_ungrown():
    arg = account(b"\x01") + u64(10)
    cost = Canister("ledger").update("mint", arg).instructions
    limit = last_trapping_limit(lambda: Canister("ledger"), "mint", arg, cost)
    ledger = Canister("ledger", instruction_limit=limit)
    assert "instruction limit exceeded" in ledger.update("mint", arg).reject
    assert ledger.stable == b"" and ledger.certified_data == b"" and ok(ledger.query("supply")) == bytes(24)
    ledger.instruction_limit = cost
    assert ok(ledger.update("mint", arg)) == b"\x00" + u64(0) and len(ledger.stable) == 65536


def test_certified_data_is_at_most_32_bytes_and_rolled_back_on_trap():
    counter = Canister("counter")
    assert ok(counter.update("certify", b"c" * 32)) == b"" and counter.certified_data == b"c" * 32
    assert "32-byte limit" in counter.update("certify", b"c" * 33).reject
    assert "fail traps on purpose" in counter.update("fail").reject
    assert counter.certified_data == b"c" * 32 and ok(counter.query("read")) == u64(0)


# ---- metering -----------------------------------------------------------------------------------------------

def test_metering_off_gives_the_same_replies_without_instructions():
    fuel, off = Canister("ledger"), Canister("ledger", metering="off")
    model_fuel, model_off = run_ledger_sequence(fuel, 5, 30), run_ledger_sequence(off, 5, 30)
    assert model_fuel.tip == model_off.tip == off.certified_data == fuel.certified_data
    counter = Canister("counter", metering="off")
    outcome = counter.update("inc")
    assert outcome == Outcome(u64(1), None, None, host_calls=2)  # ic0.msg_reply_data_append, ic0.msg_reply


def test_fuel_is_deterministic_and_linear_in_the_work():
    runs = []
    for _ in range(2):
        counter = Canister("counter")
        runs.append([counter.update("burn", u64(n)).instructions for n in (1000, 2000, 3000, 4000)])
    assert runs[0] == runs[1]
    steps = np.diff(runs[0])
    assert len(set(steps)) == 1 and steps[0] >= 1000 * 3  # a few operators per iteration, exactly linear
    reply = ok(Canister("counter").update("burn", u64(1000)))
    counter_so_far = struct.unpack("<Q", reply[8:])[0]
    assert 0 < counter_so_far <= runs[0][0]  # performance_counter(0) inside the message


def test_host_call_overhead_is_measured():
    overhead = host_call_overhead_s(calls=20_000, repeats=3)
    assert 0 < overhead < 1e-3


# ---- build --------------------------------------------------------------------------------------------------

def test_build_rejects_state_in_c_globals(tmp_path, monkeypatch):
    source = tmp_path / "global.c"
    source.write_text('unsigned long long count;\n__attribute__((export_name("canister_update inc"))) '
                      "void inc(void) { count++; }\n")
    monkeypatch.setattr(build, "SOURCE_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="keeps state in C globals"):
        build.compile_canister("global", tmp_path / "global.wasm")


def test_build_without_the_toolchain_is_backend_unavailable(monkeypatch):
    monkeypatch.setattr(build, "_up_to_date", lambda name, output: False)
    monkeypatch.setattr(build.shutil, "which", lambda tool: None)
    with pytest.raises(BackendUnavailable, match="clang and wasm-ld not found"):
        build.wasm_path("counter")
    with pytest.raises(ValueError, match="unknown canister"):
        build.wasm_path("nope")


def test_ic_instruction_count_adds_the_system_api_charges():
    from kernels.requests.execution_stage import IC_REPLY_BYTE_COST, IC_SYSTEM_CALL_OVERHEAD, ic_instructions

    count = ic_instructions("counter", "update", [("inc", b"", b"\x04")])
    system = 2 * IC_SYSTEM_CALL_OVERHEAD + 8 * IC_REPLY_BYTE_COST  # inc: two ic0 calls, an 8-byte reply
    assert system < count < system + 500  # plus a few dozen weighted Wasm instructions
    fuel = Canister("counter").update("inc").instructions
    assert count - system >= fuel  # the IC weighs calls, branches and globals above 1 each
