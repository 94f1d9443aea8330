/// The non-minimal half of local optimisation: iteratively reweighted least
/// squares on the epipolar constraint. Each round weights the pairs near the
/// current model by a Cauchy kernel of their Sampson distance divided by the
/// Sampson denominator, so the weighted algebraic error approximates the robust
/// geometric one, then refits linearly (eight-point) and keeps the result only if
/// the MSAC score improves.
enum ReweightedLinearFit {
    /// Pairs within this multiple of τ take part (wider than τ so a rough model
    /// from a minimal sample can still pull in its true inliers).
    static let window = 3.0

    static func run(_ model: Mat3, score: MSACScore, data: Correspondences, thresholdSquared t2: Double, rounds: Int,
                    fit: ([Int], [Double]) -> Mat3?) -> (Mat3, MSACScore)? {
        var current = model
        var currentScore = score
        var improved = false
        let w2 = window * window * t2
        for _ in 0..<rounds {
            var indices: [Int] = []
            var weights: [Double] = []
            for i in 0..<data.count {
                let (s, d) = sampsonParts(current, data.xa[i], data.ya[i], data.xb[i], data.yb[i])
                guard s <= w2, d > 0 else { continue }
                indices.append(i)
                weights.append(1 / ((1 + s / t2) * d))
            }
            guard indices.count >= 8, let candidate = fit(indices, weights) else { break }
            let candidateScore = MSAC.score(candidate, data, thresholdSquared: t2, bound: currentScore.cost)
            guard candidateScore < currentScore else { break }
            current = candidate
            currentScore = candidateScore
            improved = true
        }
        return improved ? (current, currentScore) : nil
    }

    /// Squared Sampson distance and its denominator.
    @inline(__always)
    static func sampsonParts(_ m: Mat3, _ xa: Double, _ ya: Double, _ xb: Double, _ yb: Double) -> (Double, Double) {
        let (r, d) = sampsonTerms(m, xa, ya, xb, yb)
        return (d > 0 ? r * r / d : .infinity, d)
    }
}
