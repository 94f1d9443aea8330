// mremap is variadic in C, so Swift cannot call it directly.
#if defined(__linux__)
#define _GNU_SOURCE
#include <sys/mman.h>
#endif
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#include "kernels.h"

int roma_move_pages(void *old_address, size_t bytes, void *new_address) {
#if defined(__linux__)
    void *p = mremap(old_address, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, new_address);
    return p == new_address ? 0 : -1;
#else
    (void)old_address; (void)bytes; (void)new_address;
    return -1;
#endif
}

void roma_malloc_thresholds(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    (void)mmap_threshold; (void)trim_threshold;
#endif
}
