#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define ROMA_X86 1
#endif

// The scalar form every path ends with (row tails) and the baseline path.
static void tail(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int d, float bias,
                 ptrdiff_t oy, ptrdiff_t from, ptrdiff_t out_w, float *out) {
    for (ptrdiff_t ox = from; ox < out_w; ox++) {
        float acc = bias;
        for (int ki = 0; ki < kh; ki++) {
            const float *row = in + (oy + (ptrdiff_t)ki * d) * padded_w + ox;
            for (int kj = 0; kj < kw; kj++) acc += w[ki * kw + kj] * row[(ptrdiff_t)kj * d];
        }
        out[oy * out_w + ox] = acc;
    }
}

static void plane_baseline(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int d, float bias,
                           ptrdiff_t out_h, ptrdiff_t out_w, float *out) {
    for (ptrdiff_t oy = 0; oy < out_h; oy++) tail(in, padded_w, w, kh, kw, d, bias, oy, 0, out_w, out);
}

#ifdef ROMA_X86
// Two accumulators per group of outputs halve the FMA dependency chain; every
// input vector is loaded once per tap.
__attribute__((target("avx2,fma")))
static void plane_avx2(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int d, float bias,
                       ptrdiff_t out_h, ptrdiff_t out_w, float *out) {
    const int taps = kh * kw;
    __m256 wv[64];
    if (taps > 64) { plane_baseline(in, padded_w, w, kh, kw, d, bias, out_h, out_w, out); return; }
    for (int t = 0; t < taps; t++) wv[t] = _mm256_set1_ps(w[t]);
    const ptrdiff_t end = out_w - out_w % 8;
    for (ptrdiff_t oy = 0; oy < out_h; oy++) {
        for (ptrdiff_t ox = 0; ox < end; ox += 8) {
            __m256 a0 = _mm256_set1_ps(bias), a1 = _mm256_setzero_ps();
            int t = 0;
            for (int ki = 0; ki < kh; ki++) {
                const float *row = in + (oy + (ptrdiff_t)ki * d) * padded_w + ox;
                int kj = 0;
                for (; kj + 1 < kw; kj += 2, t += 2) {
                    a0 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(row + (ptrdiff_t)kj * d), a0);
                    a1 = _mm256_fmadd_ps(wv[t + 1], _mm256_loadu_ps(row + (ptrdiff_t)(kj + 1) * d), a1);
                }
                if (kj < kw) { a0 = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(row + (ptrdiff_t)kj * d), a0); t++; }
            }
            _mm256_storeu_ps(out + oy * out_w + ox, _mm256_add_ps(a0, a1));
        }
        tail(in, padded_w, w, kh, kw, d, bias, oy, end, out_w, out);
    }
}

// Four output rows at a time for square kernels at dilation 1 (RoMa's refiners: 5×5):
// each input vector is loaded once per block of rows, not once per tap, and the four
// rows' eight accumulators are independent chains, so the FMA units stay busy instead
// of waiting on one chain's latency. Each output still sums its taps in the order of
// `plane_avx512` (bias + even columns in a0, odd columns in a1, row by row, a0 + a1):
// the results are bit for bit the same.
#define ROWS 4
__attribute__((target("avx512f"), always_inline))
static inline void block_avx512(const float *in, ptrdiff_t padded_w, const float *w, const int k, const int rows,
                                float bias, ptrdiff_t oy, ptrdiff_t out_w, float *out, int relu) {
    for (ptrdiff_t ox = 0; ox < out_w; ox += 16) {
        const ptrdiff_t left = out_w - ox;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        __m512 a0[ROWS], a1[ROWS];
#pragma clang loop unroll(full)
        for (int j = 0; j < rows; j++) { a0[j] = _mm512_set1_ps(bias); a1[j] = _mm512_setzero_ps(); }
#pragma clang loop unroll(full)
        for (int r = 0; r < rows + k - 1; r++) {
            const float *row = in + (oy + r) * padded_w + ox;
#pragma clang loop unroll(full)
            for (int kj = 0; kj < k; kj++) {
                const __m512 x = _mm512_maskz_loadu_ps(m, row + kj);
#pragma clang loop unroll(full)
                for (int j = 0; j < rows; j++) {
                    const int ki = r - j;
                    if (ki < 0 || ki >= k) continue;
                    const __m512 wt = _mm512_set1_ps(w[ki * k + kj]);
                    if (kj & 1) a1[j] = _mm512_fmadd_ps(wt, x, a1[j]);
                    else a0[j] = _mm512_fmadd_ps(wt, x, a0[j]);
                }
            }
        }
#pragma clang loop unroll(full)
        for (int j = 0; j < rows; j++) {
            __m512 v = _mm512_add_ps(a0[j], a1[j]);
            // max(0, v) returns its second operand for NaN and for ±0: relu as torch has it.
            if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);
            _mm512_mask_storeu_ps(out + (oy + j) * out_w + ox, m, v);
        }
    }
}

#define SQUARE_PLANE(K)                                                                                            \
    __attribute__((target("avx512f")))                                                                             \
    static void plane_avx512_k##K(const float *in, ptrdiff_t padded_w, const float *w, float bias, ptrdiff_t out_h, \
                                  ptrdiff_t out_w, float *out, int relu) {                                         \
        ptrdiff_t oy = 0;                                                                                          \
        for (; oy + ROWS <= out_h; oy += ROWS) block_avx512(in, padded_w, w, K, ROWS, bias, oy, out_w, out, relu); \
        for (; oy < out_h; oy++) block_avx512(in, padded_w, w, K, 1, bias, oy, out_w, out, relu);                  \
    }
SQUARE_PLANE(3)
SQUARE_PLANE(5)
SQUARE_PLANE(7)

__attribute__((target("avx512f")))
static void plane_avx512(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int d, float bias,
                         ptrdiff_t out_h, ptrdiff_t out_w, float *out) {
    const int taps = kh * kw;
    __m512 wv[64];
    if (taps > 64) { plane_baseline(in, padded_w, w, kh, kw, d, bias, out_h, out_w, out); return; }
    for (int t = 0; t < taps; t++) wv[t] = _mm512_set1_ps(w[t]);
    for (ptrdiff_t oy = 0; oy < out_h; oy++) {
        for (ptrdiff_t ox = 0; ox < out_w; ox += 16) {
            // The row's last group is masked: lanes past the end are neither read nor written.
            const ptrdiff_t left = out_w - ox;
            const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __m512 a0 = _mm512_set1_ps(bias), a1 = _mm512_setzero_ps();
            int t = 0;
            for (int ki = 0; ki < kh; ki++) {
                const float *row = in + (oy + (ptrdiff_t)ki * d) * padded_w + ox;
                int kj = 0;
                for (; kj + 1 < kw; kj += 2, t += 2) {
                    a0 = _mm512_fmadd_ps(wv[t], _mm512_maskz_loadu_ps(m, row + (ptrdiff_t)kj * d), a0);
                    a1 = _mm512_fmadd_ps(wv[t + 1], _mm512_maskz_loadu_ps(m, row + (ptrdiff_t)(kj + 1) * d), a1);
                }
                if (kj < kw) { a0 = _mm512_fmadd_ps(wv[t], _mm512_maskz_loadu_ps(m, row + (ptrdiff_t)kj * d), a0); t++; }
            }
            _mm512_mask_storeu_ps(out + oy * out_w + ox, m, _mm512_add_ps(a0, a1));
        }
    }
}
#endif

// ReLU after a plane computed without it (the paths that do not fuse it).
static void relu_rows(float *out, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) if (out[i] < 0) out[i] = 0;
}

void roma_depthwise_plane_s1(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int dilation,
                             float bias, ptrdiff_t out_h, ptrdiff_t out_w, float *out, int relu) {
#ifdef ROMA_X86
    switch (roma_kernels_level()) {
    case 2:
        if (dilation == 1 && kh == kw && (kh == 3 || kh == 5 || kh == 7)) {
            if (kh == 3) plane_avx512_k3(in, padded_w, w, bias, out_h, out_w, out, relu);
            else if (kh == 5) plane_avx512_k5(in, padded_w, w, bias, out_h, out_w, out, relu);
            else plane_avx512_k7(in, padded_w, w, bias, out_h, out_w, out, relu);
            return;
        }
        plane_avx512(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out);
        break;
    case 1: plane_avx2(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out); break;
    default: plane_baseline(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out); break;
    }
#else
    plane_baseline(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out);
#endif
    if (relu) relu_rows(out, out_h * out_w);
}
