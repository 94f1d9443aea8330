import ArgumentParser
import Foundation
import Parallel

// What several bench commands share, declared once. (`roma`'s own ThreadOptions lives in
// that executable; the two targets share no module that links ArgumentParser.)

/// `--threads`, applied first in `run()`.
struct ThreadOption: ParsableArguments {
    @Option(help: "Threads for our loops and OpenBLAS (default: ROMA_THREADS or all cores).")
    var threads: Int?

    /// Call first in `run()`: OpenBLAS's workers restart with the count.
    func apply() { Threads.configure(requested: threads) }
}

enum BenchClock {
    /// Wall seconds `body` took.
    static func wallSeconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// User + system CPU seconds of this process so far (all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// A fresh folder under the temporary directory for a bench's files; `remove()` when done.
struct ScratchFolder {
    let path: String

    init(_ name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("roma-bench-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
