#include "kernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Winograd F(2×2, 3×3) transforms (Sources/NN/Winograd.swift has the algebra), 16
// tiles per AVX-512 vector. Each sum is formed in the same order as the Swift loops,
// so both paths give the same bits; only the vector width differs.
#define AVX512 __attribute__((target("avx512f")))

ptrdiff_t roma_winograd_line_floats(ptrdiff_t tiles_w) {
    // The column pass reads up to 32 floats past a group's first column pair.
    return (2 * tiles_w + 34 + 15) / 16 * 16;
}

static inline __mmask16 lanes(ptrdiff_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

AVX512 static void input_row512(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t iy0,
                                ptrdiff_t tiles_w, float *v, ptrdiff_t es, float *lines) {
    const ptrdiff_t length = 2 * tiles_w + 2, stride = roma_winograd_line_floats(tiles_w);
    const ptrdiff_t first = pad < length ? pad : length, last = w + pad < length ? w + pad : length;
    for (int k = 0; k < 4; k++) {
        float *line = lines + k * stride;
        const ptrdiff_t iy = iy0 + k;
        if (iy < 0 || iy >= h) {
            memset(line, 0, (size_t)stride * sizeof(float));
            continue;
        }
        if (first > 0) memset(line, 0, (size_t)first * sizeof(float));
        if (last > first) memcpy(line + first, plane + iy * w + (first - pad), (size_t)(last - first) * sizeof(float));
        memset(line + last, 0, (size_t)(stride - last) * sizeof(float));
    }
    // Bᵀ d over rows, in place: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
    float *d0 = lines, *d1 = lines + stride, *d2 = lines + 2 * stride, *d3 = lines + 3 * stride;
    for (ptrdiff_t i = 0; i < stride; i += 16) {
        const __m512 a = _mm512_loadu_ps(d0 + i), b = _mm512_loadu_ps(d1 + i);
        const __m512 c = _mm512_loadu_ps(d2 + i), d = _mm512_loadu_ps(d3 + i);
        _mm512_storeu_ps(d0 + i, _mm512_sub_ps(a, c));
        _mm512_storeu_ps(d1 + i, _mm512_add_ps(b, c));
        _mm512_storeu_ps(d2 + i, _mm512_sub_ps(c, b));
        _mm512_storeu_ps(d3 + i, _mm512_sub_ps(b, d));
    }
    // (Bᵀ d) B over columns: tile tx's columns are 2tx … 2tx+3, split into even and odd lanes.
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int k = 0; k < 4; k++) {
        const float *t = lines + k * stride;
        float *o0 = v + (4 * k) * es, *o1 = o0 + es, *o2 = o1 + es, *o3 = o2 + es;
        for (ptrdiff_t tx = 0; tx < tiles_w; tx += 16) {
            const __mmask16 m = lanes(tiles_w - tx);
            const __m512 v0 = _mm512_loadu_ps(t + 2 * tx), v1 = _mm512_loadu_ps(t + 2 * tx + 16);
            const __m512 v2 = _mm512_loadu_ps(t + 2 * tx + 2), v3 = _mm512_loadu_ps(t + 2 * tx + 18);
            const __m512 a = _mm512_permutex2var_ps(v0, even, v1), b = _mm512_permutex2var_ps(v0, odd, v1);
            const __m512 c = _mm512_permutex2var_ps(v2, even, v3), d = _mm512_permutex2var_ps(v2, odd, v3);
            _mm512_mask_storeu_ps(o0 + tx, m, _mm512_sub_ps(a, c));
            _mm512_mask_storeu_ps(o1 + tx, m, _mm512_add_ps(b, c));
            _mm512_mask_storeu_ps(o2 + tx, m, _mm512_sub_ps(c, b));
            _mm512_mask_storeu_ps(o3 + tx, m, _mm512_sub_ps(b, d));
        }
    }
}

// One output row of 16 tiles from the column sums t0…t3 of Aᵀ m: y = (Aᵀ m) A + bias,
// then max(0, y) when relu (MAXPS returns its second operand when either is NaN: NaN
// passes, as torch's relu), the tiles' two outputs interleaved on the store.
AVX512 static inline void output_pair512(float *row, __m512 t0, __m512 t1, __m512 t2, __m512 t3, __m512 bv, int relu,
                                         __mmask16 first, __mmask16 second) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 y0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t0, t1), t2), bv);
    __m512 y1 = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t1, t2), t3), bv);
    if (relu) { y0 = _mm512_max_ps(_mm512_setzero_ps(), y0); y1 = _mm512_max_ps(_mm512_setzero_ps(), y1); }
    _mm512_mask_storeu_ps(row, first, _mm512_permutex2var_ps(y0, low, y1));
    _mm512_mask_storeu_ps(row + 16, second, _mm512_permutex2var_ps(y0, high, y1));
}

AVX512 static void output_row512(const float *mm, ptrdiff_t es, ptrdiff_t tiles_w, float bias, int relu,
                                 float *row0, float *row1, ptrdiff_t wo) {
    const __m512 bv = _mm512_set1_ps(bias);
    for (ptrdiff_t tx = 0; tx < tiles_w; tx += 16) {
        const __mmask16 m = lanes(tiles_w - tx);
        __m512 l[16];
        for (int e = 0; e < 16; e++) l[e] = _mm512_maskz_loadu_ps(m, mm + e * es + tx);
        const ptrdiff_t columns = wo - 2 * tx;   // outputs left in this row from 2tx on
        const __mmask16 first = lanes(columns), second = lanes(columns - 16 > 0 ? columns - 16 : 0);
        // Aᵀ m over rows (as Winograd.swift's vector loop): s_k = m0k + m1k + m2k, d_k = m1k − m2k − m3k.
        __m512 s[4], d[4];
        for (int k = 0; k < 4; k++) {
            s[k] = _mm512_add_ps(_mm512_add_ps(l[k], l[4 + k]), l[8 + k]);
            d[k] = _mm512_sub_ps(_mm512_sub_ps(l[4 + k], l[8 + k]), l[12 + k]);
        }
        output_pair512(row0 + 2 * tx, s[0], s[1], s[2], s[3], bv, relu, first, second);
        if (row1) output_pair512(row1 + 2 * tx, d[0], d[1], d[2], d[3], bv, relu, first, second);
    }
}
#else
ptrdiff_t roma_winograd_line_floats(ptrdiff_t tiles_w) { return (2 * tiles_w + 34 + 15) / 16 * 16; }
#endif

int roma_winograd_input_row(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t iy0,
                            ptrdiff_t tiles_w, float *v, ptrdiff_t element_stride, float *lines) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) {
        input_row512(plane, h, w, pad, iy0, tiles_w, v, element_stride, lines);
        return 0;
    }
#endif
    (void)plane; (void)h; (void)w; (void)pad; (void)iy0; (void)tiles_w; (void)v; (void)element_stride; (void)lines;
    return -1;
}

int roma_winograd_output_row(const float *m, ptrdiff_t element_stride, ptrdiff_t tiles_w, float bias, int relu,
                             float *row0, float *row1, ptrdiff_t out_w) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) {
        output_row512(m, element_stride, tiles_w, bias, relu, row0, row1, out_w);
        return 0;
    }
#endif
    (void)m; (void)element_stride; (void)tiles_w; (void)bias; (void)relu; (void)row0; (void)row1; (void)out_w;
    return -1;
}
