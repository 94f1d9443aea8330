import Artifacts
import Foundation

/// hloc's file layouts (Hierarchical-Localization, `hloc/utils/io.py`,
/// `match_features.py`, `match_dense.py`), as read and written here:
///
/// - features.h5: a group per image, named by the image path (its '/' make nested
///   groups), holding `keypoints` (N × 2 floats, x y);
/// - matches.h5, sparse: a group per pair named `name0/name1` with each name's '/'
///   replaced by '-' (`names_to_pair`), or, in older files, `name0_name1` at the top
///   level (`names_to_pair_old`), either order; `matches0` (N0 integers: index into
///   name1's keypoints, −1 unmatched; hloc writes int16 or int32) and optionally
///   `matching_scores0` (N0 floats, often float16);
/// - matches.h5, dense (`match_dense.py` before aggregation): the same pair groups
///   holding `keypoints0`, `keypoints1` (N × 2) and `scores` (N).
///
/// Pixel convention: hloc's keypoints put the centre of the top-left pixel at (0, 0)
/// (its feature extraction rescales with `(k + 0.5) · s − 0.5`, and it adds 0.5 only
/// when writing to COLMAP). `roma.matches/1` puts it at (0.5, 0.5), as COLMAP does.
/// So ours = hloc + 0.5, and hloc = ours − 0.5.
public enum Hloc {
    /// Added to hloc keypoints to get ours.
    public static let pixelOffset = 0.5

    /// hloc's `names_to_pair`.
    public static func pairName(_ name0: String, _ name1: String) -> String {
        name0.replacingOccurrences(of: "/", with: "-") + "/" + name1.replacingOccurrences(of: "/", with: "-")
    }

    /// hloc's `names_to_pair_old`.
    public static func oldPairName(_ name0: String, _ name1: String) -> String {
        name0.replacingOccurrences(of: "/", with: "-") + "_" + name1.replacingOccurrences(of: "/", with: "-")
    }

    public enum Layout: String, Sendable { case sparse, dense }

    /// Where a pair's matches were found.
    public struct Found: Sendable {
        public var group: String
        /// The group stores the pair as (B, A).
        public var reversed: Bool
        public var layout: Layout
    }

    /// Reads the matches of pairs from hloc files.
    public final class Reader {
        let features: HDF5File?
        let matches: HDF5File
        private var keypointCache: [String: [Double]] = [:]

        /// `features` is needed for the sparse layout only.
        public init(features: String?, matches: String) throws {
            self.matches = try HDF5File.open(matches)
            self.features = try features.map { try HDF5File.open($0) }
        }

        /// Finds the pair's group, in the four ways hloc's `find_pair` looks.
        public func locate(_ pair: InteropPair) throws -> (group: String, reversed: Bool) {
            let (a, b) = (pair.nameA, pair.nameB)
            let candidates = [(pairName(a, b), false), (pairName(b, a), true), (oldPairName(a, b), false), (oldPairName(b, a), true)]
            for (group, reversed) in candidates where matches.isGroup(group) { return (group, reversed) }
            let top = ((try? matches.members(of: "")) ?? []).prefix(3).map { "'\($0)'" }.joined(separator: ", ")
            throw ArtifactError(file: matches.path, "no matches for pair '\(pair.id)' (\(a), \(b)): looked for groups "
                + candidates.map { "'\($0.0)'" }.joined(separator: ", ")
                + (top.isEmpty ? "; the file is empty" : "; its top-level groups include \(top)")
                + ". Image names must be the paths relative to the image folder, as in the pair list")
        }

        /// The pair's matches in our pixel convention, A → B as the pair list orders them.
        public func read(_ pair: InteropPair) throws -> (matches: Matches, found: Found) {
            let (group, reversed) = try locate(pair)
            let m = matches
            var points0: [Double], points1: [Double], scores: [Double]?
            let layout: Layout
            if m.exists(group + "/matches0") {
                layout = .sparse
                guard let features else {
                    throw ArtifactError(file: m.path, "pair '\(pair.id)' is in hloc's sparse layout (matches0): give the features file too")
                }
                let (name0, name1) = reversed ? (pair.nameB, pair.nameA) : (pair.nameA, pair.nameB)
                let k0 = try keypoints(name0, in: features), k1 = try keypoints(name1, in: features)
                let (indices, info) = try m.readIntegers(group + "/matches0")
                guard info.shape == [k0.count / 2] else {
                    throw ArtifactError(file: m.path, "'\(group)/matches0' has shape \(info.shape), expected [\(k0.count / 2)] (one entry per keypoint of \(name0))")
                }
                var s0: [Double]?
                if m.exists(group + "/matching_scores0") {
                    let (values, scoreInfo) = try m.readDoubles(group + "/matching_scores0")
                    guard scoreInfo.shape == info.shape else {
                        throw ArtifactError(file: m.path, "'\(group)/matching_scores0' has shape \(scoreInfo.shape), expected \(info.shape)")
                    }
                    s0 = values
                }
                let count1 = Int64(k1.count / 2)
                points0 = []; points1 = []; scores = s0 == nil ? nil : []
                for (i, j) in indices.enumerated() where j != -1 {
                    guard j >= 0, j < count1 else {
                        throw ArtifactError(file: m.path, "'\(group)/matches0'[\(i)] = \(j) is out of range: \(name1) has \(count1) keypoints (−1 means unmatched)")
                    }
                    points0 += [k0[2 * i], k0[2 * i + 1]]
                    points1 += [k1[2 * Int(j)], k1[2 * Int(j) + 1]]
                    if let s0 { scores!.append(s0[i]) }
                }
            } else if m.exists(group + "/keypoints0"), m.exists(group + "/keypoints1") {
                layout = .dense
                let (p0, i0) = try m.readDoubles(group + "/keypoints0")
                let (p1, i1) = try m.readDoubles(group + "/keypoints1")
                guard i0.shape.count == 2, i0.shape[1] == 2, i1.shape == i0.shape else {
                    throw ArtifactError(file: m.path, "'\(group)': keypoints0 is \(i0.shape) and keypoints1 is \(i1.shape), expected both N × 2")
                }
                points0 = p0; points1 = p1
                if m.exists(group + "/scores") {
                    let (values, scoreInfo) = try m.readDoubles(group + "/scores")
                    guard scoreInfo.shape == [i0.shape[0]] else {
                        throw ArtifactError(file: m.path, "'\(group)/scores' has shape \(scoreInfo.shape), expected [\(i0.shape[0])]")
                    }
                    scores = values
                } else {
                    scores = nil
                }
            } else {
                let has = ((try? m.members(of: group)) ?? []).joined(separator: ", ")
                throw ArtifactError(file: m.path, "group '\(group)' is not in an hloc layout: expected matches0 (sparse) or keypoints0 and keypoints1 (dense), found: \(has.isEmpty ? "nothing" : has)")
            }
            let shift = { (v: [Double]) in v.map { $0 + pixelOffset } }
            let (a, b) = reversed ? (points1, points0) : (points0, points1)
            return (Matches(pointsA: shift(a), pointsB: shift(b), certainty: scores), Found(group: group, reversed: reversed, layout: layout))
        }

        /// An image's keypoints from features.h5 (hloc convention), N × 2 row-major.
        func keypoints(_ name: String, in file: HDF5File) throws -> [Double] {
            if let cached = keypointCache[name] { return cached }
            guard file.isGroup(name) else {
                throw ArtifactError(file: file.path, "no features for image '\(name)' (expected a group '\(name)' holding 'keypoints')")
            }
            let (values, info) = try file.readDoubles(name + "/keypoints")
            guard info.shape.count == 2, info.shape[1] == 2 else {
                throw ArtifactError(file: file.path, "'\(name)/keypoints' has shape \(info.shape), expected N × 2 (x, y)")
            }
            keypointCache[name] = values
            return values
        }
    }
}

extension Hloc {
    /// Reads every pair's matches, then writes `<folder>/<id>.matches.safetensors`
    /// (`roma.matches/1`, our pixel convention) for each. Nothing is written unless
    /// every pair reads cleanly, and each file is written atomically.
    @discardableResult
    public static func importMatches(_ pairs: InteropPairs, features: String?, matches: String, into folder: String) throws -> [(id: String, count: Int, found: Found)] {
        let reader = try Reader(features: features, matches: matches)
        let read = try pairs.pairs.map { pair in (pair, try reader.read(pair)) }
        var digests: [String: String] = [:]
        for file in [features, matches].compactMap({ $0 }) { digests[file] = try SHA256.hex(ofFile: file) }
        let inputs = String(decoding: try JSONSerialization.data(withJSONObject: digests, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        var summary: [(id: String, count: Int, found: Found)] = []
        for (pair, (m, found)) in read {
            // F64: hloc's float32 + 0.5 is exact in double, not always in float32.
            var artifact = Artifact(schema: .matches)
            artifact.put("kpts_a", m.pointsA, shape: [m.count, 2])
            artifact.put("kpts_b", m.pointsB, shape: [m.count, 2])
            if let certainty = m.certainty { artifact.put("certainty", certainty, shape: [m.count]) }
            // The inputs' digests are computed once for all pairs, not per file.
            try artifact.stamp(stage: "import-hloc", params: ["features": features ?? "", "matches": matches, "group": found.group,
                                                             "reversed": found.reversed, "layout": found.layout.rawValue,
                                                             "pixel_offset": pixelOffset])
            artifact.metadata["inputs"] = inputs
            artifact.metadata["matcher"] = "hloc"
            try artifact.write(to: "\(folder)/\(pair.id).matches.safetensors")
            summary.append((pair.id, m.count, found))
        }
        return summary
    }
}
