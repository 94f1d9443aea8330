// torch's float → bfloat16 rounding, shared by every bf16 kernel here: round to nearest,
// ties to even, on the bit pattern, so subnormals are kept (no flush) and overflow goes
// to ±inf; NaN stays a quiet NaN. The result is the rounded float's bit pattern (its low
// 16 bits zero); `>> 16` gives the bf16 value.
#pragma once
#include <stdint.h>

static inline uint32_t bf16_round_bits(uint32_t u) {
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u | 0x00400000u) & 0xffff0000u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
}

#if defined(__x86_64__)
#include <immintrin.h>

// bf16_round_bits, 16 floats at a time.
__attribute__((target("avx512f"))) static inline __m512i bf16_round_vec(__m512 x) {
    const __m512i u = _mm512_castps_si512(x);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000));
    return _mm512_and_si512(r, _mm512_set1_epi32((int)0xffff0000u));
}
#endif
