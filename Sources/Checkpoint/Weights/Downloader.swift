import Foundation

/// Fetches one URL into a file. Abstracted so tests can use `file://` URLs or an
/// unreachable port without touching the network.
public protocol Downloader: Sendable {
    /// Writes the body of `url` to `destination`, replacing it; throws `DownloadFailure`.
    func download(_ url: String, to destination: String) throws
}

/// Why a download did not happen. `unreachable` means the host could not be
/// contacted at all (offline, DNS, firewall), which gets the offline message.
public struct DownloadFailure: Error, CustomStringConvertible, Sendable {
    public let url: String
    public let reason: String
    public let unreachable: Bool

    public var description: String { "\(url): \(reason)" }
}

/// Downloads with the system's `curl`: it follows GitHub's redirects, speaks
/// TLS through the system's certificates, and draws a progress bar. It is run
/// with timeouts so a dead connection ends the command instead of hanging it.
public struct CurlDownloader: Downloader {
    /// Seconds allowed to establish a connection.
    public var connectTimeout: Int = 20
    /// A transfer slower than `minimumBytesPerSecond` for `stallSeconds` is abandoned.
    public var stallSeconds: Int = 60
    public var minimumBytesPerSecond: Int = 1024
    /// Draw curl's progress bar on stderr (only sensible when stderr is a terminal).
    public var showProgress: Bool

    public init(showProgress: Bool = CurlDownloader.stderrIsTerminal) {
        self.showProgress = showProgress
    }

    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    public func download(_ url: String, to destination: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "--fail", "--location", "--max-redirs", "10",
                             "--connect-timeout", String(connectTimeout),
                             "--speed-time", String(stallSeconds), "--speed-limit", String(minimumBytesPerSecond),
                             "--retry", "2", "--retry-delay", "3",
                             showProgress ? "--progress-bar" : "--silent", "--show-error",
                             "--output", destination, url]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        // With a progress bar curl owns the terminal's stderr; otherwise its one-line
        // error is captured for our own message.
        if !showProgress { process.standardError = errors }
        do {
            try process.run()
        } catch {
            throw DownloadFailure(url: url, reason: "cannot run curl (\(error.localizedDescription)); install curl", unreachable: true)
        }
        let captured = showProgress ? Data() : ((try? errors.fileHandleForReading.readToEnd()) ?? Data())
        process.waitUntilExit()
        let status = process.terminationStatus
        guard status != 0 else { return }
        // With retries curl repeats its error; the last line is the final word.
        let text = String(decoding: captured, as: UTF8.self).split(separator: "\n").last
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let reason = text.isEmpty ? "curl exited with status \(status)" : text
        // curl's exit codes for "could not get to the server at all":
        // 5/6 cannot resolve proxy/host, 7 cannot connect, 28 timed out, 35 TLS handshake, 127 no curl.
        throw DownloadFailure(url: url, reason: reason, unreachable: [5, 6, 7, 28, 35, 127].contains(status))
    }
}
