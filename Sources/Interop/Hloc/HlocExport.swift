import Artifacts
import Foundation

extension Hloc {
    /// Writes merged matches in hloc's sparse layout: `features.h5` (per image
    /// `keypoints`, float32, hloc's pixel convention) and `matches.h5` (per pair
    /// `names_to_pair(A, B)` with `matches0` int32, −1 unmatched, and
    /// `matching_scores0` float32). Both files are written under temporary names in
    /// their folders and renamed only once both are complete.
    public static func export(_ merged: MergedMatches, features: String, matches: String) throws {
        let tempFeatures = AtomicOutput.temporaryPath(for: features), tempMatches = AtomicOutput.temporaryPath(for: matches)
        defer {
            try? FileManager.default.removeItem(atPath: tempFeatures)
            try? FileManager.default.removeItem(atPath: tempMatches)
        }
        for path in [features, matches] {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
        }
        let f = try HDF5File.create(tempFeatures)
        for name in merged.pairs.imageNames {
            let points = merged.keypoints[name] ?? []
            try f.write(name + "/keypoints", points.map { Float($0 - pixelOffset) }, shape: [points.count / 2, 2])
        }
        try f.finish()

        let m = try HDF5File.create(tempMatches)
        var written = Set<String>()
        for pair in merged.merged {
            let group = pairName(pair.pair.nameA, pair.pair.nameB)
            guard written.insert(group).inserted else {
                throw ArtifactError(file: merged.pairs.source, "pair '\(pair.pair.id)' repeats images \(pair.pair.nameA), \(pair.pair.nameB): hloc keeps one group per image pair")
            }
            let count = (merged.keypoints[pair.pair.nameA]?.count ?? 0) / 2
            var matches0 = [Int32](repeating: -1, count: count)
            var scores0 = [Float](repeating: 0, count: count)
            for match in pair.matches {
                matches0[Int(match.a)] = match.b
                scores0[Int(match.a)] = Float(match.certainty)
            }
            try m.write(group + "/matches0", matches0, shape: [count])
            try m.write(group + "/matching_scores0", scores0, shape: [count])
        }
        try m.finish()
        try AtomicOutput.moveIntoPlace(tempFeatures, features)
        try AtomicOutput.moveIntoPlace(tempMatches, matches)
    }
}
