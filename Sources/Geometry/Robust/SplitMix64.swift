import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so every
/// RANSAC run is reproducible from the seed recorded in the artifact.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n without modulo bias worth caring about at RANSAC sizes
    /// (Lemire's multiply-shift).
    @inline(__always) public mutating func index(below n: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(n).multipliedFullWidth(by: next())).high)
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// `count` distinct indices in 0..<n (rejection; count ≪ n at RANSAC sizes).
    public mutating func distinctIndices(_ count: Int, below n: Int, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        while out.count < count {
            let k = index(below: n)
            if !out.contains(k) { out.append(k) }
        }
    }
}
