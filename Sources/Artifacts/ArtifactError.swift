import Foundation

/// A problem with a file the tool was asked to read or write. The message always
/// names the file, so a user running a long pipeline knows which artifact to look at.
public struct ArtifactError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }

    /// `text` cut to `limit` characters with an ellipsis: error messages quote values
    /// read from files, and a file can hold a megabyte-long schema string.
    public static func excerpt(_ text: String, limit: Int = 64) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
