import CLinearAlgebra
import Parallel

/// torch.linalg.cholesky: the lower factor L of each symmetric positive-definite
/// matrix in a [..., N, N] batch (A = L·Lᵀ), upper triangle zero. Only A's lower
/// triangle is read. Throws naming the batch entry when one is not positive definite.
public func choleskyFactor(_ a: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(a.rank >= 2 && a.dim(-1) == a.dim(-2), "choleskyFactor", "input must be [..., N, N], got \(a.shape)")
    let n = a.dim(-1)
    let out = try makeOutput("choleskyFactor", a.shape, into: into, workspace: workspace)
    try check(out.aliases(a) || !out.overlaps(a), "choleskyFactor", "output must be the input itself or not overlap it")
    if !out.aliases(a) { out.pointer.update(from: a.pointer, count: a.count) }
    let batch = n == 0 ? 0 : a.count / (n * n)
    for i in 0..<batch {
        let m = out.pointer + i * n * n
        let info = Threads.withConfiguredBLAS { LAPACKE_spotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), m, Int32(n)) }
        try check(info >= 0, "choleskyFactor", "LAPACKE_spotrf rejected argument \(-info)")
        try check(info == 0, "choleskyFactor", "matrix \(i) of \(a.shape) is not positive definite (leading minor \(info))")
        for r in 0..<n { for c in (r + 1)..<max(r + 1, n) { m[r * n + c] = 0 } }
    }
    return out
}

/// torch.cholesky_solve(b, L, upper=False): X with (L·Lᵀ)·X = B for each batch entry.
/// b [..., N, K], factor [..., N, N] (from `choleskyFactor`, same leading dims, or
/// unbatched and shared) → [..., N, K].
public func choleskySolve(_ b: Tensor, factor: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(factor.rank >= 2 && factor.dim(-1) == factor.dim(-2), "choleskySolve", "factor must be [..., N, N], got \(factor.shape)")
    try check(b.rank >= 2 && b.dim(-2) == factor.dim(-1), "choleskySolve", "right-hand side \(b.shape) does not match factor \(factor.shape)")
    let n = factor.dim(-1), k = b.dim(-1)
    let batch = (n == 0 || k == 0) ? 0 : b.count / (n * k)
    let factorBatch = n == 0 ? 0 : factor.count / (n * n)
    try check(factorBatch == batch || factorBatch == 1 || batch == 0, "choleskySolve",
              "batch of \(b.shape) does not match factor \(factor.shape)")
    let out = try makeOutput("choleskySolve", b.shape, into: into, workspace: workspace)
    try check(out.aliases(b) || !out.overlaps(b), "choleskySolve", "output must be the right-hand side itself or not overlap it")
    try check(!out.overlaps(factor), "choleskySolve", "output must not overlap the factor")
    if !out.aliases(b) { out.pointer.update(from: b.pointer, count: b.count) }
    for i in 0..<batch {
        let l = factor.pointer + (factorBatch == 1 ? 0 : i * n * n)
        let info = Threads.withConfiguredBLAS {
            LAPACKE_spotrs(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(k), l, Int32(n), out.pointer + i * n * k, Int32(k))
        }
        try check(info == 0, "choleskySolve", "LAPACKE_spotrs failed with info \(info)")
    }
    return out
}
