import Foundation

/// What a run of the built `roma` executable printed and how it exited.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs the built `roma` executable for end-to-end tests.
public enum RomaCLI {
    public static var isBuilt: Bool { TestPaths.romaExecutable != nil }

    public struct NotBuilt: Error, CustomStringConvertible {
        public var description: String { "the roma executable was not found next to the tests; run `swift build` first" }
    }

    public static func run(_ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil) throws -> CommandResult {
        guard let executable = TestPaths.romaExecutable else { throw NotBuilt() }
        return try Subprocess.run(executable, arguments, environment: environment, directory: directory)
    }
}

/// Runs any executable to completion, capturing what it printed.
public enum Subprocess {
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           directory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Not waitUntilExit(): on Linux it spins a run loop and can hang off the main
        // thread, where Swift Testing runs tests. The handler is set before run() so a
        // child that exits at once is not missed.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // Drain stderr on another thread while reading stdout here, so a child that
        // fills one pipe never blocks on it while we wait on the other.
        let errorBox = DataBox()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errorBox.data = err.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        exited.wait()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errorBox.data, as: UTF8.self))
    }

    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }
}
