#include "kernels.h"
#include "row_kernels.h"
#include <math.h>

// Bit-identical to NN's Swift loop: no multiply-add may be fused.
#pragma STDC FP_CONTRACT OFF

enum { GROUP = 8 };

#define LAYER_NORM_BODY                                                                                        \
    ptrdiff_t r = 0;                                                                                           \
    for (; r + GROUP <= rows; r += GROUP) {                                                                    \
        const float *x = src + r * c;                                                                          \
        double sum[GROUP] = {0}, mean[GROUP], sq[GROUP] = {0}, inv[GROUP];                                     \
        for (ptrdiff_t k = 0; k < c; k++)                                                                      \
            for (int g = 0; g < GROUP; g++) sum[g] += (double)x[g * c + k];                                    \
        for (int g = 0; g < GROUP; g++) mean[g] = sum[g] / (double)c;                                          \
        for (ptrdiff_t k = 0; k < c; k++)                                                                      \
            for (int g = 0; g < GROUP; g++) { const double d = (double)x[g * c + k] - mean[g]; sq[g] += d * d; } \
        for (int g = 0; g < GROUP; g++) inv[g] = 1 / sqrt(sq[g] / (double)c + (double)eps);                    \
        for (int g = 0; g < GROUP; g++) apply(x + g * c, dst + (r + g) * c, c, mean[g], inv[g], weight, bias); \
    }                                                                                                          \
    for (; r < rows; r++) {                                                                                    \
        const float *x = src + r * c;                                                                          \
        double sum = 0, sq = 0;                                                                                \
        for (ptrdiff_t k = 0; k < c; k++) sum += (double)x[k];                                                 \
        const double mean = sum / (double)c;                                                                   \
        for (ptrdiff_t k = 0; k < c; k++) { const double d = (double)x[k] - mean; sq += d * d; }               \
        apply(x, dst + r * c, c, mean, 1 / sqrt(sq / (double)c + (double)eps), weight, bias);                  \
    }

#define LAYER_NORM_APPLY                                                                                       \
    if (w && b) for (ptrdiff_t k = 0; k < c; k++) o[k] = (float)(((double)x[k] - mean) * inv * (double)w[k] + (double)b[k]); \
    else if (w) for (ptrdiff_t k = 0; k < c; k++) o[k] = (float)(((double)x[k] - mean) * inv * (double)w[k]);  \
    else if (b) for (ptrdiff_t k = 0; k < c; k++) o[k] = (float)(((double)x[k] - mean) * inv + (double)b[k]);  \
    else for (ptrdiff_t k = 0; k < c; k++) o[k] = (float)(((double)x[k] - mean) * inv);

static inline void apply_base(const float *x, float *o, ptrdiff_t c, double mean, double inv, const float *w,
                              const float *b) { LAYER_NORM_APPLY }

static void layer_norm_base(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t c, const float *weight,
                            const float *bias, float eps) {
#define apply apply_base
    LAYER_NORM_BODY
#undef apply
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))
AVX512 static inline void apply_512(const float *x, float *o, ptrdiff_t c, double mean, double inv, const float *w,
                                    const float *b) { LAYER_NORM_APPLY }

AVX512 static void layer_norm_512(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t c, const float *weight,
                                  const float *bias, float eps) {
#define apply apply_512
    LAYER_NORM_BODY
#undef apply
}
#endif

void roma_layer_norm_rows(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t c, const float *weight,
                          const float *bias, float eps) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { layer_norm_512(src, dst, rows, c, weight, bias, eps); return; }
#endif
    layer_norm_base(src, dst, rows, c, weight, bias, eps);
}

static inline float swift_max(float x, float y) { return y >= x ? y : x; }

#if defined(__x86_64__)
#include <immintrin.h>
AVX512 static inline __m512 max512(__m512 x, __m512 y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, x, _CMP_GE_OQ), x, y);
}

AVX512 static void max_pool_row_512(const float *top, const float *bottom, float *out, ptrdiff_t wo) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    ptrdiff_t i = 0;
    for (; i + 16 <= wo; i += 16) {
        const __m512 t0 = _mm512_loadu_ps(top + 2 * i), t1 = _mm512_loadu_ps(top + 2 * i + 16);
        const __m512 b0 = _mm512_loadu_ps(bottom + 2 * i), b1 = _mm512_loadu_ps(bottom + 2 * i + 16);
        const __m512 t = max512(_mm512_permutex2var_ps(t0, even, t1), _mm512_permutex2var_ps(t0, odd, t1));
        const __m512 b = max512(_mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1));
        _mm512_storeu_ps(out + i, max512(t, b));
    }
    for (; i < wo; i++)
        out[i] = swift_max(swift_max(top[2 * i], top[2 * i + 1]), swift_max(bottom[2 * i], bottom[2 * i + 1]));
}
#endif

int roma_max_pool_row(const float *top, const float *bottom, float *out, ptrdiff_t wo) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { max_pool_row_512(top, bottom, out, wo); return 0; }
#endif
    (void)top; (void)bottom; (void)out; (void)wo;
    return -1;
}
