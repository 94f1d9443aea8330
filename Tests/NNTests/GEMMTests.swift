import CKernels
import Parallel
import Testing
@testable import NN

/// Every GEMM backend this machine can run (OpenBLAS always; our AVX-512 kernel and
/// oneDNN where present, each capped by ROMA_KERNELS) against a double-precision
/// product, on shapes that hit every edge of the blocking: sizes below, at and just
/// past the micro-tile (14×32) and the cache blocks (KC 384, MC 112), transposed
/// operands, leading dimensions wider than the matrix, alpha and beta.
struct GEMMTests {
    struct Shape: CustomStringConvertible {
        let m, n, k: Int
        let transA, transB: Bool
        let alpha, beta: Float
        var description: String { "\(m)×\(n)×\(k)\(transA ? " Aᵀ" : "")\(transB ? " Bᵀ" : "") α \(alpha) β \(beta)" }
    }

    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1, transA: false, transB: false, alpha: 1, beta: 0),
        Shape(m: 13, n: 31, k: 7, transA: false, transB: true, alpha: 1, beta: 0),
        Shape(m: 14, n: 32, k: 384, transA: false, transB: false, alpha: 0.5, beta: 1),
        Shape(m: 15, n: 33, k: 385, transA: true, transB: false, alpha: 1, beta: 0.25),
        Shape(m: 113, n: 65, k: 50, transA: true, transB: true, alpha: -2, beta: 0),
        Shape(m: 200, n: 300, k: 800, transA: false, transB: true, alpha: 0.125, beta: 1),   // splits across threads
        Shape(m: 40, n: 3100, k: 64, transA: false, transB: false, alpha: 1, beta: 0),      // wide: split by columns, NC edge
        Shape(m: 5, n: 6, k: 0, transA: false, transB: false, alpha: 1, beta: 0.5),         // k = 0: C = βC
    ]

    @Test func backendsMatchDoublePrecision() throws {
        let backends = GEMM.Backend.allCases.filter(GEMM.isAvailable)
        #expect(backends.contains(.openblas))
        var rng = SplitMix64(seed: 13)
        for s in Self.shapes {
            // Stored with 3 spare columns each, so leading dimensions exceed the row length.
            let (rowsA, colsA) = s.transA ? (s.k, s.m) : (s.m, s.k)
            let (rowsB, colsB) = s.transB ? (s.n, s.k) : (s.k, s.n)
            let lda = colsA + 3, ldb = colsB + 3, ldc = s.n + 3
            let a = (0..<(rowsA * lda)).map { _ in Float(rng.unit() * 2 - 1) }
            let b = (0..<(rowsB * ldb)).map { _ in Float(rng.unit() * 2 - 1) }
            let c0 = (0..<(s.m * ldc)).map { _ in Float(rng.unit() * 2 - 1) }
            func elementA(_ i: Int, _ p: Int) -> Double { Double(s.transA ? a[p * lda + i] : a[i * lda + p]) }
            func elementB(_ p: Int, _ j: Int) -> Double { Double(s.transB ? b[j * ldb + p] : b[p * ldb + j]) }
            for backend in backends {
                var c = c0
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                               a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: s.beta,
                               c: pc.baseAddress!, ldc: ldc, backend: backend)
                }}}
                var worst = 0.0
                for i in 0..<s.m {
                    for j in 0..<ldc {
                        guard j < s.n else {   // the spare columns must be untouched
                            #expect(c[i * ldc + j] == c0[i * ldc + j], "\(backend) \(s): wrote outside C at (\(i), \(j))")
                            continue
                        }
                        var exact = 0.0, magnitude = 0.0
                        for p in 0..<s.k {
                            exact += elementA(i, p) * elementB(p, j)
                            magnitude += abs(elementA(i, p) * elementB(p, j))
                        }
                        let old = Double(c0[i * ldc + j])
                        let reference = Double(s.alpha) * exact + Double(s.beta) * old
                        // Any summation order of k float32 products (with or without FMA, blocked
                        // or not) errs by at most γ_{k+2}·(|α|·Σ|a·b| + |β·c|), γ_j = j·u/(1 − j·u),
                        // u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.1): +2 for the α and β
                        // steps. A wrong element, index or edge is off by O(1), far above it.
                        let u = 0x1p-24, steps = Double(s.k + 2)
                        let bound = steps * u / (1 - steps * u) * (abs(Double(s.alpha)) * magnitude + abs(Double(s.beta) * old))
                        let error = abs(Double(c[i * ldc + j]) - reference)
                        #expect(error <= bound + 1e-30, "\(backend) \(s): C[\(i), \(j)] = \(c[i * ldc + j]), double \(reference)")
                        worst = max(worst, error / max(bound, 1e-30))
                    }
                }
                #expect(worst <= 1, "\(backend) \(s): worst error \(worst) of its bound")
            }
        }
    }

    /// The process-wide choice follows the kernels level: no AVX-512 backend below level
    /// 2 and OpenBLAS only at level 0 (ROMA_KERNELS=baseline), unless ROMA_GEMM asks
    /// for OpenBLAS.
    @Test func backendFollowsKernelsLevel() {
        let level = roma_kernels_level()
        if level < 2 { #expect(!GEMM.isAvailable(.avx512)) }
        if level < 1 { #expect(GEMM.backend == .openblas && !GEMM.isAvailable(.onednn)) }
        #expect(GEMM.isAvailable(GEMM.backend))
    }
}
