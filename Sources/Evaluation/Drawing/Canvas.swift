import Artifacts
import OpenCVLoader
import Foundation
import ImageIO

/// An RGB picture being drawn for a report: figures, match pictures, synthetic images.
/// Drawing goes through the OpenCV shim (Sources/CVShim/cv_draw.cpp).
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Packed RGB, row-major.
    public var rgb: [UInt8]

    public init(width: Int, height: Int, background: UInt32 = 0xFFFFFF) {
        precondition(width > 0 && height > 0, "canvas must not be empty")
        self.width = width
        self.height = height
        let r = UInt8((background >> 16) & 0xFF), g = UInt8((background >> 8) & 0xFF), b = UInt8(background & 0xFF)
        rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[i * 3] = r
            rgb[i * 3 + 1] = g
            rgb[i * 3 + 2] = b
        }
    }

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "RGB buffer does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.rgb = rgb
    }

    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: UInt32, thickness: Int = 1) {
        let (w, h) = (Int32(width), Int32(height))
        _ = rgb.withUnsafeMutableBufferPointer { cvshim_draw_line($0.baseAddress, w, h, x0, y0, x1, y1, color, Int32(thickness)) }
    }

    public mutating func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: UInt32, filled: Bool = false, thickness: Int = 1) {
        let (w, h) = (Int32(width), Int32(height))
        _ = rgb.withUnsafeMutableBufferPointer { cvshim_draw_rectangle($0.baseAddress, w, h, x0, y0, x1, y1, color, filled ? -1 : Int32(thickness)) }
    }

    public mutating func circle(_ x: Double, _ y: Double, radius: Double, color: UInt32, filled: Bool = true, thickness: Int = 1) {
        let (w, h) = (Int32(width), Int32(height))
        _ = rgb.withUnsafeMutableBufferPointer { cvshim_draw_circle($0.baseAddress, w, h, x, y, radius, color, filled ? -1 : Int32(thickness)) }
    }

    /// Text whose baseline starts at (x, y).
    public mutating func text(_ string: String, _ x: Double, _ y: Double, scale: Double = 0.5, color: UInt32 = 0x000000, thickness: Int = 1) {
        let (w, h) = (Int32(width), Int32(height))
        _ = rgb.withUnsafeMutableBufferPointer { cvshim_draw_text($0.baseAddress, w, h, string, x, y, scale, color, Int32(thickness)) }
    }

    public static func textSize(_ string: String, scale: Double = 0.5, thickness: Int = 1) -> (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        _ = cvshim_draw_text_size(string, scale, Int32(thickness), &w, &h)
        return (Int(w), Int(h))
    }

    /// This picture resized (area averaging) to the given size.
    public func resized(width newWidth: Int, height newHeight: Int) -> Canvas {
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let (w, h) = (Int32(width), Int32(height))
        _ = rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                cvshim_draw_resize(src.baseAddress, w, h, dst.baseAddress, Int32(newWidth), Int32(newHeight))
            }
        }
        return Canvas(width: newWidth, height: newHeight, rgb: out)
    }

    /// Copies `other` with its top-left corner at (x, y), clipped to this canvas.
    public mutating func paste(_ other: Canvas, x: Int, y: Int) {
        for row in 0..<other.height {
            let ty = y + row
            guard ty >= 0, ty < height else { continue }
            let x0 = max(0, -x), x1 = min(other.width, width - x)
            guard x0 < x1 else { continue }
            let src = (row * other.width + x0) * 3, dst = (ty * width + x + x0) * 3
            rgb.replaceSubrange(dst..<(dst + (x1 - x0) * 3), with: other.rgb[src..<(src + (x1 - x0) * 3)])
        }
    }

    public func pngData() throws -> Data {
        var pointer: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = rgb.withUnsafeBufferPointer { cvshim_draw_encode_png($0.baseAddress, Int32(width), Int32(height), &pointer, &length) }
        guard status == 0, let pointer else { throw ArtifactError(file: "<png>", "OpenCV could not encode a \(width)x\(height) PNG") }
        defer { cvshim_draw_free(pointer) }
        return Data(bytes: pointer, count: length)
    }

    /// Writes a PNG atomically.
    public func writePNG(to path: String) throws {
        do {
            try AtomicFile.write(try pngData(), to: path)
        } catch let error as ArtifactError where error.file == "<png>" {
            throw ArtifactError(file: path, error.problem)
        }
    }

    /// Reads a JPEG or PNG through ImageIO's reader (same checks as `roma decode`).
    public static func read(_ path: String) throws -> Canvas {
        let image = try ImageFile.read(path)
        return Canvas(width: image.width, height: image.height, rgb: image.pixels)
    }
}
