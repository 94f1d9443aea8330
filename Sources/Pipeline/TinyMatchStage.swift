import Artifacts
import Console
import Foundation
import RoMa

/// RoMa v2's settings, seen by the CLI through Pipeline (which it depends on).
public typealias RoMaV2Setting = RoMa.RoMaV2Setting

/// Which dense matcher `roma match` runs.
public enum MatchModel: String, Codable, Sendable, CaseIterable {
    /// romatch 0.1.2's RoMa (`roma_outdoor` / `roma_indoor`).
    case roma
    /// romatch 0.1.2's Tiny RoMa v1 (`tiny_roma_v1_outdoor`): XFeat and two small matchers.
    case tiny
    /// romav2 2.0.1's RoMa v2 (RoMaV2MatchStage.swift): DINOv3, multi-view matcher, refiners.
    case roma2
}

/// `roma match --model tiny` as a function, beside `MatchStage` (which dispatches here).
enum TinyMatchStage {
    static func run(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), options: MatchStage.Options,
                    progress makeProgress: ((_ steps: Int) -> ProgressMeter)? = nil) throws -> (warp: Warp, record: StageRecord) {
        // RoMa's --indoor, --dinov2, --no-upsample and --no-symmetric have no meaning here:
        // Tiny RoMa has one checkpoint and one pass, A→B only. The CLI rejects them.
        let files = try TinyWeightFiles.resolve(weights: options.weights, xfeat: options.xfeat)
        let model = try TinyRoMaModel(weights: try TinyWeightFiles.open(tiny: files.tiny, xfeat: files.xfeat))
        let meter = makeProgress?(1)
        meter?.setMetric("tiny roma")
        let warp = try model.match(a, b)
        meter?.advance()
        meter?.finish()
        var params: [String: any Sendable] = [
            "model": MatchModel.tiny.rawValue,
            "weights": URL(fileURLWithPath: files.tiny).lastPathComponent,
            "input_a": [a.coarse.height, a.coarse.width],
            "input_b": [b.coarse.height, b.coarse.width],
            "symmetric": false,
            "reference": "romatch 0.1.2 TinyRoMa",
        ]
        if let xfeat = files.xfeat { params["xfeat"] = URL(fileURLWithPath: xfeat).lastPathComponent }
        return (warp, StageRecord(stage: "match", params: params))
    }
}
