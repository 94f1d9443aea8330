#include "kernels.h"
#include "bf16_round.h"
#include <stdint.h>
#include <string.h>

// torch's bf16 linear on CPU (oneDNN's brgemm matmul, as torch 2.15 bundles it) sums each
// output's K products in blocks: within a block one fp32 accumulator takes the products pair
// by pair as VDPBF16PS does (the odd element of a pair first, each addition rounded), and the
// blocks' sums are added left to right; the bias comes last. The block length depends on K
// (docs/roma2.md, "Precision"), which Debian's oneDNN 2.6 GEMM does not follow beyond K = 1024,
// so a bf16 linear that must agree to the bit with torch's runs here. Checked bit for bit
// against torch's output (roma-bench descriptor --bf16-ops).

// B [n, k] (row-major fp32, torch's weight layout) → bf16 pairs for VDPBF16PS: per group of 16
// output columns and per pair p of k, 32 values [w[j][2p], w[j][2p+1]] for the 16 columns j;
// columns past n and the odd k's partner are zero. Size: ceil(n/16)·ceil(k/2)·32.
static inline uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return (uint16_t)(bf16_round_bits(u) >> 16);
}

void roma_bf16_pack_pairs(const float *b, ptrdiff_t ldb, ptrdiff_t n, ptrdiff_t k, uint16_t *out) {
    const ptrdiff_t pairs = (k + 1) / 2, groups = (n + 15) / 16;
    for (ptrdiff_t g = 0; g < groups; g++)
        for (ptrdiff_t p = 0; p < pairs; p++) {
            uint16_t *o = out + (g * pairs + p) * 32;
            for (ptrdiff_t j = 0; j < 16; j++) {
                const ptrdiff_t col = g * 16 + j;
                o[2 * j] = col < n ? to_bf16(b[col * ldb + 2 * p]) : 0;
                o[2 * j + 1] = col < n && 2 * p + 1 < k ? to_bf16(b[col * ldb + 2 * p + 1]) : 0;
            }
        }
}

static inline float bf16_value(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

// Scalar form of one output (machines without AVX512-BF16, and the edges of a tiled product): the
// same additions in the same order. VDPBF16PS also flushes subnormal operands and products to
// zero, which this does not: only values below 2^-126, far under these models', tell them apart.
static float dot_blocked(const uint16_t *a, const uint16_t *packed, ptrdiff_t pairs, ptrdiff_t col, ptrdiff_t pair_block) {
    const ptrdiff_t g = col / 16, j = col % 16;
    float total = 0;
    for (ptrdiff_t p0 = 0; p0 < pairs; p0 += pair_block) {
        float part = 0;
        const ptrdiff_t p1 = p0 + pair_block < pairs ? p0 + pair_block : pairs;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const uint16_t *w = packed + (g * pairs + p) * 32 + 2 * j;
            part += bf16_value(a[2 * p + 1]) * bf16_value(w[1]);
            part += bf16_value(a[2 * p]) * bf16_value(w[0]);
        }
        total = p0 == 0 ? part : total + part;
    }
    return total;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

// A 4-row × 16·G-column tile (G = 1…4 groups of 16 columns): inlined with a constant G, the
// fixed trip counts keep the 4·G accumulators in registers.
BF16_TARGET static inline __attribute__((always_inline)) void tile(const uint16_t *a, ptrdiff_t lda,
                                                                   const uint16_t *packed, ptrdiff_t pairs,
                                                                   ptrdiff_t pair_block, float *c, ptrdiff_t ldc,
                                                                   ptrdiff_t g0, const int G) {
    __m512 total[4][4], acc[4][4];
    for (ptrdiff_t p0 = 0; p0 < pairs; p0 += pair_block) {
        const ptrdiff_t p1 = p0 + pair_block < pairs ? p0 + pair_block : pairs;
        for (int r = 0; r < 4; r++)
            for (int g = 0; g < G; g++) acc[r][g] = _mm512_setzero_ps();
        for (ptrdiff_t p = p0; p < p1; p++) {
            __m512bh w[4];
            for (int g = 0; g < G; g++) w[g] = (__m512bh)_mm512_loadu_si512(packed + ((g0 + g) * pairs + p) * 32);
            for (int r = 0; r < 4; r++) {
                uint32_t pair;
                memcpy(&pair, a + r * lda + 2 * p, 4);
                const __m512bh x = (__m512bh)_mm512_set1_epi32((int)pair);
                for (int g = 0; g < G; g++) acc[r][g] = _mm512_dpbf16_ps(acc[r][g], x, w[g]);
            }
        }
        for (int r = 0; r < 4; r++)
            for (int g = 0; g < G; g++) total[r][g] = p0 == 0 ? acc[r][g] : _mm512_add_ps(total[r][g], acc[r][g]);
    }
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < G; g++) _mm512_storeu_ps(c + r * ldc + (g0 + g) * 16, total[r][g]);
}

BF16_TARGET static void full_tile(const uint16_t *a, ptrdiff_t lda, const uint16_t *packed, ptrdiff_t pairs,
                                  ptrdiff_t pair_block, float *c, ptrdiff_t ldc, ptrdiff_t g0) {
    tile(a, lda, packed, pairs, pair_block, c, ldc, g0, 4);
}

// The last 1–3 groups of 16 columns (n not a multiple of 64).
BF16_TARGET static void narrow_tile(const uint16_t *a, ptrdiff_t lda, const uint16_t *packed, ptrdiff_t pairs,
                                    ptrdiff_t pair_block, float *c, ptrdiff_t ldc, ptrdiff_t g0, int groups) {
    switch (groups) {
    case 1: tile(a, lda, packed, pairs, pair_block, c, ldc, g0, 1); break;
    case 2: tile(a, lda, packed, pairs, pair_block, c, ldc, g0, 2); break;
    default: tile(a, lda, packed, pairs, pair_block, c, ldc, g0, 3); break;
    }
}

#endif

// C rows [row_begin, row_end) of C[m, n] = blocked-order A·Bᵀ (A as bf16 bit patterns [m, k]
// with leading dimension lda, an odd k padded with a zero column; B packed by
// roma_bf16_pack_pairs); `block` is the K block length (even). No bias.
void roma_bf16_gemm_blocked(const uint16_t *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,
                            ptrdiff_t n, ptrdiff_t k, ptrdiff_t block, ptrdiff_t row_begin, ptrdiff_t row_end) {
    const ptrdiff_t pairs = (k + 1) / 2, pair_block = block / 2 > 0 ? block / 2 : 1;
    if (pairs == 0) {
        for (ptrdiff_t r = row_begin; r < row_end; r++) memset(c + r * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2 && __builtin_cpu_supports("avx512bf16")) {
        // whole 4-row tiles of 64 columns, then of the last 16–48; the last rows and columns
        // (if any) below, in the same order
        const ptrdiff_t full_rows = row_begin + (row_end - row_begin) / 4 * 4, full_cols = n / 16 * 16;
        for (ptrdiff_t g0 = 0; g0 < n / 64 * 4; g0 += 4)
            for (ptrdiff_t r = row_begin; r < full_rows; r += 4)
                full_tile(a + r * lda, lda, packed, pairs, pair_block, c + r * ldc, ldc, g0);
        if (n / 16 % 4 != 0)
            for (ptrdiff_t r = row_begin; r < full_rows; r += 4)
                narrow_tile(a + r * lda, lda, packed, pairs, pair_block, c + r * ldc, ldc, n / 64 * 4, (int)(n / 16 % 4));
        for (ptrdiff_t r = row_begin; r < row_end; r++)
            for (ptrdiff_t col = r < full_rows ? full_cols : 0; col < n; col++)
                c[r * ldc + col] = dot_blocked(a + r * lda, packed, pairs, col, pair_block);
        return;
    }
#endif
    for (ptrdiff_t r = row_begin; r < row_end; r++)
        for (ptrdiff_t col = 0; col < n; col++) c[r * ldc + col] = dot_blocked(a + r * lda, packed, pairs, col, pair_block);
}
