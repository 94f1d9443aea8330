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

/// erfc(z) for z ≥ 0, eight lanes: the Chebyshev-fitted form t·exp(−z² + P(t)),
/// t = 1/(1 + z/2), from Numerical Recipes (fractional error below 1.2e-7 for all z).
@inline(__always)
func vectorErfcNonNegative(_ z: SIMD8<Float>) -> SIMD8<Float> {
    let t = 1 / (1 + 0.5 * z)
    var p = SIMD8<Float>(repeating: 0.17087277)
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    return t * vectorExp(p - z * z)
}

/// GELU (erf form) for eight lanes: x·½·erfc(−x/√2). Working from erfc(|x|/√2) keeps
/// full relative accuracy in the negative tail, where 1 + erf(x/√2) would cancel.
@inline(__always)
func vectorGelu(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let negative = x .< 0
    let z = x.replacing(with: -x, where: negative) * 0.70710678118654752
    let c = vectorErfcNonNegative(z)
    let factor = (1 - 0.5 * c).replacing(with: 0.5 * c, where: negative)
    return x * factor
}
