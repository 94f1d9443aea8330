import CLinearAlgebra
import Foundation
import NN

/// The coarse match embedding: a Gaussian-process regression from B's features
/// to a Fourier embedding of B's pixel positions, evaluated at A's features
/// (the reference's `GP` with `CosKernel`, T = 0.2, σ_noise = 0.1, no covariance):
/// `μ = K(A, B) · (K(B, B) + σI)⁻¹ · φ(pos_B)`.
struct GaussianProcessEmbedding: Sendable {
    let positionConv: Conv2d
    let temperature: Float = 0.2
    let sigmaNoise: Float = 0.1

    init(_ r: LayerReader, dim: Int) throws {
        positionConv = try r("pos_conv").conv(out: dim, in: 2, kernel: 1)
    }

    /// `cos(8π · conv(coords))` over B's normalised pixel-centre grid, as tokens `[1, h·w, D]`.
    func positionBasis(height: Int, width: Int) throws -> Tensor {
        let xs = normalisedCentres(width), ys = normalisedCentres(height)
        let coords = Tensor(zeros: [1, 2, height, width])
        let p = coords.pointer
        for y in 0..<height {
            for x in 0..<width {
                p[y * width + x] = xs[x]
                p[height * width + y * width + x] = ys[y]
            }
        }
        let f = try positionConv(coords)
        let k = Float(8 * Double.pi)
        return try tokens(mapElements(f, into: f) { cos(k * $0) })
    }

    /// Cosine-similarity kernel `[1, N, M]` of tokens `[1, N, D]` and `[1, M, D]`.
    func kernel(_ x: Tensor, _ y: Tensor) throws -> Tensor {
        FlopCounter.add(2 * Double(x.shape[1] * y.shape[1] * x.shape[2]))
        return try cosineKernel(x, y, temperature: temperature)
    }

    /// Posterior mean `[1, D, h, w]` for A's features `a` given B's `b` (both `[1, dim, h, w]`).
    func callAsFunction(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let x = try tokens(a), y = try tokens(b)
        let basis = try positionBasis(height: b.height, width: b.width)
        let n = y.shape[1], d = basis.shape[2]
        // Cholesky in double rather than NN's float32 `choleskyFactor`: K_yy's
        // condition number reaches ~1e4 at 35×35, where float32 loses digits the
        // reference's float32 solve also loses (differently); double keeps our
        // side's share of the difference negligible.
        let kyyFloat = try kernel(y, y)
        var kyy = kyyFloat.array.map(Double.init)
        for i in 0..<n { kyy[i * n + i] += Double(sigmaNoise) }
        var rhs = basis.array.map(Double.init)
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
        let weights = Tensor(rhs.map(Float.init), shape: [1, n, d])
        let kxy = try kernel(x, y)
        FlopCounter.add(2 * Double(x.shape[1] * n * d))
        let mu = try matmul(kxy, weights)
        return try featureMap(mu, height: a.height, width: a.width)
    }
}
