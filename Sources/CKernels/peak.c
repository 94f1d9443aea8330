#include "kernels.h"

// Register-only loops: independent accumulators, no memory traffic, so the time per
// instruction is the execution units' throughput. Twelve chains cover the latency of
// two FMA pipes at up to six cycles each (Zen 4/5: 4, Intel server cores: 4).
// Results feed the return value so the compiler cannot drop the work.

#if defined(__x86_64__)
#include <immintrin.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// One loop per instruction: `iterations` rounds of STEP_name on twelve accumulators
// of type T (DECL_name), then their sum (SUM_name) through REDUCE.
#define PEAK_LOOP(name, isa, T, SPLAT, REDUCE)                                \
    __attribute__((target(isa))) static float name(long iterations) {      \
        CHAINS(DECL_##name)                                                   \
        for (long it = 0; it < iterations; it++) {                            \
            CHAINS(STEP_##name)                                               \
            __asm__ volatile("" ::: "memory");                                \
        }                                                                     \
        T total = SPLAT(0.0f);                                                \
        CHAINS(SUM_##name)                                                    \
        return REDUCE(total);                                                 \
    }

__attribute__((target("avx2,fma"))) static inline float reduce256(__m256 v) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    return lanes[0] + lanes[7];
}

#define DECL_fma256(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define STEP_fma256(i) acc##i = _mm256_fmadd_ps(acc##i, _mm256_set1_ps(0.999999f), _mm256_set1_ps(1e-7f));
#define SUM_fma256(i) total = _mm256_add_ps(total, acc##i);
PEAK_LOOP(fma256, "avx2,fma", __m256, _mm256_set1_ps, reduce256)

#define DECL_fma512(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP_fma512(i) acc##i = _mm512_fmadd_ps(acc##i, _mm512_set1_ps(0.999999f), _mm512_set1_ps(1e-7f));
#define SUM_fma512(i) total = _mm512_add_ps(total, acc##i);
PEAK_LOOP(fma512, "avx512f", __m512, _mm512_set1_ps, _mm512_reduce_add_ps)

// bf16 operands 1.0 (0x3f80) and ~6e-8 (0x3380): the sums stay finite.
#define DECL_dot_bf16_512(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP_dot_bf16_512(i) acc##i = _mm512_dpbf16_ps(acc##i, (__m512bh)_mm512_set1_epi16(0x3f80), \
                                                       (__m512bh)_mm512_set1_epi16(0x3380));
#define SUM_dot_bf16_512(i) total = _mm512_add_ps(total, acc##i);
PEAK_LOOP(dot_bf16_512, "avx512f,avx512bf16", __m512, _mm512_set1_ps, _mm512_reduce_add_ps)

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
