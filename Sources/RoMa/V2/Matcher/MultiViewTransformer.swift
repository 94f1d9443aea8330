import NN

/// romav2's multi-view ViT (vit/__init__.py `MatchTransformer` with multiview=True,
/// mv_attention_mode "alternating", use_rope): both views' concatenated descriptor features
/// are projected to the ViT width and go through pre-norm blocks as one sequence
/// [view A tokens, view B tokens]. Even blocks attend over both views at once, without
/// RoPE; odd blocks attend within each view, with RoPE on the view's own token grid
/// (mv_position_mode "same" changes nothing else at eval). Then LayerNorm and the output
/// projection to `dim`. Weights under `<prefix>mv_vit.`.
///
/// `.bf16`: romav2's autocast around the ViT. The input projection returns a bf16 tensor,
/// so the whole residual stream is bf16 (sums rounded), every linear and attention product
/// is autocast's bf16 op; the output leaves as bf16 values (`.float()` after the block).
struct MultiViewTransformer: Sendable {
    let shape: RoMaV2MatcherShape
    let projector: Linear, outputProjector: Linear
    let blocks: [TransformerBlock]
    let norm: LayerNorm
    let rope: MatchRoPE
    let precision: Precision

    init(_ r: LayerReader, shape: RoMaV2MatcherShape, precision: Precision = .fp32) throws {
        self.shape = shape
        self.precision = precision
        let d = shape.vitDim
        var projector = try r("projector").linear(out: d, in: shape.featureDim * shape.featureLayers)
        var outputProjector = try r("output_projector").linear(out: shape.dim, in: d)
        (projector.precision, outputProjector.precision) = (precision, precision)
        (projector.torchOrderBF16, outputProjector.torchOrderBF16) = (true, true)   // torch's bf16 F.linear
        if precision == .bf16 { try projector.packBF16(); try outputProjector.packBF16() }   // packed once, fp32 weights dropped
        (self.projector, self.outputProjector) = (projector, outputProjector)
        // The blocks are DINOv2-style blocks (qkv bias, MLP ratio 4, GELU, LN eps 1e-6, no layer scale).
        blocks = try (0..<shape.vitDepth).map { i in
            var block = try TransformerBlock(r("blocks")("\(i)"), dim: d, heads: shape.vitHeads, qkvBias: true, layerScale: false, eps: 1e-6,
                                             precision: precision)
            block.bf16Stream = precision == .bf16
            block.bf16Attention = .fused   // F.scaled_dot_product_attention
            (block.fc1.torchOrderBF16, block.fc2.torchOrderBF16) = (true, true)   // torch's bf16 F.linear
            if precision == .bf16 { try block.packBF16() }
            return block
        }
        norm = try r("norm").layerNorm(d, eps: 1e-6)
        let headDim = d / shape.vitHeads
        rope = try MatchRoPE(periods: try r("rope_embed").tensor("periods", [headDim / 4]), headDim: headDim)
    }

    /// featuresA, featuresB [1, h, w, featureDim·featureLayers] → [2, h·w, dim] (view A, view B).
    func callAsFunction(_ featuresA: Tensor, _ featuresB: Tensor, workspace: Workspace) throws -> Tensor {
        let (h, w) = (featuresA.shape[1], featuresA.shape[2])
        let n = h * w
        let stacked = try concat([try featuresA.reshaped([1, n, -1]), try featuresB.reshaped([1, n, -1])], dim: 1, workspace: workspace)
        let x = try projector(stacked, workspace: workspace)
        workspace.recycle(stacked)
        let tables = rope.tables(height: h, width: w)
        for (index, block) in blocks.enumerated() {
            if index % 2 == 0 {
                _ = try StageClock.measure("v2 matcher: global blocks") { try block(x, workspace: workspace) }
            } else {
                _ = try StageClock.measure("v2 matcher: per-view blocks") {
                    try rotaryBlock(block, try x.reshaped([2, n, shape.vitDim]), tables: tables, workspace: workspace)
                }
            }
        }
        let normed = precision == .bf16   // the bf16 stream: torch's bf16 layer norm, to the bit
            ? try layerNormTorch(x, weight: norm.weight, bias: norm.bias, eps: norm.eps, input: .bf16, workspace: workspace)
            : try layerNorm(x, weight: norm.weight, bias: norm.bias, eps: norm.eps, workspace: workspace)
        workspace.recycle(x)
        let out = try outputProjector(normed, workspace: workspace)
        workspace.recycle(normed)
        return try out.reshaped([2, n, shape.dim])
    }

    /// `block` on x [V, N, C] (one sequence per view) with RoPE on q and k; x updated in place.
    /// The parameters are the block's; only the attention differs from `TransformerBlock`'s.
    private func rotaryBlock(_ block: TransformerBlock, _ x: Tensor, tables: (sin: [Float], cos: [Float]),
                             workspace: Workspace) throws {
        let (views, n, c) = (x.shape[0], x.shape[1], x.shape[2])
        let heads = block.heads, d = c / heads
        let n1 = try block.normalise(block.norm1, x, workspace: workspace)
        var (qkvLinear, projLinear) = (block.qkv, block.proj)
        (qkvLinear.precision, projLinear.precision) = (precision, precision)
        (qkvLinear.torchOrderBF16, projLinear.torchOrderBF16) = (true, true)
        let qkv = try qkvLinear(n1, workspace: workspace)   // [V, N, 3C]
        workspace.recycle(n1)
        // [V, N, 3, heads, d] → [3, V, heads, N, d]: q, k, v as contiguous [V, heads, N, d].
        let split = try permute(try qkv.reshaped([views, n, 3, heads, d]), [2, 0, 3, 1, 4], workspace: workspace)
        workspace.recycle(qkv)
        let part = views * heads * n * d
        let q = Tensor(storage: split.storage, offset: split.offset, shape: [views, heads, n, d])
        let k = Tensor(storage: split.storage, offset: split.offset + part, shape: [views, heads, n, d])
        let v = Tensor(storage: split.storage, offset: split.offset + 2 * part, shape: [views, heads, n, d])
        try rope.rotate(q, sin: tables.sin, cos: tables.cos)
        try rope.rotate(k, sin: tables.sin, cos: tables.cos)
        FlopCounter.add(2 * Double(views * n * c) * Double(4 * c) + 4 * Double(views * n * n * c))
        let attended = try scaledDotProductAttention(q: q, k: k, v: v, workspace: workspace, precision: precision,
                                                      bf16Attention: .fused)   // [V, heads, N, d]
        workspace.recycle(split)
        let merged = try permute(attended, [0, 2, 1, 3], workspace: workspace)   // [V, N, heads, d]
        workspace.recycle(attended)
        let projected = try projLinear(try merged.reshaped([views, n, c]), workspace: workspace)
        workspace.recycle(merged)
        _ = try add(x, projected, into: x)
        if precision == .bf16 { _ = try BF16.round(x, into: x) }
        workspace.recycle(projected)
        let n2 = try block.normalise(block.norm2, x, workspace: workspace)
        let hidden = try block.fc1(n2, workspace: workspace)
        workspace.recycle(n2)
        try block.activate(hidden)
        let out = try block.fc2(hidden, workspace: workspace)
        workspace.recycle(hidden)
        _ = try add(x, out, into: x)
        if precision == .bf16 { _ = try BF16.round(x, into: x) }
        workspace.recycle(out)
    }
}
