/// Widths of romav2 2.0.1's `Matcher` (matcher.py): the descriptor features it takes, the
/// multi-view ViT (`MatchTransformer`, vit/__init__.py) and the DPT head (dpt.py).
/// `romav2` is the released configuration; `reduced` the narrow one of the parity fixtures
/// (scripts/fixtures/make_roma2_matcher_fixtures.py, REDUCED).
public struct RoMaV2MatcherShape: Sendable, Equatable {
    /// Width of each descriptor layer, and how many layers are concatenated for the ViT.
    public var featureDim: Int, featureLayers: Int
    /// Width of the ViT's output, the positional embedding and the head's tokens. romav2 adds
    /// the last descriptor layer, the ViT output and the match embedding, so all three agree.
    public var dim: Int
    /// The MatchTransformer: width, blocks, heads (MLP ratio 4, qkv bias, LayerNorm eps 1e-6).
    public var vitDim: Int, vitDepth: Int, vitHeads: Int
    /// DPT head: fused width (`features`) and the four projection widths (`out_channels`).
    public var dptFeatures: Int, dptOutChannels: [Int]
    /// Warp (2) plus confidence (romav2's Matcher: 1, the overlap logit) channels of the head.
    public var warpDim: Int, confidenceDim: Int

    public init(featureDim: Int, featureLayers: Int, dim: Int, vitDim: Int, vitDepth: Int, vitHeads: Int,
                dptFeatures: Int, dptOutChannels: [Int], warpDim: Int = 2, confidenceDim: Int = 1) {
        (self.featureDim, self.featureLayers, self.dim) = (featureDim, featureLayers, dim)
        (self.vitDim, self.vitDepth, self.vitHeads) = (vitDim, vitDepth, vitHeads)
        (self.dptFeatures, self.dptOutChannels) = (dptFeatures, dptOutChannels)
        (self.warpDim, self.confidenceDim) = (warpDim, confidenceDim)
    }

    /// romav2 2.0.1: DINOv3 ViT-L layers 11 and 17 (1024 each), `vit_base` (768 / 12 / 12),
    /// dim 1024, DPTHead defaults (features 256, out_channels [256, 512, 1024, 1024]).
    public static let romav2 = RoMaV2MatcherShape(featureDim: 1024, featureLayers: 2, dim: 1024, vitDim: 768, vitDepth: 12,
                                                  vitHeads: 12, dptFeatures: 256, dptOutChannels: [256, 512, 1024, 1024])

    /// The parity fixtures' widths (V2PLAN.md): descriptor 32 × 2, dim 32, ViT 48 / 2 / 2, DPT 16 / [16, 32, 64, 64].
    public static let reduced = RoMaV2MatcherShape(featureDim: 32, featureLayers: 2, dim: 32, vitDim: 48, vitDepth: 2,
                                                   vitHeads: 2, dptFeatures: 16, dptOutChannels: [16, 32, 64, 64])

    /// Tokens per image side: romav2's patch size.
    public static let patchSize = 16
    /// The head predicts at 1/4 of the image resolution (DPTHead down_ratio).
    public static let downRatio = 4

    /// Every width consistent with how romav2 composes them; the message says which is not.
    func validate() throws {
        guard featureDim > 0, featureLayers > 0, dim > 0, vitDim > 0, vitDepth > 0, vitHeads > 0, dptFeatures >= 2 else {
            throw RoMaError("RoMaV2MatcherShape: every width must be positive (\(self))")
        }
        guard featureDim == dim else {
            throw RoMaError("RoMaV2MatcherShape: featureDim \(featureDim) must equal dim \(dim) (romav2 adds the last descriptor layer to the ViT output)")
        }
        guard dim % 2 == 0 else { throw RoMaError("RoMaV2MatcherShape: dim \(dim) must be even (sin and cos halves of the positional embedding)") }
        guard vitDim % (4 * vitHeads) == 0 else {
            throw RoMaError("RoMaV2MatcherShape: vitDim \(vitDim) must be a multiple of 4 × \(vitHeads) heads (axial RoPE)")
        }
        guard dptOutChannels.count == 4, dptOutChannels.count % featureLayers == 0 else {
            throw RoMaError("RoMaV2MatcherShape: the DPT head needs 4 out_channels, a multiple of \(featureLayers) feature layers; got \(dptOutChannels)")
        }
    }
}
