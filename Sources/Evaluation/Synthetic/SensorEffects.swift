import OpenCVLoader
import Foundation
import Parallel

/// What a camera does to a rendered image before it is stored: blur (defocus,
/// shake), noise, and JPEG compression through OpenCV's `imencode` (libjpeg), as
/// photo collections like MegaDepth's are stored. Only pixel values change.
struct SensorSettings: Sendable, Equatable {
    /// Gaussian σ in pixels (0: none).
    var blur: Double
    /// Additive Gaussian noise σ in 8-bit levels (0: none).
    var noise: Double
    /// JPEG quality 1…100, or nil for lossless PNG.
    var jpegQuality: Int?

    static let none = SensorSettings(blur: 0, noise: 0, jpegQuality: nil)

    static func draw(_ difficulty: Difficulty, _ rng: inout SplitMix64) -> SensorSettings {
        SensorSettings(blur: difficulty.blur.draw(&rng), noise: difficulty.noise.draw(&rng),
                       jpegQuality: difficulty.jpeg.map { Int($0.draw(&rng).rounded()) })
    }

    /// The image as stored: pixels as a reader decodes them, and the JPEG bytes when
    /// the file is a JPEG. Noise is seeded, so the result is reproducible.
    func apply(to rgb: [UInt8], width: Int, height: Int, seed: UInt64) -> (rgb: [UInt8], jpeg: Data?) {
        var pixels = rgb
        if blur > 0 {
            let status = pixels.withUnsafeMutableBufferPointer { cvshim_sensor_blur($0.baseAddress, Int32(width), Int32(height), blur) }
            precondition(status == 0, "OpenCV GaussianBlur failed on a \(width)×\(height) image")
        }
        if noise > 0 {
            var rng = SplitMix64(seed: seed)
            for i in pixels.indices {
                pixels[i] = UInt8(max(0, min(255, (Double(pixels[i]) + noise * rng.gaussian()).rounded())))
            }
        }
        guard let quality = jpegQuality else { return (pixels, nil) }
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = pixels.withUnsafeBufferPointer {
            cvshim_sensor_encode_jpeg($0.baseAddress, Int32(width), Int32(height), Int32(quality), &bytes, &length)
        }
        precondition(status == 0 && bytes != nil, "OpenCV could not JPEG-encode a \(width)×\(height) image")
        defer { cvshim_free(bytes) }
        let data = Data(bytes: bytes!, count: length)
        let decoded = pixels.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBytes { cvshim_sensor_decode($0.bindMemory(to: UInt8.self).baseAddress, length, out.baseAddress, Int32(width), Int32(height)) }
        }
        precondition(decoded == 0, "OpenCV could not decode the JPEG it wrote")
        return (pixels, data)
    }
}
