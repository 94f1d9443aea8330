#include "kernels.h"
#include "conv_torch_kernels.h"
#include "bf16_round.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// torch 2.15 runs a bf16 convolution on CPU through its bundled oneDNN 3.13; on AVX512-BF16
// (ONEDNN_VERBOSE) dense convolutions are `jit_bf16` (kh·kw > 1) or `jit_bf16_1x1`, transposed
// ones `brg_deconv`, depthwise ones `jit_dw`. Each output's products are summed by VDPBF16PS
// (pairs of input channels, the odd one first, each addition rounded) in one fp32 accumulator
// that runs over blocks of 16 input channels, then kh, kw, then the channel pairs of the block;
// the 1×1 kernel restarts it per chunk of input channels and adds the chunks left to right
// (the chunk is the caller's `block`); the bias comes last. Depthwise: the bias first, then the
// taps in order. Measured bit for bit against torch (docs/roma2.md, "Precision"; NNTests/ConvBF16OrderTests).

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
    // tiles of 256 pixels × 16 channels: 16 contiguous 1 KB reads (few streams for the
    // prefetcher, unlike one line from each of hundreds of planes), 256 × 32-byte writes
    for (ptrdiff_t t0 = p0; t0 < p1; t0 += 256) {
        const ptrdiff_t t1 = t0 + 256 < p1 ? t0 + 256 : p1;
        for (ptrdiff_t c0 = 0; c0 < c; c0 += 16) {
            const ptrdiff_t c1 = c0 + 16 < c ? c0 + 16 : c;
            for (ptrdiff_t ch = c0; ch < c1; ch++) {
                const float *src = x + ch * hw;
                uint16_t *dst = out + (t0 - p0) * cp + ch;
                for (ptrdiff_t p = t0; p < t1; p++) dst[(p - t0) * cp] = to_bits(src[p]);
            }
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

#if defined(__x86_64__)
#include <immintrin.h>
// c [rows][n] + bias, rounded (and clamped) → out[ch·plane + r] for rows that are consecutive
// output pixels: 16 × 16 tiles transposed through a small buffer, so both sides are read and
// written 64 bytes at a time.
__attribute__((target("avx512f"))) static void finish_contiguous(const float *c, ptrdiff_t n, ptrdiff_t rows,
                                                                const float *bias, int relu, float *out,
                                                                ptrdiff_t plane) {
    float tile[16][16];
    for (ptrdiff_t c0 = 0; c0 < n; c0 += 16) {
        const __m512 b = bias ? _mm512_loadu_ps(bias + c0) : _mm512_setzero_ps();
        for (ptrdiff_t r0 = 0; r0 < rows; r0 += 16) {
            const ptrdiff_t m = rows - r0 < 16 ? rows - r0 : 16;
            for (ptrdiff_t r = 0; r < m; r++) {
                __m512 v = _mm512_loadu_ps(c + (r0 + r) * n + c0);
                if (bias) v = _mm512_add_ps(v, b);
                v = _mm512_castsi512_ps(bf16_round_vec(v));
                if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
                _mm512_storeu_ps(tile[r], v);
            }
            for (int j = 0; j < 16; j++) {
                float *dst = out + (c0 + j) * plane + r0;
                for (ptrdiff_t r = 0; r < m; r++) dst[r] = tile[r][j];
            }
        }
    }
}
#endif

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
#if defined(__x86_64__)
    if (out_sx == 1 && out_sy == out_w && roma_kernels_level() >= 2 && n % 16 == 0) {
        finish_contiguous(c, n, rows, bias, relu, out + out_off + p0, out_plane);
        return;
    }
#endif
    // each row's output offset once (no division per value); then channel by channel, whose
    // strided reads of c stay within the band's few cache lines
    ptrdiff_t index[256];
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += 256) {
        const ptrdiff_t r1 = r0 + 256 < rows ? r0 + 256 : rows;
        ptrdiff_t y = (p0 + r0) / out_w, x = (p0 + r0) % out_w;
        for (ptrdiff_t r = r0; r < r1; r++) {
            index[r - r0] = out_off + y * out_sy + x * out_sx;
            if (++x == out_w) { x = 0; y++; }
        }
        for (ptrdiff_t ch = 0; ch < n; ch++) {
            const float b = bias ? bias[ch] : 0.0f;
            float *plane = out + ch * out_plane;
            const float *col = c + ch;
            for (ptrdiff_t r = r0; r < r1; r++) {
                float v = round_bf16(bias ? col[r * n] + b : col[r * n]);
                if (relu && v < 0) v = 0;
                plane[index[r - r0]] = v;
            }
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
    ptrdiff_t oy = 0;
    // four rows at a time: four independent chains hide the FMA latency (each output's own
    // additions stay in order)
    for (; oy + 4 <= out_h; oy += 4) {
        for (ptrdiff_t ox = 0; ox < whole; ox += 16) {
            __m512 acc0 = _mm512_set1_ps(bias), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int i = 0; i < kh; i++) {
                const float *row = in + (oy + i) * padded_w + ox;
                for (int j = 0; j < kw; j++) {
                    const __m512 wv = _mm512_set1_ps(w[i * kw + j]);
                    acc0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(row + j), acc0);
                    acc1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(row + padded_w + j), acc1);
                    acc2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(row + 2 * padded_w + j), acc2);
                    acc3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(row + 3 * padded_w + j), acc3);
                }
            }
            _mm512_storeu_ps(out + oy * out_w + ox, acc0);
            _mm512_storeu_ps(out + (oy + 1) * out_w + ox, acc1);
            _mm512_storeu_ps(out + (oy + 2) * out_w + ox, acc2);
            _mm512_storeu_ps(out + (oy + 3) * out_w + ox, acc3);
        }
        for (int d = 0; d < 4; d++) dw_rows_scalar(in, padded_w, w, kh, kw, bias, oy + d, whole, out_w, out);
    }
    for (; oy < out_h; oy++) {
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

// ---- 1×1 convolutions on NCHW planes, pixels in the vector lanes (no transposes) ----

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static ptrdiff_t pair_planes_avx512(const float *even, const float *odd, ptrdiff_t p0,
                                                                       ptrdiff_t p1, uint32_t *dst) {
    ptrdiff_t p = p0;
    for (; p + 16 <= p1; p += 16) {
        const __m512i e = _mm512_srli_epi32(bf16_round_vec(_mm512_loadu_ps(even + p)), 16);
        const __m512i o = bf16_round_vec(_mm512_loadu_ps(odd + p));
        _mm512_storeu_si512(dst + p, _mm512_or_si512(e, o));
    }
    return p;
}
#endif

void roma_bf16_pair_planes(const float *x, ptrdiff_t c, ptrdiff_t hw, ptrdiff_t p0, ptrdiff_t p1, uint32_t *out) {
    for (ptrdiff_t q = 0; q < (c + 1) / 2; q++) {
        const float *even = x + 2 * q * hw, *odd = 2 * q + 1 < c ? even + hw : NULL;
        uint32_t *dst = out + q * hw;
        ptrdiff_t p = p0;
#if defined(__x86_64__)
        if (odd && roma_kernels_level() >= 2) p = pair_planes_avx512(even, odd, p0, p1, dst);
#endif
        for (; p < p1; p++)
            dst[p] = (uint32_t)to_bits(even[p]) | (odd ? (uint32_t)to_bits(odd[p]) << 16 : 0u);
    }
}

void roma_bf16_pair_weight(const float *w, ptrdiff_t n, ptrdiff_t c, uint32_t *out) {
    const ptrdiff_t pairs = (c + 1) / 2;
    for (ptrdiff_t o = 0; o < n; o++)
        for (ptrdiff_t q = 0; q < pairs; q++)
            out[o * pairs + q] = (uint32_t)to_bits(w[o * c + 2 * q])
                                 | (2 * q + 1 < c ? (uint32_t)to_bits(w[o * c + 2 * q + 1]) << 16 : 0u);
}

static inline float bf16_low(uint32_t v) { uint32_t u = v << 16; float f; memcpy(&f, &u, 4); return f; }
static inline float bf16_high(uint32_t v) { uint32_t u = v & 0xffff0000u; float f; memcpy(&f, &u, 4); return f; }

static void planes_scalar(const uint32_t *xp, ptrdiff_t pairs, ptrdiff_t hw, const uint32_t *wp, ptrdiff_t pair_block,
                          const float *bias, int relu, ptrdiff_t o, ptrdiff_t p0, ptrdiff_t p1, float *out) {
    for (ptrdiff_t p = p0; p < p1; p++) {
        float total = 0;
        for (ptrdiff_t q0 = 0; q0 < pairs; q0 += pair_block) {
            const ptrdiff_t q1 = q0 + pair_block < pairs ? q0 + pair_block : pairs;
            float part = 0;
            for (ptrdiff_t q = q0; q < q1; q++) {
                const uint32_t x = xp[q * hw + p], w = wp[o * pairs + q];
                part += bf16_high(x) * bf16_high(w);
                part += bf16_low(x) * bf16_low(w);
            }
            total = q0 == 0 ? part : total + part;
        }
        float v = round_bf16(bias ? total + bias[o] : total);
        if (relu && v < 0) v = 0;
        out[o * hw + p] = v;
    }
}

#if defined(__x86_64__)
#define PLANES_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))
// T vectors of 16 pixels × OB output channels; inlined with constants, the T·OB accumulators
// stay in registers. `mask`: the lanes of the last vector that exist.
PLANES_TARGET static inline __attribute__((always_inline)) void planes_tile(
    const uint32_t *xp, ptrdiff_t ldx, ptrdiff_t px, ptrdiff_t pairs, ptrdiff_t hw, const uint32_t *wp,
    ptrdiff_t pair_block, const float *bias, int relu, ptrdiff_t o0, ptrdiff_t p, float *out, const int T, const int OB,
    __mmask16 mask) {
    __m512 total[4][4], acc[4][4];
    for (ptrdiff_t q0 = 0; q0 < pairs; q0 += pair_block) {
        const ptrdiff_t q1 = q0 + pair_block < pairs ? q0 + pair_block : pairs;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < OB; b++) acc[t][b] = _mm512_setzero_ps();
        for (ptrdiff_t q = q0; q < q1; q++) {
            __m512bh x[4];
            for (int t = 0; t < T; t++)
                x[t] = (__m512bh)(t == T - 1 ? _mm512_maskz_loadu_epi32(mask, xp + q * ldx + px + 16 * t)
                                             : _mm512_loadu_si512(xp + q * ldx + px + 16 * t));
            for (int b = 0; b < OB; b++) {
                const __m512bh w = (__m512bh)_mm512_set1_epi32((int)wp[(o0 + b) * pairs + q]);
                for (int t = 0; t < T; t++) acc[t][b] = _mm512_dpbf16_ps(acc[t][b], x[t], w);
            }
        }
        for (int t = 0; t < T; t++)
            for (int b = 0; b < OB; b++) total[t][b] = q0 == 0 ? acc[t][b] : _mm512_add_ps(total[t][b], acc[t][b]);
    }
    for (int b = 0; b < OB; b++) {
        const __m512 bv = _mm512_set1_ps(bias ? bias[o0 + b] : 0.0f);
        for (int t = 0; t < T; t++) {
            __m512 v = bias ? _mm512_add_ps(total[t][b], bv) : total[t][b];
            v = _mm512_castsi512_ps(bf16_round_vec(v));
            if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
            if (t == T - 1) _mm512_mask_storeu_ps(out + (o0 + b) * hw + p + 16 * t, mask, v);
            else _mm512_storeu_ps(out + (o0 + b) * hw + p + 16 * t, v);
        }
    }
}

PLANES_TARGET static void planes_avx512(const uint32_t *xp, ptrdiff_t pairs, ptrdiff_t hw, const uint32_t *wp,
                                        ptrdiff_t n, ptrdiff_t pair_block, const float *bias, int relu, ptrdiff_t p0,
                                        ptrdiff_t p1, float *out) {
    // pixel tiles outermost, each tile's input (pairs × 64 pixels) copied together first: it
    // then stays in cache for every output channel, and its rows are not a plane apart (rows
    // 2^k bytes apart fall in the same cache sets and evict one another)
    uint32_t *tile = aligned_alloc(64, (size_t)pairs * 64 * sizeof(uint32_t));
    const ptrdiff_t whole = p0 + (p1 - p0) / 64 * 64;
    for (ptrdiff_t p = p0; p < whole; p += 64) {
        if (tile)
            for (ptrdiff_t q = 0; q < pairs; q++) memcpy(tile + q * 64, xp + q * hw + p, 64 * sizeof(uint32_t));
        const uint32_t *src = tile ? tile : xp + p;
        const ptrdiff_t ldx = tile ? 64 : hw;
        for (ptrdiff_t o0 = 0; o0 < n; o0 += 4) {
            const ptrdiff_t ob = n - o0 < 4 ? n - o0 : 4;
            if (ob == 4) planes_tile(src, ldx, 0, pairs, hw, wp, pair_block, bias, relu, o0, p, out, 4, 4, 0xffff);
            else if (ob == 3) planes_tile(src, ldx, 0, pairs, hw, wp, pair_block, bias, relu, o0, p, out, 4, 3, 0xffff);
            else if (ob == 2) planes_tile(src, ldx, 0, pairs, hw, wp, pair_block, bias, relu, o0, p, out, 4, 2, 0xffff);
            else planes_tile(src, ldx, 0, pairs, hw, wp, pair_block, bias, relu, o0, p, out, 4, 1, 0xffff);
        }
    }
    free(tile);
    for (ptrdiff_t p = whole; p < p1; p += 16) {
        const ptrdiff_t m = p1 - p < 16 ? p1 - p : 16;
        const __mmask16 mask = (__mmask16)((1u << m) - 1u);
        for (ptrdiff_t o = 0; o < n; o++)
            planes_tile(xp, hw, p, pairs, hw, wp, pair_block, bias, relu, o, p, out, 1, 1, mask);
    }
}
#endif

void roma_conv1x1_bf16_torch_planes(const uint32_t *xp, ptrdiff_t pairs, ptrdiff_t hw, const uint32_t *wp, ptrdiff_t n,
                                    ptrdiff_t pair_block, const float *bias, int relu, ptrdiff_t p0, ptrdiff_t p1,
                                    float *out) {
    if (pair_block < 1) pair_block = 1;
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2 && __builtin_cpu_supports("avx512bf16")) {
        planes_avx512(xp, pairs, hw, wp, n, pair_block, bias, relu, p0, p1, out);
        return;
    }
#endif
    for (ptrdiff_t o = 0; o < n; o++) planes_scalar(xp, pairs, hw, wp, pair_block, bias, relu, o, p0, p1, out);
}

// ---- batch norm of a bf16 tensor (eval), as torch's CPU kernel ----

#if defined(__x86_64__)
__attribute__((target("avx512f,fma"))) static ptrdiff_t batchnorm_avx512(float *x, ptrdiff_t count, float alpha,
                                                                         float beta) {
    const __m512 a = _mm512_set1_ps(alpha), b = _mm512_set1_ps(beta);
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(x + i, _mm512_castsi512_ps(bf16_round_vec(_mm512_fmadd_ps(_mm512_loadu_ps(x + i), a, b))));
    return i;
}
#endif

void roma_batchnorm_bf16_torch_plane(float *x, ptrdiff_t count, float alpha, float beta) {
    ptrdiff_t i = 0;
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) i = batchnorm_avx512(x, count, alpha, beta);
#endif
    for (; i < count; i++) x[i] = round_bf16(fmaf(x[i], alpha, beta));
}
