import CLinearAlgebra
import Parallel

/// Nearest neighbours in both directions from one pass over the distance matrix:
/// the two nearest rows of B for each row of A (for the ratio test) and the nearest
/// row of A for each row of B (for the mutual check).
///
/// Squared distances come from ‖a‖² + ‖b‖² − 2·a·b with the products from one SGEMM
/// per block of A's rows, so the n_A × n_B matrix is never held whole (a block of
/// `blockRows` rows is; 512 × 8000 floats = 16 MB). OpenCV's brute-force matcher
/// computes every distance twice (once per direction) and without BLAS; this is the
/// same arithmetic done once. Ties go to the lower index, as in a plain scan.
///
/// Shapes: `a` is `countA × dim`, `b` is `countB × dim`, row-major.
public func nearestNeighboursBothWays(a: [Float], countA: Int, b: [Float], countB: Int, dim: Int,
                                      blockRows: Int = 512) -> (forward: NearestNeighbours, backward: NearestNeighbours) {
    precondition(countA >= 0 && countB >= 0 && dim > 0 && blockRows > 0)
    precondition(a.count == countA * dim && b.count == countB * dim, "descriptor arrays do not match their shapes")
    var state = BothWaysState(countA: countA, countB: countB)
    if countA > 0 && countB > 0 {
        let normsA = squaredNorms(a, rows: countA, dim: dim)
        let normsB = squaredNorms(b, rows: countB, dim: dim)
        let products = UnsafeMutablePointer<Float>.allocate(capacity: min(blockRows, countA) * countB)
        defer { products.deallocate() }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var start = 0
                while start < countA {
                    let rows = min(blockRows, countA - start)
                    // products[r, j] = a[start + r] · b[j]
                    Threads.withConfiguredBLAS {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(countB), Int32(dim),
                                    1, pa.baseAddress! + start * dim, Int32(dim), pb.baseAddress!, Int32(dim),
                                    0, products, Int32(countB))
                    }
                    state.scan(products: products, firstRow: start, rows: rows, normsA: normsA, normsB: normsB)
                    start += rows
                }
            }
        }
    }
    return state.result()
}

/// Running minima while the blocks go by.
private struct BothWaysState {
    let countB: Int
    var forwardIndex: [Int32]
    var forwardSquared: [Float]
    var backwardIndex: [Int32]
    var backwardSquared: [Float]

    init(countA: Int, countB: Int) {
        self.countB = countB
        forwardIndex = [Int32](repeating: -1, count: 2 * countA)
        forwardSquared = [Float](repeating: .infinity, count: 2 * countA)
        backwardIndex = [Int32](repeating: -1, count: countB)
        backwardSquared = [Float](repeating: .infinity, count: countB)
    }

    /// One block: rows `firstRow ..< firstRow + rows` of A against all of B.
    mutating func scan(products: UnsafePointer<Float>, firstRow: Int, rows: Int, normsA: [Float], normsB: [Float]) {
        let countB = self.countB
        normsB.withUnsafeBufferPointer { nb in
            backwardSquared.withUnsafeMutableBufferPointer { bd in
                backwardIndex.withUnsafeMutableBufferPointer { bi in
                    for r in 0..<rows {
                        let i = firstRow + r
                        let row = products + r * countB
                        let na = normsA[i]
                        var best = (Float.infinity, Int32(-1)), second = (Float.infinity, Int32(-1))
                        for j in 0..<countB {
                            // Rounding can push a true 0 slightly negative.
                            let d = max(0, na + nb[j] - 2 * row[j])
                            if d < best.0 {
                                second = best
                                best = (d, Int32(j))
                            } else if d < second.0 {
                                second = (d, Int32(j))
                            }
                            if d < bd[j] {
                                bd[j] = d
                                bi[j] = Int32(i)
                            }
                        }
                        forwardIndex[2 * i] = best.1
                        forwardSquared[2 * i] = best.0
                        forwardIndex[2 * i + 1] = second.1
                        forwardSquared[2 * i + 1] = second.0
                    }
                }
            }
        }
    }

    /// Squared → Euclidean, as Lowe's ratio is defined on distances.
    func result() -> (forward: NearestNeighbours, backward: NearestNeighbours) {
        (NearestNeighbours(k: 2, index: forwardIndex, distance: forwardSquared.map { $0.squareRoot() }),
         NearestNeighbours(k: 1, index: backwardIndex, distance: backwardSquared.map { $0.squareRoot() }))
    }
}

private func squaredNorms(_ x: [Float], rows: Int, dim: Int) -> [Float] {
    var out = [Float](repeating: 0, count: rows)
    x.withUnsafeBufferPointer { p in
        for i in 0..<rows {
            var s: Float = 0
            for k in 0..<dim { s += p[i * dim + k] * p[i * dim + k] }
            out[i] = s
        }
    }
    return out
}
