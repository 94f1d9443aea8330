/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a 64-bit counter passed through
/// a mixing function. Because the n-th output depends only on the seed and n, any
/// element of the stream can be computed directly (`value(at:)`), which lets the
/// sampler draw one random number per grid cell in parallel and still get the
/// same numbers for a seed whatever the thread count.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// The output `next()` would return as its (n+1)-th call on a fresh generator.
    @inline(__always)
    public static func value(seed: UInt64, at n: UInt64) -> UInt64 {
        mix(seed &+ (n &+ 1) &* increment)
    }

    @inline(__always)
    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1]: never 0, so its logarithm is always finite.
    @inline(__always)
    public static func unitInterval(_ bits: UInt64) -> Double {
        Double((bits >> 11) + 1) * 0x1.0p-53
    }

    /// An independent stream for a named sub-step of a seeded computation, so
    /// that adding a step never shifts the random numbers of another.
    public static func derive(seed: UInt64, stream: UInt64) -> UInt64 {
        mix(seed ^ mix(stream &* increment &+ 0x2545_F491_4F6C_DD1D))
    }
}
