#include "kernels.h"
#include "conv_torch_kernels.h"
#include "bf16_round.h"
#include <math.h>
#include <string.h>

// torch 2.15 runs a bf16 convolution on CPU through its bundled oneDNN 3.13; on AVX512-BF16
// (ONEDNN_VERBOSE) dense convolutions are `jit_bf16` (kh·kw > 1) or `jit_bf16_1x1`, transposed
// ones `brg_deconv`, depthwise ones `jit_dw`. Each output's products are summed by VDPBF16PS
// (pairs of input channels, the odd one first, each addition rounded) in one fp32 accumulator
// that runs over blocks of 16 input channels, then kh, kw, then the channel pairs of the block;
// the 1×1 kernel restarts it per chunk of input channels and adds the chunks left to right
// (the chunk is the caller's `block`); the bias comes last. Depthwise: the bias first, then the
// taps in order. Measured bit for bit against torch (docs/roma2.md; /work/wt/notes/dptconv-doc.md).

static inline uint16_t to_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return (uint16_t)(bf16_round_bits(u) >> 16);
}

static inline float round_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    u = bf16_round_bits(u);
    memcpy(&x, &u, 4);
    return x;
}

void roma_bf16_nchw_to_rows(const float *x, ptrdiff_t c, ptrdiff_t hw, ptrdiff_t cp, ptrdiff_t p0, ptrdiff_t p1,
                            uint16_t *out) {
    // tiles of 16 pixels: each channel's 16 values are one contiguous read
    for (ptrdiff_t t0 = p0; t0 < p1; t0 += 16) {
        const ptrdiff_t t1 = t0 + 16 < p1 ? t0 + 16 : p1;
        for (ptrdiff_t ch = 0; ch < c; ch++) {
            const float *src = x + ch * hw;
            for (ptrdiff_t p = t0; p < t1; p++) out[(p - p0) * cp + ch] = to_bits(src[p]);
        }
        for (ptrdiff_t p = t0; p < t1; p++)
            for (ptrdiff_t ch = c; ch < cp; ch++) out[(p - p0) * cp + ch] = 0;
    }
}

void roma_conv_torch_weight(const float *w, ptrdiff_t oc, ptrdiff_t ic, int kh, int kw, float *out) {
    const ptrdiff_t cp = (ic + 15) / 16 * 16, k = cp * kh * kw;
    for (ptrdiff_t o = 0; o < oc; o++)
        for (ptrdiff_t b = 0; b < cp / 16; b++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (ptrdiff_t e = 0; e < 16; e++) {
                        const ptrdiff_t ch = b * 16 + e;
                        out[o * k + ((b * kh + i) * kw + j) * 16 + e] =
                            ch < ic ? w[((o * ic + ch) * kh + i) * kw + j] : 0.0f;
                    }
}

void roma_conv_bf16_torch_band(const uint16_t *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cp, int kh, int kw,
                               int stride, int pad, ptrdiff_t out_w, const uint16_t *packed, ptrdiff_t n,
                               ptrdiff_t block, const float *bias, ptrdiff_t p0, ptrdiff_t p1, uint16_t *a,
                               float *c, float *out, ptrdiff_t out_plane, ptrdiff_t out_off, ptrdiff_t out_sy,
                               ptrdiff_t out_sx, int relu) {
    const ptrdiff_t k = cp * kh * kw, rows = p1 - p0;
    if (rows <= 0) return;
    const uint16_t *operand = a;
    if (kh == 1 && kw == 1 && stride == 1 && pad == 0) {
        operand = x + p0 * cp;
    } else {
        for (ptrdiff_t p = p0; p < p1; p++) {
            uint16_t *row = a + (p - p0) * k;
            const ptrdiff_t oy = p / out_w, ox = p % out_w;
            for (ptrdiff_t b = 0; b < cp / 16; b++)
                for (int i = 0; i < kh; i++) {
                    const ptrdiff_t iy = oy * stride - pad + i;
                    for (int j = 0; j < kw; j++) {
                        const ptrdiff_t ix = ox * stride - pad + j;
                        uint16_t *dst = row + ((b * kh + i) * kw + j) * 16;
                        // padding contributes exact zero products, which leave the sum as it is
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) memset(dst, 0, 32);
                        else memcpy(dst, x + (iy * w + ix) * cp + b * 16, 32);
                    }
                }
        }
    }
    roma_bf16_gemm_blocked(operand, k, packed, c, n, n, k, block, 0, rows);
    for (ptrdiff_t ch = 0; ch < n; ch++) {
        const float b = bias ? bias[ch] : 0.0f;
        float *plane = out + ch * out_plane + out_off;
        for (ptrdiff_t r = 0; r < rows; r++) {
            const ptrdiff_t p = p0 + r;
            float v = round_bf16(bias ? c[r * n + ch] + b : c[r * n + ch]);
            if (relu && v < 0) v = 0;
            plane[(p / out_w) * out_sy + (p % out_w) * out_sx] = v;
        }
    }
}

static void dw_rows_scalar(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, float bias,
                           ptrdiff_t oy, ptrdiff_t from, ptrdiff_t out_w, float *out) {
    for (ptrdiff_t ox = from; ox < out_w; ox++) {
        float acc = bias;
        // fmaf of an exact product is the rounded addition VDPBF16PS makes
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++) acc = fmaf(w[i * kw + j], in[(oy + i) * padded_w + ox + j], acc);
        out[oy * out_w + ox] = acc;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static void dw_plane_avx512(const float *in, ptrdiff_t padded_w, const float *w,
                                                              int kh, int kw, float bias, ptrdiff_t out_h,
                                                              ptrdiff_t out_w, float *out) {
    const ptrdiff_t whole = out_w / 16 * 16;
    for (ptrdiff_t oy = 0; oy < out_h; oy++) {
        for (ptrdiff_t ox = 0; ox < whole; ox += 16) {
            __m512 acc = _mm512_set1_ps(bias);
            for (int i = 0; i < kh; i++) {
                const float *row = in + (oy + i) * padded_w + ox;
                for (int j = 0; j < kw; j++)
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(w[i * kw + j]), _mm512_loadu_ps(row + j), acc);
            }
            _mm512_storeu_ps(out + oy * out_w + ox, acc);
        }
        dw_rows_scalar(in, padded_w, w, kh, kw, bias, oy, whole, out_w, out);
    }
}
#endif

void roma_depthwise_bf16_torch_plane(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw,
                                     float bias, ptrdiff_t out_h, ptrdiff_t out_w, float *out) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) {
        dw_plane_avx512(in, padded_w, w, kh, kw, bias, out_h, out_w, out);
        return;
    }
#endif
    for (ptrdiff_t oy = 0; oy < out_h; oy++) dw_rows_scalar(in, padded_w, w, kh, kw, bias, oy, 0, out_w, out);
}
