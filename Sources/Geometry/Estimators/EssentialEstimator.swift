/// The essential-matrix instance of the robust loop: five-point minimal models,
/// local optimisation = reweighted eight-point refit then a short LM on the pose
/// manifold, final refinement = a longer LM, then a noise-adaptive Cauchy LM
/// (see `noiseAdaptiveRefinement`). Points are on the normalised plane.
public struct EssentialEstimator: EpipolarEstimator {
    public let data: Correspondences
    public var sampleSize: Int { FivePointEssential.sampleSize }
    /// LM iterations inside local optimisation and in the final refinement.
    public var localIterations = 8
    public var finalIterations = 30
    public var finalLoss: RobustLoss = .truncated

    public init(data: Correspondences) { self.data = data }

    public func minimalModels(_ sample: [Int]) -> [Mat3] { FivePointEssential.solve(data, sample) }

    public func locallyOptimize(_ model: Mat3, score: MSACScore, thresholdSquared t2: Double) -> (Mat3, MSACScore)? {
        var best = (model, score)
        var improved = false
        if let refit = ReweightedLinearFit.run(model, score: score, data: data, thresholdSquared: t2, rounds: 4,
                                               fit: { EightPointLinear.essential(data, $0, weights: $1) }) {
            best = refit
            improved = true
        }
        if let polished = polish(best.0, best.1, t2, iterations: localIterations, loss: .truncated) {
            best = polished
            improved = true
        }
        return improved ? best : nil
    }

    public func refine(_ model: Mat3, score: MSACScore, thresholdSquared t2: Double) -> (Mat3, MSACScore) {
        let (m, s) = polish(model, score, t2, iterations: finalIterations, loss: finalLoss) ?? (model, score)
        guard adaptiveScale else { return (m, s) }
        return noiseAdaptiveRefinement(m, s, t2) ?? (m, s)
    }

    /// Whether the final refinement adapts its scale to the measured noise.
    public var adaptiveScale = true

    /// When the pixel noise exceeds τ (σ = 1–2 px against the protocol's 0.5 px),
    /// only a fraction of the true inliers lie within τ and the fit at τ wastes the
    /// rest. Estimate the noise from the residuals near the model (robustly: the
    /// median absolute Sampson distance within 10τ), then refine with a Cauchy
    /// kernel at that scale. The noise is measured again around the refined model
    /// (an inaccurate start inflates it), for up to `adaptiveRounds` rounds.
    ///
    /// A round is kept only if it lowers the MSAC cost at the measured scale over
    /// all pairs: the same objective judges both models, so a wide kernel cannot
    /// drift onto a different structure, and the ~2 % of pairs that happen to fall
    /// within τ at 90 % outliers and 2 px noise no longer veto a better fit.
    func noiseAdaptiveRefinement(_ model: Mat3, _ score: MSACScore, _ t2: Double) -> (Mat3, MSACScore)? {
        var current = model
        var changed = false
        for _ in 0..<adaptiveRounds {
            guard let scale2 = noiseScaleSquared(current, t2), scale2 > t2 * 1.5,
                  let start = EssentialDecomposition.candidates(current).first else { break }
            let pool = (0..<data.count).filter { sampsonSquared(current, data.xa[$0], data.ya[$0], data.xb[$0], data.yb[$0]) <= 9 * scale2 }
            guard pool.count >= sampleSize else { break }
            let pose = PoseRefinement.refine(start, data, indices: pool, thresholdSquared: scale2, loss: .cauchy, maxIterations: finalIterations)
            let e = pose.essential
            guard MSAC.score(e, data, thresholdSquared: scale2) < MSAC.score(current, data, thresholdSquared: scale2) else { break }
            current = e
            changed = true
        }
        return changed ? (current, MSAC.score(current, data, thresholdSquared: t2)) : nil
    }

    /// Rounds of noise-adaptive refinement (each re-measures the noise).
    public var adaptiveRounds = 3

    /// (2σ̂)², with σ̂ = 1.4826 × the median Sampson distance of the pairs within 10τ
    /// of `model`; at least τ². Nil when too few pairs lie near the model.
    func noiseScaleSquared(_ model: Mat3, _ t2: Double) -> Double? {
        let near = 100 * t2
        var residuals: [Double] = []
        for i in 0..<data.count {
            let s = sampsonSquared(model, data.xa[i], data.ya[i], data.xb[i], data.yb[i])
            if s <= near { residuals.append(s) }
        }
        guard residuals.count >= 2 * sampleSize else { return nil }
        residuals.sort()
        let sigma = 1.4826 * residuals[residuals.count / 2].squareRoot()
        return max(t2, 4 * sigma * sigma)
    }

    /// LM from any decomposition of `model` (all four give ±E, so the Sampson cost
    /// does not care which), over the pairs within the reweighting window; kept
    /// only if the MSAC score improves.
    func polish(_ model: Mat3, _ score: MSACScore, _ t2: Double, iterations: Int, loss: RobustLoss) -> (Mat3, MSACScore)? {
        guard let start = EssentialDecomposition.candidates(model).first else { return nil }
        let window = ReweightedLinearFit.window * ReweightedLinearFit.window * t2
        var pool: [Int] = []
        for i in 0..<data.count where sampsonSquared(model, data.xa[i], data.ya[i], data.xb[i], data.yb[i]) <= window {
            pool.append(i)
        }
        guard pool.count >= sampleSize else { return nil }
        let pose = PoseRefinement.refine(start, data, indices: pool, thresholdSquared: t2, loss: loss, maxIterations: iterations)
        let e = pose.essential
        let s = MSAC.score(e, data, thresholdSquared: t2, bound: score.cost)
        return s < score ? (e, s) : nil
    }
}

/// The fundamental-matrix instance: seven-point minimal models, reweighted
/// normalised eight-point for both local optimisation and final refinement.
/// Points are pixels; τ is in pixels.
public struct FundamentalEstimator: EpipolarEstimator {
    public let data: Correspondences
    public var sampleSize: Int { SevenPointFundamental.sampleSize }

    public init(data: Correspondences) { self.data = data }

    public func minimalModels(_ sample: [Int]) -> [Mat3] { SevenPointFundamental.solve(data, sample) }

    public func locallyOptimize(_ model: Mat3, score: MSACScore, thresholdSquared t2: Double) -> (Mat3, MSACScore)? {
        ReweightedLinearFit.run(model, score: score, data: data, thresholdSquared: t2, rounds: 4,
                                fit: { EightPointLinear.fundamental(data, $0, weights: $1) })
    }

    public func refine(_ model: Mat3, score: MSACScore, thresholdSquared t2: Double) -> (Mat3, MSACScore) {
        ReweightedLinearFit.run(model, score: score, data: data, thresholdSquared: t2, rounds: 10,
                                fit: { EightPointLinear.fundamental(data, $0, weights: $1) }) ?? (model, score)
    }
}
