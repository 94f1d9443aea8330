/// `roma.decoded/1`: one image, resized to the model's two input sizes.
public struct DecodedImage: Sendable {
    /// Packed RGB, row-major, `height × width × 3`.
    public struct Pixels: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var rgb: [UInt8]
        public init(width: Int, height: Int, rgb: [UInt8]) {
            precondition(rgb.count == width * height * 3, "RGB buffer does not match \(width)x\(height)")
            self.width = width
            self.height = height
            self.rgb = rgb
        }
    }

    /// Input of the coarse pass (default 560×560).
    public var coarse: Pixels
    /// Input of the upsampled pass (default 864×864); nil when upsampling is off.
    public var upsampled: Pixels?
    /// The source image's own size, before resizing: matches are reported in this pixel grid.
    public var originalWidth: Int
    public var originalHeight: Int
    public var sourcePath: String

    public init(coarse: Pixels, upsampled: Pixels?, originalWidth: Int, originalHeight: Int, sourcePath: String) {
        self.coarse = coarse
        self.upsampled = upsampled
        self.originalWidth = originalWidth
        self.originalHeight = originalHeight
        self.sourcePath = sourcePath
    }

    public init(_ artifact: Artifact) throws {
        try artifact.require(.decoded)
        func pixels(_ name: String) throws -> Pixels {
            let t = try artifact.tensor(name, shape: [nil, nil, 3])
            guard t.dtype == .uint8 else { throw ArtifactError(file: artifact.source, "tensor '\(name)' must be U8, found \(t.dtype.rawValue)") }
            guard t.shape[0] > 0, t.shape[1] > 0 else { throw ArtifactError(file: artifact.source, "tensor '\(name)' is empty") }
            return Pixels(width: t.shape[1], height: t.shape[0], rgb: [UInt8](t.bytes))
        }
        coarse = try pixels("coarse")
        upsampled = artifact.has("upsampled") ? try pixels("upsampled") : nil
        originalWidth = try artifact.metaInt("width")
        originalHeight = try artifact.metaInt("height")
        guard originalWidth > 0, originalHeight > 0 else {
            throw ArtifactError(file: artifact.source, "original size \(originalWidth)x\(originalHeight) is not positive")
        }
        sourcePath = artifact.metadata["source"] ?? ""
    }

    public static func read(_ path: String) throws -> DecodedImage {
        try DecodedImage(Artifact.read(path, expecting: .decoded))
    }

    /// The artifact, without provenance (the writing stage stamps it).
    public var artifact: Artifact {
        var a = Artifact(schema: .decoded)
        a.put("coarse", coarse.rgb, shape: [coarse.height, coarse.width, 3])
        if let upsampled { a.put("upsampled", upsampled.rgb, shape: [upsampled.height, upsampled.width, 3]) }
        a.metadata["width"] = String(originalWidth)
        a.metadata["height"] = String(originalHeight)
        a.metadata["source"] = sourcePath
        return a
    }
}
