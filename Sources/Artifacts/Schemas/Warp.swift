/// `roma.warp/2`: a dense symmetric warp between images A and B with certainty.
///
/// Certainties are stored as 16-bit fractions of one (`U16`, c = u / 65535): half
/// the bytes of float32 for an error of at most 7.6e-6, which keeps a pair at the
/// default 864² under 16 MB (14.9 MB instead of 17.9 MB). Warps stay float32.
/// Version 1 artifacts (float32 certainties) are still read.
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
        if artifact.schema == .warpOverlap {
            // RoMa v2's warp, read through its validation; overlap stands in for certainty.
            self = try PrecisionWarp(artifact).certaintyWarp
            return
        }
        if artifact.metadata["schema"] != Schema.warpFloat32Certainty.description { try artifact.require(.warp) }
        let t = try artifact.tensor("warp_ab", shape: [nil, nil, 2])
        height = t.shape[0]
        width = t.shape[1]
        guard width > 0, height > 0 else { throw ArtifactError(file: artifact.source, "warp grid is empty") }
        warpAB = try Self.coordinates(artifact, "warp_ab", shape: [height, width, 2])
        warpBA = try Self.coordinates(artifact, "warp_ba", shape: [height, width, 2])
        certaintyAB = try Self.certainty(artifact, "certainty_ab", shape: [height, width])
        certaintyBA = try Self.certainty(artifact, "certainty_ba", shape: [height, width])
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
        for (name, values) in [("warp_ab", warpAB), ("warp_ba", warpBA)] {
            if let bad = values.firstIndex(where: { abs($0) > Self.coordinateLimit }) {
                throw ArtifactError(file: artifact.source, "tensor '\(name)' holds \(values[bad]) at element \(bad); normalised "
                    + "coordinates lie in [-1, 1] inside the image and within ±\(Int(Self.coordinateLimit)) in any warp this tool writes")
            }
        }
    }

    /// The largest |coordinate| a warp may hold: 1 is the image edge; RoMa clamps to
    /// [-1, 1], the synthetic ground truth marks points far outside at up to ±1000.
    /// Beyond it a value is garbage (1e30 would overflow pixel arithmetic downstream).
    public static let coordinateLimit: Float = 1000

    public static func read(_ path: String) throws -> Warp {
        try Warp(Artifact.read(path))
    }

    /// The value a certainty has once stored: the nearest multiple of 1/65535 in [0, 1].
    @inline(__always)
    public static func storedCertainty(_ c: Float) -> Float {
        Float(certaintyCode(c)) / 65535
    }

    /// The same warp with certainties as the artifact will hold them, so a warp used
    /// in memory (`roma pose`) and the one read back from its file are identical.
    public func withStoredCertainty() -> Warp {
        var w = self
        w.certaintyAB = certaintyAB.map(Self.storedCertainty)
        w.certaintyBA = certaintyBA.map(Self.storedCertainty)
        return w
    }

    @inline(__always)
    static func certaintyCode(_ c: Float) -> UInt16 {
        UInt16((min(max(c, 0), 1) * 65535).rounded())
    }

    /// Certainty from U16 fractions (version 2) or float32 (version 1).
    static func certainty(_ artifact: Artifact, _ name: String, shape: [Int]) throws -> [Float] {
        let t = try artifact.tensor(name, shape: shape.map { $0 })
        switch t.dtype {
        case .uint16: return TensorData.load(t.bytes, as: UInt16.self).map { Float($0) / 65535 }
        case .float32, .float64, .float16, .bfloat16: return try artifact.floats(name, shape: shape.map { $0 })
        default:
            throw ArtifactError(file: artifact.source, "tensor '\(name)' has dtype \(t.dtype.rawValue); a warp stores certainty as U16 fractions of one (or F32 in roma.warp/1)")
        }
    }

    /// How the warp's coordinates are stored.
    public enum Encoding: String, Sendable, CaseIterable {
        /// float32, as computed.
        case exact
        /// 16-bit fixed point over [-1, 1] (`U16`, x = u / 32767.5 − 1): 9.0 MB instead of
        /// 14.9 MB a pair at 864², for an error of at most 1/65535 of the image's half-width
        /// (0.012 px on a 1600-px-wide image). The model clamps its warp to [-1, 1].
        case compact
    }

    /// Coordinates from float32 (exact) or U16 fixed point (compact).
    static func coordinates(_ artifact: Artifact, _ name: String, shape: [Int]) throws -> [Float] {
        let t = try artifact.tensor(name, shape: shape.map { $0 })
        guard t.dtype == .uint16 else { return try artifact.floats(name, shape: shape.map { $0 }) }
        return TensorData.load(t.bytes, as: UInt16.self).map { Float($0) / 32767.5 - 1 }
    }

    @inline(__always)
    static func coordinateCode(_ x: Float) -> UInt16 {
        UInt16(((min(max(x, -1), 1) + 1) * 32767.5).rounded())
    }

    public var artifact: Artifact { artifact(encoding: .exact) }

    public func artifact(encoding: Encoding) -> Artifact {
        var a = Artifact(schema: .warp)
        for (name, values) in [("warp_ab", warpAB), ("warp_ba", warpBA)] {
            // Compact only when every value is in range: anything else is kept as is, so
            // the reader names the problem instead of a clamp hiding it.
            if encoding == .compact, values.allSatisfy({ $0 >= -1 && $0 <= 1 }) {
                a.put(name, values.map(Self.coordinateCode), shape: [height, width, 2])
            } else {
                a.put(name, values, shape: [height, width, 2])
            }
        }
        for (name, values) in [("certainty_ab", certaintyAB), ("certainty_ba", certaintyBA)] {
            // Values outside [0, 1] (NaN included) only come from a faulty producer. They
            // are kept as float32 rather than clamped, so the reader names the problem.
            if values.allSatisfy({ $0 >= 0 && $0 <= 1 }) {
                a.put(name, values.map(Self.certaintyCode), shape: [height, width])
            } else {
                a.put(name, values, shape: [height, width])
            }
        }
        a.metadata["width_a"] = String(widthA)
        a.metadata["height_a"] = String(heightA)
        a.metadata["width_b"] = String(widthB)
        a.metadata["height_b"] = String(heightB)
        return a
    }
}
