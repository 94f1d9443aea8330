import Console
import Artifacts
import Foundation

/// Turns a run's pose artifacts into `BenchmarkResults`.
///
/// Layout (what eval/eval.mk writes): `<poses>/r<k>/<pair>.pose.safetensors` for each
/// repetition k, and, for dense-warp quality, `<warps>/<pair>.warp.safetensors`
/// against `<truth>/<pair>.warp.safetensors`.
public enum Evaluator {
    public static func posePath(folder: String, pair: String, repetition: Int) -> String {
        "\(folder)/r\(repetition)/\(pair).pose.safetensors"
    }

    public static func evaluate(manifest: BenchmarkManifest, posesFolder: String, config: String,
                                warpsFolder: String? = nil, truthWarpsFolder: String? = nil,
                                progress: ProgressMeter? = nil) throws -> BenchmarkResults {
        let reps = manifest.evaluationProtocol.repetitions
        var rotation: [Double] = [], translation: [Double] = [], failed: [UInt8] = [], inliers: [Int64] = [], matches: [Int64] = []
        // A missing pose is an incomplete run, not a failed estimate: say which files are absent.
        var missing: [String] = []
        for pair in manifest.pairs {
            for r in 0..<reps where !FileManager.default.fileExists(atPath: posePath(folder: posesFolder, pair: pair.id, repetition: r)) {
                missing.append(posePath(folder: posesFolder, pair: pair.id, repetition: r))
            }
        }
        if !missing.isEmpty {
            throw ArtifactError(file: missing[0], "no such file; \(missing.count) of \(manifest.pairs.count * reps) pose artifacts are missing (run `make eval` to produce them)")
        }
        for pair in manifest.pairs {
            for r in 0..<reps {
                let pose = try PoseResult.read(posePath(folder: posesFolder, pair: pair.id, repetition: r))
                let e = PoseMetrics.error(of: pose, truthRotation: pair.rotation, truthTranslation: pair.translation)
                rotation.append(e.rotation)
                translation.append(e.translation)
                failed.append(e.failed ? 1 : 0)
                inliers.append(Int64(pose.inlierCount))
                matches.append(Int64(pose.inliers.count))
                // The running AUC, refreshed every 50 estimates (sorting all errors each time).
                if let progress, rotation.count % 50 == 0 || rotation.count == manifest.pairs.count * reps {
                    let auc = PoseAUC.auc(zip(rotation, translation).map { max($0, $1) })
                    progress.advance(by: rotation.count - progress.done,
                                     metric: String(format: "AUC@5/10/20 %.1f/%.1f/%.1f", 100 * auc[0], 100 * auc[1], 100 * auc[2]))
                }
            }
        }
        progress?.finish()
        var quality: [WarpQuality]?
        if let warpsFolder, let truthWarpsFolder {
            quality = try manifest.pairs.map { pair in
                let predictedPath = "\(warpsFolder)/\(pair.id).warp.safetensors"
                return try WarpQuality.compare(predicted: Warp.read(predictedPath), truth: Warp.read("\(truthWarpsFolder)/\(pair.id).warp.safetensors"),
                                               source: predictedPath)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let protocolJSON = String(decoding: try encoder.encode(manifest.evaluationProtocol), as: UTF8.self)
        return BenchmarkResults(bench: manifest.bench, config: config, pairIDs: manifest.pairs.map(\.id), repetitions: reps,
                                rotationErrors: rotation, translationErrors: translation, failed: failed,
                                inlierCounts: inliers, matchCounts: matches,
                                countLastRepetitionTwice: manifest.evaluationProtocol.countLastRepetitionTwice,
                                warpQuality: quality, protocolJSON: protocolJSON)
    }
}
