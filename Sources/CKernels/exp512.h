// exp over 16 floats for the AVX-512 kernels (activations.c, attention512.c): one
// formula everywhere, so the fused attention's softmax rounds as NN's softmax does.
// Include after <immintrin.h> with AVX512 defined. Same approximation as
// Sources/NN/VectorMath.swift (see there for its source and accuracy); clamps go
// let a NaN through.
#ifndef ROMA_EXP512_H
#define ROMA_EXP512_H

AVX512 static inline __m512 exp16(__m512 x) {
    const __m512 low = _mm512_set1_ps(-87.3f), high = _mm512_set1_ps(88.7f);
    // vmaxps/vminps return their second operand when either is NaN: x, so NaN propagates.
    x = _mm512_min_ps(high, _mm512_max_ps(low, x));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), magic);
    const __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 er = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    // er·2ⁿ in one instruction (the Swift form builds 2ⁿ in the exponent bits: the same
    // product, except that it overflows to inf one step early, for x above 88.38).
    return _mm512_scalef_ps(er, n);
}

#endif
