import Artifacts

/// Problems of the SIFT baseline. File problems are `ArtifactError`s (they name the
/// file); this covers settings and failures inside OpenCV.
public enum SIFTError: Error, CustomStringConvertible, Sendable {
    case invalidOption(String)
    case openCV(String)

    public var description: String {
        switch self {
        case .invalidOption(let text): return text
        case .openCV(let text): return "OpenCV failed: \(text)"
        }
    }
}
