/// Vectorised exp and erf for the softmax and GELU loops, which otherwise
/// spend most of their time in scalar libm calls.
typealias Vec = SIMD16<Float>

typealias Bits = SIMD16<UInt32>

/// e^x to about 1 ulp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two so n·ln2
/// is exact), e^r by its degree-7 Taylor polynomial (truncation < 2e-8 relative
/// there), times 2^n written into the exponent bits. n is rounded by adding
/// 1.5·2²³ (whose last mantissa bits then hold n), which needs no SSE4 rounding
/// instruction: the build targets baseline x86-64. Inputs are clamped to
/// [-87, 88]: e^-87 ≈ 1.6e-38 stands in for 0 in softmax sums.
@inline(__always)
func vexp(_ x: Vec) -> Vec {
    let magic: Float = 12582912 // 1.5 · 2^23
    // Clamp by masks: the stdlib's generic clamped/pointwiseMin are not inlined and run per lane.
    let low = Vec(repeating: -87), high = Vec(repeating: 88)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    let j = clamped * 1.44269504088896341 + magic
    let n = j - magic
    var r = clamped - n * 0.693145751953125 // ln2, high part (exact in n·hi)
    r = r - n * 1.42860682030941723212e-6   // ln2, low part
    var p = Vec(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = (unsafeBitCast(j, to: Bits.self) &- Bits(repeating: magic.bitPattern) &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Vec.self)
}

/// Standard normal CDF Φ(x) = erfc(-x/√2)/2, with erfc from the Chebyshev-fitted
/// form of Numerical Recipes (§6.2, fractional error < 1.2e-7 everywhere).
/// Sign handling by bit masks (branch-free, no blends on baseline x86-64).
@inline(__always)
func vnormalCDF(_ x: Vec) -> Vec {
    let xb = unsafeBitCast(x, to: Bits.self)
    let a = unsafeBitCast(xb & 0x7fff_ffff, to: Vec.self) * 0.70710678118654752 // |x|/√2
    let t = 1 / (1 + 0.5 * a)
    var p = Vec(repeating: 0.17087277)
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    let half = 0.5 * t * vexp(p - a * a) // Φ(-|x|)
    // x ≥ 0: Φ = 1 - half; x < 0: Φ = half. Mask is all ones where the sign bit is clear.
    let positive = (xb &>> 31) &- 1
    let flip = unsafeBitCast(unsafeBitCast(1 - 2 * half, to: Bits.self) & positive, to: Vec.self)
    return half + flip
}

/// Loads/stores 16 floats at an unaligned address.
@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func store16(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}
