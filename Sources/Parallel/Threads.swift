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

    /// The one fallback rule of every `--threads` option: the count asked for, else
    /// `defaultCount()` (ROMA_THREADS, else all cores).
    public static func configure(requested: Int?) {
        configure(requested ?? defaultCount())
    }

    /// Runs `body` with OpenBLAS on one thread. The pose estimator's LAPACK calls are
    /// small, and OpenBLAS's threaded paths round differently from its serial ones, so
    /// an estimate made with 1 or 2 BLAS threads differed in its last bits; on one thread
    /// `roma estimate` and `roma pose` agree whatever the thread setting (and no worker
    /// wake-ups are paid for 10×10 matrices).
    /// The count is OpenBLAS's one process-wide setting, so the section holds
    /// `BLASGate` exclusively: products on other threads wait rather than run serial.
    /// A nested section on the same thread just runs `body`: restoring the count on its
    /// way out would end the outer section's serial BLAS early.
    /// `body` must not wait on other threads' BLAS calls: they wait for this section.
    public static func withSerialBLAS<T>(_ body: () throws -> T) rethrows -> T {
        try BLASGate.exclusive { outermost in
            guard outermost else { return try body() }
            openblas_set_num_threads(1)
            defer { openblas_set_num_threads(Int32(count)) }
            return try body()
        }
    }

    /// Runs `body`, whose BLAS/LAPACK calls must see one thread count from start to end
    /// (GEMM, the GP solve, the pose solvers' LAPACK, SIFT's nearest-neighbour search),
    /// with no `withSerialBLAS` or `configure` on another thread meanwhile. Any number of
    /// these run at once, nested too; inside `withSerialBLAS` on the same thread it just
    /// runs `body` (on one BLAS thread). `body` must not call `withSerialBLAS` or
    /// `configure` itself (a write lock under one's own read lock never returns), nor
    /// wait on other threads that do.
    public static func withConfiguredBLAS<T>(_ body: () throws -> T) rethrows -> T {
        try BLASGate.shared(body)
    }

    /// Sets the thread count for our loops and for OpenBLAS. The first call also
    /// restarts OpenBLAS's workers (`BLASSpin`), so call it at start-up, before
    /// other threads run BLAS work.
    public static func configure(_ n: Int) {
        let value = max(1, n)
        BLASGate.exclusive { _ in
            lock.lock()
            configured = value
            lock.unlock()
            BLASSpin.shorten()
            openblas_set_num_threads(Int32(value))
        }
    }
}

/// OpenBLAS's results depend on its thread count: its threaded sgemm blocks k
/// differently from its serial one, so at 2 threads most elements of a 256×256×500
/// product differ in their last bits from the 1-thread product. The count is one
/// process-wide variable, and `withSerialBLAS` used to lower it while other threads
/// were inside BLAS: a pose estimate beside a match then changed the match's
/// products mid-run, and RoMa's warp on the OpenBLAS path (ROMA_KERNELS=baseline)
/// depended on timing (the bit-for-bit tests failed in parallel test runs).
/// Calls that need the configured count hold this lock shared; changes of the
/// count hold it exclusively. A thread already holding it exclusively gets EDEADLK
/// from glibc for either request and runs its body without waiting on itself.
/// glibc's default rwlock prefers readers, so a nested shared request succeeds even
/// while a writer waits (BLASGateTests checks both).
enum BLASGate {
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let p = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pthread_rwlock_init(p, nil)
        return p
    }()

    static func shared<T>(_ body: () throws -> T) rethrows -> T {
        let held = pthread_rwlock_rdlock(lock) == 0
        defer { if held { pthread_rwlock_unlock(lock) } }
        return try body()
    }

    /// `body` learns whether this call took the lock (false: the thread already held it).
    static func exclusive<T>(_ body: (_ outermost: Bool) throws -> T) rethrows -> T {
        let held = pthread_rwlock_wrlock(lock) == 0
        defer { if held { pthread_rwlock_unlock(lock) } }
        return try body(held)
    }
}

/// OpenBLAS's idle worker threads spin on `sched_yield` for about 2²⁸ cycles
/// (a tenth of a second) after each GEMM before they sleep. Between GEMMs our own
/// loops (depthwise convolutions, softmax, GELU…) then share the cores with
/// spinning threads: in RoMa's full-size match that was a fifth of all CPU time,
/// mostly system time. OpenBLAS reads its spin length (`OPENBLAS_THREAD_TIMEOUT`,
/// log₂ cycles) when it starts its threads, which happens when the library is
/// loaded, so we set it and restart the threads once.
///
/// The entry points are looked up at run time: builds linked against another BLAS,
/// or another OpenBLAS threading flavour, keep their default behaviour.
enum BLASSpin {
    /// 2¹⁸ cycles (~0.1 ms): long enough to bridge the back-to-back GEMMs of an
    /// attention head, short enough to free the core for the loops between layers.
    static let log2Cycles = "18"
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func shorten() {
        lock.lock(); defer { lock.unlock() }
        if done { return }
        done = true
        guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil,
              let readEnv = symbol("openblas_read_env", as: (@convention(c) () -> Void).self),
              let shutdown = symbol("blas_thread_shutdown_", as: (@convention(c) () -> Int32).self) else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", log2Cycles, 0)
        readEnv()
        // The next BLAS call starts the workers again, with the new spin length.
        _ = shutdown()
    }

    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        guard let handle = dlopen(nil, RTLD_NOW), let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: type)
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

/// Read-only memory that may cross into a `parallelFor` body.
public struct SendableConstPointer<T>: @unchecked Sendable {
    public let base: UnsafePointer<T>
    public init(_ base: UnsafePointer<T>) { self.base = base }
    public subscript(i: Int) -> T { base[i] }
}
