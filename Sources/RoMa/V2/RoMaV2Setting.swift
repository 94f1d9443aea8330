/// romav2 2.0.1's settings (`RoMaV2.apply_setting`): input sizes of the low- and
/// high-resolution passes, bidirectional matching, the overlap threshold. The default
/// is `precise`, as `RoMaV2.Cfg`.
public enum RoMaV2Setting: String, Codable, Sendable, CaseIterable {
    case turbo, fast, base, precise, mega1500, scannet1500

    public static let `default` = RoMaV2Setting.precise

    /// Low-resolution (matcher) input, (height, width).
    public var lowResolution: (height: Int, width: Int) {
        switch self {
        case .turbo: (320, 320)
        case .fast: (512, 512)
        case .base: (640, 640)
        case .precise, .mega1500, .scannet1500: (800, 800)
        }
    }

    /// High-resolution input of the second refinement pass, or nil (no second pass).
    public var highResolution: (height: Int, width: Int)? {
        switch self {
        case .turbo, .fast, .base: nil
        case .precise: (1280, 1280)
        case .mega1500, .scannet1500: (1024, 1024)
        }
    }

    /// A→B and B→A (both passes); otherwise A→B only.
    public var bidirectional: Bool {
        switch self {
        case .turbo, .fast, .base: false
        case .precise, .mega1500, .scannet1500: true
        }
    }

    /// Overlaps above it are set to 1 (`_map_confidence`); nil keeps the sigmoid.
    public var threshold: Float? {
        switch self {
        case .mega1500, .scannet1500: 0.05
        case .turbo, .fast, .base, .precise: nil
        }
    }

    /// The warp's grid: the last pass's input size.
    public var outputResolution: (height: Int, width: Int) { highResolution ?? lowResolution }
}

/// What a RoMa v2 match runs: the passes' input sizes, directions and threshold. From a
/// setting (`init(_:)`), or other sizes for the tests' reduced model (64² and 128²).
public struct RoMaV2Config: Sendable, Equatable {
    public var lowResolution: Resolution
    public var highResolution: Resolution?
    public var bidirectional: Bool
    public var threshold: Float?

    public struct Resolution: Sendable, Equatable {
        public var height: Int
        public var width: Int
        public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }
    }

    public init(lowResolution: Resolution, highResolution: Resolution?, bidirectional: Bool, threshold: Float?) {
        (self.lowResolution, self.highResolution, self.bidirectional, self.threshold) = (lowResolution, highResolution, bidirectional, threshold)
    }

    public init(_ setting: RoMaV2Setting) {
        let low = setting.lowResolution
        self.init(lowResolution: Resolution(height: low.height, width: low.width),
                  highResolution: setting.highResolution.map { Resolution(height: $0.height, width: $0.width) },
                  bidirectional: setting.bidirectional, threshold: setting.threshold)
    }
}
