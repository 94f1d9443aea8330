import Artifacts
import OpenCVLoader
import Foundation

/// Limits on the images the tool reads, applied from the file header before any
/// decoder allocates memory proportional to the pixel count.
///
/// A 389 KB PNG can declare 20000×20000 pixels; SIFT needs about 260 bytes per pixel
/// (a float scale-space pyramid on the doubled image), so without a limit that file
/// alone exhausts a 24 GB machine. The default, 64 megapixels (8192×8192), takes any
/// camera photo and keeps SIFT under ~17 GB; `ROMA_MAX_IMAGE_PIXELS` raises or lowers it.
public enum ImageLimits {
    public static let defaultMaxPixels = 1 << 26
    /// The longest side any decoder is asked for (JPEG's own maximum is 65535).
    public static let maxSide = 32768
    /// Files larger than this are not read into memory at all.
    public static let maxFileBytes = 1 << 30

    public static var maxPixels: Int {
        if let text = ProcessInfo.processInfo.environment["ROMA_MAX_IMAGE_PIXELS"], let n = Int(text), n > 0 { return n }
        return defaultMaxPixels
    }
}

/// An image file's bytes with what its header says, checked before decoding:
/// a JPEG or PNG, 8 bits per sample, within `ImageLimits`, and (unless only the
/// header was asked for) a stream that decodes completely without the codec
/// reporting missing or damaged data. Every reader of images (decode, SIFT, the
/// benchmark's image sizes, report pictures) goes through here, so they accept and
/// refuse the same files with the same messages.
public struct ImageSource: Sendable {
    public enum Format: String, Sendable { case jpeg = "JPEG", png = "PNG" }

    public let path: String
    public let bytes: Data
    public let format: Format
    public let width: Int
    public let height: Int
    /// Bits per sample as stored.
    public let bitDepth: Int

    /// Reads and checks `path`. With `verify: false` only the header is checked (size,
    /// depth, format), which is what listing image sizes needs.
    public static func open(_ path: String, verify: Bool = true) throws -> ImageSource {
        let bytes = try contents(path)
        var info = cvshim_image_info()
        let probe = bytes.withUnsafeBytes { cvshim_image_probe($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count, &info) }
        let format = try check(probe, info, path: path)
        try checkHeader(info, format: format, path: path)
        if verify {
            let status = bytes.withUnsafeBytes { cvshim_image_verify($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count, &info) }
            _ = try check(status, info, path: path)
        }
        return ImageSource(path: path, bytes: bytes, format: format, width: Int(info.width), height: Int(info.height),
                           bitDepth: Int(info.bit_depth))
    }

    /// The file's bytes, after the checks every input path gets: it exists, is a
    /// regular file (not a folder, FIFO or device), is readable, and is not absurdly large.
    static func contents(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArtifactError(file: path, "no such image file")
        }
        guard !isDirectory.boolValue else { throw ArtifactError(file: path, "is a folder, not an image") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw ArtifactError(file: path, "is not a regular file (a device or pipe?), not an image")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ArtifactError(file: path, "image is not readable (permissions)")
        }
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > ImageLimits.maxFileBytes {
            throw ArtifactError(file: path, "is \(size) bytes, larger than any image this tool reads (1 GiB)")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ArtifactError(file: path, "cannot be read (\(error.localizedDescription))")
        }
    }

    private static func check(_ status: Int32, _ info: cvshim_image_info, path: String) throws -> Format {
        let format: Format? = info.format == Int32(CVSHIM_FORMAT_JPEG) ? .jpeg : info.format == Int32(CVSHIM_FORMAT_PNG) ? .png : nil
        switch Int(status) {
        case Int(CVSHIM_OK):
            guard let format else { fallthrough }
            return format
        case Int(CVSHIM_CHECK_UNKNOWN_FORMAT):
            throw ArtifactError(file: path, "is not a JPEG or PNG file (the formats this tool reads; convert it first)")
        case Int(CVSHIM_ERR_ALLOC):
            throw ArtifactError(file: path, "out of memory while checking the image")
        default:
            let message = withUnsafeBytes(of: info.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            throw ArtifactError(file: path, "is a damaged or truncated \(format?.rawValue ?? "image") file (\(message.isEmpty ? "unreadable" : message))")
        }
    }

    static func depthProblem(_ bits: Int) -> String {
        "is a \(bits)-bit image; only 8-bit images are supported (the reference rejects 16-bit images too): convert it to 8 bits first"
    }

    private static func checkHeader(_ info: cvshim_image_info, format: Format, path: String) throws {
        let width = Int(info.width), height = Int(info.height)
        guard width > 0, height > 0 else { throw ArtifactError(file: path, "declares an empty image (\(width)×\(height))") }
        guard info.bit_depth <= 8 else { throw ArtifactError(file: path, depthProblem(Int(info.bit_depth))) }
        let limit = ImageLimits.maxPixels
        guard width <= ImageLimits.maxSide, height <= ImageLimits.maxSide, width * height <= limit else {
            throw ArtifactError(file: path, "is \(width)×\(height) pixels, above the limit of \(limit) pixels and \(ImageLimits.maxSide) per side "
                + "(set ROMA_MAX_IMAGE_PIXELS to change the pixel limit; docs/bad-input.md)")
        }
    }
}
