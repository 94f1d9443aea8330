import Artifacts
import Geometry

/// The estimation setup of one pair of a benchmark manifest: intrinsics in the
/// images' own pixels with the protocol's keypoint shift folded into the principal
/// point, and the pixel threshold that, normalised by those intrinsics, equals the
/// protocol's normalised threshold (see `BenchmarkManifest.prepare`).
public struct ManifestPair: Sendable {
    public var intrinsicsA: CameraIntrinsics
    public var intrinsicsB: CameraIntrinsics
    public var threshold: Double

    /// Fails naming the manifest when the pair is absent or its values are unusable.
    public static func read(_ path: String, pair id: String) throws -> ManifestPair {
        let manifest = try BenchmarkManifest.read(path)
        guard let p = manifest.pairs.first(where: { $0.id == id }) else {
            let some = manifest.pairs.prefix(3).map { "'\($0.id)'" }.joined(separator: ", ")
            throw ArtifactError(file: path, "no pair '\(id)' among its \(manifest.pairs.count) pairs"
                + (some.isEmpty ? "" : " (e.g. \(some))"))
        }
        func intrinsics(_ v: [Double], _ side: String) throws -> CameraIntrinsics {
            let k = CameraIntrinsics(fx: v[0], fy: v[1], cx: v[2], cy: v[3])
            if let problem = k.problem { throw ArtifactError(file: path, "pair '\(id)': intrinsics of image \(side): \(problem)") }
            return k
        }
        guard p.estimateThreshold > 0, p.estimateThreshold.isFinite else {
            throw ArtifactError(file: path, "pair '\(id)': threshold must be a positive number of pixels, got \(p.estimateThreshold)")
        }
        return ManifestPair(intrinsicsA: try intrinsics(p.estimateIntrinsicsA, "A"), intrinsicsB: try intrinsics(p.estimateIntrinsicsB, "B"),
                            threshold: p.estimateThreshold)
    }
}
