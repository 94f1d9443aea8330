import Checkpoint

/// Widths of one of RoMa v2's refiners (romav2's `ConvRefiner.Cfg`).
struct RoMaV2RefinerShape: Sendable, Equatable {
    /// Channels of the fine features it reads (VGG's at its stride).
    var featureDim: Int
    /// `proj` (Linear featureDim → projDim), applied to both images' features.
    var projDim: Int
    var displacementDim: Int
    /// Local correlation radius; nil: no correlation channels.
    var corrRadius: Int?
    var hiddenBlocks = 8
    var kernel = 5
    /// The warp head's output is divided by refineInit · (W, H) of the stride's grid.
    var refineInit: Float = 4
    var warpDim = 2
    var confidenceDim = 4

    /// Channels of the blocks: [f_A, f_B at the warp, displacement embedding, local correlation].
    var hiddenDim: Int {
        2 * projDim + displacementDim + (corrRadius.map { (2 * $0 + 1) * (2 * $0 + 1) } ?? 0)
    }

    /// romav2's "roma-4-pow2" refiners (192·2 + 79 + 7² = 512, 48·2 + 23 + 3² = 128, 12·2 + 8 = 32 channels).
    static let stride4 = RoMaV2RefinerShape(featureDim: 256, projDim: 192, displacementDim: 79, corrRadius: 3)
    static let stride2 = RoMaV2RefinerShape(featureDim: 128, projDim: 48, displacementDim: 23, corrRadius: 1)
    static let stride1 = RoMaV2RefinerShape(featureDim: 64, projDim: 12, displacementDim: 8, corrRadius: nil)
    /// Keyed by stride, in the order romav2 runs them (coarse to fine: 4, 2, 1).
    static let full: [(stride: Int, shape: RoMaV2RefinerShape)] = [(4, stride4), (2, stride2), (1, stride1)]

    /// The shape a state dict holds under `prefix` (e.g. `refiners.4.`): dims from the
    /// weight shapes, hidden blocks counted, the local-correlation radius from what the
    /// channel count leaves over. For reduced models (tests) and as a layout check.
    init(weights: StateDict, prefix: String) throws {
        func shape(_ key: String) throws -> [Int] {
            guard let info = weights.info(prefix + key) else {
                throw RoMaError("\(weights.file): no tensor '\(prefix + key)' (RoMa v2 refiner weights)")
            }
            return info.shape
        }
        let proj = try shape("proj.weight"), disp = try shape("disp_emb.weight")
        let dw = try shape("block1.conv_depthwise.weight"), warpHead = try shape("warp_head.weight")
        let confidenceHead = try shape("confidence_head.weight")
        guard proj.count == 2, disp.count == 4, dw.count == 4, warpHead.count == 4, confidenceHead.count == 4 else {
            throw RoMaError("\(weights.file): '\(prefix)' tensors have unexpected ranks (proj \(proj), disp_emb \(disp), depthwise \(dw))")
        }
        featureDim = proj[1]
        projDim = proj[0]
        displacementDim = disp[0]
        kernel = dw[2]
        warpDim = warpHead[0]
        confidenceDim = confidenceHead[0]
        let corr = dw[0] - 2 * projDim - displacementDim
        if corr == 0 {
            corrRadius = nil
        } else {
            let side = Int(Double(corr).squareRoot().rounded())
            guard side * side == corr, side % 2 == 1 else {
                throw RoMaError("\(weights.file): '\(prefix)block1.conv_depthwise.weight' has \(dw[0]) channels, which leaves \(corr) for the local correlation (not a (2r+1)² window)")
            }
            corrRadius = side / 2
        }
        var blocks = 0
        while weights.contains("\(prefix)hidden_blocks.\(blocks).conv_depthwise.weight") { blocks += 1 }
        hiddenBlocks = blocks
    }

    init(featureDim: Int, projDim: Int, displacementDim: Int, corrRadius: Int?, hiddenBlocks: Int = 8, kernel: Int = 5) {
        self.featureDim = featureDim
        self.projDim = projDim
        self.displacementDim = displacementDim
        self.corrRadius = corrRadius
        self.hiddenBlocks = hiddenBlocks
        self.kernel = kernel
    }
}
