/// Small fixed-shape factorisations in plain Swift for the minimal solvers' hot
/// path. Through LAPACKE these cost more in call overhead (row-major transposes,
/// workspace queries, dlamch) than in arithmetic: the 5×9 null space and the
/// 10×10 elimination run 10 000 times per RANSAC.
enum SmallDense {
    /// Orthonormal basis (as rows) of the null space of a `rows`×`cols` matrix of
    /// full row rank (rows < cols), row-major: Householder QR of Aᵀ, whose last
    /// cols − rows columns of Q span it. Nil when A is rank-deficient.
    static func nullSpace(_ a: [Double], rows: Int, cols: Int) -> [[Double]]? {
        precondition(a.count == rows * cols && rows < cols, "nullSpace: \(a.count) values for \(rows)×\(cols)")
        // Row k of A (row-major) is column k of Aᵀ: reflect these columns in place.
        var w = a
        var betas = [Double](repeating: 0, count: rows)
        var scale = 0.0
        for v in a { scale = max(scale, abs(v)) }
        guard scale > 0, scale.isFinite else { return nil }
        for k in 0..<rows {
            let base = k * cols
            var norm2 = 0.0
            for i in k..<cols { norm2 += w[base + i] * w[base + i] }
            let norm = norm2.squareRoot()
            guard norm > 1e-12 * scale else { return nil }
            let alpha = w[base + k] > 0 ? -norm : norm
            // v = x − αe₁ (stored over column k), β = 2 / vᵀv.
            w[base + k] -= alpha
            let vv = norm2 - 2 * alpha * (w[base + k] + alpha) + alpha * alpha
            betas[k] = 2 / vv
            for j in (k + 1)..<rows {
                let other = j * cols
                var d = 0.0
                for i in k..<cols { d += w[base + i] * w[other + i] }
                let f = betas[k] * d
                for i in k..<cols { w[other + i] -= f * w[base + i] }
            }
        }
        // Q eⱼ = H₀ H₁ … H_{rows−1} eⱼ for the trailing columns j.
        return (rows..<cols).map { j in
            var u = [Double](repeating: 0, count: cols)
            u[j] = 1
            for k in stride(from: rows - 1, through: 0, by: -1) {
                let base = k * cols
                var d = 0.0
                for i in k..<cols { d += w[base + i] * u[i] }
                let f = betas[k] * d
                for i in k..<cols { u[i] -= f * w[base + i] }
            }
            return u
        }
    }

    /// Solves A X = B in place (A n×n, B n×nrhs, row-major) by Gaussian
    /// elimination with partial pivoting; on success B holds X. False when A is
    /// numerically singular.
    static func solve(_ a: inout [Double], n: Int, _ b: inout [Double], nrhs: Int) -> Bool {
        precondition(a.count == n * n && b.count == n * nrhs, "solve: shapes do not match")
        var scale = 0.0
        for v in a { scale = max(scale, abs(v)) }
        guard scale > 0, scale.isFinite else { return false }
        return a.withUnsafeMutableBufferPointer { ab in b.withUnsafeMutableBufferPointer { bb in
            let a = ab.baseAddress!, b = bb.baseAddress!
            for k in 0..<n {
                var pivot = k
                for i in (k + 1)..<n where abs(a[i * n + k]) > abs(a[pivot * n + k]) { pivot = i }
                guard abs(a[pivot * n + k]) > 1e-14 * scale else { return false }
                if pivot != k {
                    for j in 0..<n { swap(&a[k * n + j], &a[pivot * n + j]) }
                    for j in 0..<nrhs { swap(&b[k * nrhs + j], &b[pivot * nrhs + j]) }
                }
                let inv = 1 / a[k * n + k]
                for i in 0..<n where i != k {
                    let f = a[i * n + k] * inv
                    if f == 0 { continue }
                    for j in k..<n { a[i * n + j] -= f * a[k * n + j] }
                    for j in 0..<nrhs { b[i * nrhs + j] -= f * b[k * nrhs + j] }
                }
            }
            for i in 0..<n {
                let inv = 1 / a[i * n + i]
                for j in 0..<nrhs { b[i * nrhs + j] *= inv }
            }
            return true
        }}
    }
}
