import Parallel

/// torch.nn.functional.scaled_dot_product_attention without mask or dropout:
/// softmax(q·kᵀ · scale) · v per batch and head.
/// q [B, H, N, D], k [B, H, M, D], v [B, H, M, Dv] → [B, H, N, Dv]; scale defaults to 1/√D.
public func scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, scale: Float? = nil,
                                      into: Tensor? = nil, workspace: Workspace? = nil, precision: Precision = .fp32,
                                      bf16Attention: BF16Attention = .explicit) throws(NNError) -> Tensor {
    try check(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention", "q, k, v must be [B, H, N, D], got \(q.shape), \(k.shape), \(v.shape)")
    let (b, h, n, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let m = k.shape[2], dv = v.shape[3]
    try check(k.shape == [b, h, m, d], "attention", "k \(k.shape) does not match q \(q.shape)")
    try check(v.shape == [b, h, m, dv], "attention", "v \(v.shape) does not match k \(k.shape)")
    let out = try makeOutput("attention", [b, h, n, dv], into: into, workspace: workspace)
    try check(!out.overlaps(q) && !out.overlaps(k) && !out.overlaps(v), "attention", "output must not overlap q, k or v")
    let s = scale ?? attentionScale(headWidth: d)
    let (pq, pk, pv, po) = (SendablePointer(q.pointer), SendablePointer(k.pointer), SendablePointer(v.pointer), SendablePointer(out.pointer))
    let operands: @Sendable (Int) -> HeadOperands = { i in
        HeadOperands(q: pq.base + i * n * d, k: pk.base + i * m * d, v: pv.base + i * m * dv, out: po.base + i * n * dv,
                     ldq: d, ldk: d, ldv: dv, ldo: dv)
    }
    // fp32 on AVX-512: the fused kernel (AttentionFused.swift); bf16 and other machines below.
    if precision == .fp32, attendHeadsFused(heads: b * h, n: n, m: m, d: d, dv: dv, scale: s, workspace: workspace,
                                            operands: operands) { return out }
    if threadTilesEnabled, precision == .fp32,
       attendHeadsTiled(heads: b * h, n: n, m: m, d: d, dv: dv, scale: s, workspace: workspace, operands: operands) { return out }
    let scores = workspace ?? Workspace()   // one score buffer for all heads, not one each
    for i in 0..<(b * h) {
        attendHead(q: q.pointer + i * n * d, ldq: d, k: k.pointer + i * m * d, ldk: d, v: v.pointer + i * m * dv, ldv: dv,
                   out: out.pointer + i * n * dv, ldo: dv, n: n, m: m, d: d, dv: dv, scale: s, workspace: scores,
                   precision: precision, bf16Attention: bf16Attention)
    }
    return out
}

/// Multi-head self-attention as DINOv2's `Attention` computes it: one qkv linear
/// with weight [3C, C] (rows ordered q, k, v, each split into heads of C/heads),
/// scaled dot-product attention per head, then the output projection [C, C].
/// x [B, N, C] → [B, N, C].
///
/// Heads are read straight out of the qkv matrix with leading dimension 3C and
/// written straight into [B, N, C], so no permute copies are made.
/// `precision: .bf16`: the two linears and both attention products in bf16 (Precision.swift).
/// With `rotary`, q and k are rotated first (DINOv3's RoPE; RoPE.swift). `bf16Attention`: which
/// torch attention the bf16 products follow (AttentionFusedBF16.swift).
public func multiHeadSelfAttention(_ x: Tensor, qkvWeight: Tensor, qkvBias: Tensor?,
                                   projWeight: Tensor, projBias: Tensor?, heads: Int, rotary: RotaryEmbedding? = nil,
                                   into: Tensor? = nil, workspace: Workspace? = nil, precision: Precision = .fp32,
                                   bf16Attention: BF16Attention = .explicit) throws(NNError) -> Tensor {
    let (b, n, c) = try selfAttentionOperands(x, heads: heads, rotary: rotary, qkvShape: qkvWeight.shape, projShape: projWeight.shape)
    // the fused form's models (RoMa v2) also sum their bf16 linears in torch's order
    let torchOrder = precision == .bf16 && bf16Attention == .fused
    let qkv = torchOrder ? try linearBF16TorchOrder(x, weight: qkvWeight, bias: qkvBias, workspace: workspace)
        : try linear(x, weight: qkvWeight, bias: qkvBias, workspace: workspace, precision: precision)   // [B, N, 3C]
    let mixed = try attendHeads(qkv, batch: b, tokens: n, width: c, heads: heads, rotary: rotary, workspace: workspace,
                                precision: precision, bf16Attention: bf16Attention)
    let out = torchOrder ? try linearBF16TorchOrder(mixed, weight: projWeight, bias: projBias, into: into, workspace: workspace)
        : try linear(mixed, weight: projWeight, bias: projBias, into: into, workspace: workspace, precision: precision)
    workspace?.recycle(mixed)
    return out
}

/// `multiHeadSelfAttention`'s shape checks: (B, N, C) of x [B, N, C].
func selfAttentionOperands(_ x: Tensor, heads: Int, rotary: RotaryEmbedding?, qkvShape: [Int],
                           projShape: [Int]) throws(NNError) -> (Int, Int, Int) {
    try check(x.rank == 3, "multiHeadSelfAttention", "input must be [B, N, C], got \(x.shape)")
    let (b, n, c) = (x.shape[0], x.shape[1], x.shape[2])
    try check(heads >= 1 && c % heads == 0, "multiHeadSelfAttention", "width \(c) does not split into \(heads) heads")
    try check(qkvShape == [3 * c, c], "multiHeadSelfAttention", "qkv weight \(qkvShape), expected [\(3 * c), \(c)]")
    try check(projShape == [c, c], "multiHeadSelfAttention", "proj weight \(projShape), expected [\(c), \(c)]")
    if let rotary {
        try check(rotary.headDim == c / heads, "multiHeadSelfAttention",
                  "rotary tables for heads of \(rotary.headDim), heads are \(c / heads) wide")
    }
    return (b, n, c)
}

/// The heads of `multiHeadSelfAttention`: qkv [B, N, 3C] (rotated first when `rotary` is
/// given, then recycled) → the heads' outputs merged, [B, N, C].
func attendHeads(_ qkv: Tensor, batch b: Int, tokens n: Int, width c: Int, heads: Int, rotary: RotaryEmbedding?,
                 workspace: Workspace?, precision: Precision, bf16Attention: BF16Attention) throws(NNError) -> Tensor {
    let d = c / heads
    if let rotary { try applyRotary(qkv, rotary, groups: 2 * heads) }
    let mixed = workspace?.tensor([b, n, c]) ?? Tensor(uninitialized: [b, n, c])
    let scale = attentionScale(headWidth: d)
    let (pqkv, pmixed) = (SendablePointer(qkv.pointer), SendablePointer(mixed.pointer))
    let operands: @Sendable (Int) -> HeadOperands = { i in
        let base = pqkv.base + (i / heads) * n * 3 * c + (i % heads) * d
        return HeadOperands(q: base, k: base + c, v: base + 2 * c, out: pmixed.base + (i / heads) * n * c + (i % heads) * d,
                            ldq: 3 * c, ldk: 3 * c, ldv: 3 * c, ldo: c)
    }
    // fp32 on AVX-512: the fused kernel (AttentionFused.swift); bf16 and other machines below.
    let fused = precision == .fp32
        && attendHeadsFused(heads: b * heads, n: n, m: n, d: d, dv: d, scale: scale, workspace: workspace, operands: operands)
    let tiled = !fused && threadTilesEnabled && precision == .fp32
        && attendHeadsTiled(heads: b * heads, n: n, m: n, d: d, dv: d, scale: scale, workspace: workspace, operands: operands)
    let scores = workspace ?? Workspace()   // one score buffer for all heads, not one each
    for bi in 0..<b where !tiled && !fused {
        let base = qkv.pointer + bi * n * 3 * c
        for hi in 0..<heads {
            attendHead(q: base + hi * d, ldq: 3 * c, k: base + c + hi * d, ldk: 3 * c, v: base + 2 * c + hi * d, ldv: 3 * c,
                       out: mixed.pointer + bi * n * c + hi * d, ldo: c, n: n, m: n, d: d, dv: d, scale: scale, workspace: scores,
                       precision: precision, bf16Attention: bf16Attention)
        }
    }
    workspace?.recycle(qkv)
    return mixed
}

/// Query rows per block: bounds the score matrix to about this many floats.
private let scoreBudget = 1 << 21

/// One head: out = softmax(q·kᵀ·scale)·v, with q [n, d], k [m, d], v [m, dv] and out [n, dv]
/// given by pointers and leading dimensions. Query rows go in blocks so the score
/// matrix stays bounded for long sequences.
func attendHead(q: UnsafeMutablePointer<Float>, ldq: Int, k: UnsafeMutablePointer<Float>, ldk: Int,
                v: UnsafeMutablePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                n: Int, m: Int, d: Int, dv: Int, scale: Float, workspace: Workspace?, precision: Precision = .fp32,
                bf16Attention: BF16Attention = .explicit) {
    if precision == .bf16 && bf16Attention == .fused {
        return attendHeadFusedBF16(q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, out: out, ldo: ldo,
                                   n: n, m: m, d: d, dv: dv, scale: scale, workspace: workspace)
    }
    if n == 0 || dv == 0 { return }
    if m == 0 {
        for r in 0..<n { (out + r * ldo).update(repeating: .nan, count: dv) }   // softmax over nothing, as torch
        return
    }
    let block = max(1, min(n, scoreBudget / m))
    let scores = scratch(block * m, workspace)
    defer { releaseScratch(scores, workspace) }
    var row0 = 0
    while row0 < n {
        let rows = min(block, n - row0)
        GEMM.sgemm(transB: true, m: rows, n: m, k: d, alpha: scale, a: q + row0 * ldq, lda: ldq, b: k, ldb: ldk,
                   c: scores.base, ldc: m, precision: precision)
        softmaxRows(SendablePointer(scores.base), SendablePointer(scores.base), rows: rows, columns: m, stride: m)
        GEMM.sgemm(m: rows, n: dv, k: m, a: scores.base, lda: m, b: v, ldb: ldv, c: out + row0 * ldo, ldc: ldo,
                   precision: precision)
        row0 += rows
    }
}
