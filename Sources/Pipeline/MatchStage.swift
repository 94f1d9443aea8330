import Artifacts
import Checkpoint
import Console
import Foundation
import RoMa

/// `roma match` as a function: builds the RoMa model for two decoded images and
/// returns the warp with what its artifact records. Shared by `roma match` and `roma pose`.
public enum MatchStage {
    public struct Options: Codable, Sendable, Equatable {
        /// RoMa checkpoint; nil = the weights cache.
        public var weights: String?
        /// DINOv2 checkpoint; nil = the weights cache.
        public var dinov2: String?
        public var indoor = false
        public var upsample = true
        /// A→B and B→A in one batch, as the reference's default; false computes A→B
        /// only and leaves B→A empty (zero certainty).
        public var symmetric = true
        /// RoMa or Tiny RoMa (TinyMatchStage.swift); `xfeat` is Tiny RoMa's optional XFeat checkpoint.
        public var model: MatchModel = .roma
        public var xfeat: String?

        public init(weights: String? = nil, dinov2: String? = nil, indoor: Bool = false, upsample: Bool = true, symmetric: Bool = true) {
            self.weights = weights
            self.dinov2 = dinov2
            self.indoor = indoor
            self.upsample = upsample
            self.symmetric = symmetric
        }
    }

    /// Fails with a message naming the weight files and where they go when they are absent.
    /// `progress`, when given, is made with the model's step count and advanced as it goes.
    public static func run(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), options: Options,
                           progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: Warp, record: StageRecord) {
        if options.model == .tiny { return try TinyMatchStage.run(a, b, names: names, options: options, progress: makeProgress) }
        guard a.coarse.width == b.coarse.width, a.coarse.height == b.coarse.height else {
            throw ArtifactError(file: names.1, "decoded at coarse size \(b.coarse.width)x\(b.coarse.height), but \(names.0) at \(a.coarse.width)x\(a.coarse.height): decode both with the same --coarse")
        }
        var config = options.indoor ? RoMaConfig.indoor : RoMaConfig.outdoor
        config.coarseResolution = (a.coarse.height, a.coarse.width)
        config.upsample = options.upsample
        config.symmetric = options.symmetric
        if config.upsample {
            guard let ua = a.upsampled else { throw ArtifactError(file: names.0, "has no upsampled image; decode with --upsampled or match without upsampling") }
            guard let ub = b.upsampled else { throw ArtifactError(file: names.1, "has no upsampled image; decode with --upsampled or match without upsampling") }
            guard ua.width == ub.width, ua.height == ub.height else {
                throw ArtifactError(file: names.1, "decoded at a different upsampled size than \(names.0)")
            }
            config.upsampleResolution = (ua.height, ua.width)
        }
        let files = try WeightFiles.resolve(weights: options.weights, dinov2: options.dinov2, indoor: options.indoor)
        let source = CombinedWeights(roma: try WeightFiles.open(files.roma), dinov2: try WeightFiles.open(files.dinov2))
        let model = try RoMaModel(weights: source, config: config)
        let meter = makeProgress?(model.steps)
        if let meter {
            model.progress = { step, finished in
                if finished { meter.advance() } else { meter.setMetric(step) }
            }
        }
        let warp = try model.match(a, b)
        meter?.finish()
        return (warp, record(options: options, config: config, files: files))
    }

    /// What a warp artifact records: the checkpoints' file names and the model
    /// configuration the options and the decoded sizes resolved to.
    public static func record(options: Options, config: RoMaConfig, files: (roma: String, dinov2: String)) -> StageRecord {
        StageRecord(stage: "match", params: [
            "weights": URL(fileURLWithPath: files.roma).lastPathComponent,
            "dinov2": URL(fileURLWithPath: files.dinov2).lastPathComponent,
            "indoor": options.indoor,
            "coarse_resolution": [config.coarseResolution.height, config.coarseResolution.width],
            "upsample_resolution": config.upsample ? [config.upsampleResolution.height, config.upsampleResolution.width] : [Int](),
            "symmetric": config.symmetric,
            "attenuate_certainty": config.attenuateCertainty,
            "reference": "romatch 0.1.2",
        ])
    }
}
