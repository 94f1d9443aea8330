#include "kernels.h"
#include "onednn_internal.h"
#include "bf16_round.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>

// bfloat16 for NN's bf16 precision mode (docs/runtime.md, "Precision"): conversions
// with torch's rounding, and oneDNN's bf16 GEMM (bf16 operands, fp32 accumulation)
// on CPUs with AVX512-BF16. Everything else emulates the same arithmetic in fp32.

// torch's float → bfloat16 (bf16_round.h).
static inline uint32_t round_float(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return bf16_round_bits(u);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void round_avx512(const float *src, float *dst, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_si512(dst + i, bf16_round_vec(_mm512_loadu_ps(src + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_epi32(dst + i, m, bf16_round_vec(_mm512_maskz_loadu_ps(m, src + i)));
    }
}

__attribute__((target("avx512f"))) static void pack_avx512(const float *src, uint16_t *dst, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtepi32_epi16(_mm512_srli_epi32(bf16_round_vec(_mm512_loadu_ps(src + i)), 16)));
    for (; i < n; i++) dst[i] = (uint16_t)(round_float(src[i]) >> 16);
}
#endif

void roma_bf16_round(const float *src, float *dst, ptrdiff_t n) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { round_avx512(src, dst, n); return; }
#endif
    for (ptrdiff_t i = 0; i < n; i++) {
        const uint32_t u = round_float(src[i]);
        memcpy(dst + i, &u, 4);
    }
}

void roma_bf16_pack(const float *src, uint16_t *dst, ptrdiff_t n) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { pack_avx512(src, dst, n); return; }
#endif
    for (ptrdiff_t i = 0; i < n; i++) dst[i] = (uint16_t)(round_float(src[i]) >> 16);
}

// oneDNN's dnnl_gemm_bf16bf16f32: exported by libdnnl.so.2 but not in Debian's 2.6
// header; same row-major contract as dnnl_sgemm with uint16 bf16 operands.
typedef int (*gemm_bf16_fn)(char, char, int64_t, int64_t, int64_t, float, const uint16_t *, int64_t,
                            const uint16_t *, int64_t, float, float *, int64_t);
static gemm_bf16_fn gemm_bf16;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
#if defined(__x86_64__)
    // The instructions themselves, not only oneDNN: without them oneDNN would run its
    // own bf16 emulation, and ROMA_KERNELS below avx512 must reach our emulation.
    __builtin_cpu_init();
    if (roma_kernels_level() < 2 || !__builtin_cpu_supports("avx512bf16")) return;
    // The library onednn.c opened, with the environment it needs.
    gemm_bf16 = (gemm_bf16_fn)roma_onednn_symbol("dnnl_gemm_bf16bf16f32");
#endif
}

int roma_bf16_hardware_available(void) {
    pthread_once(&once, load);
    return gemm_bf16 != 0;
}

int roma_onednn_gemm_bf16(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                          const uint16_t *a, ptrdiff_t lda, const uint16_t *b, ptrdiff_t ldb, float beta,
                          float *c, ptrdiff_t ldc, int threads) {
    if (!roma_bf16_hardware_available()) return -1;
    roma_onednn_set_threads(threads);
    return gemm_bf16(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0 ? 0 : 1;
}
