import Artifacts
import OpenCVLoader
import Foundation

/// Reading and writing image files through the OpenCV shim.
public enum ImageFile {
    /// Decodes a JPEG or PNG to RGB without applying EXIF orientation, so the pixel
    /// grid stays aligned with dataset intrinsics. Grayscale becomes RGB and alpha is
    /// dropped, as Pillow's `convert("RGB")` does in the reference; 16-bit images,
    /// truncated or damaged files and images beyond `ImageLimits` are rejected before
    /// decoding (see `ImageSource`).
    public static func read(_ path: String) throws -> RGBImage {
        try read(ImageSource.open(path))
    }

    public static func read(_ source: ImageSource) throws -> RGBImage {
        let path = source.path
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, depth: Int32 = 0
        let code = source.bytes.withUnsafeBytes {
            cvshim_decode_rgb($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count, &pixels, &width, &height, &depth)
        }
        defer { cvshim_free(pixels) }
        switch Int(code) {
        case Int(CVSHIM_OK):
            let count = Int(width) * Int(height) * 3
            return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        case Int(CVSHIM_ERR_DEPTH):
            throw ArtifactError(file: path, ImageSource.depthProblem(Int(depth)))
        case Int(CVSHIM_ERR_CHANNELS):
            throw ArtifactError(file: path, "has an unsupported number of colour channels")
        case Int(CVSHIM_ERR_ALLOC):
            throw ArtifactError(file: path, "out of memory while decoding")
        default:
            throw ArtifactError(file: path, "is not a readable image (corrupt, truncated, or not JPEG/PNG)")
        }
    }

    /// Writes an image; the extension (.png, .jpg) picks the format. Atomic: a
    /// temporary file with the same extension, renamed into place.
    public static func write(_ image: RGBImage, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temp = folder.appendingPathComponent(".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(url.lastPathComponent)").path
        let code = image.pixels.withUnsafeBufferPointer { cvshim_encode_rgb(temp, $0.baseAddress, Int32(image.width), Int32(image.height)) }
        guard code == 0 else {
            try? FileManager.default.removeItem(atPath: temp)
            throw ArtifactError(file: path, "cannot write image (unknown extension or folder not writable)")
        }
        guard rename(temp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temp)
            throw ArtifactError(file: path, "cannot move the written image into place")
        }
    }
}
