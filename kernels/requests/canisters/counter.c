/* The counter canister of DFINITY's scalability benchmarks: `inc` adds one to a u64 and replies with it
 * (8 bytes little-endian), `read` replies with it. `burn` (arg: u64 iterations) loops to exercise the
 * instruction limit and replies with the loop's result followed by performance_counter(0); `fail` changes
 * the counter and the certified data and then traps, to show that a trapped update is rolled back;
 * `certify` sets its argument as certified data (the system API allows at most 32 bytes). */
#include "support.h"

#define COUNTER ((u64 *)STATE_BASE)

CANISTER_UPDATE(inc) void inc(void) {
    state_set_u64(COUNTER, *COUNTER + 1);
    reply_u64(*COUNTER);
}

CANISTER_QUERY(read) void read(void) { reply_u64(*COUNTER); }

CANISTER_UPDATE(burn) void burn(void) {
    u32 size;
    u64 n = load_u64(read_arg(8, 8, &size, "burn: the argument must be a u64 iteration count (8 bytes)"));
    u64 x = 0x9E3779B97F4A7C15ull;
    for (u64 i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        __asm__ volatile("" : "+r"(x)); /* one iteration per step: no vectorising or folding the loop */
    }
    u8 out[16];
    store_u64(out, x);
    store_u64(out + 8, ic0_performance_counter(0));
    reply(out, 16);
}

CANISTER_UPDATE(fail) void fail(void) {
    state_set_u64(COUNTER, *COUNTER + 1000);
    ic0_certified_data_set((u32)COUNTER, 8);
    trap("counter: fail traps on purpose after writing");
}

CANISTER_UPDATE(certify) void certify(void) {
    u32 size;
    u8 *arg = read_arg(0, 64, &size, "certify: the argument holds at most 64 bytes");
    ic0_certified_data_set((u32)arg, size);
    reply(0, 0);
}
