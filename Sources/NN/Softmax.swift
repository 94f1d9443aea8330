import Foundation
import Parallel

/// Softmax over the last dimension, stabilised by subtracting the row maximum.
/// In place when `into` is `x`.
public func softmax(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank >= 1, "softmax", "input must have at least one dimension")
    let out = try makeOutput("softmax", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "softmax", "output must be the input itself or not overlap it")
    let c = x.dim(-1)
    let rows = c == 0 ? 0 : x.count / c
    softmaxRows(SendablePointer(x.pointer), SendablePointer(out.pointer), rows: rows, columns: c, stride: c)
    return out
}

/// Row softmax of a [rows, columns] matrix whose rows are `stride` apart, in parallel
/// over rows. `src` and `dst` may be the same memory.
func softmaxRows(_ src: SendablePointer<Float>, _ dst: SendablePointer<Float>, rows: Int, columns c: Int, stride: Int) {
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c))) { begin, end in
        for r in begin..<end {
            let i = src.base + r * stride, o = dst.base + r * stride
            var m = -Float.infinity
            for k in 0..<c { m = max(m, i[k]) }
            var sum: Float = 0
            for k in 0..<c { let e = expf(i[k] - m); o[k] = e; sum += e }
            let inv = 1 / sum
            for k in 0..<c { o[k] *= inv }
        }
    }
}
