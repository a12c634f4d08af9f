/* A key-value store spread over the whole heap (1 GiB by default). An index of {key u64, used u32, len u32}
 * entries (open addressing, linear probing from a hash of the key) sits after the header; entry i's value
 * lives in the 4 KiB slot i of the value area, so values land on pages scattered across the heap and a put
 * dirties one index page and the value's page.
 *   put (update) arg key u64 LE ‖ value (at most 4096 bytes)   reply empty
 *   get (query)  arg key u64 LE                                 reply the value, empty when absent
 * put validates its argument and the room left before the first write (load factor 7/8). */
#include "support.h"

#define MAGIC 0x454c4241544b5643ull /* "CVKTABLE" */
#define VALUE_BYTES 4096u
#define INDEX_BASE (STATE_BASE + 4096u)

typedef struct {
    u64 magic, capacity, count, values_base;
} header_t;

typedef struct {
    u64 key;
    u32 used, len;
} entry_t;

#define HEADER ((header_t *)STATE_BASE)
#define INDEX ((entry_t *)INDEX_BASE)

static void init_once(void) {
    if (HEADER->magic == MAGIC) return;
    u64 capacity = (heap_bytes() - INDEX_BASE - VALUE_BYTES) / (sizeof(entry_t) + VALUE_BYTES);
    if (capacity < 16) trap("kv: the heap is too small for the table");
    u64 values = (INDEX_BASE + capacity * sizeof(entry_t) + VALUE_BYTES - 1) & ~(u64)(VALUE_BYTES - 1);
    state_set_u64(&HEADER->capacity, capacity);
    state_set_u64(&HEADER->values_base, values);
    state_set_u64(&HEADER->magic, MAGIC);
}

/* The index of the entry holding `key`, or of the empty entry where it would go. */
static u64 find(u64 key) {
    u64 capacity = HEADER->capacity, i = ((key + 1) * 0x9E3779B97F4A7C15ull) % capacity;
    while (INDEX[i].used && INDEX[i].key != key) i = i + 1 == capacity ? 0 : i + 1;
    return i;
}

static u8 *value_slot(u64 i) { return (u8 *)(u32)(HEADER->values_base + i * VALUE_BYTES); }

CANISTER_UPDATE(put) void put(void) {
    u32 size;
    u8 *arg = read_arg(8, 8 + VALUE_BYTES, &size, "kv: put takes key u64 ‖ value of at most 4096 bytes");
    u64 key = load_u64(arg);
    u32 len = size - 8;
    init_once();
    u64 i = find(key);
    entry_t *e = &INDEX[i];
    if (!e->used && (HEADER->count + 1) * 8 > HEADER->capacity * 7) trap("kv: the store is full");
    state_write(value_slot(i), arg + 8, len);
    entry_t updated = {key, 1, len};
    if (!e->used) state_set_u64(&HEADER->count, HEADER->count + 1);
    state_write(e, &updated, sizeof updated);
    reply(0, 0);
}

CANISTER_QUERY(get) void get(void) {
    u32 size;
    u8 *arg = read_arg(8, 8, &size, "kv: get takes a key u64 (8 bytes)");
    if (HEADER->magic != MAGIC) return reply(0, 0);
    entry_t *e = &INDEX[find(load_u64(arg))];
    if (!e->used) return reply(0, 0);
    reply(value_slot(e - INDEX), e->len);
}
