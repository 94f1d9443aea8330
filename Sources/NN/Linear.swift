import Parallel
/// torch.nn.functional.linear: y = x·Wᵀ + b over the last dimension.
/// x [..., in], weight [out, in] (torch's storage order), bias [out] → y [..., out].
/// `precision: .bf16` computes it as torch's CPU autocast does (Precision.swift).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   into: Tensor? = nil, workspace: Workspace? = nil, precision: Precision = .fp32) throws(NNError) -> Tensor {
    let (rows, outFeatures, inFeatures, out) = try linearOperands(x, weight: weight, bias: bias, into: into, workspace: workspace)
    fillRows(out.pointer, rows: rows, columns: outFeatures, with: precision == .bf16 ? try bias.map { b throws(NNError) in try BF16.round(b) } : bias)
    if rows > 0 && outFeatures > 0 && inFeatures > 0 {
        GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x.pointer, lda: inFeatures,
                   b: weight.pointer, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.pointer, ldc: outFeatures,
                   precision: precision)
    } else if precision == .bf16 {
        _ = try BF16.round(out, into: out)   // a bias alone (K = 0) is still a bf16 result
    }
    return out
}

/// Checks `linear`'s operand shapes and makes its output: (rows, out features, in features, output).
func linearOperands(_ x: Tensor, weight: Tensor, bias: Tensor?, into: Tensor?,
                    workspace: Workspace?) throws(NNError) -> (Int, Int, Int, Tensor) {
    try linearOperands(x, weightShape: weight.shape, bias: bias, into: into, workspace: workspace)
}

/// `linearOperands` for a weight known by its shape (a packed one, `BF16PackedLinear`).
func linearOperands(_ x: Tensor, weightShape: [Int], bias: Tensor?, into: Tensor?,
                    workspace: Workspace?) throws(NNError) -> (Int, Int, Int, Tensor) {
    try check(x.rank >= 1, "linear", "input must have at least one dimension, got \(x.shape)")
    try check(weightShape.count == 2 && weightShape[1] == x.dim(-1), "linear",
              "weight \(weightShape) does not match input \(x.shape) (expected [out, \(x.dim(-1))])")
    let outFeatures = weightShape[0], inFeatures = weightShape[1]
    if let bias { try check(bias.shape == [outFeatures], "linear", "bias \(bias.shape), expected [\(outFeatures)]") }
    let out = try makeOutput("linear", Array(x.shape.dropLast()) + [outFeatures], into: into, workspace: workspace)
    try check(!out.overlaps(x), "linear", "output must not overlap the input")
    return (x.count / max(1, inFeatures), outFeatures, inFeatures, out)
}

/// Batched matrix product: a [B, M, K] · b [B, K, N] → [B, M, N], or with
/// `transposeB` b given as [B, N, K] (a·bᵀ). Either operand may be rank 2 (or have
/// B = 1) and is then shared by every batch entry. `alpha` scales the product.
public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, alpha: Float = 1,
                   into: Tensor? = nil, workspace: Workspace? = nil, precision: Precision = .fp32) throws(NNError) -> Tensor {
    try check((2...3).contains(a.rank) && (2...3).contains(b.rank), "matmul", "operands must be rank 2 or 3, got \(a.shape) and \(b.shape)")
    let batchA = a.rank == 3 ? a.shape[0] : 1, batchB = b.rank == 3 ? b.shape[0] : 1
    try check(batchA == batchB || batchA == 1 || batchB == 1, "matmul", "batch sizes of \(a.shape) and \(b.shape) differ")
    let batch = max(batchA, batchB)
    let m = a.dim(-2), k = a.dim(-1)
    let kb = transposeB ? b.dim(-1) : b.dim(-2)
    let n = transposeB ? b.dim(-2) : b.dim(-1)
    try check(k == kb, "matmul", "inner sizes differ: \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let outShape = (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n]
    let out = try makeOutput("matmul", outShape, into: into, workspace: workspace)
    try check(!out.overlaps(a) && !out.overlaps(b), "matmul", "output must not overlap an operand")
    if m == 0 || n == 0 { return out }
    if k == 0 { out.fill(0); return out }
    for i in 0..<batch {
        let pa = a.pointer + (batchA == 1 ? 0 : i * m * k)
        let pb = b.pointer + (batchB == 1 ? 0 : i * k * n)
        GEMM.sgemm(transB: transposeB, m: m, n: n, k: k, alpha: alpha, a: pa, lda: k, b: pb, ldb: transposeB ? k : n,
                   c: out.pointer + i * m * n, ldc: n, precision: precision)
    }
    return out
}

/// Writes `bias` into every row of a [rows, columns] matrix (zeros when nil), so a
/// following GEMM can accumulate onto it with beta = 1. On all threads: for ViT-L's
/// fc1 output (26 MB) one thread alone left the other core idle for milliseconds.
func fillRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns: Int, with bias: Tensor?) {
    guard let bias, columns > 0 else { return }
    let b = SendablePointer(bias.pointer), dst = SendablePointer(p)
    parallelChunks(rows, grain: max(1, elementwiseGrain / columns)) { begin, end in
        for r in begin..<end { (dst.base + r * columns).update(from: b.base, count: columns) }
    }
}
