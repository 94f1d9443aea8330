import Artifacts
import OpenCVLoader
import Foundation
import ImageIO
import Parallel

/// SIFT keypoints and descriptors of one image.
public struct SIFTFeatures: Sendable {
    /// The image's size in pixels.
    public let width: Int
    public let height: Int
    /// `count × 2` (x, y) in OpenCV's convention: pixel centres at integer coordinates.
    public let points: [Float]
    /// `count × descriptorLength`, row-major.
    public let descriptors: [Float]

    public static let descriptorLength = Int(CVSHIM_SIFT_DIM)

    public var count: Int { points.count / 2 }

    public init(width: Int, height: Int, points: [Float], descriptors: [Float]) {
        precondition(points.count % 2 == 0 && descriptors.count == points.count / 2 * Self.descriptorLength)
        self.width = width
        self.height = height
        self.points = points
        self.descriptors = descriptors
    }

    /// Detects the `maxFeatures` strongest keypoints of the image file, read as
    /// grayscale in its stored orientation (EXIF rotation is not applied, like every
    /// other stage of the tool).
    public static func detect(imageAt path: String, maxFeatures: Int) throws -> SIFTFeatures {
        guard maxFeatures >= 1 else { throw SIFTError.invalidOption("maxFeatures must be at least 1 (got \(maxFeatures))") }
        // The same checks as `roma decode` (format, 8-bit, size limit, complete stream),
        // so both stages accept and refuse the same files.
        let source = try ImageSource.open(path)

        var raw = cvshim_sift_features()
        // OpenCV's own pool follows the tool's thread setting (ROMA_THREADS), so a
        // sharded run with several jobs per node does not oversubscribe the cores.
        let status = source.bytes.withUnsafeBytes {
            cvshim_sift_detect($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count,
                               Int32(clamping: maxFeatures), Int32(clamping: Threads.count), &raw)
        }
        defer { cvshim_sift_release(&raw) }
        switch Int(status) {
        case 0: break
        case CVSHIM_SIFT_ERR_UNREADABLE:
            throw ArtifactError(file: path, "cannot be decoded as an image (unreadable, truncated or an unsupported format)")
        case CVSHIM_SIFT_ERR_ALLOC:
            throw ArtifactError(file: path, "out of memory while detecting SIFT features")
        default:
            throw SIFTError.openCV("SIFT detection on \(path) (code \(status))")
        }
        let n = Int(raw.count)
        let points = n == 0 ? [] : Array(UnsafeBufferPointer(start: raw.xy, count: 2 * n))
        let descriptors = n == 0 ? [] : Array(UnsafeBufferPointer(start: raw.descriptors, count: descriptorLength * n))
        return SIFTFeatures(width: Int(raw.width), height: Int(raw.height), points: points, descriptors: descriptors)
    }
}
