import Parallel

/// torch.nn.functional.layer_norm over the last dimension of x [..., C]:
/// (x − mean) / sqrt(var + eps) · weight + bias, with the biased variance.
/// DINOv2 uses eps = 1e-6; torch's default is 1e-5. In place when `into` is `x`.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5,
                      into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (out, rows, c) = try layerNormOperands("layerNorm", x, weight: weight, bias: bias, into: into, workspace: workspace)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let wp = weight.map { SendablePointer($0.pointer) }, bp = bias.map { SendablePointer($0.pointer) }
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c))) { begin, end in
        for r in begin..<end {
            let i = src.base + r * c, o = dst.base + r * c
            // Two passes (mean, then squared deviations) as torch does, accumulated and
            // applied in double: a float32 running sum over C = 1024 loses digits with the
            // row's mean (relative error 2.4e-5 at mean 50, std 1; torch's float32 gives 2.1e-6),
            // and 59 such norms feed the coarse anchor logits (docs/model.md, "Float32 error
            // against float64").
            var sum = 0.0
            for k in 0..<c { sum += Double(i[k]) }
            let mean = sum / Double(c)
            var sq = 0.0
            for k in 0..<c { let d = Double(i[k]) - mean; sq += d * d }
            let inv = 1 / (sq / Double(c) + Double(eps)).squareRoot()
            switch (wp, bp) {
            case let (w?, b?): for k in 0..<c { o[k] = Float((Double(i[k]) - mean) * inv * Double(w[k]) + Double(b[k])) }
            case let (w?, nil): for k in 0..<c { o[k] = Float((Double(i[k]) - mean) * inv * Double(w[k])) }
            case let (nil, b?): for k in 0..<c { o[k] = Float((Double(i[k]) - mean) * inv + Double(b[k])) }
            case (nil, nil): for k in 0..<c { o[k] = Float((Double(i[k]) - mean) * inv) }
            }
        }
    }
    return out
}

/// A layer norm's operand checks (`op` names it in errors) and its output: the output tensor,
/// the number of rows and their width C.
func layerNormOperands(_ op: String, _ x: Tensor, weight: Tensor?, bias: Tensor?, into: Tensor?,
                       workspace: Workspace?) throws(NNError) -> (out: Tensor, rows: Int, c: Int) {
    try check(x.rank >= 1, op, "input must have at least one dimension")
    let c = x.dim(-1)
    if let weight { try check(weight.shape == [c], op, "weight \(weight.shape), expected [\(c)]") }
    if let bias { try check(bias.shape == [c], op, "bias \(bias.shape), expected [\(c)]") }
    let out = try makeOutput(op, x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), op, "output must be the input itself or not overlap it")
    return (out, c == 0 ? 0 : x.count / c, c)
}
