#include "kernels.h"
#include "refiner_kernels.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

// Bit-identical to the Swift loops it replaces: no multiply-add may be fused.
#pragma STDC FP_CONTRACT OFF

// dst[j·dst_stride + i] = src[i·src_stride + j] for i < rows, j < cols, in 32×32 tiles.
static void transpose_block_base(const uint32_t *src, ptrdiff_t src_stride, uint32_t *dst, ptrdiff_t dst_stride,
                                 ptrdiff_t rows, ptrdiff_t cols) {
    enum { T = 32 };
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += T) {
        const ptrdiff_t r1 = r0 + T < rows ? r0 + T : rows;
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += T) {
            const ptrdiff_t c1 = c0 + T < cols ? c0 + T : cols;
            for (ptrdiff_t c = c0; c < c1; c++)
                for (ptrdiff_t r = r0; r < r1; r++) dst[c * dst_stride + r] = src[r * src_stride + c];
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

// In-register transpose of 16 rows of 16 floats (bits are only moved).
AVX512 static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    __m512 out[16];
    for (int k = 0; k < 4; k++) {
        const __m512 x0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), x1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xdd);
        const __m512 x2 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88), x3 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xdd);
        out[k] = _mm512_shuffle_f32x4(x0, x2, 0x88);
        out[8 + k] = _mm512_shuffle_f32x4(x0, x2, 0xdd);
        out[4 + k] = _mm512_shuffle_f32x4(x1, x3, 0x88);
        out[12 + k] = _mm512_shuffle_f32x4(x1, x3, 0xdd);
    }
    for (int k = 0; k < 16; k++) r[k] = out[k];
}

// transpose_block_base with full 16×16 tiles in registers, the edges as before.
AVX512 static void transpose_block_512(const uint32_t *src, ptrdiff_t src_stride, uint32_t *dst, ptrdiff_t dst_stride,
                                       ptrdiff_t rows, ptrdiff_t cols) {
    const ptrdiff_t rows16 = rows / 16 * 16, cols16 = cols / 16 * 16;
    for (ptrdiff_t r0 = 0; r0 < rows16; r0 += 16) {
        for (ptrdiff_t c0 = 0; c0 < cols16; c0 += 16) {
            __m512 v[16];
            for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_ps((const float *)(src + (r0 + i) * src_stride + c0));
            transpose16(v);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps((float *)(dst + (c0 + i) * dst_stride + r0), v[i]);
        }
    }
    if (cols16 < cols) transpose_block_base(src + cols16, src_stride, dst + cols16 * dst_stride, dst_stride, rows, cols - cols16);
    if (rows16 < rows) transpose_block_base(src + rows16 * src_stride, src_stride, dst + rows16, dst_stride, rows - rows16, cols16);
}

// One bilinear corner as LocalCorrelation.swift's BilinearPoint computes it.
typedef struct { ptrdiff_t x, y; float w; int inside; } corner_t;

// Sixteen dot products of `a` with the rows b[0..15] (c floats each), in the Swift
// dotProduct's order: lanes accumulate a·b (multiply, then add), then
// s = ((0 + lane 0) + lane 1) + … + lane 15, then the tail element by element.
AVX512 static void dot16(const float *a, const float *const *b, ptrdiff_t c, float *result) {
    __m512 acc[16];
    for (int q = 0; q < 16; q++) acc[q] = _mm512_setzero_ps();
    ptrdiff_t j = 0;
    for (; j + 16 <= c; j += 16) {
        const __m512 av = _mm512_loadu_ps(a + j);
        for (int q = 0; q < 16; q++) acc[q] = _mm512_add_ps(acc[q], _mm512_mul_ps(av, _mm512_loadu_ps(b[q] + j)));
    }
    float lanes[16 * 16] __attribute__((aligned(64)));
    for (int q = 0; q < 16; q++) _mm512_store_ps(lanes + 16 * q, acc[q]);
    const __m512i column = _mm512_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240);
    __m512 s = _mm512_setzero_ps();
    for (int l = 0; l < 16; l++) s = _mm512_add_ps(s, _mm512_i32gather_ps(column, lanes + l, 4));
    _mm512_storeu_ps(result, s);
    for (; j < c; j++)
        for (int q = 0; q < 16; q++) result[q] += a[j] * b[q][j];
}

// One dot product in the same order (taps whose corner falls outside the window).
AVX512 static float dot1(const float *a, const float *b, ptrdiff_t c) {
    __m512 acc = _mm512_setzero_ps();
    ptrdiff_t j = 0;
    for (; j + 16 <= c; j += 16) acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)));
    float lanes[16] __attribute__((aligned(64)));
    _mm512_store_ps(lanes, acc);
    float s = 0;
    for (int l = 0; l < 16; l++) s += lanes[l];
    for (; j < c; j++) s += a[j] * b[j];
    return s;
}

// floor() of a float to an integer; values far outside any map (and NaN) go to
// −2^30, which every bounds check rejects.
static inline ptrdiff_t floor_index(float v, float *f) {
    *f = floorf(v);
    return (*f > -1073741824.0f && *f < 1073741824.0f) ? (ptrdiff_t)*f : -1073741824;
}

AVX512 static int correlation512(const float *a, const float *b, const float *warp, const float *dx, const float *dy,
                                 ptrdiff_t n, ptrdiff_t c, ptrdiff_t bh, ptrdiff_t bw, int side, float inv,
                                 ptrdiff_t first, ptrdiff_t end, float *out) {
    const ptrdiff_t pixels = end - first, taps = (ptrdiff_t)side * side, slots = side + 3;
    float *at = aligned_alloc(64, (size_t)((pixels * c * sizeof(float) + 63) / 64 * 64));
    corner_t *corners = malloc((size_t)taps * 4 * sizeof(corner_t));
    int *slot_of = malloc((size_t)taps * 4 * sizeof(int));
    float *cache = malloc((size_t)(slots * slots + 16) * sizeof(float));
    int *needed = malloc((size_t)slots * slots * sizeof(int));
    unsigned char *marked = calloc((size_t)(slots * slots), 1);
    if (!at || !corners || !slot_of || !cache || !needed || !marked) {
        free(at); free(corners); free(slot_of); free(cache); free(needed); free(marked);
        return 1;
    }
    // A's pixels of this block, pixel-major and divided by √c (the Swift loop's tokens(a) / inv).
    transpose_block_512((const uint32_t *)(a + first), n, (uint32_t *)at, c, c, pixels);
    const __m512 divisor = _mm512_set1_ps(inv);
    for (ptrdiff_t i = 0; i < pixels * c; i += 16) {
        const __mmask16 m = pixels * c - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (pixels * c - i)) - 1);
        _mm512_mask_storeu_ps(at + i, m, _mm512_div_ps(_mm512_maskz_loadu_ps(m, at + i), divisor));
    }
    const float fw = (float)bw, fh = (float)bh;
    for (ptrdiff_t q = 0; q < pixels; q++) {
        const ptrdiff_t p = first + q;
        const float *fa = at + q * c;
        const float cx = warp[p], cy = warp[n + p];
        float f;
        const ptrdiff_t x0 = floor_index((((cx + dx[0] + 1) * fw - 1) / 2), &f) - 1;
        const ptrdiff_t y0 = floor_index((((cy + dy[0] + 1) * fh - 1) / 2), &f) - 1;
        int count = 0;
        for (int i = 0; i < side; i++) {
            for (int j = 0; j < side; j++) {
                const float x = cx + dx[j], y = cy + dy[i];
                const float ix = ((x + 1) * fw - 1) / 2, iy = ((y + 1) * fh - 1) / 2;
                float fx, fy;
                const ptrdiff_t xi = floor_index(ix, &fx), yi = floor_index(iy, &fy);
                const float tx = ix - fx, ty = iy - fy;
                const float w[4] = {(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty};
                const ptrdiff_t xs[4] = {xi, xi + 1, xi, xi + 1}, ys[4] = {yi, yi, yi + 1, yi + 1};
                for (int t = 0; t < 4; t++) {
                    const ptrdiff_t k = (i * side + j) * 4 + t;
                    corner_t *cr = corners + k;
                    cr->x = xs[t]; cr->y = ys[t];
                    cr->inside = xs[t] >= 0 && xs[t] < bw && ys[t] >= 0 && ys[t] < bh;
                    cr->w = cr->inside ? w[t] : 0;
                    slot_of[k] = -1;
                    if (cr->w != 0) {
                        const ptrdiff_t sx = xs[t] - x0, sy = ys[t] - y0;
                        if (sx >= 0 && sx < slots && sy >= 0 && sy < slots) {
                            const int slot = (int)(sy * slots + sx);
                            slot_of[k] = slot;
                            if (!marked[slot]) { marked[slot] = 1; needed[count++] = slot; }
                        }
                    }
                }
            }
        }
        // The window's dot products, sixteen at a time.
        for (int s = 0; s < count; s += 16) {
            const float *rows[16];
            for (int u = 0; u < 16; u++) {
                const int slot = needed[s + u < count ? s + u : s];
                rows[u] = b + ((y0 + slot / slots) * bw + x0 + slot % slots) * c;
            }
            float result[16];
            dot16(fa, rows, c, result);
            for (int u = 0; u < 16 && s + u < count; u++) cache[needed[s + u]] = result[u];
        }
        for (int s = 0; s < count; s++) marked[needed[s]] = 0;
        for (ptrdiff_t k = 0; k < taps; k++) {
            float v = 0;
            for (int t = 0; t < 4; t++) {
                const corner_t *cr = corners + 4 * k + t;
                if (cr->w != 0) {
                    const float d = slot_of[4 * k + t] >= 0 ? cache[slot_of[4 * k + t]]
                                                            : dot1(fa, b + (cr->y * bw + cr->x) * c, c);
                    v += cr->w * d;
                }
            }
            out[k * n + p] = v;
        }
    }
    free(at); free(corners); free(slot_of); free(cache); free(needed); free(marked);
    return 0;
}
#endif

#if defined(__x86_64__)
AVX512 static void grid_taps_512(const float *grid, ptrdiff_t points, ptrdiff_t h, ptrdiff_t w, ptrdiff_t first,
                                 ptrdiff_t end, int *index, float *weight) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 one = _mm512_set1_ps(1), two = _mm512_set1_ps(2), zero = _mm512_setzero_ps();
    const __m512 fw = _mm512_set1_ps((float)w), fh = _mm512_set1_ps((float)h);
    const __m512i wi = _mm512_set1_epi32((int)w);
    for (ptrdiff_t p = first; p < end; p += 16) {
        const ptrdiff_t left = end - p;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __mmask16 lo = left >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * left)) - 1);
        const __mmask16 hi = left >= 16 ? (__mmask16)0xFFFF : left > 8 ? (__mmask16)((1u << (2 * (left - 8))) - 1) : 0;
        const __m512 g0 = _mm512_maskz_loadu_ps(lo, grid + 2 * p), g1 = _mm512_maskz_loadu_ps(hi, grid + 2 * p + 16);
        const __m512 gx = _mm512_permutex2var_ps(g0, even, g1), gy = _mm512_permutex2var_ps(g0, odd, g1);
        const __m512 ix = _mm512_div_ps(_mm512_sub_ps(_mm512_mul_ps(_mm512_add_ps(gx, one), fw), one), two);
        const __m512 iy = _mm512_div_ps(_mm512_sub_ps(_mm512_mul_ps(_mm512_add_ps(gy, one), fh), one), two);
        const __m512 x0 = _mm512_roundscale_ps(ix, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m512 y0 = _mm512_roundscale_ps(iy, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m512 dx = _mm512_sub_ps(ix, x0), dy = _mm512_sub_ps(iy, y0);
        const __m512 ex = _mm512_sub_ps(one, dx), ey = _mm512_sub_ps(one, dy);
        const __m512 wt[4] = {_mm512_mul_ps(ex, ey), _mm512_mul_ps(dx, ey), _mm512_mul_ps(ex, dy), _mm512_mul_ps(dx, dy)};
        const __m512 x1 = _mm512_add_ps(x0, one), y1 = _mm512_add_ps(y0, one);
        const __m512 xs[4] = {x0, x1, x0, x1}, ys[4] = {y0, y0, y1, y1};
        for (int t = 0; t < 4; t++) {
            const __mmask16 inside = _mm512_cmp_ps_mask(xs[t], zero, _CMP_GE_OQ) & _mm512_cmp_ps_mask(xs[t], fw, _CMP_LT_OQ)
                                   & _mm512_cmp_ps_mask(ys[t], zero, _CMP_GE_OQ) & _mm512_cmp_ps_mask(ys[t], fh, _CMP_LT_OQ);
            const __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_cvttps_epi32(ys[t]), wi), _mm512_cvttps_epi32(xs[t]));
            _mm512_mask_storeu_epi32(index + t * points + p, m, _mm512_maskz_mov_epi32(inside, idx));
            _mm512_mask_storeu_ps(weight + t * points + p, m, _mm512_maskz_mov_ps(inside, wt[t]));
        }
    }
}

#endif

// Scalar on purpose (no AVX-512 attribute, so no gathers): on Zen 4 four 16-lane gathers
// per 16 outputs ran 1.6× slower than this loop at 256 channels.
static void grid_planes(const float *x, ptrdiff_t hw, ptrdiff_t points, const int *index, const float *weight,
                        ptrdiff_t first, ptrdiff_t end, float *out) {
    const int *i0 = index, *i1 = index + points, *i2 = index + 2 * points, *i3 = index + 3 * points;
    const float *w0 = weight, *w1 = weight + points, *w2 = weight + 2 * points, *w3 = weight + 3 * points;
    for (ptrdiff_t ch = first; ch < end; ch++) {
        const float *plane = x + ch * hw;
        float *o = out + ch * points;
        for (ptrdiff_t p = 0; p < points; p++)
            o[p] = plane[i0[p]] * w0[p] + plane[i1[p]] * w1[p] + plane[i2[p]] * w2[p] + plane[i3[p]] * w3[p];
    }
}

int roma_grid_sample_taps(const float *grid, ptrdiff_t points, ptrdiff_t h, ptrdiff_t w, ptrdiff_t first,
                          ptrdiff_t end, int *index, float *weight) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { grid_taps_512(grid, points, h, w, first, end, index, weight); return 0; }
#endif
    (void)grid; (void)points; (void)h; (void)w; (void)first; (void)end; (void)index; (void)weight;
    return -1;
}

int roma_grid_sample_planes(const float *x, ptrdiff_t hw, ptrdiff_t points, const int *index, const float *weight,
                            ptrdiff_t first, ptrdiff_t end, float *out) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { grid_planes(x, hw, points, index, weight, first, end, out); return 0; }
#endif
    (void)x; (void)hw; (void)points; (void)index; (void)weight; (void)first; (void)end; (void)out;
    return -1;
}

int roma_local_correlation(const float *a, const float *b, const float *warp, const float *dx, const float *dy,
                           ptrdiff_t n, ptrdiff_t c, ptrdiff_t bh, ptrdiff_t bw, int side, float inv,
                           ptrdiff_t first, ptrdiff_t end, float *out) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) return correlation512(a, b, warp, dx, dy, n, c, bh, bw, side, inv, first, end, out);
#endif
    (void)a; (void)b; (void)warp; (void)dx; (void)dy; (void)n; (void)c; (void)bh; (void)bw; (void)side; (void)inv;
    (void)first; (void)end; (void)out;
    return -1;
}

void roma_transpose32(const void *src, void *dst, ptrdiff_t batches, ptrdiff_t rows, ptrdiff_t cols,
                      ptrdiff_t first_row, ptrdiff_t end_row) {
    for (ptrdiff_t b = 0; b < batches; b++) {
        const uint32_t *s = (const uint32_t *)src + b * rows * cols + first_row * cols;
        uint32_t *d = (uint32_t *)dst + b * rows * cols + first_row;
#if defined(__x86_64__)
        if (roma_kernels_level() >= 2) { transpose_block_512(s, cols, d, rows, end_row - first_row, cols); continue; }
#endif
        transpose_block_base(s, cols, d, rows, end_row - first_row, cols);
    }
}
