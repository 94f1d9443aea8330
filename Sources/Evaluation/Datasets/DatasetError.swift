/// A benchmark that cannot be set up: missing data root, missing images, a malformed
/// pair list. The message says what is missing and where to get it.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
