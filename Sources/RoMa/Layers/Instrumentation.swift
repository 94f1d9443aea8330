import Dispatch
import Foundation

/// Floating-point operations of the model, counted as the work is issued
/// (2 per multiply-add), for the benchmark's FLOP figure. Process-wide and
/// thread-safe: models may run on several threads at once (tests do).
public enum FlopCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var total: Double = 0
    static func add(_ flops: Double) { lock.withLock { total += flops } }
    public static func reset() { lock.withLock { total = 0 } }
    public static var count: Double { lock.withLock { total } }
}

/// Wall time per model stage, summed over calls, for the benchmark's breakdown.
/// Thread-safe like `FlopCounter`; with several models running at once the sums mix.
public enum StageClock {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var totals: [String: Double] = [:]
    nonisolated(unsafe) private static var cpuTotals: [String: Double] = [:]
    nonisolated(unsafe) private static var systemTotals: [String: Double] = [:]
    nonisolated(unsafe) private static var faultTotals: [String: Int] = [:]
    public static func reset() { lock.withLock { totals = [:]; cpuTotals = [:]; systemTotals = [:]; faultTotals = [:] } }
    /// Of `cpuSeconds`, the time spent in the kernel (page faults clearing fresh pages, mostly),
    /// and the process's page faults per stage.
    public static var systemSeconds: [String: Double] { lock.withLock { systemTotals } }
    public static var pageFaults: [String: Int] { lock.withLock { faultTotals } }
    public static var seconds: [String: Double] { lock.withLock { totals } }
    /// The process's CPU time (all threads) per stage: under load it moves far less than
    /// wall time. Only meaningful while one model runs at a time.
    public static var cpuSeconds: [String: Double] { lock.withLock { cpuTotals } }

    static func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds(), usageStart = processUsage()
        defer {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu = processCPUSeconds() - cpuStart
            let usage = processUsage()
            lock.withLock {
                totals[name, default: 0] += elapsed; cpuTotals[name, default: 0] += cpu
                systemTotals[name, default: 0] += usage.system - usageStart.system
                faultTotals[name, default: 0] += usage.faults - usageStart.faults
            }
        }
        return try body()
    }

    /// The process's system CPU seconds and page faults (minor and major) so far.
    public static func processUsage() -> (system: Double, faults: Int) {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return (Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6, Int(u.ru_minflt + u.ru_majflt))
    }

    private static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
