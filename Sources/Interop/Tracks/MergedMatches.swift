import Artifacts
import Foundation

/// A run's matches (and optionally its pose estimates) on shared per-image keypoints:
/// what both exporters write.
public struct MergedMatches {
    public struct Pair {
        public var pair: InteropPair
        /// Kept matches as (keypoint in A, keypoint in B, certainty).
        public var matches: [(a: Int32, b: Int32, certainty: Double)]
        /// The pose estimate, when given, and which kept matches are its inliers.
        public var pose: PoseResult?
        public var inliers: [Bool]
    }

    public var pairs: InteropPairs
    public var keypoints: [String: [Double]]
    public var merged: [Pair]
    public var cellSize: Double

    /// Reads `<id>.matches.safetensors` from `matchesFolder` (and `<id>.pose.safetensors`
    /// from `posesFolder`) for every pair, then merges keypoints with `cellSize`.
    public static func load(_ pairs: InteropPairs, matchesFolder: String, posesFolder: String?, cellSize: Double) throws -> MergedMatches {
        var merger = KeypointMerger(cellSize: cellSize)
        var merged: [Pair] = []
        for pair in pairs.pairs {
            let matches = try Matches.read("\(matchesFolder)/\(pair.id).matches.safetensors")
            var pose: PoseResult?
            if let posesFolder {
                let path = "\(posesFolder)/\(pair.id).pose.safetensors"
                let p = try PoseResult.read(path)
                guard p.inliers.count == matches.count else {
                    throw ArtifactError(file: path, "has \(p.inliers.count) inlier flags but its matches file has \(matches.count) matches: not the same pair's estimate")
                }
                pose = p
            }
            let indices = merger.add(imageA: pair.nameA, imageB: pair.nameB, matches: matches)
            let kept = indices.kept.map { k in (indices.indices[k]!.a, indices.indices[k]!.b, matches.certainty?[k] ?? 1) }
            let inliers = indices.kept.map { k in pose.map { $0.succeeded && $0.inliers[k] != 0 } ?? false }
            merged.append(Pair(pair: pair, matches: kept, pose: pose, inliers: inliers))
        }
        return MergedMatches(pairs: pairs, keypoints: merger.keypoints, merged: merged, cellSize: cellSize)
    }
}
