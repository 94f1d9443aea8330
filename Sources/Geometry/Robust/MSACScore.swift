import Foundation

/// MSAC score (Torr & Zisserman 2000) of an epipolar model: Σ min(e², τ²) over all
/// pairs, with e the Sampson distance. Lower is better; ties are impossible in
/// practice, and the inlier count (e² ≤ τ²) drives adaptive stopping.
public struct MSACScore: Sendable, Comparable {
    public var cost: Double
    public var inliers: Int

    public init(cost: Double, inliers: Int) {
        self.cost = cost
        self.inliers = inliers
    }

    public static let worst = MSACScore(cost: .infinity, inliers: 0)

    public static func < (a: MSACScore, b: MSACScore) -> Bool { a.cost < b.cost }
}

enum MSAC {
    /// Pairs scored between checks of the bail-out bound.
    static let block = 256

    /// Scores `m`; stops early (returning a cost above `bound`) as soon as the
    /// partial sum exceeds `bound`, which is exact because every term is ≥ 0.
    static func score(_ m: Mat3, _ data: Correspondences, thresholdSquared t2: Double, bound: Double = .infinity) -> MSACScore {
        let n = data.count
        var cost = 0.0
        var inliers = 0
        data.xa.withUnsafeBufferPointer { xa in
        data.ya.withUnsafeBufferPointer { ya in
        data.xb.withUnsafeBufferPointer { xb in
        data.yb.withUnsafeBufferPointer { yb in
            var start = 0
            while start < n {
                let end = min(n, start + block)
                for i in start..<end {
                    let s = sampsonSquared(m, xa[i], ya[i], xb[i], yb[i])
                    cost += min(s, t2)
                    inliers += s <= t2 ? 1 : 0
                }
                if cost > bound { cost = .infinity; break }
                start = end
            }
        }}}}
        return MSACScore(cost: cost, inliers: inliers)
    }

    /// Indices with squared Sampson distance ≤ t2.
    static func inliers(_ m: Mat3, _ data: Correspondences, thresholdSquared t2: Double) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(data.count)
        for i in 0..<data.count where sampsonSquared(m, data.xa[i], data.ya[i], data.xb[i], data.yb[i]) <= t2 {
            out.append(i)
        }
        return out
    }

    /// Squared Sampson distances of all pairs.
    static func residuals(_ m: Mat3, _ data: Correspondences) -> [Double] {
        (0..<data.count).map { sampsonSquared(m, data.xa[$0], data.ya[$0], data.xb[$0], data.yb[$0]) }
    }
}

/// Number of RANSAC iterations after which an all-inlier sample has been drawn
/// with probability `confidence`, for inlier ratio `w` and sample size `s`:
/// log(1 − confidence) / log(1 − wˢ) (Fischler & Bolles 1981).
func requiredIterations(inlierRatio w: Double, sampleSize s: Int, confidence: Double, cap: Int) -> Int {
    let good = pow(max(0, min(1, w)), Double(s))
    if good >= 1 { return 0 }
    if good <= 0 { return cap }
    let k = log(1 - confidence) / log(1 - good)
    return k.isFinite ? min(cap, max(0, Int(k.rounded(.up)))) : cap
}
