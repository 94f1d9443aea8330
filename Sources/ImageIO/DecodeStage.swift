import Artifacts
import Foundation

/// Options of `roma decode`: the two model input sizes.
public struct DecodeOptions: StageOptions {
    public static let stage = "decode"

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

    /// The input of `roma match --model roma2`: the image at its own size, as romav2's
    /// `match` reads it (its resize to the setting's sizes is in float, so it is done by
    /// the match stage, exactly as romav2 does it).
    public static var roma2: DecodeOptions { tiny }

    public init(coarse: (width: Int, height: Int), upsampled: (width: Int, height: Int)?) {
        self.coarse = coarse
        self.upsampled = upsampled
    }

    /// The parameters the decoded artifact records.
    public var params: [String: any Sendable] {
        var params: [String: any Sendable] = originalSize ? ["coarse": "original", "resample": "none"]
            : ["coarse": "\(coarse.width)x\(coarse.height)", "resample": "pillow-bicubic"]
        params["upsampled"] = upsampled.map { "\($0.width)x\($0.height)" } ?? "none"
        return params
    }

    private enum CodingKeys: String, CodingKey { case coarse, upsampled, originalSize = "original_size" }

    /// Sizes as [width, height]; no upsampled pass as null.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let coarse = try c.decode([Int].self, forKey: .coarse)
        let upsampled = try c.decodeIfPresent([Int].self, forKey: .upsampled)
        guard coarse.count == 2, upsampled.map({ $0.count == 2 }) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: .coarse, in: c, debugDescription: "sizes are [width, height]")
        }
        self.init(coarse: (coarse[0], coarse[1]), upsampled: upsampled.map { ($0[0], $0[1]) })
        originalSize = try c.decodeIfPresent(Bool.self, forKey: .originalSize) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([coarse.width, coarse.height], forKey: .coarse)
        try c.encodeIfPresent(upsampled.map { [$0.width, $0.height] }, forKey: .upsampled)
        if originalSize { try c.encode(true, forKey: .originalSize) }
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
}
