#include "kernels.h"
#include "bf16_round.h"
#include <math.h>
#include <string.h>

// The softmax steps of torch's fused CPU attention at bf16 (aten's FlashAttentionKernel,
// `cpu_flash_attention` with a reduced scalar type), so NN's fused bf16 attention rounds
// where torch rounds: per key block, the fp32 scores are scaled, their running maximum
// updated, exp(s − max) taken with torch's `fexp_u20` on 16-lane runs, summed in fp32
// unrounded and stored rounded to bf16 for the P·v product; the fp32 accumulator is
// rescaled by expf(old max − new max); at the end it is multiplied by the reciprocal of the
// fp32 sum and rounded. The two products follow MKL's bf16 GEMM (roma_flash_bf16_product,
// below), which torch's kernel calls for them. The scalar path computes the same values as
// the vector one (the same fused multiply-adds, in the same order).
//
// The sum's order is torch 2.15's compiled AVX-512 kernel (libtorch_cpu's
// `_exp_reduce_sum_fusion_kernel<float, BFloat16>`, read in its disassembly): runs of 32
// scores into two 16-lane accumulators (the first 16 and the second 16 of each run), a
// remaining run of 16 into a third, the three added as (first + third) + second, the lanes
// reduced by halves, quarters, pairs and neighbours, then the last `len % 16` scores added
// one by one, their exp taken in double (`exp` of the promoted float) and rounded to float.
// With one accumulator (the source's form) 3 outputs in a million differed
// (Tests/NNTests/FusedAttentionBF16Tests, sdpa_blocks fixture).

static inline float from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

static inline float round_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return from_bits(bf16_round_bits(u));
}

// torch's Vectorized<float>::fexp_u20 (AVX-512 form; Malossi et al., "Fast Exponential
// Computation on SIMD Architectures"): 2^(x·log2 e) with the fraction's power by a cubic
// correction, assembled by writing the scaled value's integer part into the bit pattern.
// Accurate to ~1e-4 relative only, which is why following it matters: it decides on which
// side of a bf16 rounding boundary many of the probabilities land.
#define C0 0.00010703434948458272f
#define C1 0.30354260500649682f
#define C2 -0.22433836478672356f
#define C3 -0.079204240219773236f
#define LOG2E_BITS 0x3fb8aa3bu
#define LN_MIN_BITS 0xc2aeac50u
#define LN_MAX_BITS 0x42b17218u
#define TWO_23 8388608.0f
#define TWO_23_127 1065353216.0f

static inline float fexp_u20(float x) {
    if (x < from_bits(LN_MIN_BITS)) return 0.0f;
    if (x > from_bits(LN_MAX_BITS)) return INFINITY;
    if (x != x) return from_bits(0x80000000u);   // cvttps of NaN: the integer indefinite
    float src = x * from_bits(LOG2E_BITS);
    const float fraction = src - floorf(src);
    float p = fmaf(fraction, C3, C2);
    p = fmaf(fraction, p, C1);
    p = fmaf(fraction, p, C0);
    src -= p;
    return from_bits((uint32_t)(int32_t)fmaf(TWO_23, src, TWO_23_127));   // truncation, as cvttps
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __m512 fexp_u20_16(__m512 x) {
    const __mmask16 below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(from_bits(LN_MIN_BITS)), _CMP_LT_OS);
    const __mmask16 above = _mm512_cmp_ps_mask(x, _mm512_set1_ps(from_bits(LN_MAX_BITS)), _CMP_GT_OS);
    __m512 src = _mm512_mul_ps(x, _mm512_set1_ps(from_bits(LOG2E_BITS)));
    const __m512 fraction = _mm512_sub_ps(src, _mm512_floor_ps(src));
    __m512 p = _mm512_fmadd_ps(fraction, _mm512_set1_ps(C3), _mm512_set1_ps(C2));
    p = _mm512_fmadd_ps(fraction, p, _mm512_set1_ps(C1));
    p = _mm512_fmadd_ps(fraction, p, _mm512_set1_ps(C0));
    src = _mm512_sub_ps(src, p);
    __m512i bits = _mm512_cvttps_epi32(_mm512_fmadd_ps(_mm512_set1_ps(TWO_23), src, _mm512_set1_ps(TWO_23_127)));
    bits = _mm512_mask_mov_epi32(bits, below, _mm512_setzero_si512());
    bits = _mm512_mask_mov_epi32(bits, above, _mm512_set1_epi32(0x7f800000));
    return _mm512_castsi512_ps(bits);
}

AVX512 static inline __m512 round_bf16_16(__m512 x) { return _mm512_castsi512_ps(bf16_round_vec(x)); }

// Scale the row in place and return its maximum (vector part, then the tail, as torch).
AVX512 static float scale_max16(float *s, ptrdiff_t cols, float scale) {
    const ptrdiff_t body = cols - cols % 16;
    __m512 lanes = _mm512_set1_ps(-INFINITY);
    for (ptrdiff_t i = 0; i < body; i += 16) {
        const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(s + i), _mm512_set1_ps(scale));
        lanes = _mm512_max_ps(lanes, v);
        _mm512_storeu_ps(s + i, v);
    }
    float tail = -INFINITY;
    for (ptrdiff_t i = body; i < cols; i++) {
        s[i] *= scale;
        tail = tail < s[i] ? s[i] : tail;
    }
    const float vmax = _mm512_reduce_max_ps(lanes);
    return tail < vmax ? vmax : tail;
}

// s ← bf16(exp(s − m)); returns the fp32 sum of the unrounded exponentials.
AVX512 static float exp_round_sum16(float *s, ptrdiff_t cols, float m) {
    const ptrdiff_t body32 = cols - cols % 32, body16 = cols - cols % 16;
    __m512 even = _mm512_setzero_ps(), odd = _mm512_setzero_ps(), rest = _mm512_setzero_ps();
    for (ptrdiff_t i = 0; i < body32; i += 32) {
        const __m512 e0 = fexp_u20_16(_mm512_sub_ps(_mm512_loadu_ps(s + i), _mm512_set1_ps(m)));
        const __m512 e1 = fexp_u20_16(_mm512_sub_ps(_mm512_loadu_ps(s + i + 16), _mm512_set1_ps(m)));
        even = _mm512_add_ps(even, e0);
        odd = _mm512_add_ps(odd, e1);
        _mm512_storeu_ps(s + i, round_bf16_16(e0));
        _mm512_storeu_ps(s + i + 16, round_bf16_16(e1));
    }
    for (ptrdiff_t i = body32; i < body16; i += 16) {
        const __m512 e = fexp_u20_16(_mm512_sub_ps(_mm512_loadu_ps(s + i), _mm512_set1_ps(m)));
        rest = _mm512_add_ps(rest, e);
        _mm512_storeu_ps(s + i, round_bf16_16(e));
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(even, rest), odd));
    for (ptrdiff_t i = body16; i < cols; i++) {
        const float e = (float)exp((double)(s[i] - m));
        sum += e;
        s[i] = round_bf16(e);
    }
    return sum;
}
#endif

static float scale_max(float *s, ptrdiff_t cols, float scale) {
    const ptrdiff_t body = cols - cols % 16;
    float lanes[16], tail = -INFINITY;
    for (int l = 0; l < 16; l++) lanes[l] = -INFINITY;
    for (ptrdiff_t i = 0; i < body; i++) {
        s[i] *= scale;
        lanes[i % 16] = s[i] < lanes[i % 16] ? lanes[i % 16] : s[i];
    }
    for (ptrdiff_t i = body; i < cols; i++) {
        s[i] *= scale;
        tail = tail < s[i] ? s[i] : tail;
    }
    float vmax = -INFINITY;
    for (int l = 0; l < 16; l++) vmax = vmax < lanes[l] ? lanes[l] : vmax;
    return tail < vmax ? vmax : tail;
}

static float exp_round_sum(float *s, ptrdiff_t cols, float m) {
    const ptrdiff_t body32 = cols - cols % 32, body16 = cols - cols % 16;
    float even[16] = {0}, odd[16] = {0}, rest[16] = {0};
    for (ptrdiff_t i = 0; i < body16; i++) {
        const float e = fexp_u20(s[i] - m);
        float *lanes = i >= body32 ? rest : (i % 32 < 16 ? even : odd);
        lanes[i % 16] += e;
        s[i] = round_bf16(e);
    }
    float lanes[16];
    for (int l = 0; l < 16; l++) lanes[l] = (even[l] + rest[l]) + odd[l];
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) lanes[l] += lanes[l + w];
    float sum = lanes[0];
    for (ptrdiff_t i = body16; i < cols; i++) {
        const float e = (float)exp((double)(s[i] - m));
        sum += e;
        s[i] = round_bf16(e);
    }
    return sum;
}

void roma_flash_bf16_step(float *scores, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ld, float scale,
                          float *row_max, float *row_sum, float *acc, ptrdiff_t ld_acc, ptrdiff_t dv, int first) {
    float (*scale_max_row)(float *, ptrdiff_t, float) = scale_max;
    float (*exp_round_sum_row)(float *, ptrdiff_t, float) = exp_round_sum;
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { scale_max_row = scale_max16; exp_round_sum_row = exp_round_sum16; }
#endif
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *s = scores + r * ld;
        const float bmax = scale_max_row(s, cols, scale);
        const float m = row_max[r] > bmax ? row_max[r] : bmax;
        if (m == -INFINITY) {   // every score −inf so far: torch stores zeros and keeps max and sum
            memset(s, 0, (size_t)cols * sizeof(float));
            continue;
        }
        const float sum = exp_round_sum_row(s, cols, m);
        const float correction = expf(row_max[r] - m);
        row_sum[r] = fmaf(correction, row_sum[r], sum);   // torch's `tmp_sum + exp_tmp * sum`: its compiler contracts it
        row_max[r] = m;
        if (!first) {
            float *a = acc + r * ld_acc;
            for (ptrdiff_t j = 0; j < dv; j++) a[j] *= correction;
        }
    }
}

void roma_flash_bf16_finish(const float *acc, ptrdiff_t rows, ptrdiff_t dv, ptrdiff_t ld_acc, const float *row_sum,
                            float *out, ptrdiff_t ld_out) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float reciprocal = 1.0f / (row_sum[r] == 0.0f ? 1.0f : row_sum[r]);
        for (ptrdiff_t j = 0; j < dv; j++) out[r * ld_out + j] = round_bf16(acc[r * ld_acc + j] * reciprocal);
    }
}

// The two products of torch's fused attention at bf16 (q·kᵀ per key block, then P·v) go
// through MKL's cblas_gemm_bf16bf16f32 in torch 2.15 on x86 (aten CPUBlas, MKL_HAS_SBGEMM).
// Its order, measured bit for bit through libtorch's own symbol: each output's products
// (exact in fp32: bf16 × bf16) added one at a time in k order, in blocks of 192; C (β = 1)
// or the first block's sum, then the other blocks' sums added left to right. Operands are
// fp32 arrays already holding bf16 values; c[r·ldc + j] (+)= Σ_k a[r·lda + k]·b[k·ldb + j].
#define MKL_K_BLOCK 192

static void mkl_order_scalar(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                             ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k, int accumulate) {
    for (ptrdiff_t r = 0; r < rows; r++)
        for (ptrdiff_t j = 0; j < cols; j++) {
            float total = accumulate ? c[r * ldc + j] : 0.0f;
            for (ptrdiff_t k0 = 0; k0 < k; k0 += MKL_K_BLOCK) {
                const ptrdiff_t k1 = k0 + MKL_K_BLOCK < k ? k0 + MKL_K_BLOCK : k;
                float part = 0;
                for (ptrdiff_t q = k0; q < k1; q++) part += a[r * lda + q] * b[q * ldb + j];
                total = (k0 == 0 && !accumulate) ? part : total + part;
            }
            c[r * ldc + j] = total;
        }
}

#if defined(__x86_64__)
// A whole 4 × 64 tile: fixed trip counts, so the 16 accumulators stay in registers.
AVX512 static void mkl_order_tile(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                  ptrdiff_t k, int accumulate) {
    __m512 total[4][4], acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < 4; g++) total[r][g] = accumulate ? _mm512_loadu_ps(c + r * ldc + 16 * g) : _mm512_setzero_ps();
    for (ptrdiff_t k0 = 0; k0 < k; k0 += MKL_K_BLOCK) {
        const ptrdiff_t k1 = k0 + MKL_K_BLOCK < k ? k0 + MKL_K_BLOCK : k;
        for (int r = 0; r < 4; r++)
            for (int g = 0; g < 4; g++) acc[r][g] = _mm512_setzero_ps();
        for (ptrdiff_t q = k0; q < k1; q++) {
            const float *bq = b + q * ldb;
            const __m512 w0 = _mm512_loadu_ps(bq), w1 = _mm512_loadu_ps(bq + 16), w2 = _mm512_loadu_ps(bq + 32),
                         w3 = _mm512_loadu_ps(bq + 48);
            for (int r = 0; r < 4; r++) {
                const __m512 x = _mm512_set1_ps(a[r * lda + q]);
                acc[r][0] = _mm512_fmadd_ps(x, w0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(x, w1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(x, w2, acc[r][2]);
                acc[r][3] = _mm512_fmadd_ps(x, w3, acc[r][3]);
            }
        }
        for (int r = 0; r < 4; r++)
            for (int g = 0; g < 4; g++) total[r][g] = (k0 == 0 && !accumulate) ? acc[r][g] : _mm512_add_ps(total[r][g], acc[r][g]);
    }
    for (int r = 0; r < 4; r++)
        for (int g = 0; g < 4; g++) _mm512_storeu_ps(c + r * ldc + 16 * g, total[r][g]);
}

// 4 rows × 64 columns at a time; an exact product makes the FMA the same as MKL's add.
AVX512 static void mkl_order_avx512(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                    ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k, int accumulate) {
    for (ptrdiff_t j0 = 0; j0 < cols; j0 += 64) {
        __mmask16 mask[4];
        int groups = 0;
        for (int g = 0; g < 4; g++) {
            const ptrdiff_t left = cols - (j0 + 16 * g);
            mask[g] = left >= 16 ? (__mmask16)0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            if (left > 0) groups = g + 1;
        }
        for (ptrdiff_t r0 = 0; r0 < rows; r0 += 4) {
            const int rs = rows - r0 < 4 ? (int)(rows - r0) : 4;
            if (rs == 4 && groups == 4 && mask[3] == 0xffff) {
                mkl_order_tile(a + r0 * lda, lda, b + j0, ldb, c + r0 * ldc + j0, ldc, k, accumulate);
                continue;
            }
            __m512 total[4][4], acc[4][4];
            for (int r = 0; r < 4; r++)
                for (int g = 0; g < 4; g++)
                    total[r][g] = accumulate && r < rs && g < groups
                        ? _mm512_maskz_loadu_ps(mask[g], c + (r0 + r) * ldc + j0 + 16 * g) : _mm512_setzero_ps();
            for (ptrdiff_t k0 = 0; k0 < k; k0 += MKL_K_BLOCK) {
                const ptrdiff_t k1 = k0 + MKL_K_BLOCK < k ? k0 + MKL_K_BLOCK : k;
                for (int r = 0; r < 4; r++)
                    for (int g = 0; g < 4; g++) acc[r][g] = _mm512_setzero_ps();
                for (ptrdiff_t q = k0; q < k1; q++) {
                    __m512 w[4];
                    for (int g = 0; g < 4; g++)
                        w[g] = g < groups ? _mm512_maskz_loadu_ps(mask[g], b + q * ldb + j0 + 16 * g) : _mm512_setzero_ps();
                    for (int r = 0; r < rs; r++) {
                        const __m512 x = _mm512_set1_ps(a[(r0 + r) * lda + q]);
                        for (int g = 0; g < 4; g++)
                            if (g < groups) acc[r][g] = _mm512_fmadd_ps(x, w[g], acc[r][g]);
                    }
                }
                for (int r = 0; r < 4; r++)
                    for (int g = 0; g < 4; g++)
                        total[r][g] = (k0 == 0 && !accumulate) ? acc[r][g] : _mm512_add_ps(total[r][g], acc[r][g]);
            }
            for (int r = 0; r < rs; r++)
                for (int g = 0; g < groups; g++) _mm512_mask_storeu_ps(c + (r0 + r) * ldc + j0 + 16 * g, mask[g], total[r][g]);
        }
    }
}
#endif

// MKL's kernel for fewer than 12 output columns (torch's M: a key block of 1–11 keys in
// q·kᵀ, e.g. DINOv3's last block at 512², 1029 tokens), measured bit for bit through
// libtorch's cblas_gemm_bf16bf16f32 at K = 32, 64 and 128 (β = 0): each output's products go
// into lanes by k modulo the lane count, in k order, and the lanes are added as a tree (halves first);
// columns in whole groups of 4 (and a lone column) take 4 lanes, the 1–3 columns after the
// last group of 4 take 8.
#define MKL_NARROW_COLS 12

static void mkl_order_narrow(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                             ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k) {
    const ptrdiff_t grouped = cols == 1 ? 1 : cols - cols % 4;
    for (ptrdiff_t r = 0; r < rows; r++)
        for (ptrdiff_t j = 0; j < cols; j++) {
            const int width = j < grouped ? 4 : 8;
            float lanes[8] = {0};
            for (ptrdiff_t q = 0; q < k; q++) lanes[q % width] += a[r * lda + q] * b[q * ldb + j];
            for (int w = width / 2; w >= 1; w /= 2)
                for (int l = 0; l < w; l++) lanes[l] += lanes[l + w];
            c[r * ldc + j] = lanes[0];
        }
}

void roma_flash_bf16_product(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                             ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k, int accumulate) {
    if (k <= 0) {
        if (!accumulate)
            for (ptrdiff_t r = 0; r < rows; r++) memset(c + r * ldc, 0, (size_t)cols * sizeof(float));
        return;
    }
    // measured at K = 32, 64, 128 without accumulation (q·kᵀ); other narrow cases keep the general order
    if (cols < MKL_NARROW_COLS && !accumulate && k % 8 == 0 && k <= MKL_K_BLOCK) {
        mkl_order_narrow(a, lda, b, ldb, c, ldc, rows, cols, k);
        return;
    }
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { mkl_order_avx512(a, lda, b, ldb, c, ldc, rows, cols, k, accumulate); return; }
#endif
    mkl_order_scalar(a, lda, b, ldb, c, ldc, rows, cols, k, accumulate);
}
