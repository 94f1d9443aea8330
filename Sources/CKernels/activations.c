#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// The same approximations as Sources/NN/VectorMath.swift (see there for their
// sources and accuracy), 16 lanes wide. Clamps go through ordered compares so a
// NaN fails both and propagates, as in the Swift form.
#define AVX512 __attribute__((target("avx512f")))
#include "exp512.h"

AVX512 static void softmax512(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t c, ptrdiff_t stride) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *in = src + r * stride;
        float *out = dst + r * stride;
        __m512 lanes = _mm512_set1_ps(-__builtin_inff());
        for (ptrdiff_t j = 0; j < c; j += 16) {
            const __mmask16 m = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            const __m512 v = _mm512_mask_loadu_ps(lanes, m, in + j);
            lanes = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lanes, _CMP_GT_OQ), lanes, v);
        }
        const __m512 shift = _mm512_set1_ps(_mm512_reduce_max_ps(lanes));
        __m512 sums = _mm512_setzero_ps();
        for (ptrdiff_t j = 0; j < c; j += 16) {
            const __mmask16 m = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, in + j), shift));
            _mm512_mask_storeu_ps(out + j, m, e);
            sums = _mm512_add_ps(sums, _mm512_maskz_mov_ps(m, e));
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sums));
        for (ptrdiff_t j = 0; j < c; j += 16) {
            const __mmask16 m = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            _mm512_mask_storeu_ps(out + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, out + j), inv));
        }
    }
}

// erfc(z), z ≥ 0, in the Numerical Recipes form t·exp(−z² + P(t)), t = 1/(1 + z/2).
AVX512 static inline __m512 erfc16(__m512 z) {
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    static const float coefficients[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                                         -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};
    __m512 p = _mm512_set1_ps(coefficients[0]);
    for (int i = 1; i < 10; i++) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(coefficients[i]));
    return _mm512_mul_ps(t, exp16(_mm512_fnmadd_ps(z, z, p)));
}

AVX512 static inline __m512 gelu16(__m512 x) {
    const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
    const __m512 half_c = _mm512_mul_ps(_mm512_set1_ps(0.5f), erfc16(z));
    // x·(1 − ½erfc(|x|/√2)) for x ≥ 0, x·½erfc(|x|/√2) below: no cancellation in the tail.
    const __m512 factor = _mm512_mask_blend_ps(negative, _mm512_sub_ps(_mm512_set1_ps(1.0f), half_c), half_c);
    return _mm512_mul_ps(x, factor);
}

AVX512 static void gelu512(const float *src, float *dst, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, gelu16(_mm512_maskz_loadu_ps(m, src + i)));
    }
}

// gelu(x + bias) over rows of `cols`, the sum rounded to float first as a separate add would.
AVX512 static void gelu_bias512(const float *src, const float *bias, ptrdiff_t rows, ptrdiff_t cols, float *dst) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *in = src + r * cols;
        float *out = dst + r * cols;
        for (ptrdiff_t j = 0; j < cols; j += 16) {
            const __mmask16 m = cols - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - j)) - 1);
            const __m512 x = _mm512_add_ps(_mm512_maskz_loadu_ps(m, in + j), _mm512_maskz_loadu_ps(m, bias + j));
            _mm512_mask_storeu_ps(out + j, m, gelu16(x));
        }
    }
}
#endif

int roma_softmax_rows(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t stride) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2 && cols > 0) { softmax512(src, dst, rows, cols, stride); return 0; }
#endif
    (void)src; (void)dst; (void)rows; (void)cols; (void)stride;
    return -1;
}

int roma_gelu_bias(const float *src, const float *bias, ptrdiff_t rows, ptrdiff_t cols, float *dst) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { gelu_bias512(src, bias, rows, cols, dst); return 0; }
#endif
    (void)src; (void)bias; (void)rows; (void)cols; (void)dst;
    return -1;
}

int roma_gelu(const float *src, float *dst, ptrdiff_t n) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { gelu512(src, dst, n); return 0; }
#endif
    (void)src; (void)dst; (void)n;
    return -1;
}
