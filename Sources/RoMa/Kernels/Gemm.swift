import CLinearAlgebra
import Dispatch

/// Row-major `C = alpha · op(A) · op(B) + beta · C` through OpenBLAS. Never call
/// from inside `parallelFor`: OpenBLAS runs its own threads.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Floating-point operations of the model, counted as the work is issued
/// (2 per multiply-add), for the benchmark's FLOP figure.
public enum FlopCounter {
    nonisolated(unsafe) private static var total: Double = 0
    static func add(_ flops: Double) { total += flops }
    public static func reset() { total = 0 }
    public static var count: Double { total }
}

/// Wall time per model stage, summed over calls, for the benchmark's breakdown.
public enum StageClock {
    nonisolated(unsafe) private static var totals: [String: Double] = [:]
    public static func reset() { totals = [:] }
    public static var seconds: [String: Double] { totals }

    static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { totals[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}
