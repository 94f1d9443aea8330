#include "kernels.h"
#include "bf16_round.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// GELU (erf form) as torch 2.15 computes nn.GELU() on a CPU tensor: aten hands it to its
// bundled oneDNN 3.13 (eltwise gelu_erf), whose AVX-512 JIT evaluates erf(x/√2) with a
// piecewise degree-5 minimax polynomial in |x| picked by a table index, then
// y = (x · (1 + erf)) · ½. Our own transcription for RoMa v2's bf16 path (docs/roma2.md,
// "Precision"); each step below is one IEEE float operation of that JIT code, fused only
// where it issues an FMA. fmaf is exact everywhere, so the scalar form gives the same bits
// on any CPU; the AVX-512 form is the same operations 16 at a time.
#pragma STDC FP_CONTRACT OFF

// The coefficient table: oneDNN v3.13.1, src/cpu/x64/injectors/jit_uni_eltwise_injector.cpp,
// `gelu_erf_minimax_polynomial` (row d: the degree-d coefficients of the 25 pieces; oneDNN
// pads each row to 32 entries). Piece 23 is the constant 1 (|x| past the right bound),
// piece 24 the identity (reached only by NaN); piece 0 is never selected.
static const uint32_t coefficients[6][32] = {
    {0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229, 0x37b8a3bb,
     0x3867a213, 0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b, 0x3c515ed3, 0xbb503236,
     0xbd8d8e5e, 0xbe8abcd9, 0xbf0c19a2, 0xbeccb328, 0x3e176ced, 0x3f470d99, 0x3f7abb28, 0x3f800000, 0x00000000},
    {0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f, 0x3f4c2d40,
     0x3f4c146a, 0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07, 0x3f3b980f, 0x3f48dff3,
     0x3f78b21b, 0x3fbb0704, 0x40019c32, 0x3fe536d6, 0x3f81331e, 0x3e6c8684, 0x3c98f936, 0x00000000, 0x3f800000},
    {0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb, 0x3af9b960,
     0x3b6e5491, 0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660, 0x3e0f27ab, 0x3d94004b,
     0xbe0efdeb, 0xbf1d96c3, 0xbf89db58, 0xbf6d9897, 0xbef69fb8, 0xbdc4f8a8, 0xbbde6422, 0x00000000, 0x00000000},
    {0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0, 0xbe0e400a,
     0xbe124df8, 0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f, 0xbe96cbca, 0xbe8044aa,
     0xbe0550f2, 0x3dcfd6a1, 0x3e94c826, 0x3e79345f, 0x3decec91, 0x3ca46568, 0x3aa1e00a, 0x00000000, 0x00000000},
    {0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527, 0x3c221712,
     0x3c6c5840, 0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910, 0x3dd53f69, 0x3db7dcef,
     0x3d639ebe, 0xba6ede48, 0xbd22be69, 0xbd041cf1, 0xbc64f5ab, 0xbb097a32, 0xb8ebf380, 0x00000000, 0x00000000},
    {0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623, 0x3c4c824b,
     0x3c2a7935, 0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366, 0xbc492c9e, 0xbc2a7aa6,
     0xbbd55d04, 0xba823a76, 0x3b102aa8, 0x3ae25a7e, 0x3a31f792, 0x38b84375, 0x3689bb5a, 0x00000000, 0x00000000},
};

// The index: |x|'s bit pattern minus 0x3de00001 (oneDNN adds 0xc21fffff), shifted
// arithmetically by 21 (exponent and the top two mantissa bits), clamped to [1, 24];
// |x| > 0x40b15cee (≈ 5.543) selects piece 23. The compare is ordered: NaN keeps its index.
enum { INDEX_BIAS = (int32_t)0xc21fffff, INDEX_SHIFT = 21, RIGHT_BOUND = 0x40b15cee };

static inline float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float gelu_scalar(float x) {
    const uint32_t bits = to_bits(x), magnitude = bits & 0x7fffffffu;
    const float a = from_bits(magnitude);
    int32_t index = (int32_t)(magnitude + (uint32_t)INDEX_BIAS) >> INDEX_SHIFT;
    index = index < 1 ? 1 : index > 24 ? 24 : index;
    if (from_bits(RIGHT_BOUND) < a) index = 23;
    float p = from_bits(coefficients[5][index]);
    for (int d = 4; d >= 0; d--) p = fmaf(p, a, from_bits(coefficients[d][index]));
    const float erf = from_bits(to_bits(p) ^ (bits & 0x80000000u));
    return (x * (erf + 1.0f)) * 0.5f;
}

// oneDNN's bf16 store, VCVTNEPS2BF16: torch's rounding (bf16_round.h), except that a
// subnormal float goes to a zero of its sign (the instruction flushes denormals; torch's
// own float → bfloat16 conversion keeps them).
static inline float round_bf16(float x) {
    const uint32_t u = to_bits(x);
    if ((u & 0x7f800000u) == 0) return from_bits(u & 0x80000000u);
    return from_bits(bf16_round_bits(u));
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __m512 gelu16(__m512 x, const __m512 *low, const __m512 *high) {
    const __m512i bits = _mm512_castps_si512(x);
    const __m512i magnitude = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff));
    const __m512 a = _mm512_castsi512_ps(magnitude);
    __m512i index = _mm512_srai_epi32(_mm512_add_epi32(magnitude, _mm512_set1_epi32(INDEX_BIAS)), INDEX_SHIFT);
    index = _mm512_min_epi32(_mm512_max_epi32(index, _mm512_set1_epi32(1)), _mm512_set1_epi32(24));
    const __mmask16 past = _mm512_cmp_ps_mask(_mm512_castsi512_ps(_mm512_set1_epi32(RIGHT_BOUND)), a, _CMP_LT_OS);
    index = _mm512_mask_blend_epi32(past, index, _mm512_set1_epi32(23));
    __m512 p = _mm512_permutex2var_ps(low[5], index, high[5]);
    for (int d = 4; d >= 0; d--) p = _mm512_fmadd_ps(p, a, _mm512_permutex2var_ps(low[d], index, high[d]));
    const __m512i sign = _mm512_and_si512(bits, _mm512_set1_epi32((int)0x80000000u));
    const __m512 erf = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(p), sign));
    return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_add_ps(erf, _mm512_set1_ps(1.0f))), _mm512_set1_ps(0.5f));
}

AVX512 static inline __m512 round16(__m512 x) {   // round_bf16, 16 at a time
    const __m512i u = _mm512_castps_si512(x);
    const __mmask16 subnormal = _mm512_testn_epi32_mask(u, _mm512_set1_epi32(0x7f800000));
    return _mm512_castsi512_ps(_mm512_mask_and_epi32(bf16_round_vec(x), subnormal, u, _mm512_set1_epi32((int)0x80000000u)));
}

AVX512 static void gelu512(const float *src, float *dst, ptrdiff_t n, int bf16) {
    __m512 low[6], high[6];
    for (int d = 0; d < 6; d++) {
        low[d] = _mm512_loadu_ps((const float *)coefficients[d]);
        high[d] = _mm512_loadu_ps((const float *)coefficients[d] + 16);
    }
    for (ptrdiff_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 y = gelu16(_mm512_maskz_loadu_ps(m, src + i), low, high);
        if (bf16) y = round16(y);
        _mm512_mask_storeu_ps(dst + i, m, y);
    }
}
#endif

void roma_gelu_onednn_scalar(const float *src, float *dst, ptrdiff_t n, int bf16) {
    for (ptrdiff_t i = 0; i < n; i++) {
        const float y = gelu_scalar(src[i]);
        dst[i] = bf16 ? round_bf16(y) : y;
    }
}

void roma_gelu_onednn(const float *src, float *dst, ptrdiff_t n, int bf16) {
#if defined(__x86_64__)
    if (roma_kernels_level() >= 2) { gelu512(src, dst, n, bf16); return; }
#endif
    roma_gelu_onednn_scalar(src, dst, n, bf16);
}
