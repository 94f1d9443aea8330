import Artifacts

/// Which implementation estimates the model.
public enum PoseSolver: String, Codable, Sendable, CaseIterable {
    /// Our LO-RANSAC (five-point / seven-point, MSAC, IRLS + LM).
    case ours
    /// OpenCV through the shim: the reference protocol's findEssentialMat +
    /// recoverPose, or findFundamentalMat without intrinsics.
    case opencv
}

public struct EstimationOptions: Codable, Sendable, Equatable {
    /// Inlier threshold in pixels; for E it is normalised by the intrinsics as the
    /// standard protocol does (see `normalizedThreshold`).
    public var threshold: Double
    /// RANSAC confidence for adaptive stopping.
    public var confidence: Double
    /// Iteration cap; nil = the solver's default (ours: `defaultMaxIterations`,
    /// OpenCV: its own default of 1000, as in the reference call).
    public var maxIterations: Int?
    public var seed: UInt64
    public var solver: PoseSolver

    public static let defaultMaxIterations = 10_000
    public static let openCVMaxIterations = 1000

    public init(threshold: Double = 0.5, confidence: Double = 0.99999, maxIterations: Int? = nil, seed: UInt64 = 0,
                solver: PoseSolver = .ours) {
        self.threshold = threshold
        self.confidence = confidence
        self.maxIterations = maxIterations
        self.seed = seed
        self.solver = solver
    }

    /// The iteration cap the solver uses: OpenCV's essential-matrix call keeps the
    /// reference's 1000; everything else defaults to `defaultMaxIterations`.
    public func iterationCap(essential: Bool) -> Int {
        maxIterations ?? (solver == .opencv && essential ? Self.openCVMaxIterations : Self.defaultMaxIterations)
    }

    /// Why these options cannot be used, or nil.
    public var problem: String? {
        if !(threshold > 0 && threshold.isFinite) { return "threshold must be a positive number of pixels, got \(threshold)" }
        if !(confidence > 0 && confidence < 1) { return "confidence must lie strictly between 0 and 1, got \(confidence)" }
        if let m = maxIterations, m < 1 { return "max iterations must be at least 1, got \(m)" }
        return nil
    }
}

/// Relative pose (essential matrix, when both intrinsics are given) or
/// fundamental matrix (when both are nil) from pixel matches. Never throws: bad or
/// degenerate input gives a `failed: reason` result, which benchmarks count as a
/// 90° error.
public func estimateRelativePose(_ matches: Matches, intrinsicsA: CameraIntrinsics?, intrinsicsB: CameraIntrinsics?,
                                 options: EstimationOptions) -> PoseResult {
    let n = matches.count
    switch (intrinsicsA, intrinsicsB) {
    case let (ka?, kb?):
        return estimateEssential(matches, ka, kb, options)
    case (nil, nil):
        return estimateFundamental(matches, options)
    default:
        return .failed("intrinsics given for only one image; give both (essential matrix) or neither (fundamental matrix)",
                       model: .essential, matchCount: n)
    }
}

func estimateEssential(_ matches: Matches, _ ka: CameraIntrinsics, _ kb: CameraIntrinsics, _ options: EstimationOptions) -> PoseResult {
    let n = matches.count
    let minimum = FivePointEssential.sampleSize
    if let problem = options.problem ?? ka.problem.map({ "intrinsics A: \($0)" }) ?? kb.problem.map({ "intrinsics B: \($0)" })
        ?? InputChecks.problem(pointsA: matches.pointsA, pointsB: matches.pointsB, minimum: minimum, model: "essential matrix") {
        return .failed(problem, model: .essential, matchCount: n)
    }
    let data = Correspondences(pointsA: matches.pointsA, pointsB: matches.pointsB, intrinsicsA: ka, intrinsicsB: kb)
    let threshold = normalizedThreshold(pixels: options.threshold, ka, kb)

    switch options.solver {
    case .opencv:
        switch OpenCVPose.essential(data, threshold: threshold, confidence: options.confidence,
                                    maxIterations: options.iterationCap(essential: true)) {
        case .success(let r):
            return PoseResult(rotation: r.pose.rotation.values, translation: [r.pose.translation.x, r.pose.translation.y, r.pose.translation.z],
                              model: .essential, matrix: r.essential.values, inliers: r.inliers, status: "ok",
                              iterations: 0, score: Double(r.inFront))
        case .noModel:
            return .failed("OpenCV found no essential matrix", model: .essential, matchCount: n)
        case .failure(let message):
            return .failed("OpenCV: \(message)", model: .essential, matchCount: n)
        }
    case .ours:
        let ransacOptions = RansacOptions(threshold: threshold, confidence: options.confidence,
                                          maxIterations: options.iterationCap(essential: true),
                                          seed: options.seed)
        let result = ransac(EssentialEstimator(data: data), ransacOptions)
        guard let e = result.model, result.score.inliers >= minimum else {
            return .failed("no essential matrix with at least \(minimum) inliers (degenerate configuration or too many outliers)",
                           model: .essential, matchCount: n)
        }
        let inliers = MSAC.inliers(e, data, thresholdSquared: threshold * threshold)
        guard let (pose, front) = EssentialDecomposition.recover(e, data, indices: inliers), front >= minimum else {
            return .failed("degenerate configuration: no pose puts \(minimum) inliers in front of both cameras",
                           model: .essential, matchCount: n)
        }
        // As recoverPose's output mask: inliers that also pass the cheirality test.
        var mask = [UInt8](repeating: 0, count: n)
        for i in inliers where EssentialDecomposition.inFront(pose, data.a(i), data.b(i)) { mask[i] = 1 }
        let t = pose.translation
        return PoseResult(rotation: pose.rotation.values, translation: [t.x, t.y, t.z], model: .essential,
                          matrix: pose.essential.values, inliers: mask, status: "ok",
                          iterations: result.iterations, score: result.score.cost)
    }
}

func estimateFundamental(_ matches: Matches, _ options: EstimationOptions) -> PoseResult {
    let n = matches.count
    let minimum = SevenPointFundamental.sampleSize
    if let problem = options.problem
        ?? InputChecks.problem(pointsA: matches.pointsA, pointsB: matches.pointsB, minimum: minimum, model: "fundamental matrix") {
        return .failed(problem, model: .fundamental, matchCount: n)
    }
    let data = Correspondences(pointsA: matches.pointsA, pointsB: matches.pointsB)
    let identity = Mat3.identity.values
    switch options.solver {
    case .opencv:
        switch OpenCVPose.fundamental(data, method: .usacAccurate, threshold: options.threshold, confidence: options.confidence,
                                      maxIterations: options.iterationCap(essential: false)) {
        case .success(let (f, mask)):
            return PoseResult(rotation: identity, translation: [0, 0, 0], model: .fundamental, matrix: f.values,
                              inliers: mask, status: "ok", iterations: 0, score: 0)
        case .noModel:
            return .failed("OpenCV found no fundamental matrix", model: .fundamental, matchCount: n)
        case .failure(let message):
            return .failed("OpenCV: \(message)", model: .fundamental, matchCount: n)
        }
    case .ours:
        let ransacOptions = RansacOptions(threshold: options.threshold, confidence: options.confidence,
                                          maxIterations: options.iterationCap(essential: false),
                                          seed: options.seed)
        let result = ransac(FundamentalEstimator(data: data), ransacOptions)
        guard let f = result.model, result.score.inliers >= minimum else {
            return .failed("no fundamental matrix with at least \(minimum) inliers (degenerate configuration or too many outliers)",
                           model: .fundamental, matchCount: n)
        }
        var mask = [UInt8](repeating: 0, count: n)
        for i in MSAC.inliers(f, data, thresholdSquared: options.threshold * options.threshold) { mask[i] = 1 }
        return PoseResult(rotation: identity, translation: [0, 0, 0], model: .fundamental, matrix: f.values, inliers: mask,
                          status: "ok", iterations: result.iterations, score: result.score.cost)
    }
}
