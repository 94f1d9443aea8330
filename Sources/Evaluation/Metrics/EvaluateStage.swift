import Artifacts
import Console

/// `roma evaluate` as a function: scores a run's pose artifacts against a manifest
/// and says what the results artifact records about how it was made.
public enum EvaluateStage {
    public struct Options: Codable, Sendable {
        /// The manifest written by `roma evaluate prepare` (pairs.json).
        public var manifest: String
        /// Folder holding r<k>/<pair>.pose.safetensors.
        public var poses: String
        /// Configuration name recorded in the results; nil = the poses folder.
        public var config: String?
        /// Predicted and ground-truth warp folders, for dense-warp quality; both or neither.
        public var warps: String?
        public var truthWarps: String?

        public init(manifest: String, poses: String, config: String? = nil, warps: String? = nil, truthWarps: String? = nil) {
            self.manifest = manifest
            self.poses = poses
            self.config = config
            self.warps = warps
            self.truthWarps = truthWarps
        }
    }

    public struct Output: Sendable {
        public let results: BenchmarkResults
        public let record: StageRecord
        /// Every file the results were computed from, each once, manifest first.
        public let inputs: [String]
    }

    public static func run(_ options: Options, progressQuiet quiet: Bool = true) throws -> Output {
        let manifest = try BenchmarkManifest.read(options.manifest)
        let progress = ProgressMeter("evaluate", total: manifest.pairs.count * manifest.evaluationProtocol.repetitions,
                                     unit: "estimate", quiet: quiet)
        let results = try Evaluator.evaluate(manifest: manifest, posesFolder: options.poses, config: options.config ?? options.poses,
                                             warpsFolder: options.warps, truthWarpsFolder: options.truthWarps, progress: progress)
        var inputs = [options.manifest]
        if let warps = options.warps, let truthWarps = options.truthWarps {
            inputs += manifest.pairs.flatMap { ["\(warps)/\($0.id).warp.safetensors", "\(truthWarps)/\($0.id).warp.safetensors"] }
        }
        inputs += manifest.pairs.flatMap { p in
            (0..<results.repetitions).map { Evaluator.posePath(folder: options.poses, pair: p.id, repetition: $0) }
        }
        var seen = Set<String>()
        inputs = inputs.filter { seen.insert($0).inserted }  // the oracle's warps are also the ground truth
        let record = StageRecord(stage: "evaluate", params: ["config": results.config, "bench": results.bench,
                                                             "thresholds": results.thresholds])
        return Output(results: results, record: record, inputs: inputs)
    }
}
