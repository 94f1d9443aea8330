import Foundation
import Parallel

/// RoMa's CosKernel (romatch/models/matcher.py): for x [B, N, D] and y [B, M, D],
/// K[b, n, m] = exp((c − 1) / T) with c = ⟨x_n, y_m⟩ / (‖x_n‖·‖y_m‖ + eps). → [B, N, M].
public func cosineKernel(_ x: Tensor, _ y: Tensor, temperature: Float, eps: Float = 1e-6,
                         into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 3 && y.rank == 3 && x.shape[0] == y.shape[0] && x.shape[2] == y.shape[2], "cosineKernel",
              "inputs must be [B, N, D] and [B, M, D], got \(x.shape) and \(y.shape)")
    try check(temperature > 0, "cosineKernel", "temperature \(temperature) must be positive")
    let (b, n, m, d) = (x.shape[0], x.shape[1], y.shape[1], x.shape[2])
    let out = try matmul(x, y, transposeB: true, into: into, workspace: workspace)   // dot products, GEMM outside any parallel loop
    let nx = rowNorms(x), ny = rowNorms(y)
    let o = SendablePointer(out.pointer)
    let invT = 1 / temperature
    nx.withUnsafeBufferPointer { nxb in ny.withUnsafeBufferPointer { nyb in
        let px = SendableConstPointer(nxb.baseAddress!), py = SendableConstPointer(nyb.baseAddress!)
        parallelChunks(b * n, grain: max(1, elementwiseGrain / max(1, m))) { begin, end in
            for r in begin..<end {
                let bi = r / n
                let row = o.base + r * m, xn = px[r], yn = py.base + bi * m
                for j in 0..<m {
                    let c = row[j] / (xn * yn[j] + eps)
                    row[j] = expf((c - 1) * invT)
                }
            }
        }
    }}
    _ = d
    return out
}

/// Euclidean norm of each row of a [..., D] tensor, summed in double: the kernel's
/// K(B, B) is solved with condition numbers ~1e4, and a float32 running sum over
/// D = 512 (relative error ~1e-6) scaled its rows and columns by more than torch's
/// float32 norm does.
func rowNorms(_ t: Tensor) -> [Float] {
    let d = t.dim(-1)
    let rows = d == 0 ? 0 : t.count / d
    var norms = [Float](repeating: 0, count: max(1, rows))
    for r in 0..<rows {
        let p = t.pointer + r * d
        var s = 0.0
        for k in 0..<d { let v = Double(p[k]); s += v * v }
        norms[r] = Float(s.squareRoot())
    }
    return norms
}
