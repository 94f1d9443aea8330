import NN

/// Pre-norm transformer block as DINOv2's `Block`: `x + ls1·attn(norm1 x)`,
/// then `x + ls2·mlp(norm2 x)` with a GELU MLP. Used by the ViT encoder
/// (qkv bias, layer scale, LN eps 1e-6) and by the match decoder (no qkv bias,
/// no layer scale, LN eps 1e-5), and by RoMa v2's DINOv3 (LN eps 1e-5, key bias
/// masked, RoPE on q and k).
struct TransformerBlock: Sendable {
    let heads: Int
    let norm1: LayerNorm, norm2: LayerNorm
    private(set) var qkv: Linear, proj: Linear
    var fc1: Linear, fc2: Linear
    let layerScale1: Tensor?, layerScale2: Tensor?
    /// fp32 with DINOv2's epilogues fused (`fusedEpilogues`): proj and fc2 run without
    /// their bias, which is added with the layer scale and the residual sum in one pass
    /// (NN's `addResidual`), and fc1's bias is added in the GELU pass.
    let fusedEpilogues: Bool
    /// The four linears and both attention products; norms, GELU and residuals stay fp32.
    let precision: Precision
    /// The residual stream is itself a bf16 tensor (RoMa v2: a descriptor cast to bf16, or
    /// a ViT whose bf16 input projection starts the stream under autocast): layer-scale
    /// products and residual sums are rounded to bf16 as torch's bf16 ops return them.
    /// Norms and GELU follow torch's CPU kernels to the bit (`layerNormTorch`, `geluTorch`).
    var bf16Stream = false
    /// Which torch attention the bf16 products follow: DINOv2 writes the explicit form,
    /// RoMa v2's DINOv3 and matcher call `F.scaled_dot_product_attention` (torch's fused kernel).
    var bf16Attention: BF16Attention = .explicit

    /// `maskedKeyBias`: DINOv3's `LinearKMaskedBias`, whose bias is multiplied by the
    /// `attn.qkv.bias_mask` buffer (ones, zeros over the key third) before use.
    /// `fusedEpilogues` (taken at fp32 only; DINOv2): three passes over memory fewer per
    /// branch, no bias-filled GEMM outputs. Not for a bf16 residual stream.
    init(_ r: LayerReader, dim: Int, heads: Int, qkvBias: Bool, layerScale: Bool, eps: Float, maskedKeyBias: Bool = false,
         precision: Precision = .fp32, fusedEpilogues: Bool = false) throws {
        self.heads = heads
        self.precision = precision
        norm1 = try r("norm1").layerNorm(dim, eps: eps)
        norm2 = try r("norm2").layerNorm(dim, eps: eps)
        let q = r("attn")("qkv")
        qkv = maskedKeyBias ? try q.maskedBiasLinear(out: 3 * dim, in: dim) : try q.linear(out: 3 * dim, in: dim, bias: qkvBias)
        proj = try r("attn")("proj").linear(out: dim, in: dim)
        fc1 = try r("mlp")("fc1").linear(out: 4 * dim, in: dim)
        fc2 = try r("mlp")("fc2").linear(out: dim, in: 4 * dim)
        (fc1.precision, fc2.precision) = (precision, precision)
        layerScale1 = layerScale ? Tensor(try r("ls1").tensor("gamma", [dim]), shape: [dim]) : nil
        layerScale2 = layerScale ? Tensor(try r("ls2").tensor("gamma", [dim]), shape: [dim]) : nil
        self.fusedEpilogues = fusedEpilogues && precision == .fp32
    }

    /// RoMa v2 at `.bf16` (a bf16 stream, torch's fused attention): the four linears in
    /// torch's bf16 order with their weights packed once, now, replacing the fp32 ones.
    mutating func packBF16() throws {
        guard precision == .bf16, bf16Attention == .fused, !fusedEpilogues else {
            throw RoMaError("only a bf16 block with torch's fused attention runs packed bf16 linears")
        }
        try qkv.packBF16()
        try proj.packBF16()
        try fc1.packBF16()
        try fc2.packBF16()
    }

    /// x `[1, N, C]` → `[1, N, C]`, updated in place. Intermediates come from
    /// `workspace` and go back to it, so a stack of blocks reuses the same buffers
    /// instead of mapping fresh pages for every layer.
    /// `rotary`: RoPE tables for q and k (DINOv3), nil for none.
    func callAsFunction(_ x: Tensor, workspace: Workspace, rotary: RotaryEmbedding? = nil) throws -> Tensor {
        if fusedEpilogues { return try fusedForward(x, workspace: workspace, rotary: rotary) }
        let (n, c) = (x.shape[1], x.shape[2])
        let n1 = try StageClock.measure("block: layer norm") { try normalise(norm1, x, workspace: workspace) }
        let attended = try StageClock.measure("block: attention") {
            FlopCounter.add(2 * Double(n * c) * Double(4 * c) + 4 * Double(n * n * c))
            if let packedQKV = qkv.packedBF16, let packedProj = proj.packedBF16 {
                return try multiHeadSelfAttention(n1, qkv: packedQKV, proj: packedProj, heads: heads, rotary: rotary, workspace: workspace)
            }
            return try multiHeadSelfAttention(n1, qkvWeight: qkv.weight, qkvBias: qkv.bias,
                                              projWeight: proj.weight, projBias: proj.bias, heads: heads, rotary: rotary,
                                              workspace: workspace, precision: precision, bf16Attention: bf16Attention)
        }
        workspace.recycle(n1)
        try addResidual(x, attended, gamma: layerScale1)
        workspace.recycle(attended)
        let n2 = try StageClock.measure("block: layer norm") { try normalise(norm2, x, workspace: workspace) }
        let hidden = try StageClock.measure("block: fc1") { try fc1(n2, workspace: workspace) }
        workspace.recycle(n2)
        _ = try StageClock.measure("block: gelu") { try activate(hidden) }
        let out = try StageClock.measure("block: fc2") { try fc2(hidden, workspace: workspace) }
        workspace.recycle(hidden)
        try addResidual(x, out, gamma: layerScale2)
        workspace.recycle(out)
        return x
    }

    /// `callAsFunction` with the epilogues fused: each linear writes its bare product and the
    /// following pass adds the bias (GELU; layer scale and residual sum).
    private func fusedForward(_ x: Tensor, workspace: Workspace, rotary: RotaryEmbedding?) throws -> Tensor {
        guard !bf16Stream else { throw RoMaError("a block with fused fp32 epilogues has no bf16 residual stream") }
        let (n, c) = (x.shape[1], x.shape[2])
        let n1 = try StageClock.measure("block: layer norm") { try layerNorm(x, weight: norm1.weight, bias: norm1.bias, eps: norm1.eps, workspace: workspace) }
        let attended = try StageClock.measure("block: attention") {
            FlopCounter.add(2 * Double(n * c) * Double(4 * c) + 4 * Double(n * n * c))
            return try multiHeadSelfAttention(n1, qkvWeight: qkv.weight, qkvBias: qkv.bias, projWeight: proj.weight, projBias: nil,
                                              heads: heads, rotary: rotary, workspace: workspace)
        }
        workspace.recycle(n1)
        try StageClock.measure("block: residual") { try NN.addResidual(x, attended, bias: proj.bias, gamma: layerScale1) }
        workspace.recycle(attended)
        let n2 = try StageClock.measure("block: layer norm") { try layerNorm(x, weight: norm2.weight, bias: norm2.bias, eps: norm2.eps, workspace: workspace) }
        let hidden = try StageClock.measure("block: fc1") {
            FlopCounter.add(2 * Double(n2.count) * Double(fc1.outFeatures))
            return try linear(n2, weight: fc1.weight, workspace: workspace)
        }
        workspace.recycle(n2)
        _ = try StageClock.measure("block: gelu") {
            try fc1.bias.map { b throws(NNError) in try gelu(hidden, addingBias: b, into: hidden) } ?? gelu(hidden, into: hidden)
        }
        let out = try StageClock.measure("block: fc2") {
            FlopCounter.add(2 * Double(hidden.count) * Double(c))
            return try linear(hidden, weight: fc2.weight, workspace: workspace)
        }
        workspace.recycle(hidden)
        try StageClock.measure("block: residual") { try NN.addResidual(x, out, bias: fc2.bias, gamma: layerScale2) }
        workspace.recycle(out)
        return x
    }

    /// `norm` on x; with a bf16 residual stream x is a bf16 tensor, normed as torch's CPU
    /// kernel does it to the bit (`layerNormTorch`).
    func normalise(_ norm: LayerNorm, _ x: Tensor, workspace: Workspace) throws -> Tensor {
        if bf16Stream { return try layerNormTorch(x, weight: norm.weight, bias: norm.bias, eps: norm.eps, input: .bf16, workspace: workspace) }
        return try layerNorm(x, weight: norm.weight, bias: norm.bias, eps: norm.eps, workspace: workspace)
    }

    /// The MLP's GELU on fc1's output, in place; with a bf16 residual stream that output is a
    /// bf16 tensor, which torch hands to oneDNN's gelu_erf (`geluTorch`, to the bit).
    func activate(_ hidden: Tensor) throws {
        if bf16Stream { _ = try geluTorch(hidden, input: .bf16, into: hidden) } else { _ = try gelu(hidden, into: hidden) }
    }

    /// `x += gamma ⊙ y` (DINOv2's layer scale) or `x += y`, in place.
    private func addResidual(_ x: Tensor, _ y: Tensor, gamma: Tensor?) throws {
        var scaled = try gamma.map { g throws(NNError) in try layerScale(y, gamma: g, into: y) } ?? y
        if bf16Stream && gamma != nil { scaled = try BF16.round(scaled, into: scaled) }
        _ = try add(x, scaled, into: x)
        if bf16Stream { _ = try BF16.round(x, into: x) }
    }
}
