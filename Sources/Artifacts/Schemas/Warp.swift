/// `roma.warp/1`: a dense symmetric warp between images A and B with certainty.
///
/// Coordinates follow the reference: normalised to [-1, 1] with -1 and 1 at the
/// outer edges of the image (`align_corners=False`), x first. `warpAB[y][x]` is
/// where pixel (x, y) of A's grid lands in B; `warpBA` the other way.
public struct Warp: Sendable {
    /// Grid size of the warp (the model's output resolution, e.g. 864×864).
    public var width: Int
    public var height: Int
    /// `height × width × 2`, normalised target coordinates in B.
    public var warpAB: [Float]
    /// `height × width × 2`, normalised target coordinates in A.
    public var warpBA: [Float]
    /// `height × width`, in [0, 1] after sigmoid and out-of-range masking.
    public var certaintyAB: [Float]
    public var certaintyBA: [Float]
    /// Original image sizes, to turn normalised coordinates into pixels.
    public var widthA: Int, heightA: Int, widthB: Int, heightB: Int

    public init(width: Int, height: Int, warpAB: [Float], warpBA: [Float], certaintyAB: [Float], certaintyBA: [Float],
                widthA: Int, heightA: Int, widthB: Int, heightB: Int) {
        precondition(warpAB.count == width * height * 2 && warpBA.count == width * height * 2)
        precondition(certaintyAB.count == width * height && certaintyBA.count == width * height)
        self.width = width
        self.height = height
        self.warpAB = warpAB
        self.warpBA = warpBA
        self.certaintyAB = certaintyAB
        self.certaintyBA = certaintyBA
        self.widthA = widthA
        self.heightA = heightA
        self.widthB = widthB
        self.heightB = heightB
    }

    public init(_ artifact: Artifact) throws {
        try artifact.require(.warp)
        let t = try artifact.tensor("warp_ab", shape: [nil, nil, 2])
        height = t.shape[0]
        width = t.shape[1]
        guard width > 0, height > 0 else { throw ArtifactError(file: artifact.source, "warp grid is empty") }
        warpAB = try artifact.floats("warp_ab", shape: [height, width, 2])
        warpBA = try artifact.floats("warp_ba", shape: [height, width, 2])
        certaintyAB = try artifact.floats("certainty_ab", shape: [height, width])
        certaintyBA = try artifact.floats("certainty_ba", shape: [height, width])
        widthA = try artifact.metaInt("width_a")
        heightA = try artifact.metaInt("height_a")
        widthB = try artifact.metaInt("width_b")
        heightB = try artifact.metaInt("height_b")
        guard [widthA, heightA, widthB, heightB].allSatisfy({ $0 > 0 }) else {
            throw ArtifactError(file: artifact.source, "image sizes in metadata must be positive")
        }
        for (name, values) in [("warp_ab", warpAB), ("warp_ba", warpBA), ("certainty_ab", certaintyAB), ("certainty_ba", certaintyBA)] {
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw ArtifactError(file: artifact.source, "tensor '\(name)' holds a non-finite value at element \(bad)")
            }
        }
    }

    public static func read(_ path: String) throws -> Warp {
        try Warp(Artifact.read(path, expecting: .warp))
    }

    public var artifact: Artifact {
        var a = Artifact(schema: .warp)
        a.put("warp_ab", warpAB, shape: [height, width, 2])
        a.put("warp_ba", warpBA, shape: [height, width, 2])
        a.put("certainty_ab", certaintyAB, shape: [height, width])
        a.put("certainty_ba", certaintyBA, shape: [height, width])
        a.metadata["width_a"] = String(widthA)
        a.metadata["height_a"] = String(heightA)
        a.metadata["width_b"] = String(widthB)
        a.metadata["height_b"] = String(heightB)
        return a
    }
}
