/// `roma.matches/1`: sparse correspondences in pixel coordinates of the original images.
///
/// Pixel convention: the reference's `to_pixel_coordinates`, x = W/2·(u + 1), so the
/// centre of the top-left pixel is (0.5, 0.5). Dataset-specific shifts (ScanNet's
/// −0.5 px) are applied by the dataset layer, not stored here.
public struct Matches: Sendable {
    /// `count × 2`, row-major (x, y).
    public var pointsA: [Double]
    public var pointsB: [Double]
    /// Per-match certainty, when the matcher gives one (RoMa v2: the overlap).
    public var certainty: [Double]?
    /// RoMa v2: `count × 2 × 2` precision (inverse covariance, 1/px² of the original
    /// image) of each keypoint in A and in B, each matrix row-major. A one-way warp
    /// gives B's only (A's keypoints are grid cells).
    public var precisionA: [Double]?
    public var precisionB: [Double]?

    public var count: Int { pointsA.count / 2 }

    public init(pointsA: [Double], pointsB: [Double], certainty: [Double]? = nil,
                precisionA: [Double]? = nil, precisionB: [Double]? = nil) {
        precondition(pointsA.count == pointsB.count && pointsA.count % 2 == 0)
        precondition(certainty == nil || certainty!.count == pointsA.count / 2)
        precondition(precisionA == nil || precisionA!.count == 2 * pointsA.count)
        precondition(precisionB == nil || precisionB!.count == 2 * pointsA.count)
        self.pointsA = pointsA
        self.pointsB = pointsB
        self.certainty = certainty
        self.precisionA = precisionA
        self.precisionB = precisionB
    }

    /// Accepts F32 or F64 keypoints; NaN is not rejected here (the estimator
    /// reports it as a failed pair, which is what benchmarks must count).
    public init(_ artifact: Artifact) throws {
        try artifact.require(.matches)
        let a = try artifact.tensor("kpts_a", shape: [nil, 2])
        pointsA = try artifact.doubles("kpts_a", shape: [nil, 2])
        pointsB = try artifact.doubles("kpts_b", shape: [a.shape[0], 2])
        certainty = artifact.has("certainty") ? try artifact.doubles("certainty", shape: [a.shape[0]]) : nil
        precisionA = artifact.has("precision_a") ? try artifact.doubles("precision_a", shape: [a.shape[0], 2, 2]) : nil
        precisionB = artifact.has("precision_b") ? try artifact.doubles("precision_b", shape: [a.shape[0], 2, 2]) : nil
    }

    public static func read(_ path: String) throws -> Matches {
        try Matches(Artifact.read(path, expecting: .matches))
    }

    public var artifact: Artifact {
        var a = Artifact(schema: .matches)
        a.put("kpts_a", pointsA.map { Float($0) }, shape: [count, 2])
        a.put("kpts_b", pointsB.map { Float($0) }, shape: [count, 2])
        if let certainty { a.put("certainty", certainty.map { Float($0) }, shape: [count]) }
        if let precisionA { a.put("precision_a", precisionA.map { Float($0) }, shape: [count, 2, 2]) }
        if let precisionB { a.put("precision_b", precisionB.map { Float($0) }, shape: [count, 2, 2]) }
        return a
    }
}
