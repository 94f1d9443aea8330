#include "kernels.h"

// Register-only loops: independent accumulators, no memory traffic, so the time per
// instruction is the execution units' throughput. Twelve chains cover the latency of
// two FMA pipes at up to six cycles each (Zen 4/5: 4, Intel server cores: 4).
// Results feed the return value so the compiler cannot drop the work.

#if defined(__x86_64__)
#include <immintrin.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx2,fma"))) static float fma256(long iterations) {
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define STEP(i) acc##i = _mm256_fmadd_ps(acc##i, a, b);
#define SUM(i) total = _mm256_add_ps(total, acc##i);
    CHAINS(DECL)
    for (long it = 0; it < iterations; it++) {
        CHAINS(STEP)
        __asm__ volatile("" ::: "memory");
    }
    __m256 total = _mm256_setzero_ps();
    CHAINS(SUM)
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    return lanes[0] + lanes[7];
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx512f"))) static float fma512(long iterations) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP(i) acc##i = _mm512_fmadd_ps(acc##i, a, b);
#define SUM(i) total = _mm512_add_ps(total, acc##i);
    CHAINS(DECL)
    for (long it = 0; it < iterations; it++) {
        CHAINS(STEP)
        __asm__ volatile("" ::: "memory");
    }
    __m512 total = _mm512_setzero_ps();
    CHAINS(SUM)
    return _mm512_reduce_add_ps(total);
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx512f,avx512bf16"))) static float dot_bf16_512(long iterations) {
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380);  // 1.0, ~6e-8
#define DECL(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP(i) acc##i = _mm512_dpbf16_ps(acc##i, a, b);
#define SUM(i) total = _mm512_add_ps(total, acc##i);
    CHAINS(DECL)
    for (long it = 0; it < iterations; it++) {
        CHAINS(STEP)
        __asm__ volatile("" ::: "memory");
    }
    __m512 total = _mm512_setzero_ps();
    CHAINS(SUM)
    return _mm512_reduce_add_ps(total);
#undef DECL
#undef STEP
#undef SUM
}

static int has(int feature) {
    __builtin_cpu_init();
    switch (feature) {
    case ROMA_PEAK_FMA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ROMA_PEAK_FMA_AVX512: return __builtin_cpu_supports("avx512f");
    case ROMA_PEAK_DOT_BF16: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
    default: return 0;
    }
}
#endif

double roma_peak_loop(int kind, long iterations, float *sink) {
#if defined(__x86_64__)
    if (!has(kind)) return -1;
    float r = 0;
    switch (kind) {
    case ROMA_PEAK_FMA_AVX2: r = fma256(iterations); break;
    case ROMA_PEAK_FMA_AVX512: r = fma512(iterations); break;
    case ROMA_PEAK_DOT_BF16: r = dot_bf16_512(iterations); break;
    }
    if (sink) *sink = r;
    // FLOPs per instruction: an FMA is 2 per lane (8 or 16 float lanes); a bf16 dot
    // product is 2 multiplies and 2 adds into each of its 16 float lanes.
    const double per = kind == ROMA_PEAK_FMA_AVX2 ? 16 : kind == ROMA_PEAK_FMA_AVX512 ? 32 : 64;
    return 12.0 * per * (double)iterations;
#else
    (void)kind; (void)iterations; (void)sink;
    return -1;
#endif
}
