#include "kernels.h"
#include <stdlib.h>

// Fused fp32 attention on AVX-512F: softmax(scale·q·kᵀ)·v for a tile of QR query rows
// on the calling thread, with the tile's scores kept in this core's caches.
//
// Two GEMMs through memory (q·kᵀ into a 1601-wide score block, a softmax pass, the
// product with v) ran at about 30 % of the machine's fp32 peak: oneDNN repacks k and
// v for every block, the score block went to memory and back, and each step waited
// for all threads. Here k and v are packed once per head (roma_attention_pack), and
// one tile computes its QR×m scores with a 14×32 register micro-kernel, the same
// softmax as NN's (row maximum, exp16, then the sum), and the product with v, on a
// score block of TT·QR×m floats (180 KB at m = 1601) that never leaves L2.
//
// Scores are stored in chunks of KB keys, QR rows each KB floats apart, so the
// second product broadcasts a score at constant offsets from one pointer.
// Arithmetic differs from the unfused path only in the order of accumulation: the
// softmax sum is accumulated in double and the output divided by it at the end,
// instead of a float sum and a multiplication of every probability by its inverse.

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#include "exp512.h"

#define QR 14    // query rows per tile (micro-kernel rows)
#define KP 32    // keys per packed kᵀ panel (two vectors)
#define VP 32    // value columns per packed v panel (two vectors)
#define KB 512   // keys per score chunk
#define KS 128   // keys per partial sum of the second product
#define TT 2     // micro-tiles per call

static inline ptrdiff_t round_up(ptrdiff_t x, ptrdiff_t to) { return (x + to - 1) / to * to; }

static inline __mmask16 lanes(ptrdiff_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

// kᵀ in panels of KP keys: kp[panel][p][KP], keys past m zero. v in panels of VP
// columns: vp[panel][j][VP], columns past dv zero.
AVX512 static void pack512(const float *k, ptrdiff_t ldk, const float *v, ptrdiff_t ldv, ptrdiff_t m, ptrdiff_t d,
                           ptrdiff_t dv, float *kp, float *vp) {
    // Gathers of 16 keys' element p (the transpose in vectors: scalar stores were 5 %
    // of the kernel's time). Row offsets fit in 32 bits for any tensor below 8 GB.
    const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32((int)ldk));
    for (ptrdiff_t j0 = 0; j0 < m; j0 += KP) {
        float *dst = kp + j0 * d;
        const __mmask16 m0 = lanes(m - j0), m1 = lanes(m - j0 - 16);
        const float *k0 = k + j0 * ldk, *k1 = k + (j0 + 16) * ldk;
        for (ptrdiff_t p = 0; p < d; p++) {
            _mm512_storeu_ps(dst + p * KP, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, rows, k0 + p, 4));
            _mm512_storeu_ps(dst + p * KP + 16, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, rows, k1 + p, 4));
        }
    }
    for (ptrdiff_t c0 = 0; c0 < dv; c0 += VP) {
        float *dst = vp + c0 * m;
        const __mmask16 m0 = lanes(dv - c0), m1 = lanes(dv - c0 - 16);
        for (ptrdiff_t j = 0; j < m; j++) {
            const float *row = v + j * ldv + c0;
            _mm512_storeu_ps(dst + j * VP, _mm512_maskz_loadu_ps(m0, row));
            _mm512_storeu_ps(dst + j * VP + 16, _mm512_maskz_loadu_ps(m1, row + 16));
        }
    }
}

// Scores of the tile against one kᵀ panel: s[r][0:KP] = scale·Σ_p q[p][r]·kᵀ[p][0:KP]
// (q packed as qp[p][QR]), and each row's running maximum over the panel's valid keys
// (NaN skipped, as NN's softmax does; a NaN still poisons the row through exp).
AVX512 static inline void scores_panel(const float *qp, const float *kp, ptrdiff_t d, float scale, ptrdiff_t keys,
                                       float *s, __m512 *rowmax) {
    __m512 acc[QR][2];
    for (int r = 0; r < QR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < d; p++) {
        const __m512 b0 = _mm512_loadu_ps(kp + p * KP), b1 = _mm512_loadu_ps(kp + p * KP + 16);
        for (int r = 0; r < QR; r++) {
            const __m512 x = _mm512_set1_ps(qp[p * QR + r]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const __m512 vs = _mm512_set1_ps(scale);
    const __mmask16 m0 = lanes(keys), m1 = lanes(keys - 16);
    for (int r = 0; r < QR; r++) {
        const __m512 y0 = _mm512_mul_ps(acc[r][0], vs), y1 = _mm512_mul_ps(acc[r][1], vs);
        _mm512_storeu_ps(s + r * KB, y0);
        _mm512_storeu_ps(s + r * KB + 16, y1);
        __m512 mx = rowmax[r];
        // vmaxps returns its second operand (mx) when either is NaN: NaN is skipped.
        mx = _mm512_mask_max_ps(mx, m0, y0, mx);
        mx = _mm512_mask_max_ps(mx, m1, y1, mx);
        rowmax[r] = mx;
    }
}

// total[r][0:VP] += Σ_{j < run} e[r][j]·v[j][0:VP] for one micro-tile. The registers
// sum runs of KS keys only: one float chain over all 1601 keys erred ~1.5× more than a
// blocked GEMM's sums (AttentionFusedTests compares both).
AVX512 static inline void values_run(const float *e, const float *vj, ptrdiff_t run, float *total) {
    __m512 acc[QR][2];
    for (int r = 0; r < QR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (ptrdiff_t j = 0; j < run; j++) {
        const __m512 b0 = _mm512_loadu_ps(vj + j * VP), b1 = _mm512_loadu_ps(vj + j * VP + 16);
        for (int r = 0; r < QR; r++) {
            const __m512 x = _mm512_set1_ps(e[r * KB + j]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < QR; r++) {
        _mm512_store_ps(total + r * VP, _mm512_add_ps(_mm512_load_ps(total + r * VP), acc[r][0]));
        _mm512_store_ps(total + r * VP + 16, _mm512_add_ps(_mm512_load_ps(total + r * VP + 16), acc[r][1]));
    }
}

// out[r][0:cols] = total[r] / sum[r], the division in double: one rounding of the
// quotient, none of 1/sum.
AVX512 static void finish_rows(const float *total, const double *sum, ptrdiff_t rows, ptrdiff_t cols, float *out,
                               ptrdiff_t ldo) {
    const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const __m512d inv = _mm512_set1_pd(1.0 / sum[r]);
        for (int h = 0; h < 2; h++) {
            const __m512 a = _mm512_load_ps(total + r * VP + 16 * h);
            const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(a)), inv));
            const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(
                _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1))), inv));
            const __m512 y = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)),
                                                                 _mm256_castps_pd(hi), 1));
            _mm512_mask_storeu_ps(out + r * ldo + 16 * h, h == 0 ? m0 : m1, y);
        }
    }
}

// exp(s − max) in place over one row's chunks, returning its sum: 16 float lanes per
// chunk (≤ KB/16 terms each), then in double (NN's softmax sums a whole row in 16
// float lanes).
AVX512 static double exp_row(float *e, ptrdiff_t m, __m512 rowmax) {
    const __m512 shift = _mm512_set1_ps(_mm512_reduce_max_ps(rowmax));
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (ptrdiff_t j0 = 0; j0 < m; j0 += KB) {
        float *chunk = e + j0 * QR;
        const ptrdiff_t keys = m - j0 < KB ? m - j0 : KB;
        __m512 part = _mm512_setzero_ps();
        ptrdiff_t j = 0;
        for (; j + 16 <= keys; j += 16) {
            const __m512 x = exp16(_mm512_sub_ps(_mm512_loadu_ps(chunk + j), shift));
            _mm512_storeu_ps(chunk + j, x);
            part = _mm512_add_ps(part, x);
        }
        if (j < keys) {
            const __m512 x = _mm512_maskz_mov_ps(lanes(keys - j), exp16(_mm512_sub_ps(_mm512_loadu_ps(chunk + j), shift)));
            _mm512_storeu_ps(chunk + j, x);
            part = _mm512_add_ps(part, x);
        }
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(part)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(part), 1))));
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}

// Up to TT·QR query rows: TT micro-tiles share each kᵀ panel and v run while it is in L1.
AVX512 static void tile512(const float *q, ptrdiff_t ldq, ptrdiff_t rows, const float *kp, const float *vp, ptrdiff_t m,
                           ptrdiff_t d, ptrdiff_t dv, float scale, float *out, ptrdiff_t ldo, float *work) {
    const ptrdiff_t mp = round_up(m, KB);
    const int tiles = (int)((rows + QR - 1) / QR);
    float *total = work;                    // [TT][QR][VP]
    float *s = total + TT * QR * VP;        // [TT][mp / KB][QR][KB]
    float *qp = s + TT * mp * QR;           // [TT][d][QR]
    for (int t = 0; t < tiles; t++)
        for (ptrdiff_t p = 0; p < d; p++)
            for (ptrdiff_t r = 0; r < QR; r++) {
                const ptrdiff_t row = t * QR + r;
                qp[(t * d + p) * QR + r] = row < rows ? q[row * ldq + p] : 0;
            }

    __m512 rowmax[TT][QR];
    for (int t = 0; t < TT; t++)
        for (int r = 0; r < QR; r++) rowmax[t][r] = _mm512_set1_ps(-__builtin_inff());
    for (ptrdiff_t j0 = 0; j0 < m; j0 += KP) {
        for (int t = 0; t < tiles; t++)
            scores_panel(qp + t * d * QR, kp + j0 * d, d, scale, m - j0, s + t * mp * QR + (j0 / KB) * KB * QR + j0 % KB,
                         rowmax[t]);
    }

    double sum[TT * QR];
    for (ptrdiff_t row = 0; row < rows; row++)
        sum[row] = exp_row(s + (row / QR) * mp * QR + (row % QR) * KB, m, rowmax[row / QR][row % QR]);

    for (ptrdiff_t c0 = 0; c0 < dv; c0 += VP) {
        for (ptrdiff_t i = 0; i < TT * QR * VP; i++) total[i] = 0;
        for (ptrdiff_t j0 = 0; j0 < m; j0 += KB) {
            const ptrdiff_t keys = m - j0 < KB ? m - j0 : KB;
            for (ptrdiff_t j1 = 0; j1 < keys; j1 += KS) {
                for (int t = 0; t < tiles; t++)
                    values_run(s + t * mp * QR + j0 * QR + j1, vp + c0 * m + (j0 + j1) * VP, keys - j1 < KS ? keys - j1 : KS,
                               total + t * QR * VP);
            }
        }
        for (int t = 0; t < tiles; t++) {
            const ptrdiff_t tile_rows = rows - t * QR < QR ? rows - t * QR : QR;
            finish_rows(total + t * QR * VP, sum + t * QR, tile_rows, dv - c0 < VP ? dv - c0 : VP, out + t * QR * ldo + c0, ldo);
        }
    }
}
#endif

ptrdiff_t roma_attention_packed_floats(ptrdiff_t m, ptrdiff_t d, ptrdiff_t dv) {
#if defined(__x86_64__)
    return round_up(m, KP) * d + round_up(dv, VP) * m;
#else
    (void)m; (void)d; (void)dv;
    return 0;
#endif
}

int roma_attention_pack(const float *k, ptrdiff_t ldk, const float *v, ptrdiff_t ldv, ptrdiff_t m, ptrdiff_t d,
                        ptrdiff_t dv, float *packed) {
#if defined(__x86_64__)
    if (roma_kernels_level() < 2) return -1;
    pack512(k, ldk, v, ldv, m, d, dv, packed, packed + round_up(m, KP) * d);
    return 0;
#else
    (void)k; (void)ldk; (void)v; (void)ldv; (void)m; (void)d; (void)dv; (void)packed;
    return -1;
#endif
}

int roma_attention_rows(const float *q, ptrdiff_t ldq, ptrdiff_t rows, const float *packed, ptrdiff_t m, ptrdiff_t d,
                        ptrdiff_t dv, float scale, float *out, ptrdiff_t ldo) {
#if defined(__x86_64__)
    if (roma_kernels_level() < 2) return -1;
    if (rows <= 0 || m <= 0 || dv <= 0) return 0;
    // Scores and the packed q tile, per thread, kept for the thread's life and grown
    // when a longer sequence comes (a fresh block per tile would be page-faulted in again).
    static _Thread_local float *work;
    static _Thread_local ptrdiff_t capacity;
    const ptrdiff_t need = TT * (QR * VP + round_up(m, KB) * QR + d * QR);
    if (need > capacity) {
        free(work);
        work = aligned_alloc(64, sizeof(float) * (size_t)round_up(need, 16));
        capacity = work ? need : 0;
        if (!work) return 1;
    }
    const float *kp = packed, *vp = packed + round_up(m, KP) * d;
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += TT * QR) {
        tile512(q + r0 * ldq, ldq, rows - r0 < TT * QR ? rows - r0 : TT * QR, kp, vp, m, d, dv, scale, out + r0 * ldo, ldo, work);
    }
    return 0;
#else
    (void)q; (void)ldq; (void)rows; (void)packed; (void)m; (void)d; (void)dv; (void)scale; (void)out; (void)ldo;
    return -1;
#endif
}
