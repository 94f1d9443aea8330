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
    /// the weights cache's `romav2.0.1.pt` (downloaded when missing).
    public static func run(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), options: MatchStage.Options,
                           progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: PrecisionWarp, record: StageRecord) {
        // RoMa's --indoor, --dinov2, --no-upsample and --no-symmetric have no meaning here:
        // one checkpoint; the passes and directions are the setting's. The CLI rejects them.
        let file = try weightsFile(options.weights)
        let setting = options.setting ?? .default
        let model = try RoMaV2Model(weights: try weights(file, official: options.weights == nil), config: RoMaV2Config(setting),
                                    precision: options.precision)
        let meter = makeProgress?(1)
        meter?.setMetric("roma v2 \(setting.rawValue)")
        let output = try model.match(a, b)
        meter?.advance()
        meter?.finish()
        return (output.precisionWarp(a, b), record(setting: setting, precision: options.precision, file: file))
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
