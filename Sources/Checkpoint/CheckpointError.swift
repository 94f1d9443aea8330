import Foundation

/// A problem with a weights file. Like `ArtifactError` it always names the file,
/// and where it applies the tensor key, so a user with three checkpoints knows
/// which one to replace.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let file: String
    public let problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}
