import CLinearAlgebra
import Foundation

/// How many threads the tool's own loops and OpenBLAS may use. Both read one
/// setting so the two never oversubscribe the cores: our loops never call BLAS
/// from inside a parallel region, and BLAS gets the same count for its own.
public enum Threads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: Int = defaultCount()

    /// Default: `ROMA_THREADS` if set, else the number of active cores.
    public static func defaultCount() -> Int {
        if let text = ProcessInfo.processInfo.environment["ROMA_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    public static var count: Int {
        lock.lock(); defer { lock.unlock() }
        return configured
    }

    /// Sets the thread count for our loops and for OpenBLAS.
    public static func configure(_ n: Int) {
        let value = max(1, n)
        lock.lock()
        configured = value
        lock.unlock()
        openblas_set_num_threads(Int32(value))
    }
}

/// Runs `body(i)` for i in 0..<count on up to `threads` threads, in contiguous chunks.
/// `body` must only write to disjoint memory per index.
public func parallelFor(_ count: Int, threads: Int = Threads.count, _ body: @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    let workers = min(max(1, threads), count)
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let begin = count * w / workers
        let end = count * (w + 1) / workers
        for i in begin..<end { body(i) }
    }
}

/// A pointer that may cross into a `parallelFor` body. The caller guarantees
/// that concurrent bodies touch disjoint elements.
public struct SendablePointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
