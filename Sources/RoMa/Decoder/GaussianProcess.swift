import CLinearAlgebra
import Foundation

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

    /// `cos(8π · conv(coords))` over B's normalised pixel-centre grid, as tokens.
    func positionBasis(height: Int, width: Int) -> Tokens {
        let xs = normalisedCentres(width), ys = normalisedCentres(height)
        var coords = FeatureMap(zeros: 2, height, width)
        for y in 0..<height {
            for x in 0..<width {
                coords.data[y * width + x] = xs[x]
                coords.data[height * width + y * width + x] = ys[y]
            }
        }
        var f = positionConv(coords)
        let k = Float(8 * Double.pi)
        for i in 0..<f.data.count { f.data[i] = cos(k * f.data[i]) }
        return f.tokens
    }

    /// Cosine-similarity kernel `exp((cos - 1) / T)`, with the reference's eps on the norm product.
    func kernel(_ x: Tokens, _ y: Tokens) -> [Float] {
        let d = x.dim
        var k = [Float](repeating: 0, count: x.count * y.count)
        k.withUnsafeMutableBufferPointer { kp in
            x.data.withUnsafeBufferPointer { a in
                y.data.withUnsafeBufferPointer { b in
                    sgemm(transB: true, m: x.count, n: y.count, k: d, a.baseAddress!, lda: d, b.baseAddress!, ldb: d, kp.baseAddress!, ldc: y.count)
                }
            }
        }
        FlopCounter.add(2 * Double(x.count * y.count * d))
        func norms(_ t: Tokens) -> [Float] {
            (0..<t.count).map { i in
                var s: Float = 0
                for j in 0..<d { s += t.data[i * d + j] * t.data[i * d + j] }
                return s.squareRoot()
            }
        }
        let nx = norms(x), ny = norms(y), t = temperature
        for i in 0..<x.count {
            for j in 0..<y.count {
                let c = k[i * y.count + j] / (nx[i] * ny[j] + 1e-6)
                k[i * y.count + j] = exp((c - 1) / t)
            }
        }
        return k
    }

    /// Posterior mean for A's features `a` given B's `b` (both `dim × h × w`).
    func callAsFunction(_ a: FeatureMap, _ b: FeatureMap) throws -> FeatureMap {
        let x = a.tokens, y = b.tokens
        let basis = positionBasis(height: b.height, width: b.width)
        let n = y.count, d = basis.dim
        // Cholesky in double: K_yy's condition number reaches ~1e4 at 35×35, where
        // float32 loses digits the reference's float32 solve also loses; double keeps
        // our side's share of the difference negligible.
        var kyy = kernel(y, y).map(Double.init)
        for i in 0..<n { kyy[i * n + i] += Double(sigmaNoise) }
        var rhs = basis.data.map(Double.init)
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
        let weights = rhs.map(Float.init)
        let kxy = kernel(x, y)
        var mu = [Float](repeating: 0, count: x.count * d)
        mu.withUnsafeMutableBufferPointer { m in
            kxy.withUnsafeBufferPointer { k in
                weights.withUnsafeBufferPointer { w in
                    sgemm(m: x.count, n: d, k: n, k.baseAddress!, lda: n, w.baseAddress!, ldb: d, m.baseAddress!, ldc: d)
                }
            }
        }
        FlopCounter.add(2 * Double(x.count * n * d))
        return Tokens(count: x.count, dim: d, data: mu).featureMap(height: a.height, width: a.width)
    }
}
