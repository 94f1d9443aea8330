import Foundation
import Testing
import TestSupport

/// The real hloc/COLMAP clients (h5py, pycolmap) in the .venv `make interop-venv`
/// builds from PyPI. Tests needing them skip only when pip could not reach PyPI
/// (.venv/UNAVAILABLE says so); under `make test` (ROMA_INTEROP_REQUIRED=1) a missing
/// environment is a failure, not a skip.
enum PythonClients {
    static let venv = TestPaths.packageRoot.appendingPathComponent(".venv").path
    static let python = venv + "/bin/python"

    static var available: Bool { FileManager.default.fileExists(atPath: venv + "/.interop-ready") }

    /// Why the tests skip, or nil when they run (or must run and will fail).
    static var skipReason: String? {
        if available { return nil }
        if let reason = try? String(contentsOfFile: venv + "/UNAVAILABLE", encoding: .utf8) {
            return "interop clients unavailable: " + reason.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if ProcessInfo.processInfo.environment["ROMA_INTEROP_REQUIRED"] == "1" { return nil }
        return "no .venv with h5py and pycolmap: run `make interop-venv` (make test does)"
    }

    static var shouldRun: Bool { skipReason == nil && RomaCLI.isBuilt }

    /// Runs a script of scripts/interop with the venv's Python.
    static func run(_ script: String, _ arguments: [String]) throws -> Subprocess.Output {
        guard available else { throw Missing() }
        return try Subprocess.run(python, [TestPaths.packageRoot.appendingPathComponent("scripts/interop/" + script).path] + arguments)
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "ROMA_INTEROP_REQUIRED=1 but .venv has no h5py/pycolmap: `make interop-venv` failed without writing .venv/UNAVAILABLE" }
    }
}

/// Runs any executable, collecting its output (as RomaCLI does for roma).
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("roma-sub-\(UUID().uuidString)")
        let err = out.appendingPathExtension("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        exited.wait()
        return Output(status: process.terminationStatus,
                             stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

func roma(_ arguments: [String]) throws -> CommandResult {
    try RomaCLI.run(arguments, directory: TestPaths.packageRoot)
}
