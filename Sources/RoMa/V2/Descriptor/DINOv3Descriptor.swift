import Checkpoint
import NN

/// RoMa v2's frozen descriptor: DINOv3 ViT-L/16 as romav2 2.0.1 runs it (`features.Descriptor`
/// around DINOv3's `DinoVisionTransformer.get_intermediate_layers`, commit adc2544), in float32.
///
/// image in [0, 1] → ImageNet normalisation → 16×16 patch embedding → [class, 4 storage
/// tokens, patches] → blocks (pre-norm, layer scale, RoPE on the patch tokens' q and k) →
/// for each selected block: the final norm (`get_intermediate_layers` defaults to
/// `norm=True`), class and storage tokens dropped, `B (H W) D -> B H W D`.
///
/// Only blocks `0...shape.layers.max()` are loaded and run: `get_intermediate_layers` runs
/// all 24 blocks, but nothing reads blocks 18–23 when the layers are 11 and 17, so their
/// outputs cannot change the result.
///
/// Precision: `.fp32` is romav2 with autocast disabled and the descriptor kept in float32.
/// `.bf16` is romav2's default: the module cast to bf16 (`model.to(torch.bfloat16)`: every
/// weight and buffer, RoPE periods included, rounded) and run under bf16 autocast, so every
/// activation is a bf16 tensor: patch embedding, linears and attention as autocast's bf16
/// ops, and the residual stream (layer scale, sums) and the final norm rounded to bf16.
/// The image normalisation stays fp32 (its input is fp32).
public struct DINOv3Descriptor: Sendable {
    public let shape: DINOv3Shape
    let patchEmbed: Conv2d
    /// `[1, 1 + storageTokens, D]`: the class token then the storage tokens. (The reference
    /// adds `0 · mask_token` to the class token, which changes nothing for finite weights.)
    let prefixTokens: Tensor
    /// RoPE periods `[headDim / 4]`, the `rope_embed.periods` buffer.
    let periods: Tensor
    let blocks: [TransformerBlock]
    let norm: LayerNorm
    public let precision: Precision

    /// Weights under `r`'s prefix (`f.` in romav2's state dict), DINOv3's own names below it.
    init(_ reader: LayerReader, shape: DINOv3Shape, precision: Precision = .fp32) throws {
        try shape.validate()
        self.shape = shape
        self.precision = precision
        let r = precision == .bf16 ? LayerReader(BF16Weights(base: reader.source), reader.prefix) : reader
        let d = shape.embedDim
        var embed = try r("patch_embed")("proj").conv(out: d, in: 3, kernel: shape.patch, stride: shape.patch)
        embed.precision = precision
        try embed.useTorchOrderBF16()   // autocast's F.conv2d: oneDNN's jit_bf16 order
        patchEmbed = embed
        let cls = try r.tensor("cls_token", [1, 1, d])
        let storage = shape.storageTokens > 0 ? try r.tensor("storage_tokens", [1, shape.storageTokens, d]) : []
        prefixTokens = Tensor(cls + storage, shape: [1, 1 + shape.storageTokens, d])
        periods = Tensor(try r("rope_embed").tensor("periods", [shape.headDim / 4]), shape: [shape.headDim / 4])
        blocks = try (0..<shape.blocksRun).map {
            var block = try TransformerBlock(r("blocks")("\($0)"), dim: d, heads: shape.heads, qkvBias: true, layerScale: true,
                                             eps: shape.normEps, maskedKeyBias: true, precision: precision)
            block.bf16Stream = precision == .bf16
            block.bf16Attention = .fused   // F.scaled_dot_product_attention
            (block.fc1.torchOrderBF16, block.fc2.torchOrderBF16) = (true, true)   // torch's bf16 F.linear
            if precision == .bf16 { try block.packBF16() }   // once, here: each block's fp32 weights go before the next is read
            return block
        }
        norm = try r("norm").layerNorm(d, eps: shape.normEps)
    }

    /// The descriptor from a whole romav2 state dict (`prefix` "f.") or a bare DINOv3 one ("").
    public init(weights: any WeightSource, prefix: String = "f.", shape: DINOv3Shape = .vitl16, precision: Precision = .fp32) throws {
        try self.init(LayerReader(weights, prefix), shape: shape, precision: precision)
    }

    /// image `[1, 3, H, W]` in [0, 1] → one `[1, H/16, W/16, D]` map per selected layer
    /// (channels-last, as romav2). Sides not divisible by 16 lose their remainder, as the
    /// reference's stride-16 convolution does.
    public func callAsFunction(_ image: Tensor) throws -> [Tensor] {
        let (patches, rows, cols) = try patchTokens(Self.normalise(image))
        return try runBlocks(withPrefix(patches), rotary: rotary(rows: rows, cols: cols), rows: rows, cols: cols)
    }

    /// The patch embedding `[1, rows·cols, D]` and every block's output tokens, for following
    /// the descriptor against the reference's, block by block (`roma-bench descriptor --bf16-ops`).
    public func trace(_ image: Tensor) throws -> (patches: Tensor, blocks: [Tensor]) {
        let (patches, rows, cols) = try patchTokens(Self.normalise(image))
        let rotary = try rotary(rows: rows, cols: cols), workspace = Workspace()
        var x = try withPrefix(patches), outputs: [Tensor] = []
        for block in blocks {
            x = try block(x, workspace: workspace, rotary: rotary)
            outputs.append(Tensor(x.array, shape: x.shape))   // the next block may reuse x's storage
        }
        return (patches, outputs)
    }

    /// romav2's `imagenet` normaliser: `(x − mean) / std` per channel.
    static func normalise(_ image: Tensor) throws -> Tensor {
        guard image.rank == 4, image.shape[0] == 1, image.shape[1] == 3 else {
            throw RoMaError("DINOv3 descriptor: expected an image [1, 3, H, W], got \(image.shape)")
        }
        return imagenetNormalised(image)
    }

    /// Normalised image → patch tokens `[1, rows·cols, D]` (the reference's `patch_embed`, flattened).
    func patchTokens(_ normalised: Tensor) throws -> (tokens: Tensor, rows: Int, cols: Int) {
        guard normalised.height >= shape.patch, normalised.width >= shape.patch else {
            throw RoMaError("DINOv3 descriptor: image \(normalised.width)x\(normalised.height) is smaller than one \(shape.patch)-pixel patch")
        }
        let map = try StageClock.measure("dinov3: patch embed") { try patchEmbed(normalised) }
        return (try tokens(map), map.height, map.width)
    }

    /// Patch tokens → `[1, 1 + storageTokens + rows·cols, D]` (`prepare_tokens_with_masks`).
    func withPrefix(_ patches: Tensor) throws -> Tensor {
        try concat([prefixTokens, patches], dim: 1)
    }

    func rotary(rows: Int, cols: Int) throws -> RotaryEmbedding {
        try RotaryEmbedding(height: rows, width: cols, periods: periods)
    }

    /// Runs the blocks from `x` (all tokens) and returns each selected layer's normed patch map.
    func runBlocks(_ x: Tensor, rotary: RotaryEmbedding, rows: Int, cols: Int) throws -> [Tensor] {
        let workspace = Workspace()
        var x = x, outputs: [Tensor] = []
        for (i, block) in blocks.enumerated() {
            x = try block(x, workspace: workspace, rotary: rotary)
            if shape.layers.contains(i) { outputs.append(try output(x, rows: rows, cols: cols)) }
        }
        return outputs
    }

    /// One block's tokens → the final norm over its patch tokens, `[1, rows, cols, D]`.
    /// (The reference norms all tokens and then drops the class and storage ones; the norm
    /// is per token, so norming only the patches gives the same values.)
    func output(_ x: Tensor, rows: Int, cols: Int) throws -> Tensor {
        let patches = try narrow(x, dim: 1, start: 1 + shape.storageTokens, length: rows * cols)
        let normed = precision == .bf16   // a bf16 tensor: torch's bf16 layer norm (rounded), to the bit
            ? try layerNormTorch(patches, weight: norm.weight, bias: norm.bias, eps: norm.eps, input: .bf16)
            : try norm(patches)
        return try normed.reshaped([1, rows, cols, shape.embedDim])
    }
}

extension LayerReader {
    /// DINOv3's `LinearKMaskedBias`: weight, bias, and the `bias_mask` buffer the bias is
    /// multiplied by (ones with the key third zero in every checkpoint DINOv3 writes).
    func maskedBiasLinear(out: Int, in inF: Int) throws -> Linear {
        let bias = try tensor("bias", [out]), mask = try tensor("bias_mask", [out])
        if let bad = mask.firstIndex(where: { !$0.isFinite }) {
            throw RoMaError("weight '\(prefix)bias_mask' holds \(mask[bad]) at element \(bad): an uninitialised buffer (DINOv3 fills it with NaN until init_weights or a checkpoint sets it)")
        }
        return Linear(inFeatures: inF, outFeatures: out, weight: try tensor("weight", [out, inF]),
                      bias: zip(bias, mask).map { $0 * $1 })
    }
}
