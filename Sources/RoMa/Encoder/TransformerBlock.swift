/// Pre-norm transformer block as DINOv2's `Block`: `x + ls1·attn(norm1 x)`,
/// then `x + ls2·mlp(norm2 x)` with a GELU MLP. Used by the ViT encoder
/// (qkv bias, layer scale, LN eps 1e-6) and by the match decoder (no qkv bias,
/// no layer scale, LN eps 1e-5).
struct TransformerBlock: Sendable {
    let heads: Int
    let norm1: LayerNorm, norm2: LayerNorm
    let qkv: Linear, proj: Linear
    let fc1: Linear, fc2: Linear
    let layerScale1: [Float]?, layerScale2: [Float]?

    init(_ r: LayerReader, dim: Int, heads: Int, qkvBias: Bool, layerScale: Bool, eps: Float) throws {
        self.heads = heads
        norm1 = try r("norm1").layerNorm(dim, eps: eps)
        norm2 = try r("norm2").layerNorm(dim, eps: eps)
        qkv = try r("attn")("qkv").linear(out: 3 * dim, in: dim, bias: qkvBias)
        proj = try r("attn")("proj").linear(out: dim, in: dim)
        fc1 = try r("mlp")("fc1").linear(out: 4 * dim, in: dim)
        fc2 = try r("mlp")("fc2").linear(out: dim, in: 4 * dim)
        layerScale1 = layerScale ? try r("ls1").tensor("gamma", [dim]) : nil
        layerScale2 = layerScale ? try r("ls2").tensor("gamma", [dim]) : nil
    }

    func callAsFunction(_ x: Tokens) -> Tokens {
        var x = x
        let n1 = StageClock.measure("block: layer norm") { norm1(x) }
        let q = StageClock.measure("block: qkv") { qkv(n1) }
        let a = StageClock.measure("block: attention") { selfAttention(qkv: q, heads: heads) }
        let attended = StageClock.measure("block: proj") { proj(a) }
        addResidual(&x, attended, gamma: layerScale1)
        let n2 = StageClock.measure("block: layer norm") { norm2(x) }
        var hidden = StageClock.measure("block: fc1") { fc1(n2) }
        StageClock.measure("block: gelu") { gelu(&hidden) }
        let out = StageClock.measure("block: fc2") { fc2(hidden) }
        addResidual(&x, out, gamma: layerScale2)
        return x
    }
}
