import Artifacts
import Foundation

/// The folder holding pretrained weights: `--cache DIR`, else `$ROMA_WEIGHTS`,
/// else `~/.cache/roma-swift`. Files are only ever put in place by a rename of a
/// completely downloaded and verified temporary file, so a file present under
/// its final name was whole when it arrived.
public struct WeightsCache: Sendable {
    public let folder: String

    public init(folder: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.folder = folder ?? Self.defaultFolder(environment: environment)
    }

    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["ROMA_WEIGHTS"], !dir.isEmpty { return dir }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/roma-swift"
    }

    public func path(of file: WeightFile) -> String { folder + "/" + file.name }

    /// The cached official file, or an error saying how to get it.
    public func path(for weights: OfficialWeights) throws -> String {
        let path = path(of: weights.weightFile)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WeightsUnavailable(folder: folder, missing: [weights.weightFile], cause: nil)
        }
        return path
    }

    /// Paths of the official files, downloading those not cached yet: what
    /// `roma match` calls when no weights are given. Offline, the error says
    /// which files to put where.
    public func ensure(_ weights: [OfficialWeights], downloader: any Downloader = CurlDownloader(),
                       log: (String) -> Void = { _ in }) throws -> [String] {
        try fetch(weights.map(\.weightFile), downloader: downloader, log: log).map(\.path)
    }

    /// What `verify` and `fetch` found for one file.
    public struct Status: Sendable {
        public let file: WeightFile
        public let path: String
        public let entry: WeightsManifest.Entry?
        /// "downloaded", "present", "verified" or "recorded" (hashed for the first time).
        public let action: String
    }

    /// Checks a cached file: it opens as a checkpoint with exactly the expected
    /// keys and shapes, and its size agrees with the manifest. With `hashing`, also
    /// every tensor's values (CRC-32, finiteness) and its SHA-256, reading the whole
    /// file twice; a file not yet in the manifest is then recorded there.
    public func verify(_ file: WeightFile, hashing: Bool) throws -> Status {
        let path = path(of: file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WeightsUnavailable(folder: folder, missing: [file], cause: nil)
        }
        let tensors = try checkStructure(path, file, readEveryTensor: hashing)
        let bytes = try fileSize(path)
        var manifest = try WeightsManifest.read(folder: folder)
        let known = manifest.files[file.name]
        if let known, known.bytes != bytes {
            throw CheckpointError(file: path, "is \(bytes) bytes but was \(known.bytes) when recorded on \(known.recorded); delete it and run `roma weights` again")
        }
        guard hashing else { return Status(file: file, path: path, entry: known, action: "present") }
        let digest = try SHA256.hex(ofFile: path)
        if let known {
            guard known.sha256 == digest else {
                throw CheckpointError(file: path, "SHA-256 \(digest) differs from \(known.sha256) recorded on \(known.recorded); the file changed: delete it and run `roma weights` again")
            }
            return Status(file: file, path: path, entry: known, action: "verified")
        }
        let entry = WeightsManifest.Entry(url: file.url, bytes: bytes, sha256: digest, tensors: tensors,
                                          recorded: Self.now(), origin: "found in cache")
        manifest.files[file.name] = entry
        try manifest.write(folder: folder)
        return Status(file: file, path: path, entry: entry, action: "recorded")
    }

    /// `verify(hashing: true)` for every file; when some are absent, throws
    /// `WeightsUnavailable` naming them after checking the others.
    public func check(_ files: [WeightFile]) throws -> [Status] {
        var missing: [WeightFile] = []
        var found: [Status] = []
        for file in files {
            if FileManager.default.fileExists(atPath: path(of: file)) {
                found.append(try verify(file, hashing: true))
            } else {
                missing.append(file)
            }
        }
        if !missing.isEmpty { throw WeightsUnavailable(folder: folder, missing: missing, cause: nil) }
        return found
    }

    /// Makes every file present and verified: files already cached are checked
    /// (structure and size), missing ones downloaded. When any download fails,
    /// throws `WeightsUnavailable` naming every file still missing and where it goes.
    public func fetch(_ files: [WeightFile], downloader: any Downloader = CurlDownloader(),
                      log: (String) -> Void = { _ in }) throws -> [Status] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(file: folder, "cannot create the weights folder (\(error.localizedDescription))")
        }
        var done: [Status] = []
        var failed: [WeightFile] = []
        var cause: DownloadFailure?
        for file in files {
            if FileManager.default.fileExists(atPath: path(of: file)) {
                done.append(try verify(file, hashing: false))
                continue
            }
            if cause?.unreachable == true {
                failed.append(file)  // the host is unreachable: do not wait for every timeout again
                continue
            }
            do {
                log("downloading \(file.name) from \(file.url)")
                done.append(try download(file, with: downloader))
            } catch let failure as DownloadFailure {
                cause = cause ?? failure
                failed.append(file)
            }
        }
        if !failed.isEmpty { throw WeightsUnavailable(folder: folder, missing: failed, cause: cause) }
        return done
    }

    private func download(_ file: WeightFile, with downloader: any Downloader) throws -> Status {
        let final = path(of: file)
        removeAbandonedDownloads(of: file)
        let temp = folder + "/.\(file.name).part-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        try downloader.download(file.url, to: temp)
        let tensors: Int
        do {
            tensors = try checkStructure(temp, file)
        } catch let error as CheckpointError {
            throw CheckpointError(file: file.url, "the downloaded file is not the expected checkpoint: \(error.problem)")
        }
        let entry = WeightsManifest.Entry(url: file.url, bytes: try fileSize(temp), sha256: try SHA256.hex(ofFile: temp),
                                          tensors: tensors, recorded: Self.now(), origin: "downloaded")
        guard rename(temp, final) == 0 else {
            throw CheckpointError(file: final, "cannot move the download into place (\(String(cString: strerror(errno))))")
        }
        var manifest = try WeightsManifest.read(folder: folder)
        manifest.files[file.name] = entry
        try manifest.write(folder: folder)
        return Status(file: file, path: final, entry: entry, action: "downloaded")
    }

    /// Deletes temporary files of earlier downloads of `file` whose process is
    /// gone (an interrupted `roma weights` cannot clean up after itself).
    private func removeAbandonedDownloads(of file: WeightFile) {
        let prefix = ".\(file.name).part-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        }
    }

    /// Opens the file and compares its tensors with the expected layout; returns
    /// the tensor count. With `readEveryTensor`, also reads every value, which
    /// checks each storage's CRC-32 and finds NaN or infinite weights.
    private func checkStructure(_ path: String, _ file: WeightFile, readEveryTensor: Bool = false) throws -> Int {
        let dict = try StateDict.load(path)
        try dict.validate(expected: file.expectedLayout, integerKeys: file.integerKeys).throwIfInvalid()
        if readEveryTensor {
            for key in dict.keys {
                let values = try dict.tensor(key).values
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw CheckpointError(file: path, "tensor '\(key)' holds \(values[bad]) at element \(bad)")
                }
            }
        }
        return dict.count
    }

    private func fileSize(_ path: String) throws -> UInt64 {
        do {
            return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
        } catch {
            throw CheckpointError(file: path, "cannot be read (\(error.localizedDescription))")
        }
    }

    private static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}

/// Weights that are not in the cache and could not be downloaded. The message
/// is the whole instruction: which files, from where, into which folder.
public struct WeightsUnavailable: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let folder: String
    public let missing: [WeightFile]
    public let cause: DownloadFailure?

    public var description: String {
        var lines: [String] = []
        if let cause {
            lines.append("Cannot download the weights: \(cause.reason) (\(cause.url)).")
            if cause.unreachable { lines.append("This machine cannot reach the download host (offline?).") }
        } else {
            lines.append("Pretrained weights are missing from \(folder) (`roma weights` downloads them).")
        }
        lines.append("Put these files into \(folder) (or choose another folder with --cache DIR or $ROMA_WEIGHTS):")
        let width = missing.map(\.name.count).max() ?? 0
        for file in missing {
            lines.append("  \(file.name.padding(toLength: width, withPad: " ", startingAt: 0))  from \(file.url)")
        }
        lines.append("then run `roma weights --check` to verify them.")
        return lines.joined(separator: "\n")
    }

    public init(folder: String, missing: [WeightFile], cause: DownloadFailure?) {
        self.folder = folder
        self.missing = missing
        self.cause = cause
    }

    public var errorDescription: String? { description }
}
