import Foundation

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a 64-bit counter passed through
/// a mixing function. Every random choice in the tool (synthetic scenes, sampling,
/// RANSAC) draws from one of these, so the seed recorded in an artifact fixes the
/// result. Because the n-th output depends only on the seed and n, any element of
/// the stream can be computed directly (`value(seed:at:)`), which lets parallel
/// loops draw the same numbers whatever the thread count.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// The output finaliser; also a stateless hash (procedural texture).
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The output `next()` would return as its (n+1)-th call on a fresh generator.
    @inline(__always)
    public static func value(seed: UInt64, at n: UInt64) -> UInt64 {
        mix(seed &+ (n &+ 1) &* increment)
    }

    /// A uniform double in (0, 1] from raw bits: never 0, so its logarithm is finite.
    @inline(__always)
    public static func unitInterval(_ bits: UInt64) -> Double {
        Double((bits >> 11) + 1) * 0x1.0p-53
    }

    /// An independent stream for a named sub-step of a seeded computation, so
    /// that adding a step never shifts the random numbers of another.
    public static func derive(seed: UInt64, stream: UInt64) -> UInt64 {
        mix(seed ^ mix(stream &* increment &+ 0x2545_F491_4F6C_DD1D))
    }

    /// Uniform in 0..<n (Lemire's multiply-shift; the bias is negligible at our sizes).
    @inline(__always) public mutating func index(below n: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(n).multipliedFullWidth(by: next())).high)
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * unit()
    }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// `count` distinct indices in 0..<n (rejection; for count ≪ n, as in RANSAC).
    public mutating func distinctIndices(_ count: Int, below n: Int, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        while out.count < count {
            let k = index(below: n)
            if !out.contains(k) { out.append(k) }
        }
    }
}
