#include "kernels.h"
#include <math.h>
#include <string.h>

// PyTorch 2.15's CPU layer norm of a bf16 or float tensor, reproduced to the bit for RoMa v2's
// bf16 path (docs/roma2.md, "Precision"). torch registers its layer-norm kernel for AVX2 and
// not AVX-512, so even on an AVX-512 machine it runs with 8-float vectors (a bf16 vector
// is 16 values, converted to two float vectors). Each operation below is one IEEE float
// operation of that vector code: explicit FMAs where torch writes fmadd, and where GCC
// (torch's compiler) contracts a product that only feeds a sum; nothing else may be
// contracted here. Any x86-64 or other CPU computes the same values (fmaf is exact
// everywhere); with FMA hardware it is simply faster.
#pragma STDC FP_CONTRACT OFF

enum { LANES = 8, CHUNK = 16 };   // torch's Vectorized<float> under AVX2; its kChunkSize

typedef struct { long count; float mean[LANES], m2[LANES]; } Moments;

// Chan's merge of (count_add, mean_add, m2_add) into `into`, lane by lane, in torch's
// vector form: c = count_add / count, mean += c·δ, m2 = (m2 + m2_add) + (δ·count_before)·(c·δ)
// with the last product and sum one FMA.
static inline void merge(Moments *into, long count_add, const float *mean_add, const float *m2_add) {
    const long total = into->count + count_add;
    const float c = total == 0 ? 0.0f : (float)count_add / (float)total;
    const float before = (float)into->count;
    for (int l = 0; l < LANES; l++) {
        const float delta = mean_add[l] - into->mean[l];
        const float sum = into->m2[l] + m2_add[l];
        const float cd = c * delta;
        into->mean[l] = into->mean[l] + cd;
        into->m2[l] = fmaf(delta * before, cd, sum);
    }
    into->count = total;
}

static inline int ceil_log2(long x) {   // torch's utils::CeilLog2: 1 for x ≤ 2
    if (x <= 2) return 1;
    int bits = 0;
    for (unsigned long v = (unsigned long)(x - 1); v; v >>= 1) bits++;
    return bits;
}

// torch's RowwiseMoments on one row: Welford per lane over chunks of 16 vectors, the
// chunks merged by a binary cascade, the scalar tail, then the 8 lanes merged in order.
// `pairs`: the row is a bf16 tensor, whose vectors hold 16 values; each converts to two
// float vectors, whose moments are merged one after the other. Returns the mean and the
// biased variance.
static void rowwise_moments(const float *x, long n_total, int pairs, float *mean_out, float *var_out) {
    const long width = pairs ? 2 * LANES : LANES;
    const long n = n_total / width, chunks = (n + CHUNK - 1) / CHUNK;
    const int depth = ceil_log2(chunks);
    Moments stack[64];
    for (int d = 0; d < depth; d++) memset(&stack[d], 0, sizeof(Moments));
    for (long i = 0; i < chunks; i++) {
        const float *p = x + i * CHUNK * width;
        const long vectors = n - i * CHUNK < CHUNK ? n - i * CHUNK : CHUNK;
        for (long half = 0; half < (pairs ? 2 : 1); half++) {
            float m1[LANES] = {0}, m2[LANES] = {0};
            for (long j = 0; j < vectors; j++) {
                const float c = 1.0f / (float)(j + 1);
                for (int l = 0; l < LANES; l++) {
                    const float v = p[j * width + half * LANES + l];
                    const float delta = v - m1[l];
                    m1[l] = fmaf(c, delta, m1[l]);
                    m2[l] = fmaf(delta, v - m1[l], m2[l]);
                }
            }
            merge(&stack[0], vectors, m1, m2);
        }
        long mask = i + 1;
        for (int d = 1; d < depth && (mask & 1) == 0; d++) {
            merge(&stack[d], stack[d - 1].count, stack[d - 1].mean, stack[d - 1].m2);
            memset(&stack[d - 1], 0, sizeof(Moments));
            mask >>= 1;
        }
    }
    for (int d = 1; d < depth; d++) merge(&stack[0], stack[d].count, stack[d].mean, stack[d].m2);
    long count = 0;
    float m1 = 0, m2 = 0;
    for (long i = n * width; i < n_total; i++) {
        const float delta = x[i] - m1;
        count++;
        m1 = m1 + delta / (float)count;
        const float product = delta * (x[i] - m1);   // not fused in torch's build (measured)
        m2 = m2 + product;
    }
    // The lanes, in order, in torch's scalar form (GCC fuses c·δ into the mean's sum and
    // δ·δ·c·count_before into m2_add's).
    const long lane_count = n * width / LANES;
    for (int l = 0; l < LANES; l++) {
        const long total = count + lane_count;
        const float c = total == 0 ? 0.0f : (float)lane_count / (float)total;
        const float delta = stack[0].mean[l] - m1;
        const float before = (float)count;
        m1 = fmaf(c, delta, m1);
        const float t = delta * delta * c;
        m2 = m2 + fmaf(t, before, stack[0].m2[l]);
        count = total;
    }
    *mean_out = m1;
    *var_out = m2 / (float)n_total;
}

// One row: moments, then rstd = 1/√(var + eps). A bf16 tensor (`bf16`): y = (x·rstd +
// (−rstd·mean))·γ + β as two FMAs, rounded to bf16; a float tensor: y = ((x − mean)·rstd)·γ + β,
// the last product and sum one FMA (torch's two kernels write it differently).
static inline void layer_norm_row(const float *in, const float *gamma, const float *beta, ptrdiff_t n, float eps, int bf16,
                                  float *out) {
    float mean, var;
    rowwise_moments(in, (long)n, bf16, &mean, &var);
    const float rstd = 1.0f / sqrtf(var + eps);
    if (bf16) {
        const float bias = -rstd * mean;
        for (ptrdiff_t j = 0; j < n; j++) out[j] = fmaf(fmaf(in[j], rstd, bias), gamma[j], beta[j]);
        roma_bf16_round(out, out, n);
    } else {
        for (ptrdiff_t j = 0; j < n; j++) out[j] = fmaf((in[j] - mean) * rstd, gamma[j], beta[j]);
    }
}

#if defined(__x86_64__)
__attribute__((target("fma"))) static void layer_norm_rows_fma(const float *x, const float *gamma, const float *beta,
                                                                ptrdiff_t rows, ptrdiff_t n, float eps, int bf16, float *y) {
    for (ptrdiff_t r = 0; r < rows; r++) layer_norm_row(x + r * n, gamma, beta, n, eps, bf16, y + r * n);
}
#endif

void roma_layer_norm_torch(const float *x, const float *gamma, const float *beta, ptrdiff_t rows, ptrdiff_t n, float eps,
                           int bf16, float *y) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("fma")) { layer_norm_rows_fma(x, gamma, beta, rows, n, eps, bf16, y); return; }
#endif
    for (ptrdiff_t r = 0; r < rows; r++) layer_norm_row(x + r * n, gamma, beta, n, eps, bf16, y + r * n);
}
