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

void roma_depthwise_plane_s1(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int dilation,
                             float bias, ptrdiff_t out_h, ptrdiff_t out_w, float *out) {
#ifdef ROMA_X86
    switch (roma_kernels_level()) {
    case 2: plane_avx512(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out); return;
    case 1: plane_avx2(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out); return;
    default: break;
    }
#endif
    plane_baseline(in, padded_w, w, kh, kw, dilation, bias, out_h, out_w, out);
}
