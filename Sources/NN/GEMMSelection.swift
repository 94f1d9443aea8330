import CKernels
import CLinearAlgebra
import Parallel
import Synchronization

// GEMM beyond the one multi-threaded call: a product on the calling thread only (for
// loops that give each thread its own products: AttentionTiles, WinogradTiles) and a
// scoped backend override (roma-bench ops times whole operators on each backend).

extension GEMM {
    /// Whether `sgemmOnCallingThread` can run here (oneDNN or our AVX-512 kernel:
    /// OpenBLAS always uses its own thread pool).
    static var runsOnCallingThread: Bool { current != .openblas }

    /// The backend calls without an explicit one use: `backend`, unless a benchmark
    /// runs whole operators on another one (`withBackend`).
    static var current: Backend { forcedBackend.withLock { $0 } ?? backend }
    private static let forcedBackend = Mutex<Backend?>(nil)

    /// Runs `body` with every GEMM of every operator on `forced` (falling back to
    /// OpenBLAS where it is unavailable): `roma-bench ops` times each kernel path
    /// through whole convolutions and attention. Not for concurrent use.
    public static func withBackend<T>(_ forced: Backend, _ body: () throws -> T) rethrows -> T {
        forcedBackend.withLock { $0 = isAvailable(forced) ? forced : .openblas }
        defer { forcedBackend.withLock { $0 = nil } }
        return try body()
    }

    /// `sgemm` on the calling thread only, for loops that already give each thread its
    /// own product (inside `parallelFor`). Same contract as `sgemm`.
    static func sgemmOnCallingThread(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                     alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int,
                                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m <= 0 || n <= 0 { return }
        if k > 0 {
            switch current {
            case .onednn:
                if roma_onednn_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1) == 0 { return }
            case .avx512:
                if roma_sgemm_avx512(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0 { return }
            case .openblas:
                break
            }
        }
        // Rejected or out of memory (or k = 0, where only OpenBLAS scales C by β): OpenBLAS is
        // thread-safe when called from several threads at once.
        Threads.withConfiguredBLAS {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}
