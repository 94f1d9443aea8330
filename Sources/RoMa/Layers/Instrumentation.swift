import Dispatch

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
