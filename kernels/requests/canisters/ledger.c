/* An ICRC-1-style ledger. Accounts: 32-byte ids in an open-addressing hash map (linear probing) of
 * {id[32], balance u64, used u64} entries in the heap. The caller's account is SHA-256(caller principal).
 *   mint     arg to[32] ‖ amount u64 LE              reply 0x00 ‖ block index u64 LE (set-up; from = 32 zeros)
 *   transfer arg to[32] ‖ amount u64 LE ‖ fee u64 LE  reply 0x00 ‖ block index, or 0x01 ‖ balance
 *            (insufficient funds) or 0x02 ‖ balance (amount + fee overflows); the fee is burned
 *   balance  (query) arg account[32]                 reply u64 LE (0 for an unknown account)
 *   tip      (query)                                 reply the chain tip (32 zero bytes before any block)
 *   supply   (query)                                 reply minted ‖ burned ‖ block count, u64 LE each
 * Block n (120 bytes) = prev_hash[32] ‖ from[32] ‖ to[32] ‖ amount ‖ fee ‖ n (u64 LE each); its hash is
 * SHA-256(block), prev_hash of block 0 is 32 zero bytes. Blocks are stored in stable memory at n * 120 and the
 * tip is set as certified data. Every check that can trap runs before the first write. */
#include "support.h"

#define MAGIC 0x52454744454c4349ull /* "ICLEDGER" */
#define BLOCK_BYTES 120u
#define ENTRIES_BASE (STATE_BASE + 4096u)

typedef struct {
    u64 magic, capacity, accounts, blocks, minted, burned;
    u8 tip[32];
} header_t;

typedef struct {
    u8 id[32];
    u64 balance, used;
} entry_t;

#define HEADER ((header_t *)STATE_BASE)
#define ENTRIES ((entry_t *)ENTRIES_BASE)

static void init_once(void) {
    if (HEADER->magic == MAGIC) return;
    u64 room = (heap_bytes() - ENTRIES_BASE) / sizeof(entry_t), capacity = 1;
    while (capacity * 2 <= room) capacity *= 2;
    if (capacity < 16) trap("ledger: the heap is too small for the account table");
    state_set_u64(&HEADER->capacity, capacity);
    state_set_u64(&HEADER->magic, MAGIC);
}

/* The entry holding `id`, or the empty entry where it would go. */
static entry_t *find(const u8 id[32]) {
    u64 mask = HEADER->capacity - 1, i = (load_u64(id) * 0x9E3779B97F4A7C15ull >> 20) & mask;
    while (ENTRIES[i].used && memcmp(ENTRIES[i].id, id, 32) != 0) i = (i + 1) & mask;
    return &ENTRIES[i];
}

/* Traps unless `id` has an entry or one more account still fits (load factor 7/8). */
static void check_room(const u8 id[32]) {
    if (!find(id)->used && (HEADER->accounts + 1) * 8 > HEADER->capacity * 7)
        trap("ledger: the account table is full");
}

static void credit(const u8 id[32], u64 amount) {
    entry_t *e = find(id);
    if (!e->used) {
        state_write(e->id, id, 32);
        state_set_u64(&e->used, 1);
        state_set_u64(&HEADER->accounts, HEADER->accounts + 1);
    }
    state_set_u64(&e->balance, e->balance + amount);
}

/* Append block (from, to, amount, fee): store it in stable memory, advance the tip, certify it. */
static u64 append_block(const u8 from[32], const u8 to[32], u64 amount, u64 fee) {
    u8 *block = SCRATCH + 256;
    u64 index = HEADER->blocks, end = (index + 1) * BLOCK_BYTES;
    memcpy(block, HEADER->tip, 32);
    memcpy(block + 32, from, 32);
    memcpy(block + 64, to, 32);
    store_u64(block + 96, amount);
    store_u64(block + 104, fee);
    store_u64(block + 112, index);
    if (ic0_stable64_size() * STABLE_PAGE < end && ic0_stable64_grow(1) == ~0ull)
        trap("ledger: stable memory cannot grow");
    ic0_stable64_write(index * BLOCK_BYTES, (u64)(u32)block, BLOCK_BYTES);
    u8 tip[32];
    sha256(block, BLOCK_BYTES, tip);
    state_write(HEADER->tip, tip, 32);
    state_set_u64(&HEADER->blocks, index + 1);
    ic0_certified_data_set((u32)HEADER->tip, 32);
    return index;
}

static void reply_status(u8 status, u64 value) {
    u8 out[9] = {status};
    store_u64(out + 1, value);
    reply(out, 9);
}

CANISTER_UPDATE(mint) void mint(void) {
    u32 size;
    u8 *arg = read_arg(40, 40, &size, "ledger: mint takes to[32] ‖ amount u64 (40 bytes)");
    u8 to[32], minter[32] = {0};
    memcpy(to, arg, 32);
    u64 amount = load_u64(arg + 32);
    init_once();
    if (HEADER->minted + amount < amount) trap("ledger: mint overflows the total supply");
    check_room(to);
    credit(to, amount);
    state_set_u64(&HEADER->minted, HEADER->minted + amount);
    reply_status(0, append_block(minter, to, amount, 0));
}

static void caller_account(u8 out[32]) {
    u32 n = ic0_msg_caller_size();
    if (n > 29) trap("ledger: a principal holds at most 29 bytes");
    u8 principal[29];
    ic0_msg_caller_copy((u32)principal, 0, n);
    sha256(principal, n, out);
}

CANISTER_UPDATE(transfer) void transfer(void) {
    u32 size;
    u8 *arg = read_arg(48, 48, &size, "ledger: transfer takes to[32] ‖ amount u64 ‖ fee u64 (48 bytes)");
    u8 from[32], to[32];
    memcpy(to, arg, 32);
    u64 amount = load_u64(arg + 32), fee = load_u64(arg + 40);
    init_once();
    caller_account(from);
    entry_t *source = find(from);
    u64 balance = source->used ? source->balance : 0;
    if (amount + fee < amount) return reply_status(2, balance);
    if (balance < amount + fee) return reply_status(1, balance);
    check_room(to);
    state_set_u64(&source->balance, balance - amount - fee);
    credit(to, amount);
    state_set_u64(&HEADER->burned, HEADER->burned + fee);
    reply_status(0, append_block(from, to, amount, fee));
}

CANISTER_QUERY(balance) void balance(void) {
    u32 size;
    u8 *arg = read_arg(32, 32, &size, "ledger: balance takes an account id (32 bytes)");
    if (HEADER->magic != MAGIC) return reply_u64(0);
    entry_t *e = find(arg);
    reply_u64(e->used ? e->balance : 0);
}

CANISTER_QUERY(tip) void tip(void) { reply(HEADER->tip, 32); }

CANISTER_QUERY(supply) void supply(void) {
    u8 out[24];
    store_u64(out, HEADER->minted);
    store_u64(out + 8, HEADER->burned);
    store_u64(out + 16, HEADER->blocks);
    reply(out, 24);
}
