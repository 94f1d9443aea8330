import CKernels
import CLinearAlgebra
import Foundation
import Parallel

/// The one place NN's matrix products go through (linear layers, attention, im2col and
/// Winograd convolutions): row-major C = alpha·op(A)·op(B) + beta·C on the fastest
/// correct path this machine offers, chosen once per process, in this order:
///
/// - `onednn`: oneDNN's sgemm (Debian `libdnnl2`, opened at run time), which runs
///   AVX-512 code where the CPU has it; capped to AVX2 by `ROMA_KERNELS=avx2`.
/// - `avx512`: our own AVX-512F micro-kernel (CKernels/gemm512.c), for AVX-512
///   machines without oneDNN; one block of C per thread.
/// - `openblas`: `cblas_sgemm`, on every machine, and under `ROMA_KERNELS=baseline`
///   (oneDNN needs SSE4.1).
///
/// `roma-bench ops` times the three side by side at RoMa's shapes (docs/runtime.md).
/// `ROMA_GEMM=openblas|avx512|onednn` forces one (benchmarks and comparisons); a path
/// that is not available here falls back along the list above.
public enum GEMM {
    public enum Backend: String, Sendable, CaseIterable {
        case openblas, avx512, onednn
    }

    /// The backend every call uses unless told otherwise.
    public static let backend: Backend = {
        let order: [Backend] = [.onednn, .avx512, .openblas]
        let wanted = ProcessInfo.processInfo.environment["ROMA_GEMM"].flatMap(Backend.init(rawValue:))
        let start = wanted.flatMap { order.firstIndex(of: $0) } ?? 0
        return order[start...].first(where: isAvailable) ?? .openblas
    }()

    public static func isAvailable(_ backend: Backend) -> Bool {
        switch backend {
        case .openblas: true
        case .avx512: roma_kernels_level() >= 2
        case .onednn: roma_onednn_available() != 0
        }
    }

    /// Row-major sgemm: op(A) is [m, k], op(B) is [k, n], C is [m, n]; lda/ldb/ldc are
    /// the leading dimensions of A, B, C as stored. `backend` overrides the process's
    /// choice (tests and benches); an unavailable one falls back to OpenBLAS.
    /// Runs on `Threads.count` threads; never call it from inside `parallelFor`.
    /// `precision: .bf16` takes the bf16 path (Precision.swift): operands and C rounded to bf16.
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                             backend: Backend? = nil, precision: Precision = .fp32) {
        if m <= 0 || n <= 0 { return }
        if precision == .bf16 {
            return bf16(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc)
        }
        // k = 0 means C = β·C: oneDNN 2.6 leaves C unscaled there, OpenBLAS follows BLAS.
        switch k > 0 ? backend ?? current : .openblas {
        case .onednn:
            if roma_onednn_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                                 Int32(Threads.count)) == 0 { return }
        case .avx512:
            if ownAVX512(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) { return }
        case .openblas:
            break
        }
        // OpenBLAS's result depends on its thread count: never read it mid-change (Threads.swift).
        Threads.withConfiguredBLAS {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Work below which splitting across threads costs more than it saves (≈ 0.1 ms).
    static let parallelFlops = 1 << 22

    /// Our kernel on one block of C per thread: along the longer of m and n, in
    /// multiples of the micro-tile (14 rows or 32 columns) so no thread gets a ragged
    /// edge in the middle. False when this machine cannot run it.
    private static func ownAVX512(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        guard roma_kernels_level() >= 2 else { return false }
        let byRows = m >= n
        let tile = byRows ? 14 : 32
        let tiles = ((byRows ? m : n) + tile - 1) / tile
        let parts = min(tiles, 2 * m * n * max(k, 1) < parallelFlops ? 1 : Threads.count)
        let pa = SendableConstPointer(a), pb = SendableConstPointer(b)
        let pc = SendablePointer(c)
        parallelFor(parts, threads: parts) { part in
            let first = tiles * part / parts * tile
            let end = min(tiles * (part + 1) / parts * tile, byRows ? m : n)
            guard first < end else { return }
            let (mb, nb) = byRows ? (end - first, n) : (m, end - first)
            let ab = byRows ? pa.base + (transA ? first : first * lda) : pa.base
            let bb = byRows ? pb.base : pb.base + (transB ? first * ldb : first)
            let cb = pc.base + (byRows ? first * ldc : first)
            if roma_sgemm_avx512(transA ? 1 : 0, transB ? 1 : 0, mb, nb, k, alpha, ab, lda, bb, ldb, beta, cb, ldc) != 0 {
                // Out of memory for the packing buffers: this block alone through OpenBLAS.
                Threads.withConfiguredBLAS {
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(mb), Int32(nb), Int32(k), alpha, ab, Int32(lda), bb, Int32(ldb), beta, cb, Int32(ldc))
                }
            }
        }
        return true
    }
}
