import Artifacts
import Checkpoint
import Console
import Foundation
import NN
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
        /// RoMa's arithmetic: fp32, or bf16 as torch's CPU autocast (docs/runtime.md, "Precision").
        public var precision: Precision = .fp32
        /// RoMa v2's setting (`--setting`); nil = romav2's default, precise.
        public var setting: RoMaV2Setting?

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
        if options.model == .roma2 { throw RoMaError("RoMa v2 writes roma.warp/3: match it with RoMaV2MatchStage.run") }
        return try Matcher(options: options).match(a, b, names: names, progress: makeProgress)
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
            "precision": config.precision.rawValue,
            "reference": "romatch 0.1.2",
        ])
    }

    /// The warp artifact `roma match` writes: the warp, stamped with the parameters and
    /// the two decoded inputs (by the paths given, as the command line spells them).
    /// A compact encoding is recorded in the parameters (an exact warp's are as they were).
    public static func artifact(_ warp: Warp, record: StageRecord, inputs: (String, String),
                                encoding: Warp.Encoding = .exact) throws -> Artifact {
        try stamped(warp.artifact(encoding: encoding), record: record, inputs: inputs, encoding: encoding)
    }

    /// A warp file (`roma.warp/2` or RoMa v2's `/3`) stamped with its record, the encoding added.
    static func stamped(_ artifact: Artifact, record: StageRecord, inputs: (String, String), encoding: Warp.Encoding) throws -> Artifact {
        var artifact = artifact, record = record
        if encoding != .exact { record.params["warp_encoding"] = encoding.rawValue }
        try artifact.stamp(record, inputs: [inputs.0, inputs.1])
        return artifact
    }

    /// The weights, bound once, for any number of pairs (`roma match --batch`): a model
    /// per decoded size, all sharing the layers of the first.
    public final class Matcher: @unchecked Sendable {
        public let options: Options
        private let architecture: RoMaArchitecture
        /// File names recorded in the warp's parameters.
        private let weightNames: (roma: String, dinov2: String)
        /// Released once the first model has bound it.
        private var source: (any WeightSource)?
        private var models: [RoMaModel] = []
        /// Seconds spent binding weights (reading and converting the checkpoints), for benchmarks.
        public private(set) var bindSeconds = 0.0

        /// Opens the checkpoints named by `options` (or the weights cache's); the model is
        /// bound at the first pair.
        public convenience init(options: Options) throws {
            let files = try WeightFiles.resolve(weights: options.weights, dinov2: options.dinov2, indoor: options.indoor)
            let source = CombinedWeights(roma: try WeightFiles.open(files.roma), dinov2: try WeightFiles.open(files.dinov2))
            self.init(weights: source, architecture: .official, options: options,
                      names: (URL(fileURLWithPath: files.roma).lastPathComponent, URL(fileURLWithPath: files.dinov2).lastPathComponent))
        }

        /// Other weights and architecture (tests' reduced-width model, benchmarks' random weights).
        public init(weights: any WeightSource, architecture: RoMaArchitecture, options: Options, names: (roma: String, dinov2: String)) {
            self.options = options
            self.architecture = architecture
            self.source = weights
            self.weightNames = names
        }

        /// The configuration matching `a` with `b` takes, from their decoded sizes.
        public func config(_ a: DecodedImage, _ b: DecodedImage, names: (String, String)) throws -> RoMaConfig {
            guard a.coarse.width == b.coarse.width, a.coarse.height == b.coarse.height else {
                throw ArtifactError(file: names.1, "decoded at coarse size \(b.coarse.width)x\(b.coarse.height), but \(names.0) at \(a.coarse.width)x\(a.coarse.height): decode both with the same --coarse")
            }
            var config = options.indoor ? RoMaConfig.indoor : RoMaConfig.outdoor
            config.architecture = architecture
            config.coarseResolution = (a.coarse.height, a.coarse.width)
            config.upsample = options.upsample
            config.symmetric = options.symmetric
            config.precision = options.precision
            if config.upsample {
                guard let ua = a.upsampled else { throw ArtifactError(file: names.0, "has no upsampled image; decode with --upsampled or match without upsampling") }
                guard let ub = b.upsampled else { throw ArtifactError(file: names.1, "has no upsampled image; decode with --upsampled or match without upsampling") }
                guard ua.width == ub.width, ua.height == ub.height else {
                    throw ArtifactError(file: names.1, "decoded at a different upsampled size than \(names.0)")
                }
                config.upsampleResolution = (ua.height, ua.width)
            }
            return config
        }

        private func model(_ config: RoMaConfig) throws -> RoMaModel {
            if let model = models.first(where: { $0.config == config }) { return model }
            let start = ProgressMeter.monotonicSeconds()
            defer { bindSeconds += ProgressMeter.monotonicSeconds() - start }
            let model: RoMaModel
            if let first = models.first {
                model = try RoMaModel(sharing: first, config: config)
            } else {
                guard let source else { preconditionFailure("weights released before the first model") }
                model = try RoMaModel(weights: source, config: config)
                self.source = nil
            }
            models.append(model)
            return model
        }

        /// Matches one pair. With `cache`, encoder outputs are shared with other pairs,
        /// keyed by `names` (the decoded files): the warp is the same bit for bit.
        public func match(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), cache: EncoderCache? = nil,
                          progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: Warp, record: StageRecord) {
            let config = try config(a, b, names: names)
            let model = try model(config)
            let meter = makeProgress?(model.steps)
            if let meter {
                model.progress = { step, finished in
                    if finished { meter.advance() } else { meter.setMetric(step) }
                }
            }
            defer { model.progress = nil }
            let warp = try model.match(a, b, cache: cache, ids: names)
            meter?.finish()
            return (warp, MatchStage.record(options: options, config: config, files: weightNames))
        }
    }
}
