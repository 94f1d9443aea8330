import Artifacts
import Foundation

/// `manifest.json` beside the cached weights: what was downloaded, from where,
/// its size and SHA-256 at the time. The official checkpoints come without
/// published digests, so these digests are not a proof of authenticity: they
/// detect a file that changed or was truncated after it was recorded.
public struct WeightsManifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var url: String
        public var bytes: UInt64
        public var sha256: String
        public var tensors: Int
        /// ISO 8601 time the entry was written.
        public var recorded: String
        /// "downloaded" or "found in cache" (placed there by hand).
        public var origin: String
    }

    public var files: [String: Entry] = [:]

    public static let fileName = "manifest.json"

    static func read(folder: String) throws -> WeightsManifest {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return WeightsManifest() }
        do {
            return try JSONDecoder().decode(WeightsManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CheckpointError(file: path, "unreadable weights manifest (\(error)); delete it and run `roma weights --check` to rebuild it")
        }
    }

    func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: folder + "/" + Self.fileName)
    }
}
