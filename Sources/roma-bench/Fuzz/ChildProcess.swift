import Foundation

/// One run of the `roma` executable with a time limit; output goes to files so a
/// chatty child never blocks on a full pipe.
struct ChildRun {
    enum Ending: Equatable { case exited(Int32), signal(Int32), timedOut }
    var ending: Ending
    var stderr: String
    var seconds: Double
}

enum ChildProcess {
    static func run(_ executable: String, _ arguments: [String], in folder: String, timeout: Double) throws -> ChildRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        environment["ROMA_THREADS"] = "1"
        environment["ROMA_PROGRESS"] = "off"
        process.environment = environment
        let errPath = folder + "/stderr.txt"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer { try? errHandle.close() }
        process.standardError = errHandle
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        let start = Date()
        try process.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let ending: ChildRun.Ending = timedOut ? .timedOut
            : process.terminationReason == .uncaughtSignal ? .signal(process.terminationStatus) : .exited(process.terminationStatus)
        return ChildRun(ending: ending, stderr: stderr, seconds: Date().timeIntervalSince(start))
    }
}
