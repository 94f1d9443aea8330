/// `multiHeadSelfAttention` at `.bf16` with torch's fused attention and the two linears in
/// torch's bf16 order (`bf16Attention: .fused`, RoMa v2), its weights packed once
/// (`BF16PackedLinear`, qkv `[3C, C]` and proj `[C, C]`): the same result to the bit as
/// passing the fp32 weights, without repacking them on every call.
public func multiHeadSelfAttention(_ x: Tensor, qkv: BF16PackedLinear, proj: BF16PackedLinear, heads: Int,
                                   rotary: RotaryEmbedding? = nil, into: Tensor? = nil,
                                   workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (b, n, c) = try selfAttentionOperands(x, heads: heads, rotary: rotary, qkvShape: [qkv.outFeatures, qkv.inFeatures],
                                              projShape: [proj.outFeatures, proj.inFeatures])
    let projected = try linearBF16TorchOrder(x, packed: qkv, workspace: workspace)   // [B, N, 3C]
    let mixed = try attendHeads(projected, batch: b, tokens: n, width: c, heads: heads, rotary: rotary, workspace: workspace,
                                precision: .bf16, bf16Attention: .fused)
    let out = try linearBF16TorchOrder(mixed, packed: proj, into: into, workspace: workspace)
    workspace?.recycle(mixed)
    return out
}
