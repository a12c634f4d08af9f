/* The IC system API (interface spec, "System API imports") as Wasm imports of module "ic0": the subset the
 * suite's canisters use, with the spec's types (i32 for the 32-bit API, i64 for stable64). */
#ifndef IC0_H
#define IC0_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define IC0(name) __attribute__((import_module("ic0"), import_name(#name)))

IC0(msg_arg_data_size) u32 ic0_msg_arg_data_size(void);
IC0(msg_arg_data_copy) void ic0_msg_arg_data_copy(u32 dst, u32 offset, u32 size);
IC0(msg_caller_size) u32 ic0_msg_caller_size(void);
IC0(msg_caller_copy) void ic0_msg_caller_copy(u32 dst, u32 offset, u32 size);
IC0(msg_reply_data_append) void ic0_msg_reply_data_append(u32 src, u32 size);
IC0(msg_reply) void ic0_msg_reply(void);
IC0(stable64_size) u64 ic0_stable64_size(void);
IC0(stable64_grow) u64 ic0_stable64_grow(u64 new_pages);
IC0(stable64_read) void ic0_stable64_read(u64 dst, u64 offset, u64 size);
IC0(stable64_write) void ic0_stable64_write(u64 offset, u64 src, u64 size);
IC0(certified_data_set) void ic0_certified_data_set(u32 src, u32 size);
IC0(performance_counter) u64 ic0_performance_counter(u32 counter_type);
IC0(trap) __attribute__((noreturn)) void ic0_trap(u32 src, u32 size);

#define CANISTER_UPDATE(name) __attribute__((export_name("canister_update " #name)))
#define CANISTER_QUERY(name) __attribute__((export_name("canister_query " #name)))

#endif
