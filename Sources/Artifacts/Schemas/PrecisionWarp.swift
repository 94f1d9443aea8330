import Foundation

/// `roma.warp/3`: RoMa v2's dense output (romav2 2.0.1 `RoMaV2.match`). Per direction a
/// warp, the overlap (sigmoid of the overlap logit, before any threshold) and a 2×2
/// precision matrix (inverse covariance of the predicted position in the target image,
/// in pixels of the warp's grid) per cell; B→A is present when the model ran both ways.
///
/// Everything is float32 as computed by default; the compact encoding
/// (PrecisionWarpEncoding.swift) stores 16-bit codes with stated errors.
/// The setting's threshold (romav2: overlap above it counts as 1 when sampling) is
/// metadata, so the file keeps the model's own overlap.
public struct PrecisionWarp: Sendable, Equatable {
    /// One direction's tensors, all on the `height × width` grid of the source image.
    public struct Direction: Sendable, Equatable {
        /// `height × width × 2`, normalised target coordinates (x, y), as `Warp`.
        public var warp: [Float]
        /// `height × width`, in [0, 1].
        public var overlap: [Float]
        /// `height × width × 2 × 2`, each cell's matrix row-major (p00, p01, p10, p11).
        public var precision: [Float]

        public init(warp: [Float], overlap: [Float], precision: [Float]) {
            self.warp = warp
            self.overlap = overlap
            self.precision = precision
        }
    }

    public var width: Int
    public var height: Int
    public var ab: Direction
    /// Nil for a one-way model run.
    public var ba: Direction?
    public var widthA: Int, heightA: Int, widthB: Int, heightB: Int
    /// romav2's setting threshold: overlap above it counts as 1 when sampling (nil: none).
    public var overlapThreshold: Float?

    public var bidirectional: Bool { ba != nil }

    public init(width: Int, height: Int, ab: Direction, ba: Direction?, widthA: Int, heightA: Int, widthB: Int, heightB: Int,
                overlapThreshold: Float? = nil) {
        self.width = width
        self.height = height
        self.ab = ab
        self.ba = ba
        self.widthA = widthA
        self.heightA = heightA
        self.widthB = widthB
        self.heightB = heightB
        self.overlapThreshold = overlapThreshold
    }

    /// Largest tolerated asymmetry |p01 − p10| and most negative eigenvalue, relative to
    /// the matrix's largest |entry|. romav2 builds each precision as a sum of Cholesky
    /// products l·lᵀ, bilinearly interpolated (convex combinations), so the exact matrix
    /// is symmetric PSD; float32 rounding of p00·p11 − p10² leaves λ_min within a few
    /// 1e-7 of λ_max. 1e-4 is a hundred times that and still rejects any matrix with a
    /// genuinely negative direction.
    public static let precisionTolerance: Float = 1e-4

    public static let overlapThresholdKey = "overlap_threshold"

    /// Reads and validates: shapes agree, every value finite, coordinates within
    /// ±`Warp.coordinateLimit`, overlap in [0, 1], each precision symmetric PSD within
    /// `precisionTolerance`. Messages name the file and the tensor.
    public init(_ artifact: Artifact) throws {
        try artifact.require(.warpOverlap)
        let first = try artifact.tensor("warp_ab", shape: [nil, nil, 2])
        height = first.shape[0]
        width = first.shape[1]
        guard width > 0, height > 0 else { throw ArtifactError(file: artifact.source, "warp grid is empty") }
        ab = try Self.direction(artifact, "ab", width: width, height: height)
        let present = Self.tensorNames("ba").compactMap { $0.first(where: artifact.has) }
        switch present.count {
        case 0: ba = nil
        case 3: ba = try Self.direction(artifact, "ba", width: width, height: height)
        default:
            let absent = Self.tensorNames("ba").filter { !$0.contains(where: artifact.has) }.map { $0[0] }
            throw ArtifactError(file: artifact.source, "has \(present.joined(separator: ", ")) but not \(absent.joined(separator: ", ")): "
                                + "a two-way warp needs all three B→A tensors, a one-way warp none")
        }
        (widthA, heightA, widthB, heightB) = try Warp.imageSizes(artifact)
        if let text = artifact.metadata[Self.overlapThresholdKey] {
            guard let t = Float(text), t.isFinite, t >= 0 else {
                throw ArtifactError(file: artifact.source, "metadata '\(Self.overlapThresholdKey)' = '\(ArtifactError.excerpt(text))' is not a finite number ≥ 0")
            }
            overlapThreshold = t
        } else {
            overlapThreshold = nil
        }
    }

    public static func read(_ path: String) throws -> PrecisionWarp {
        try PrecisionWarp(Artifact.read(path))
    }

    private static func direction(_ artifact: Artifact, _ suffix: String, width: Int, height: Int) throws -> Direction {
        let warp = try Warp.coordinates(artifact, "warp_\(suffix)", shape: [height, width, 2])
        let overlap = try Self.overlap(artifact, "overlap_\(suffix)", shape: [height, width])
        let precision = try Self.precision(artifact, suffix, width: width, height: height)
        let d = Direction(warp: warp, overlap: overlap, precision: precision)
        if let problem = d.problem(suffix: suffix, width: width) { throw ArtifactError(file: artifact.source, problem) }
        return d
    }

    /// Checks values in memory as the reader does (the match stage calls it before writing).
    public func validate(source: String = "<memory>") throws {
        let cells = width * height
        guard width > 0, height > 0 else { throw ArtifactError(file: source, "warp grid is empty") }
        for (suffix, d) in [("ab", ab)] + (ba.map { [("ba", $0)] } ?? []) {
            for (name, count, expected) in [("warp", d.warp.count, 2 * cells), ("overlap", d.overlap.count, cells), ("precision", d.precision.count, 4 * cells)]
            where count != expected {
                throw ArtifactError(file: source, "tensor '\(name)_\(suffix)' holds \(count) values, expected \(expected) for a \(height) × \(width) grid")
            }
            if let problem = d.problem(suffix: suffix, width: width) { throw ArtifactError(file: source, problem) }
        }
    }

    /// The warp and overlap as a `roma.warp/2` view (overlap as certainty, B→A zero when
    /// one-way, as Tiny RoMa's), for the stages that only need those: warp quality, pictures.
    public var certaintyWarp: Warp {
        let n = width * height
        return Warp(width: width, height: height, warpAB: ab.warp, warpBA: ba?.warp ?? [Float](repeating: 0, count: 2 * n),
                    certaintyAB: ab.overlap, certaintyBA: ba?.overlap ?? [Float](repeating: 0, count: n),
                    widthA: widthA, heightA: heightA, widthB: widthB, heightB: heightB)
    }

    /// The exact encoding (everything float32); `artifact(encoding:)` for the compact one.
    public var artifact: Artifact { artifact(encoding: .exact) }
}

extension PrecisionWarp.Direction {
    /// The first value the reader refuses, described; nil when all are acceptable.
    func problem(suffix: String, width: Int) -> String? {
        func cell(_ i: Int) -> String { "cell (row \(i / width), column \(i % width))" }
        for (name, values) in [("warp", warp), ("overlap", overlap), ("precision", precision)] {
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                return "tensor '\(name)_\(suffix)' holds a non-finite value at element \(bad)"
            }
        }
        if let bad = warp.firstIndex(where: { abs($0) > Warp.coordinateLimit }) {
            return "tensor 'warp_\(suffix)' holds \(warp[bad]) at element \(bad); normalised coordinates lie within ±\(Int(Warp.coordinateLimit))"
        }
        if let bad = overlap.firstIndex(where: { $0 < 0 || $0 > 1 }) {
            return "tensor 'overlap_\(suffix)' holds \(overlap[bad]) at \(cell(bad)); overlap is a probability in [0, 1]"
        }
        let tolerance = Double(PrecisionWarp.precisionTolerance)
        for i in 0..<(precision.count / 4) {
            let p00 = Double(precision[4 * i]), p01 = Double(precision[4 * i + 1])
            let p10 = Double(precision[4 * i + 2]), p11 = Double(precision[4 * i + 3])
            let scale = max(abs(p00), abs(p01), abs(p10), abs(p11))
            // Formatted only for a message: eagerly, per cell, it was most of `roma sample`'s reading time.
            var matrix: String { "[[\(precision[4 * i]), \(precision[4 * i + 1])], [\(precision[4 * i + 2]), \(precision[4 * i + 3])]]" }
            if abs(p01 - p10) > tolerance * scale {
                return "tensor 'precision_\(suffix)' is not symmetric at \(cell(i)): \(matrix)"
            }
            let offDiagonal = (p01 + p10) / 2
            let smallest = (p00 + p11) / 2 - (((p00 - p11) / 2) * ((p00 - p11) / 2) + offDiagonal * offDiagonal).squareRoot()
            if smallest < -tolerance * scale {
                return "tensor 'precision_\(suffix)' is not positive semi-definite at \(cell(i)): \(matrix) has eigenvalue \(Float(smallest))"
            }
        }
        return nil
    }
}
