import Parallel

/// x += gamma ⊙ (y + bias) over the last dimension, in place and in one pass: the end of
/// a pre-norm transformer branch (DINOv2's `x + ls(proj(...))`, `x + ls(fc2(...))`) when
/// the linear ran without its bias (y = W·h). Each element is rounded as the separate
/// ops round it — y + b, then γ·(y + b), then the sum with x, no fused multiply-add —
/// while the bias fill before the GEMM, the layer-scale pass and the residual-add pass
/// over memory go away. `bias` and `gamma` [C] are optional (nil: 0 and 1).
public func addResidual(_ x: Tensor, _ y: Tensor, bias: Tensor? = nil, gamma: Tensor? = nil) throws(NNError) {
    try check(x.rank >= 1 && y.shape == x.shape, "addResidual", "branch \(y.shape) does not match the stream \(x.shape)")
    let c = x.dim(-1)
    for (name, v) in [("bias", bias), ("gamma", gamma)] {
        if let v { try check(v.shape == [c], "addResidual", "\(name) \(v.shape), expected [\(c)]") }
    }
    try check(!x.overlaps(y), "addResidual", "the branch must not overlap the stream")
    guard c > 0 else { return }
    let px = SendablePointer(x.pointer), py = SendablePointer(y.pointer)
    let pb = bias.map { SendablePointer($0.pointer) }, pg = gamma.map { SendablePointer($0.pointer) }
    parallelChunks(x.count / c, grain: max(1, elementwiseGrain / c)) { begin, end in
        for r in begin..<end {
            let xr = px.base + r * c, yr = py.base + r * c
            switch (pb, pg) {
            case let (b?, g?): for j in 0..<c { xr[j] += g[j] * (yr[j] + b[j]) }
            case let (b?, nil): for j in 0..<c { xr[j] += yr[j] + b[j] }
            case let (nil, g?): for j in 0..<c { xr[j] += g[j] * yr[j] }
            case (nil, nil): for j in 0..<c { xr[j] += yr[j] }
            }
        }
    }
}
