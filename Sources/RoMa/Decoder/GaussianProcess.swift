import CLinearAlgebra
import Foundation
import NN
import Parallel

/// The coarse match embedding: a Gaussian-process regression from B's features
/// to a Fourier embedding of B's pixel positions, evaluated at A's features
/// (the reference's `GP` with `CosKernel`, T = 0.2, σ_noise = 0.1, no covariance):
/// `μ = K(A, B) · (K(B, B) + σI)⁻¹ · φ(pos_B)`, computed in double.
struct GaussianProcessEmbedding: Sendable {
    let positionConv: Conv2d
    let temperature: Float = 0.2
    let sigmaNoise: Float = 0.1

    init(_ r: LayerReader, dim: Int) throws {
        positionConv = try r("pos_conv").conv(out: dim, in: 2, kernel: 1)
    }

    /// `cos(8π · conv(coords))` over B's pixel-centre grid, as tokens `[h·w, D]` in double.
    func positionBasis(height: Int, width: Int) -> [Double] {
        let d = positionConv.weight.shape[0]
        let w = positionConv.weight.array.map(Double.init), bias = positionConv.bias.array.map(Double.init)
        let k = 8 * Double.pi
        var basis = [Double](repeating: 0, count: height * width * d)
        // Rows on all threads (serial, its h·w·D cosines left a core idle); each value as before.
        basis.withUnsafeMutableBufferPointer { bp in
            let out = SendablePointer(bp.baseAddress!)
            parallelFor(height) { y in
                let cy = -1 + (2 * Double(y) + 1) / Double(height)
                for x in 0..<width {
                    let cx = -1 + (2 * Double(x) + 1) / Double(width), row = (y * width + x) * d
                    for c in 0..<d { out[row + c] = cos(k * (w[2 * c] * cx + w[2 * c + 1] * cy + bias[c])) }
                }
            }
        }
        return basis
    }

    /// Cosine-similarity kernel `exp((c − 1)/T)`, `[rows, cols]`, of row-major token matrices
    /// `[rows, dim]` and `[cols, dim]`, in double (the reference's `CosKernel`, eps 1e-6).
    func kernel(_ x: [Double], _ y: [Double], rows: Int, cols: Int, dim: Int) -> [Double] {
        FlopCounter.add(2 * Double(rows * cols * dim))
        var k = [Double](repeating: 0, count: rows * cols)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(dim), 1, x, Int32(dim), y, Int32(dim),
                    0, &k, Int32(cols))
        // Row norms on all threads, each summed from its first element to its last as before.
        let norm = { (t: [Double], n: Int) -> [Double] in
            var out = [Double](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { op in
                let o = SendablePointer(op.baseAddress!)
                parallelFor(n) { r in
                    var sum = 0.0
                    for j in 0..<dim { sum = sum + t[r * dim + j] * t[r * dim + j] }
                    o[r] = sum.squareRoot()
                }
            }
            return out
        }
        let nx = norm(x, rows), ny = norm(y, cols), t = Double(temperature)
        // Rows on all threads: rows·cols exponentials in double are most of this stage's serial time.
        k.withUnsafeMutableBufferPointer { kp in
            let kb = SendablePointer(kp.baseAddress!)
            parallelFor(rows) { i in
                for j in 0..<cols { kb[i * cols + j] = exp((kb[i * cols + j] / (nx[i] * ny[j] + 1e-6) - 1) / t) }
            }
        }
        return k
    }

    /// Posterior mean `[1, D, h, w]` for A's features `a` given B's `b` (both `[1, dim, h, w]`).
    /// All in double, from the float32 features to the rounded result: K(B, B)'s condition
    /// number reaches ~1e4, so float32 kernels and solves (the reference's) lose about four
    /// digits here, and this stage decided which of two near-tied anchors won (docs/model.md,
    /// "Float32 error against float64"). It costs a few tens of milliseconds per direction.
    /// Its BLAS and LAPACK calls see the configured OpenBLAS thread count (Threads.swift).
    func callAsFunction(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Threads.withConfiguredBLAS { try posteriorMean(a, b) }
    }

    private func posteriorMean(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let x = try tokens(a), y = try tokens(b)
        let (m, n, dim) = (x.shape[1], y.shape[1], x.shape[2])
        let xs = x.array.map(Double.init), ys = y.array.map(Double.init)
        var rhs = positionBasis(height: b.height, width: b.width)
        let d = rhs.count / n
        var kyy = kernel(ys, ys, rows: n, cols: n, dim: dim)
        for i in 0..<n { kyy[i * n + i] += Double(sigmaNoise) }
        let info = kyy.withUnsafeMutableBufferPointer { kp in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), kp.baseAddress!, Int32(n))
        }
        guard info == 0 else { throw RoMaError("GP kernel matrix is not positive definite (dpotrf info \(info))") }
        let solved = kyy.withUnsafeBufferPointer { kp in
            rhs.withUnsafeMutableBufferPointer { rp in
                LAPACKE_dpotrs(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(d), kp.baseAddress!, Int32(n), rp.baseAddress!, Int32(d))
            }
        }
        guard solved == 0 else { throw RoMaError("GP solve failed (dpotrs info \(solved))") }
        FlopCounter.add(Double(n) * Double(n) * Double(n) / 3 + 2 * Double(n * n * d))
        let kxy = kernel(xs, ys, rows: m, cols: n, dim: dim)
        FlopCounter.add(2 * Double(m * n * d))
        var mu = [Double](repeating: 0, count: m * d)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(d), Int32(n), 1, kxy, Int32(n), rhs, Int32(d),
                    0, &mu, Int32(d))
        return try featureMap(Tensor(mu.map(Float.init), shape: [1, m, d]), height: a.height, width: a.width)
    }
}
