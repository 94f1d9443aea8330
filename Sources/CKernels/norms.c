#include "kernels.h"
#include "norm_kernels.h"
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
