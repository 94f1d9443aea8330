import CLinearAlgebra
import Parallel

/// Thin LAPACKE wrappers on row-major `[Double]` matrices. Each checks shapes at
/// the boundary and returns nil when LAPACK reports a failure (never traps), so a
/// degenerate sample becomes "no model", not a crash.
/// Every call holds `Threads.withConfiguredBLAS`, so no other thread changes
/// OpenBLAS's thread count mid-call (inside `withSerialBLAS` they run on one thread).
enum Dense {
    /// Full SVD A = U Σ Vᵀ of a rows×cols matrix: U is rows×rows, Vᵀ cols×cols.
    static func svd(_ a: [Double], rows: Int, cols: Int) -> (u: [Double], s: [Double], vt: [Double])? {
        precondition(a.count == rows * cols, "svd: \(a.count) values for \(rows)×\(cols)")
        var work = a
        var s = [Double](repeating: 0, count: min(rows, cols))
        var u = [Double](repeating: 0, count: rows * rows)
        var vt = [Double](repeating: 0, count: cols * cols)
        var superb = [Double](repeating: 0, count: max(1, min(rows, cols) - 1))
        let info = Threads.withConfiguredBLAS {
            LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 65 /* A */, 65 /* A */, Int32(rows), Int32(cols),
                           &work, Int32(cols), &s, &u, Int32(rows), &vt, Int32(cols), &superb)
        }
        return info == 0 ? (u, s, vt) : nil
    }

    /// The right singular vectors of the `count` smallest singular values
    /// (a basis of the null space for an exactly rank-deficient matrix), as rows.
    static func nullSpace(_ a: [Double], rows: Int, cols: Int, count: Int) -> [[Double]]? {
        precondition(count <= cols)
        guard let (_, _, vt) = svd(a, rows: rows, cols: cols) else { return nil }
        return (cols - count..<cols).map { r in Array(vt[r * cols..<(r + 1) * cols]) }
    }

    /// An orthonormal basis (as rows) of the null space of a rows×cols matrix of
    /// full row rank (rows < cols), from the QR factorisation of Aᵀ (dgeqrf +
    /// dorgqr): the last cols − rows columns of Q. Cheaper than an SVD for the
    /// exactly determined minimal problems.
    static func nullSpaceQR(_ a: [Double], rows: Int, cols: Int) -> [[Double]]? {
        precondition(a.count == rows * cols && rows < cols, "nullSpaceQR: \(a.count) values for \(rows)×\(cols)")
        // Aᵀ is cols×rows; in row-major order that is A's values read column-wise.
        var q = [Double](repeating: 0, count: cols * cols)
        for r in 0..<rows { for c in 0..<cols { q[c * cols + r] = a[r * cols + c] } }
        var tau = [Double](repeating: 0, count: rows)
        let factored = Threads.withConfiguredBLAS {
            LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(cols), Int32(rows), &q, Int32(cols), &tau) == 0
                && LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(cols), Int32(cols), Int32(rows), &q, Int32(cols), &tau) == 0
        }
        guard factored else { return nil }
        return (rows..<cols).map { k in (0..<cols).map { q[$0 * cols + k] } }
    }

    /// Eigen-decomposition of a symmetric n×n matrix: ascending eigenvalues,
    /// eigenvectors as the columns of a row-major n×n matrix.
    static func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        precondition(a.count == n * n, "symmetricEigen: \(a.count) values for \(n)×\(n)")
        var work = a
        var w = [Double](repeating: 0, count: n)
        let info = Threads.withConfiguredBLAS { LAPACKE_dsyev(LAPACK_ROW_MAJOR, 86 /* V */, 85 /* U */, Int32(n), &work, Int32(n), &w) }
        return info == 0 ? (w, work) : nil
    }

    /// Real eigenvalues (|imaginary part| ≤ tolerance·scale) of a general n×n
    /// matrix with their right eigenvectors.
    static func realEigen(_ a: [Double], n: Int, imaginaryTolerance: Double = 1e-8) -> [(value: Double, vector: [Double])]? {
        precondition(a.count == n * n, "realEigen: \(a.count) values for \(n)×\(n)")
        var work = a
        var wr = [Double](repeating: 0, count: n)
        var wi = [Double](repeating: 0, count: n)
        var vl = [Double](repeating: 0, count: 1)
        var vr = [Double](repeating: 0, count: n * n)
        let info = Threads.withConfiguredBLAS {
            LAPACKE_dgeev(LAPACK_ROW_MAJOR, 78 /* N */, 86 /* V */, Int32(n), &work, Int32(n), &wr, &wi, &vl, 1, &vr, Int32(n))
        }
        guard info == 0 else { return nil }
        var out: [(Double, [Double])] = []
        for k in 0..<n where abs(wi[k]) <= imaginaryTolerance * max(1, abs(wr[k])) {
            out.append((wr[k], (0..<n).map { vr[$0 * n + k] }))
        }
        return out
    }

    /// Solves A X = B for square A (n×n) and B (n×nrhs) by LU with pivoting.
    static func solve(_ a: [Double], n: Int, _ b: [Double], nrhs: Int) -> [Double]? {
        precondition(a.count == n * n && b.count == n * nrhs, "solve: shapes do not match")
        var lu = a
        var x = b
        var pivots = [Int32](repeating: 0, count: n)
        let info = Threads.withConfiguredBLAS {
            LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), &lu, Int32(n), &pivots, &x, Int32(nrhs))
        }
        return info == 0 ? x : nil
    }

    /// Solves A x = b for symmetric positive-definite A by Cholesky (nil if not SPD).
    static func solveSPD(_ a: [Double], n: Int, _ b: [Double]) -> [Double]? {
        precondition(a.count == n * n && b.count == n, "solveSPD: shapes do not match")
        var chol = a
        var x = b
        let info = Threads.withConfiguredBLAS { LAPACKE_dposv(LAPACK_ROW_MAJOR, 85 /* U */, Int32(n), 1, &chol, Int32(n), &x, 1) }
        return info == 0 ? x : nil
    }

    /// SVD of a 3×3 matrix as Mat3 factors.
    static func svd3(_ m: Mat3) -> (u: Mat3, s: SIMD3<Double>, vt: Mat3)? {
        guard let (u, s, vt) = svd(m.values, rows: 3, cols: 3) else { return nil }
        return (Mat3(u), SIMD3(s[0], s[1], s[2]), Mat3(vt))
    }
}
