/// `roma.matches/1`: sparse correspondences in pixel coordinates of the original images.
///
/// Pixel convention: the reference's `to_pixel_coordinates`, x = W/2·(u + 1), so the
/// centre of the top-left pixel is (0.5, 0.5). Dataset-specific shifts (ScanNet's
/// −0.5 px) are applied by the dataset layer, not stored here.
public struct Matches: Sendable {
    /// `count × 2`, row-major (x, y).
    public var pointsA: [Double]
    public var pointsB: [Double]
    /// Per-match certainty, when the matcher gives one.
    public var certainty: [Double]?

    public var count: Int { pointsA.count / 2 }

    public init(pointsA: [Double], pointsB: [Double], certainty: [Double]? = nil) {
        precondition(pointsA.count == pointsB.count && pointsA.count % 2 == 0)
        precondition(certainty == nil || certainty!.count == pointsA.count / 2)
        self.pointsA = pointsA
        self.pointsB = pointsB
        self.certainty = certainty
    }

    /// Accepts F32 or F64 keypoints; NaN is not rejected here (the estimator
    /// reports it as a failed pair, which is what benchmarks must count).
    public init(_ artifact: Artifact) throws {
        try artifact.require(.matches)
        let a = try artifact.tensor("kpts_a", shape: [nil, 2])
        pointsA = try artifact.doubles("kpts_a", shape: [nil, 2])
        pointsB = try artifact.doubles("kpts_b", shape: [a.shape[0], 2])
        certainty = artifact.has("certainty") ? try artifact.doubles("certainty", shape: [a.shape[0]]) : nil
    }

    public static func read(_ path: String) throws -> Matches {
        try Matches(Artifact.read(path, expecting: .matches))
    }

    public var artifact: Artifact {
        var a = Artifact(schema: .matches)
        a.put("kpts_a", pointsA.map { Float($0) }, shape: [count, 2])
        a.put("kpts_b", pointsB.map { Float($0) }, shape: [count, 2])
        if let certainty { a.put("certainty", certainty.map { Float($0) }, shape: [count]) }
        return a
    }
}
