import Parallel
/// What the robust loop needs from a two-view model: minimal solutions, a local
/// optimisation and a final refinement. Models are 3×3 epipolar matrices M with
/// bᵀ M a = 0, scored by Sampson distance in the units of `data`.
public protocol EpipolarEstimator {
    var data: Correspondences { get }
    var sampleSize: Int { get }
    /// All models through one minimal sample (possibly none).
    func minimalModels(_ sample: [Int]) -> [Mat3]
    /// A model at least as good as `model` under MSAC at τ², found by non-minimal
    /// fitting around its inliers; nil when nothing better was found.
    func locallyOptimize(_ model: Mat3, score: MSACScore, thresholdSquared: Double) -> (Mat3, MSACScore)?
    /// The last polish of the winning model (returns the model itself when it
    /// cannot improve on it).
    func refine(_ model: Mat3, score: MSACScore, thresholdSquared: Double) -> (Mat3, MSACScore)
}

public struct RansacOptions: Sendable {
    /// Inlier threshold on the Sampson distance, in the units of the data.
    public var threshold: Double
    public var confidence: Double
    public var maxIterations: Int
    public var minIterations: Int
    public var seed: UInt64
    public var localOptimization: Bool

    public init(threshold: Double, confidence: Double = 0.99999, maxIterations: Int = 10_000, minIterations: Int = 0,
                seed: UInt64 = 0, localOptimization: Bool = true) {
        self.threshold = threshold
        self.confidence = confidence
        self.maxIterations = maxIterations
        self.minIterations = minIterations
        self.seed = seed
        self.localOptimization = localOptimization
    }
}

public struct RansacResult: Sendable {
    public var model: Mat3?
    public var score: MSACScore
    public var iterations: Int
}

/// The inlier ratio (at τ) below which a model is not worth finding: the floor
/// of the sequential test's ε. At the protocol's 0.5 px with 1–2 px noise, 90 %
/// outliers still leave 2–4 % of the pairs within τ of the true model.
let minimumInlierRatio = 0.01

/// LO-RANSAC shaped like PoseLib's loop: sample → minimal models → MSAC score →
/// local optimisation whenever the best model improves → adaptive stopping at the
/// confidence (capped) → final refinement. Deterministic for a given seed.
public func ransac<E: EpipolarEstimator>(_ estimator: E, _ options: RansacOptions) -> RansacResult {
    let data = estimator.data
    let n = data.count
    let s = estimator.sampleSize
    guard n >= s else { return RansacResult(model: nil, score: .worst, iterations: 0) }
    let t2 = options.threshold * options.threshold
    let packed = PackedPoints(data, seed: options.seed)
    var rng = SplitMix64(seed: options.seed)
    // Inlier rate of models that are not the best: the "bad model" rate δ of the
    // sequential test, estimated as a running mean (an underestimate only makes
    // the test more lenient).
    var badInliers = 0.0, badSeen = 0.0
    var sample: [Int] = []
    sample.reserveCapacity(s)

    var best: Mat3?
    var bestScore = MSACScore.worst
    var needed = options.maxIterations
    var iterations = 0
    while iterations < max(options.minIterations, min(needed, options.maxIterations)) {
        iterations += 1
        rng.distinctIndices(s, below: n, into: &sample)
        for model in estimator.minimalModels(sample) {
            var sprt: SPRT?
            if best != nil, badSeen > 0 {
                // ε is floored at `minimumInlierRatio`: while the best model is itself
                // poor (early on at high outlier ratios) the test would otherwise be
                // too weak to save any work.
                let epsilon = max(Double(bestScore.inliers) / Double(n), minimumInlierRatio)
                let delta = max(1e-4, min(epsilon / 4, badInliers / badSeen))
                sprt = SPRT(good: epsilon, bad: delta)
            }
            let outcome = packed.score(model, thresholdSquared: t2, bound: bestScore.cost, sprt: sprt)
            let score = outcome.score
            guard score < bestScore else {
                badInliers += Double(outcome.seenInliers)
                badSeen += Double(outcome.seen)
                continue
            }
            best = model
            bestScore = score
            if options.localOptimization, let (better, betterScore) = estimator.locallyOptimize(model, score: score, thresholdSquared: t2),
               betterScore < bestScore {
                best = better
                bestScore = betterScore
            }
            needed = requiredIterations(inlierRatio: Double(bestScore.inliers) / Double(n), sampleSize: s,
                                        confidence: options.confidence, cap: options.maxIterations)
        }
    }
    guard let found = best else { return RansacResult(model: nil, score: .worst, iterations: iterations) }
    // The refinement decides itself whether its result replaces the model (its
    // objective may differ from MSAC at τ, e.g. when it adapts to the noise).
    let (refined, refinedScore) = estimator.refine(found, score: bestScore, thresholdSquared: t2)
    return RansacResult(model: refined, score: refinedScore, iterations: iterations)
}
