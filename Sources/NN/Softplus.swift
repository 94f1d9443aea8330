import Foundation

/// torch.nn.functional.softplus with its defaults (beta 1, threshold 20):
/// log(1 + eˣ), and x itself above 20, where the two agree to float precision.
/// log1p keeps full relative precision for very negative x, where 1 + eˣ rounds to 1.
/// Scalar, because its one user (RoMa v2's refiner) applies it to two of four
/// interleaved channels.
@inline(__always)
public func softplus(_ x: Float) -> Float {
    x > 20 ? x : log1p(exp(x))
}
