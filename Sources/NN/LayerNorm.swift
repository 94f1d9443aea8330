import CKernels
import Parallel

/// torch.nn.functional.layer_norm over the last dimension of x [..., C]:
/// (x − mean) / sqrt(var + eps) · weight + bias, with the biased variance.
/// DINOv2 uses eps = 1e-6; torch's default is 1e-5. In place when `into` is `x`.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5,
                      into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (out, rows, c) = try layerNormOperands("layerNorm", x, weight: weight, bias: bias, into: into, workspace: workspace)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let wp = weight.map { SendablePointer($0.pointer) }, bp = bias.map { SendablePointer($0.pointer) }
    // Two passes (mean, then squared deviations) as torch does, accumulated and applied
    // in double: a float32 running sum over C = 1024 loses digits with the row's mean
    // (relative error 2.4e-5 at mean 50, std 1; torch's float32 gives 2.1e-6), and 59 such
    // norms feed the coarse anchor logits (docs/model.md, "Float32 error against float64").
    // In C (CKernels/norms.c) so that eight rows' serial double sums run interleaved.
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c))) { begin, end in
        roma_layer_norm_rows(src.base + begin * c, dst.base + begin * c, end - begin, c,
                             wp?.base, bp?.base, eps)
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
