import CKernels
import Parallel

/// torch.permute followed by .contiguous(): output dimension i is input dimension dims[i].
public func permute(_ x: Tensor, _ dims: [Int], into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(dims.sorted() == Array(0..<x.rank), "permute", "\(dims) is not a permutation of the \(x.rank) dimensions of \(x.shape)")
    let outShape = dims.map { x.shape[$0] }
    let out = try makeOutput("permute", outShape, into: into, workspace: workspace)
    try check(!out.overlaps(x), "permute", "output must not overlap the input")
    if x.count == 0 { return out }
    if let (batches, rows, cols) = batchTranspose(x.shape, dims), rows > 1, cols > 1 {
        // Tiles instead of one strided read per element: the strided loop below touches
        // a new cache line for each element of an output row.
        let src = UnsafeRawPointer(x.pointer), dst = UnsafeMutableRawPointer(out.pointer)
        let s = SendableRawPointers(src: src, dst: dst), tile = 32
        let chunks = rows >= 2 * tile && x.count >= elementwiseGrain ? min(64, rows / tile) : 1
        parallelFor(chunks) { i in
            let first = rows * i / chunks / tile * tile, end = i == chunks - 1 ? rows : rows * (i + 1) / chunks / tile * tile
            roma_transpose32(s.src, s.dst, batches, rows, cols, first, end)
        }
        return out
    }
    var inStrides = [Int](repeating: 1, count: x.rank)
    for d in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * x.shape[d + 1] }
    let strides = dims.map { inStrides[$0] }   // input stride of each output dimension
    let last = outShape.last ?? 1, lastStride = strides.last ?? 1
    let rows = x.count / last
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, last))) { begin, end in
        for r in begin..<end {
            var rest = r, offset = 0
            for d in stride(from: outShape.count - 2, through: 0, by: -1) {
                offset += (rest % outShape[d]) * strides[d]
                rest /= outShape[d]
            }
            let o = dst.base + r * last, i = src.base + offset
            for k in 0..<last { o[k] = i[k * lastStride] }
        }
    }
    return out
}

/// (batches, rows, cols) when `dims` keeps the leading dimensions and swaps two trailing
/// groups ([…, rows…, cols…] → […, cols…, rows…]): a batch of matrix transposes.
func batchTranspose(_ shape: [Int], _ dims: [Int]) -> (Int, Int, Int)? {
    let r = dims.count
    var b = 0
    while b < r, dims[b] == b { b += 1 }
    guard b < r else { return nil }
    let k = dims[b]
    guard k > b, dims[b...] == ArraySlice(Array(k..<r) + Array(b..<k)) else { return nil }
    return (shape[..<b].reduce(1, *), shape[b..<k].reduce(1, *), shape[k...].reduce(1, *))
}

private struct SendableRawPointers: @unchecked Sendable {
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer
}

/// torch.cat along `dim`: every input has the same shape except in `dim`.
public func concat(_ xs: [Tensor], dim: Int, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(!xs.isEmpty, "concat", "needs at least one tensor")
    let rank = xs[0].rank
    let d = dim < 0 ? dim + rank : dim
    try check(d >= 0 && d < rank, "concat", "dimension \(dim) out of range for \(xs[0].shape)")
    for t in xs {
        try check(t.rank == rank && (0..<rank).allSatisfy { $0 == d || t.shape[$0] == xs[0].shape[$0] }, "concat",
                  "shapes \(xs.map(\.shape)) differ outside dimension \(d)")
    }
    var outShape = xs[0].shape
    outShape[d] = xs.reduce(0) { $0 + $1.shape[d] }
    let out = try makeOutput("concat", outShape, into: into, workspace: workspace)
    for t in xs { try check(!out.overlaps(t), "concat", "output must not overlap an input") }
    let outer = xs[0].shape[..<d].reduce(1, *)
    let inner = xs[0].shape[(d + 1)...].reduce(1, *)
    let outRow = outShape[d] * inner
    var column = 0
    for t in xs {
        let chunk = t.shape[d] * inner
        for o in 0..<outer { (out.pointer + o * outRow + column).update(from: t.pointer + o * chunk, count: chunk) }
        column += chunk
    }
    return out
}

/// torch.narrow(...).contiguous(): elements start..<start+length of dimension `dim`.
public func narrow(_ x: Tensor, dim: Int, start: Int, length: Int, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let d = dim < 0 ? dim + x.rank : dim
    try check(d >= 0 && d < x.rank, "narrow", "dimension \(dim) out of range for \(x.shape)")
    try check(start >= 0 && length >= 0 && start + length <= x.shape[d], "narrow", "range \(start)..<\(start + length) outside dimension \(d) of \(x.shape)")
    var outShape = x.shape
    outShape[d] = length
    let out = try makeOutput("narrow", outShape, into: into, workspace: workspace)
    try check(!out.overlaps(x), "narrow", "output must not overlap the input")
    let outer = x.shape[..<d].reduce(1, *), inner = x.shape[(d + 1)...].reduce(1, *)
    for o in 0..<outer {
        (out.pointer + o * length * inner).update(from: x.pointer + (o * x.shape[d] + start) * inner, count: length * inner)
    }
    return out
}
