import Foundation
import Parallel

/// Batch norm parameters in inference mode (running statistics), as torch stores them.
public struct BatchNormParameters: Sendable {
    public var gamma: Tensor      // weight [C]
    public var beta: Tensor       // bias [C]
    public var mean: Tensor       // running_mean [C]
    public var variance: Tensor   // running_var [C]
    public var eps: Float         // torch default 1e-5

    public init(gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, eps: Float = 1e-5) {
        self.gamma = gamma; self.beta = beta; self.mean = mean; self.variance = variance; self.eps = eps
    }

    var channels: Int { gamma.count }

    func validate(_ op: String, channels c: Int) throws(NNError) {
        for (name, t) in [("gamma", gamma), ("beta", beta), ("mean", mean), ("variance", variance)] {
            try check(t.shape == [c], op, "\(name) has shape \(t.shape), expected [\(c)]")
        }
    }
}

/// torch.nn.functional.batch_norm in eval mode over dimension 1 of x [N, C, ...]:
/// y = (x − mean) / sqrt(var + eps) · γ + β. May run in place (`into: x`).
public func batchNorm(_ x: Tensor, _ bn: BatchNormParameters,
                      into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank >= 2, "batchNorm", "input must be [N, C, ...], got \(x.shape)")
    let c = x.shape[1]
    try bn.validate("batchNorm", channels: c)
    let out = try makeOutput("batchNorm", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "batchNorm", "output must be the input itself or not overlap it")
    let plane = x.count / max(1, x.shape[0] * c)
    let (scale, shift) = bn.scaleAndShift()
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelFor(x.shape[0] * c) { job in
        let ch = job % c
        let a = scale[ch], b = shift[ch]
        let i = src.base + job * plane, o = dst.base + job * plane
        for k in 0..<plane { o[k] = i[k] * a + b }
    }
    return out
}

extension BatchNormParameters {
    /// Per-channel y = x·scale + shift equivalent of this batch norm.
    func scaleAndShift() -> ([Float], [Float]) {
        var scale = [Float](repeating: 0, count: channels), shift = scale
        for c in 0..<channels {
            scale[c] = gamma.pointer[c] / (variance.pointer[c] + eps).squareRoot()
            shift[c] = beta.pointer[c] - mean.pointer[c] * scale[c]
        }
        return (scale, shift)
    }
}

/// Folds an inference-mode batch norm into the convolution before it, so the pair
/// costs one convolution: W'[o] = W[o]·s[o], b'[o] = (b[o] − mean[o])·s[o] + β[o],
/// with s = γ / sqrt(var + eps). weight [Cout, ...], bias [Cout] or nil (zero).
/// Returns new tensors; the inputs are left unchanged.
public func foldBatchNorm(weight: Tensor, bias: Tensor?, _ bn: BatchNormParameters) throws(NNError) -> (weight: Tensor, bias: Tensor) {
    try check(weight.rank >= 1, "foldBatchNorm", "weight must be [Cout, ...], got \(weight.shape)")
    let cout = weight.shape[0]
    try bn.validate("foldBatchNorm", channels: cout)
    if let bias { try check(bias.shape == [cout], "foldBatchNorm", "bias \(bias.shape), expected [\(cout)]") }
    let per = weight.count / max(1, cout)
    let w = weight.copy(), b = Tensor(zeros: [cout])
    for o in 0..<cout {
        let s = bn.gamma.pointer[o] / (bn.variance.pointer[o] + bn.eps).squareRoot()
        let row = w.pointer + o * per
        for k in 0..<per { row[k] *= s }
        b.pointer[o] = ((bias?.pointer[o] ?? 0) - bn.mean.pointer[o]) * s + bn.beta.pointer[o]
    }
    return (w, b)
}
