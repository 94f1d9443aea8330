#include "kernels.h"
#include <stdlib.h>
#include <string.h>

static int detect(void) {
    int level = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f")) level = 2;
#endif
    const char *cap = getenv("ROMA_KERNELS");
    if (cap) {
        int limit = !strcmp(cap, "baseline") ? 0 : !strcmp(cap, "avx2") ? 1 : 2;
        if (limit < level) level = limit;
    }
    return level;
}

int roma_kernels_level(void) {
    // Racy first use is harmless: every thread computes the same value.
    static volatile int level = -1;
    if (level < 0) level = detect();
    return level;
}
