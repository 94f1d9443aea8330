import Artifacts
import Foundation

/// Options of `roma decode`: the two model input sizes.
public struct DecodeOptions: Sendable {
    /// Coarse-pass input (width, height); both multiples of 14 (DINOv2's patch size).
    public var coarse: (width: Int, height: Int) = (560, 560)
    /// Upsampled-pass input (width, height), or nil to skip it.
    public var upsampled: (width: Int, height: Int)? = (864, 864)
    /// Keep the source image's own size (no resampling, no upsampled image): what
    /// Tiny RoMa takes, as romatch's `TinyRoMa.match` reads images (`--preset tiny`).
    public var originalSize = false

    public init() {}

    /// The inputs of `roma match --model tiny`: the image at its own size.
    public static var tiny: DecodeOptions {
        var options = DecodeOptions()
        options.originalSize = true
        options.upsampled = nil
        return options
    }

    public init(coarse: (width: Int, height: Int), upsampled: (width: Int, height: Int)?) {
        self.coarse = coarse
        self.upsampled = upsampled
    }

    /// Checks the sizes; the error names the offending option.
    public func validate() throws {
        if originalSize {
            guard upsampled == nil else { throw DecodeOptionsError("an upsampled size cannot go with the original size (--preset tiny)") }
            return
        }
        guard coarse.width > 0, coarse.height > 0, coarse.width % 14 == 0, coarse.height % 14 == 0 else {
            throw DecodeOptionsError("coarse size \(coarse.width)x\(coarse.height) must be positive multiples of 14 (DINOv2 patch size)")
        }
        if let up = upsampled, up.width <= 0 || up.height <= 0 || up.width > 8192 || up.height > 8192 {
            throw DecodeOptionsError("upsampled size \(up.width)x\(up.height) must be between 1 and 8192")
        }
        guard coarse.width <= 8192, coarse.height <= 8192 else {
            throw DecodeOptionsError("coarse size \(coarse.width)x\(coarse.height) is larger than 8192")
        }
    }
}

public struct DecodeOptionsError: Error, CustomStringConvertible {
    public let description: String
    init(_ text: String) { description = text }
}

/// The decode stage: image file → `roma.decoded/1`.
public enum DecodeStage {
    public static func run(imagePath: String, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        try options.validate()
        let image = try ImageFile.read(imagePath)
        let coarse = options.originalSize ? image : BicubicResize.resize(image, width: options.coarse.width, height: options.coarse.height)
        let upsampled = options.upsampled.map { BicubicResize.resize(image, width: $0.width, height: $0.height) }
        return DecodedImage(
            coarse: .init(width: coarse.width, height: coarse.height, rgb: coarse.pixels),
            upsampled: upsampled.map { .init(width: $0.width, height: $0.height, rgb: $0.pixels) },
            originalWidth: image.width, originalHeight: image.height, sourcePath: imagePath)
    }

    /// Runs the stage and writes the artifact with provenance.
    public static func run(imagePath: String, output: String, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        let decoded = try run(imagePath: imagePath, options: options)
        var artifact = decoded.artifact
        var params: [String: any Sendable] = options.originalSize ? ["coarse": "original", "resample": "none"] : [
            "coarse": "\(options.coarse.width)x\(options.coarse.height)",
            "resample": "pillow-bicubic",
        ]
        params["upsampled"] = options.upsampled.map { "\($0.width)x\($0.height)" } ?? "none"
        try artifact.stamp(stage: "decode", params: params, inputs: [imagePath])
        try artifact.write(to: output)
        return decoded
    }
}
