/* Page kernels for orthogonal persistence, shared by kernels/memory/memory.cl (OpenCL) and memory.cu (CUDA).
 * Memory is seen as 8-byte words; a page is `words_per_page` words. `lanes` work-items cooperate on one page:
 * 1 on a CPU (one item scans a page), a warp or a block on a GPU (coalesced loads). */
#ifndef KERNELS_PAGES_H
#define KERNELS_PAGES_H
#include "portable.h"

#define DIRTY_CHUNK 4 /* words a lane ORs together between early-exit checks: 32 bytes, one GPU sector */

/* flags[p] = 1 when page p of a and b differ; flags must be zero on entry. Lane l of a page compares
 * chunks l, l + lanes, ... and stops at its first differing chunk (early exit per page and lane). */
KERNEL void dirty_flags(const GLOBAL u64 *a, const GLOBAL u64 *b, u64 words_per_page, u64 npages, u64 lanes,
                        GLOBAL u8 *flags) {
    u64 total = npages * lanes;
    for (u64 i = GLOBAL_ID(); i < total; i += GLOBAL_SIZE()) {
        u64 p = i / lanes, lane = i % lanes;
        const GLOBAL u64 *x = a + p * words_per_page;
        const GLOBAL u64 *y = b + p * words_per_page;
        for (u64 w = lane * DIRTY_CHUNK; w < words_per_page; w += lanes * DIRTY_CHUNK) {
            u64 acc = 0;
            for (u64 k = w; k < w + DIRTY_CHUNK && k < words_per_page; k++) acc |= x[k] ^ y[k];
            if (acc) {
                flags[p] = 1;
                break;
            }
        }
    }
}

/* dst page pages[j] = src page pages[j] for j < npages; `lanes` items per page, each a strided share. */
KERNEL void copy_pages(const GLOBAL u64 *src, GLOBAL u64 *dst, const GLOBAL u64 *pages, u64 npages,
                       u64 words_per_page, u64 lanes) {
    u64 total = npages * lanes;
    for (u64 i = GLOBAL_ID(); i < total; i += GLOBAL_SIZE()) {
        u64 j = i / lanes, lane = i % lanes;
        u64 base = pages[j] * words_per_page;
        for (u64 w = lane; w < words_per_page; w += lanes) dst[base + w] = src[base + w];
    }
}

/* to[to_off + i] = from[from_off + i] for i < n: one step of memory.copy. The ranges must not overlap;
 * an overlapping memory.copy runs it twice through a scratch buffer (memmove semantics). */
KERNEL void copy_bytes(const GLOBAL u8 *from, u64 from_off, GLOBAL u8 *to, u64 to_off, u64 n) {
    for (u64 i = GLOBAL_ID(); i < n; i += GLOBAL_SIZE()) to[to_off + i] = from[from_off + i];
}

#endif
