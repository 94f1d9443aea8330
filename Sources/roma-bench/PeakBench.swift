import ArgumentParser
import CKernels
import Foundation
import Parallel

/// `roma-bench peak`: the machine's vector peak, from register-only loops in
/// CKernels (no memory traffic): AVX2 FMA, AVX-512 FMA and AVX512-BF16 dot products,
/// on one thread and on all threads. `make bench-ops` and `make bench-match` quote
/// their figures as a share of these.
struct PeakBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Measured vector peak of this machine (AVX2 FMA, AVX-512 FMA, AVX512-BF16 dot), one thread and all threads.")

    @Option(help: "Threads for the all-threads figure (default: ROMA_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Short runs per one-thread figure (ten times as many for all threads); the fastest is kept (the least disturbed by other load).")
    var repeats: Int = 40

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let n = threads ?? Threads.defaultCount()
        print("roma-bench peak: best of \(repeats) runs of 1.5–6 ms each; load \(MachinePeak.loadAverage())")
        let peak = MachinePeak.measure(threads: n, repeats: repeats)
        print(peak.table())
    }
}

/// Measured peaks in GFLOP/s per instruction kind, one thread and `threads` threads
/// (nil where the CPU lacks the instructions).
struct MachinePeak {
    enum Kind: Int32, CaseIterable {
        case fmaAVX2 = 0, fmaAVX512 = 1, dotBF16 = 2
        var name: String {
            switch self {
            case .fmaAVX2: "AVX2 FMA (fp32)"
            case .fmaAVX512: "AVX-512 FMA (fp32)"
            case .dotBF16: "AVX512-BF16 dot (vdpbf16ps)"
            }
        }
    }

    let threads: Int
    var single: [Kind: Double] = [:]
    var all: [Kind: Double] = [:]

    /// The fp32 peak on all threads: AVX-512 FMA where present, else AVX2 FMA (nil on
    /// baseline x86-64, where no figure is measured).
    var fp32: Double? { all[.fmaAVX512] ?? all[.fmaAVX2] }

    /// 12 M instructions per run: 1.5–6 ms at 4 GHz for one to two instructions per
    /// cycle. Short, so that on a loaded machine some runs fit between two of the
    /// scheduler's time slices (a few ms each); the best of many is kept.
    static let iterations = 1_000_000

    static func measure(threads: Int, repeats: Int) -> MachinePeak {
        var peak = MachinePeak(threads: threads)
        for kind in Kind.allCases {
            guard let one = rate(kind, threads: 1, repeats: repeats) else { continue }
            peak.single[kind] = one
            // All threads need free cores at the same moment, rarer on a shared machine: more tries.
            peak.all[kind] = threads == 1 ? one : rate(kind, threads: threads, repeats: 10 * repeats)
        }
        return peak
    }

    /// GFLOP/s of `threads` copies of the loop started together: total FLOPs over the
    /// wall time of the slowest, best of `repeats`.
    static func rate(_ kind: Kind, threads: Int, repeats: Int) -> Double? {
        var sink: Float = 0
        // The first run warms up (clock ramp, page faults) and says how many FLOPs a run does.
        let flopsPerRun = roma_peak_loop(kind.rawValue, iterations, &sink)
        guard flopsPerRun > 0 else { return nil }
        var best = 0.0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                var sink: Float = 0
                _ = roma_peak_loop(kind.rawValue, iterations, &sink)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, flopsPerRun * Double(threads) / seconds / 1e9)
        }
        return best
    }

    func table() -> String {
        var lines = ["kind                           1 thread GFLOP/s   " + "\(threads) thread(s) GFLOP/s".padding(toLength: 21, withPad: " ", startingAt: 0) + "1 thread × AVX2 FMA"]
        for kind in Kind.allCases {
            guard let one = single[kind], let many = all[kind] else {
                lines.append(kind.name.padding(toLength: 31, withPad: " ", startingAt: 0) + "not on this CPU")
                continue
            }
            // One-thread ratios: the all-threads figures depend on the load more.
            let ratio = single[.fmaAVX2].map { String(format: "%.2f×", one / $0) } ?? ""
            lines.append(kind.name.padding(toLength: 31, withPad: " ", startingAt: 0)
                         + String(format: "%-19.1f%-21.1f", one, many) + ratio)
        }
        return lines.joined(separator: "\n")
    }

    /// One-line summary for the other benches' headers.
    func summary() -> String {
        let parts = Kind.allCases.compactMap { k in all[k].map { String(format: "%@ %.0f", k.name as NSString, $0) } }
        return parts.isEmpty ? "no vector peak measured (baseline x86-64)"
                             : "machine peak, \(threads) thread(s), GFLOP/s: " + parts.joined(separator: ", ")
    }

    /// The 1/5/15-minute load averages, as `uptime` prints them: on a shared machine
    /// every figure is read against them.
    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return String(format: "%.2f, %.2f, %.2f (1/5/15 min) on %d cores", loads[0], loads[1], loads[2],
                      ProcessInfo.processInfo.activeProcessorCount)
    }
}
