/// exp(x) for eight lanes at once, for softmax's inner loop (the scalar expf call
/// dominated attention time). Range reduction x = n·ln2 + r with |r| ≤ ln2/2, a
/// degree-6 polynomial for e^r (the Cephes single-precision coefficients), and 2^n
/// built in the exponent bits. Relative error about 2 ulp on the clamped range.
/// Inputs below −87.3 give ~1e-38 instead of 0, above 88.7 saturate; NaN stays NaN.
@inline(__always)
func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamp with masks: the stdlib's pointwiseMin/Max are not inlined here.
    let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.7)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits then hold n
    // as an integer, which avoids the (unvectorised) generic rounding and conversion.
    let magic = SIMD8<Float>(repeating: 12582912)
    let shifted = clamped * 1.44269504088896341 + magic
    let n = shifted - magic
    // ln2 split in two so n·ln2_hi is exact in float.
    var r = clamped - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * (r * r) + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    // NaN fails both clamp comparisons and propagates through the polynomial.
    return er * scale
}

/// Scalar counterpart with the same formula, for loop tails, so every element of a
/// row gets the same rounding.
@inline(__always)
func scalarExp(_ x: Float) -> Float {
    vectorExp(SIMD8(repeating: x))[0]
}
