#include "kernels.h"
#include <stdlib.h>

// Single-threaded row-major sgemm on AVX-512F, in the BLIS structure: B is packed in
// KC×NR panels, A in MR×KC panels, and an MR×NR micro-kernel keeps its tile of C in
// 28 zmm registers (14 rows × 2 vectors of 16) for a whole KC run. Edges are packed
// with zeros and stored through a masked store, so any m, n, k work. The caller
// (NN's GEMM) runs one of these per thread on disjoint blocks of C.

#if defined(__x86_64__)
#include <immintrin.h>

#define MR 14
#define NR 32
#define KC 384
#define MC 112
#define NC 3072

#define AVX512 __attribute__((target("avx512f")))

static inline float at(const float *p, ptrdiff_t ld, int trans, ptrdiff_t row, ptrdiff_t col) {
    return trans ? p[col * ld + row] : p[row * ld + col];
}

// A[i0:i0+mc, p0:p0+kc] → panels of MR rows: dst[panel][k][MR].
static void pack_a(const float *a, ptrdiff_t lda, int ta, ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t p0, ptrdiff_t kc, float *dst) {
    for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
        const ptrdiff_t rows = mc - ir < MR ? mc - ir : MR;
        for (ptrdiff_t p = 0; p < kc; p++) {
            for (ptrdiff_t r = 0; r < rows; r++) dst[r] = at(a, lda, ta, i0 + ir + r, p0 + p);
            for (ptrdiff_t r = rows; r < MR; r++) dst[r] = 0;
            dst += MR;
        }
    }
}

// B[p0:p0+kc, j0:j0+nc] → panels of NR columns: dst[panel][k][NR].
AVX512 static void pack_b(const float *b, ptrdiff_t ldb, int tb, ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, ptrdiff_t nc, float *dst) {
    for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
        const ptrdiff_t cols = nc - jr < NR ? nc - jr : NR;
        if (!tb && cols == NR) {
            for (ptrdiff_t p = 0; p < kc; p++) {
                const float *src = b + (p0 + p) * ldb + j0 + jr;
                _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
                _mm512_storeu_ps(dst + 16, _mm512_loadu_ps(src + 16));
                dst += NR;
            }
            continue;
        }
        for (ptrdiff_t p = 0; p < kc; p++) {
            for (ptrdiff_t c = 0; c < cols; c++) dst[c] = at(b, ldb, tb, p0 + p, j0 + jr + c);
            for (ptrdiff_t c = cols; c < NR; c++) dst[c] = 0;
            dst += NR;
        }
    }
}

// C[0:rows, 0:cols] = (first ? beta·C : C) + alpha·Apanel·Bpanel.
AVX512 static void kernel(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc, ptrdiff_t rows,
                          ptrdiff_t cols, float alpha, float beta, int first) {
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        for (int r = 0; r < MR; r++) {
            const __m512 x = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
        a += MR;
        b += NR;
    }
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        __m512 y0 = _mm512_mul_ps(acc[r][0], va), y1 = _mm512_mul_ps(acc[r][1], va);
        if (!first) {
            y0 = _mm512_add_ps(y0, _mm512_maskz_loadu_ps(m0, row));
            y1 = _mm512_add_ps(y1, _mm512_maskz_loadu_ps(m1, row + 16));
        } else if (beta != 0) {
            y0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), y0);
            y1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), y1);
        }
        _mm512_mask_storeu_ps(row, m0, y0);
        _mm512_mask_storeu_ps(row + 16, m1, y1);
    }
}

AVX512 static void gemm512(int ta, int tb, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a, ptrdiff_t lda,
                           const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc, float *pa, float *pb) {
    for (ptrdiff_t j0 = 0; j0 < n; j0 += NC) {
        const ptrdiff_t nc = n - j0 < NC ? n - j0 : NC;
        for (ptrdiff_t p0 = 0; p0 < k; p0 += KC) {
            const ptrdiff_t kc = k - p0 < KC ? k - p0 : KC;
            pack_b(b, ldb, tb, p0, kc, j0, nc, pb);
            for (ptrdiff_t i0 = 0; i0 < m; i0 += MC) {
                const ptrdiff_t mc = m - i0 < MC ? m - i0 : MC;
                pack_a(a, lda, ta, i0, mc, p0, kc, pa);
                for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
                    for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
                        kernel(kc, pa + ir * kc, pb + jr * kc, c + (i0 + ir) * ldc + j0 + jr, ldc,
                               mc - ir < MR ? mc - ir : MR, nc - jr < NR ? nc - jr : NR, alpha, beta, p0 == 0);
                    }
                }
            }
        }
    }
}
#endif

int roma_sgemm_avx512(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      float *c, ptrdiff_t ldc) {
#if defined(__x86_64__)
    if (roma_kernels_level() < 2) return -1;
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) {   // C = beta·C, as BLAS defines it
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return 0;
    }
    // Packing buffers per thread, kept for the thread's life (5 MB): allocating them
    // per call would page-fault them in again for each of Winograd's small GEMMs.
    static _Thread_local float *pa, *pb;
    if (!pa) pa = aligned_alloc(64, sizeof(float) * MC * KC);
    if (!pb) pb = aligned_alloc(64, sizeof(float) * KC * ((NC + NR - 1) / NR * NR));
    if (!pa || !pb) return 1;
    gemm512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pa, pb);
    return 0;
#else
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return -1;
#endif
}
