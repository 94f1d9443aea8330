import Artifacts
import Checkpoint
import Console
import Foundation
import NN
import RoMa

/// `roma match --model roma2` as a function, used by `roma match` and `roma pose`.
/// Its artifact is `roma.warp/3` (`PrecisionWarp`), not `roma.warp/2`, so it stands
/// beside `MatchStage` rather than behind it.
public enum RoMaV2MatchStage {
    /// Matches A with B in `options.setting` (nil: precise) at `options.precision` (the CLI's
    /// default for roma2 is bf16, as romav2 runs). `options.weights` is the checkpoint, else
    /// the weights cache's `romav2.0.1.pt` (downloaded when missing). A `Matcher` for one
    /// pair: `roma match`, `roma pose` and `roma match --batch` run the same code.
    public static func run(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), options: MatchStage.Options,
                           progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: PrecisionWarp, record: StageRecord) {
        try Matcher(options: options).match(a, b, names: names, progress: makeProgress)
    }

    /// The weights, bound once at the first pair, for any number of pairs (`roma match
    /// --model roma2 --batch`): one model for the setting (romav2 resizes every image to the
    /// setting's sizes, so unlike RoMa one model serves every decoded size).
    public final class Matcher: BatchMatcher, @unchecked Sendable {
        public let options: MatchStage.Options
        public let setting: RoMaV2Setting
        private let config: RoMaV2Config
        private let architecture: RoMaV2Architecture
        /// The checkpoint's path, recorded by file name.
        private let file: String
        /// Loads the weights; called once, at the first pair.
        private var load: (() throws -> any WeightSource)?
        private var model: RoMaV2Model?
        public private(set) var bindSeconds = 0.0

        /// The checkpoint named by `options` (or the weights cache's, downloaded when missing);
        /// read and bound at the first pair.
        public convenience init(options: MatchStage.Options) throws {
            let file = try weightsFile(options.weights)
            let setting = options.setting ?? .default
            self.init(file: file, architecture: .official, config: RoMaV2Config(setting), options: options) {
                try weights(file, official: options.weights == nil)
            }
        }

        /// Other weights, architecture and sizes (tests' reduced model); `options.setting` is
        /// what the warps record.
        public init(file: String, architecture: RoMaV2Architecture, config: RoMaV2Config, options: MatchStage.Options,
                    weights: @escaping () throws -> any WeightSource) {
            (self.file, self.architecture, self.config, self.options, load) = (file, architecture, config, options, weights)
            setting = options.setting ?? .default
        }

        private func bound() throws -> RoMaV2Model {
            if let model { return model }
            guard let load else { preconditionFailure("weights released before the model was bound") }
            let start = ProgressMeter.monotonicSeconds()
            defer { bindSeconds += ProgressMeter.monotonicSeconds() - start }
            let model = try RoMaV2Model(weights: try load(), architecture: architecture, config: config, precision: options.precision)
            (self.model, self.load) = (model, nil)
            return model
        }

        /// Matches one pair. With `cache`, descriptor and fine features are shared with other
        /// pairs, keyed by `names` (the decoded files): the warp is the same bit for bit.
        public func match(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), cache: EncoderCache? = nil,
                          progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: PrecisionWarp, record: StageRecord) {
            let model = try bound()
            let meter = makeProgress?(1)
            meter?.setMetric("roma v2 \(setting.rawValue)")
            let output = try model.match(a, b, cache: cache, ids: names)
            meter?.advance()
            meter?.finish()
            return (output.precisionWarp(a, b), record(setting: setting, precision: options.precision, file: file))
        }

        public func artifact(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), cache: EncoderCache?,
                             encoding: Warp.Encoding) throws -> Artifact {
            let (warp, record) = try match(a, b, names: names, cache: cache)
            return try RoMaV2MatchStage.artifact(warp, record: record, inputs: names, encoding: encoding)
        }
    }

    /// The `roma.warp/3` file `roma match --model roma2` writes, stamped with the record and
    /// the two decoded inputs (as the command line spells them). A compact encoding
    /// (docs/artifacts.md) is recorded in the parameters, as `MatchStage.artifact` does.
    public static func artifact(_ warp: PrecisionWarp, record: StageRecord, inputs: (String, String),
                                encoding: Warp.Encoding = .exact) throws -> Artifact {
        try MatchStage.stamped(warp.artifact(encoding: encoding), record: record, inputs: inputs, encoding: encoding)
    }

    /// The given checkpoint, or the cache's official one.
    static func weightsFile(_ given: String?, cache: WeightsCache = WeightsCache()) throws -> String {
        if let given {
            guard FileManager.default.fileExists(atPath: given) else {
                throw RoMaError("missing weights: \(given). `roma weights --only romav2` downloads the official checkpoint into \(cache.folder)")
            }
            return given
        }
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        return try cache.ensure([.romav2], log: log)[0]
    }

    /// The checkpoint, its layout checked: the cache's file must be the official one; a
    /// given file laid out as another official checkpoint (RoMa v1's, say) is named as
    /// such. Other files (random or reduced weights) are checked key by key as the model binds.
    static func weights(_ file: String, official: Bool) throws -> StateDict {
        let dict = try StateDict.load(file)
        if official || (dict.officialLayout.map { $0 != .romav2 } ?? false) { try dict.requireLayout(of: .romav2) }
        return dict
    }

    /// What a RoMa v2 warp records, from the setting alone (one place for `roma match`
    /// and `roma pose`); the sizes are spelled out so a reader needs no table.
    public static func record(setting: RoMaV2Setting, precision: Precision, file: String) -> StageRecord {
        let low = setting.lowResolution
        return StageRecord(stage: "match", params: [
            "model": MatchModel.roma2.rawValue,
            "weights": URL(fileURLWithPath: file).lastPathComponent,
            "setting": setting.rawValue,
            "low_resolution": [low.height, low.width],
            "high_resolution": setting.highResolution.map { [$0.height, $0.width] } ?? [Int](),
            "bidirectional": setting.bidirectional,
            "overlap_threshold": setting.threshold.map { Double($0) } ?? -1,
            "precision": precision.rawValue,
            "reference": "romav2 2.0.1",
        ])
    }
}
