import Parallel
import Foundation

/// The hot loop of RANSAC: MSAC scoring of every minimal model, in single
/// precision over eight lanes, with two early exits. Single precision is ample:
/// normalised coordinates are O(1) and the protocol's τ² is O(1e-7), while float
/// rounding of the epipolar residual is O(1e-7)·|residual| (OpenCV scores in float
/// too). Local optimisation and refinement re-score in double precision.
///
/// Pairs are packed in a seeded random order so that a prefix is a random subset
/// (matches often arrive spatially sorted), which the sequential test relies on.
struct PackedPoints {
    typealias Lanes = SIMD8<Float>
    let xa: [Lanes], ya: [Lanes], xb: [Lanes], yb: [Lanes]
    /// Pair indices, in packed order, that did not fill a whole lane group.
    let tail: [Int]
    let data: Correspondences

    /// Lane groups between checks of the early exits (64 pairs).
    static let groupsPerCheck = 8

    init(_ data: Correspondences, seed: UInt64) {
        self.data = data
        var order = Array(0..<data.count)
        var rng = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        let width = Lanes.scalarCount
        let groups = data.count / width
        tail = Array(order[(groups * width)...])
        func pack(_ v: [Double]) -> [Lanes] {
            (0..<groups).map { g in
                var lane = Lanes()
                for k in 0..<width { lane[k] = Float(v[order[g * width + k]]) }
                return lane
            }
        }
        xa = pack(data.xa); ya = pack(data.ya); xb = pack(data.xb); yb = pack(data.yb)
    }

    struct Outcome {
        var score: MSACScore
        /// Pairs examined and inliers among them (all pairs unless rejected early).
        var seen: Int
        var seenInliers: Int
        var rejected: Bool
    }

    /// MSAC score of `m`. Stops early, as rejected, when the partial cost exceeds
    /// `bound` (exact: every term is ≥ 0) or when the sequential probability ratio
    /// test `sprt` decides the model is bad (Matas & Chum 2005, "Randomized RANSAC
    /// with sequential probability ratio test").
    func score(_ m: Mat3, thresholdSquared t2: Double, bound: Double = .infinity, sprt: SPRT? = nil) -> Outcome {
        let e00 = Float(m.r0.x), e01 = Float(m.r0.y), e02 = Float(m.r0.z)
        let e10 = Float(m.r1.x), e11 = Float(m.r1.y), e12 = Float(m.r1.z)
        let e20 = Float(m.r2.x), e21 = Float(m.r2.y), e22 = Float(m.r2.z)
        let tau2 = Lanes(repeating: Float(t2))
        let tiny = Lanes(repeating: 1e-30)
        let one = SIMD8<Int32>(repeating: 1), zero = SIMD8<Int32>(repeating: 0)
        var cost = 0.0
        var inliers = SIMD8<Int32>(repeating: 0)
        let groups = xa.count
        var seen = 0
        var rejected = false
        xa.withUnsafeBufferPointer { xa in
        ya.withUnsafeBufferPointer { ya in
        xb.withUnsafeBufferPointer { xb in
        yb.withUnsafeBufferPointer { yb in
            var start = 0
            while start < groups {
                let end = min(groups, start + Self.groupsPerCheck)
                var blockCost = Lanes(repeating: 0)
                for g in start..<end {
                    let a0 = xa[g], a1 = ya[g], b0 = xb[g], b1 = yb[g]
                    let ma0 = e00 * a0 + e01 * a1 + e02
                    let ma1 = e10 * a0 + e11 * a1 + e12
                    let ma2 = e20 * a0 + e21 * a1 + e22
                    let mb0 = e00 * b0 + e10 * b1 + e20
                    let mb1 = e01 * b0 + e11 * b1 + e21
                    let r = b0 * ma0 + b1 * ma1 + ma2
                    let d = ma0 * ma0 + ma1 * ma1 + mb0 * mb0 + mb1 * mb1
                    let s = r * r / d.replacing(with: tiny, where: d .< tiny)
                    blockCost += s.replacing(with: tau2, where: s .> tau2)
                    inliers &+= zero.replacing(with: one, where: s .<= tau2)
                }
                cost += Double(blockCost.sum())
                seen = end * Lanes.scalarCount
                start = end
                if cost > bound { rejected = true; break }
                if let sprt, sprt.rejects(inliers: Int(inliers.wrappedSum()), of: seen) { rejected = true; break }
            }
        }}}}
        var count = Int(inliers.wrappedSum())
        if rejected {
            return Outcome(score: .worst, seen: seen, seenInliers: count, rejected: true)
        }
        for i in tail {
            let s = sampsonSquared(m, data.xa[i], data.ya[i], data.xb[i], data.yb[i])
            cost += min(s, t2)
            count += s <= t2 ? 1 : 0
        }
        let n = data.count
        if cost > bound { return Outcome(score: .worst, seen: n, seenInliers: count, rejected: true) }
        return Outcome(score: MSACScore(cost: cost, inliers: count), seen: n, seenInliers: count, rejected: false)
    }
}

/// Wald's sequential test of "bad model" (inlier rate δ) against "good model"
/// (inlier rate ε, that of the best model so far): after k inliers among m pairs,
/// the likelihood ratio is (δ/ε)^k ((1−δ)/(1−ε))^(m−k); the model is rejected once
/// it exceeds A. A good model is wrongly rejected with probability at most 1/A.
struct SPRT {
    let logInlier: Double
    let logOutlier: Double
    let logA: Double

    /// nil when the rates are too close for the test to pay off.
    init?(good epsilon: Double, bad delta: Double, a: Double = 1000) {
        guard epsilon > 0, epsilon < 1, delta > 0, delta < epsilon / 2 else { return nil }
        logInlier = log(delta / epsilon)
        logOutlier = log((1 - delta) / (1 - epsilon))
        logA = log(a)
    }

    @inline(__always) func rejects(inliers k: Int, of m: Int) -> Bool {
        Double(k) * logInlier + Double(m - k) * logOutlier > logA
    }
}
