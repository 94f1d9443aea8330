/// out += x·Wᵀ + b: a linear layer added straight onto `out` (fp32), the way a
/// transformer block adds its attention projection and its second MLP layer onto the
/// residual stream. x [..., in], weight [out, in], bias [out], out [..., out].
///
/// The product accumulates onto `out` inside the GEMM (β = 1), so the layer's output
/// never goes through memory on its own and no separate residual-add pass runs.
/// Rounding differs from `out + linear(x)` only in order: out + b first, then the product.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, accumulatingInto out: Tensor) throws(NNError) {
    try check(x.rank >= 1, "linear", "input must have at least one dimension, got \(x.shape)")
    try check(weight.rank == 2 && weight.shape[1] == x.dim(-1), "linear",
              "weight \(weight.shape) does not match input \(x.shape) (expected [out, \(x.dim(-1))])")
    let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
    if let bias { try check(bias.shape == [outFeatures], "linear", "bias \(bias.shape), expected [\(outFeatures)]") }
    try check(out.shape == Array(x.shape.dropLast()) + [outFeatures], "linear",
              "accumulator \(out.shape) does not match input \(x.shape) and weight \(weight.shape)")
    try check(!out.overlaps(x) && !out.overlaps(weight), "linear", "accumulator must not overlap the input or weight")
    if let bias { _ = try add(out, bias, into: out) }
    let rows = x.count / max(1, inFeatures)
    if rows > 0 && outFeatures > 0 && inFeatures > 0 {
        GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x.pointer, lda: inFeatures,
                   b: weight.pointer, ldb: inFeatures, beta: 1, c: out.pointer, ldc: outFeatures)
    }
}
