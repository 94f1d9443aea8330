/// `roma.pose/1`: a relative pose estimate (or a fundamental matrix) for one pair.
public struct PoseResult: Sendable {
    public enum Model: String, Sendable { case essential, fundamental }

    /// Rotation A→B, row-major 3×3 (identity when only F was estimated or on failure).
    public var rotation: [Double]
    /// Unit translation direction A→B (zero when unknown).
    public var translation: [Double]
    public var model: Model
    /// E or F, row-major 3×3.
    public var matrix: [Double]
    /// One flag per input match.
    public var inliers: [UInt8]
    /// "ok" or "failed: reason".
    public var status: String
    public var iterations: Int
    public var score: Double

    public var succeeded: Bool { status == "ok" }
    public var inlierCount: Int { inliers.reduce(0) { $0 + Int($1) } }

    public init(rotation: [Double], translation: [Double], model: Model, matrix: [Double], inliers: [UInt8],
                status: String, iterations: Int, score: Double) {
        self.rotation = rotation
        self.translation = translation
        self.model = model
        self.matrix = matrix
        self.inliers = inliers
        self.status = status
        self.iterations = iterations
        self.score = score
    }

    /// A failed estimate, which benchmarks count as a 90° error.
    public static func failed(_ reason: String, model: Model, matchCount: Int) -> PoseResult {
        PoseResult(rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [0, 0, 0], model: model,
                   matrix: [Double](repeating: 0, count: 9), inliers: [UInt8](repeating: 0, count: matchCount),
                   status: "failed: \(reason)", iterations: 0, score: 0)
    }

    public init(_ artifact: Artifact) throws {
        try artifact.require(.pose)
        rotation = try artifact.doubles("R", shape: [3, 3])
        translation = try artifact.doubles("t", shape: [3])
        if artifact.has("E") {
            model = .essential
            matrix = try artifact.doubles("E", shape: [3, 3])
        } else {
            model = .fundamental
            matrix = try artifact.doubles("F", shape: [3, 3])
        }
        inliers = try artifact.bytes("inliers", shape: [nil])
        status = try artifact.meta("status")
        iterations = Int(artifact.metadata["iterations"] ?? "") ?? 0
        score = Double(artifact.metadata["score"] ?? "") ?? 0
    }

    public static func read(_ path: String) throws -> PoseResult {
        try PoseResult(Artifact.read(path, expecting: .pose))
    }

    public var artifact: Artifact {
        var a = Artifact(schema: .pose)
        a.put("R", rotation, shape: [3, 3])
        a.put("t", translation, shape: [3])
        a.put(model == .essential ? "E" : "F", matrix, shape: [3, 3])
        a.put("inliers", inliers, shape: [inliers.count])
        a.metadata["status"] = status
        a.metadata["model"] = model.rawValue
        a.metadata["inlier_count"] = String(inlierCount)
        a.metadata["iterations"] = String(iterations)
        a.metadata["score"] = String(score)
        return a
    }
}
