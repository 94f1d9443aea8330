import Foundation
import TestSupport

/// Runs the built `roma` executable and captures its exit code and output.
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String

    static func roma(_ arguments: [String]) throws -> CLIRun {
        guard let executable = TestPaths.romaExecutable else {
            throw CLIError.notBuilt
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    enum CLIError: Error, CustomStringConvertible {
        case notBuilt
        var description: String { "the roma executable was not found next to the tests; run `swift build` first" }
    }
}
