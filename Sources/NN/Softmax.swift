import CKernels
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
/// over rows. `src` and `dst` may be the same memory. `serial`: on the calling thread
/// only (fused attention's tiles, already one per thread).
func softmaxRows(_ src: SendablePointer<Float>, _ dst: SendablePointer<Float>, rows: Int, columns c: Int, stride: Int,
                 serial: Bool = false) {
    let rowRange: @Sendable (Int, Int) -> Void = { begin, end in
        // 16-wide with FMA where the CPU has AVX-512 (same formulas), else the loop below.
        if roma_softmax_rows(src.base + begin * stride, dst.base + begin * stride, end - begin, c, stride) == 0 { return }
        for r in begin..<end {
            let i = src.base + r * stride, o = dst.base + r * stride
            // Row maximum in vectors (the scalar max, NaN-aware, does not vectorise).
            // A NaN is skipped here but still poisons the row through exp and the sum.
            var lanes = SIMD8<Float>(repeating: -.infinity)
            var j = 0
            while j + 8 <= c {
                let v = UnsafeRawPointer(i + j).loadUnaligned(as: SIMD8<Float>.self)
                lanes = lanes.replacing(with: v, where: v .> lanes)
                j += 8
            }
            var m = lanes.max()
            while j < c { if i[j] > m { m = i[j] }; j += 1 }
            // exp in 8-wide vectors (the hot part of attention), tail with the same formula.
            var sums = SIMD8<Float>(repeating: 0)
            let shift = SIMD8<Float>(repeating: m)
            var k = 0
            while k + 8 <= c {
                let e = vectorExp(UnsafeRawPointer(i + k).loadUnaligned(as: SIMD8<Float>.self) - shift)
                UnsafeMutableRawPointer(o + k).storeBytes(of: e, as: SIMD8<Float>.self)
                sums += e
                k += 8
            }
            var sum = sums.sum()
            while k < c { let e = scalarExp(i[k] - m); o[k] = e; sum += e; k += 1 }
            let inv = 1 / sum
            for k in 0..<c { o[k] *= inv }
        }
    }
    if serial {
        rowRange(0, rows)
    } else {
        parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c)), rowRange)
    }
}
