import Artifacts

/// How `sampleMatches` draws sparse matches from a dense warp. Defaults are the
/// reference's (romatch 0.1.2: `sample_mode="threshold_balanced"`,
/// `sample_thresh=0.05`; 5000 matches as in its MegaDepth/ScanNet benchmarks).
public struct SamplingOptions: StageOptions, Equatable {
    public static let stage = "sample"

    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// Certainty above the threshold counts as 1, then the density-balanced draw.
        case thresholdBalanced = "threshold_balanced"
        /// Certainty above the threshold counts as 1; draw `count` by certainty.
        case threshold
        /// Raw certainty, then the density-balanced draw.
        case balanced

        var thresholds: Bool { self != .balanced }
        var balances: Bool { self != .threshold }
    }

    /// Number of matches to draw.
    public var count: Int
    public var mode: Mode
    /// Certainty above this is treated as 1 in the threshold modes.
    public var threshold: Float
    /// Seeds every random choice; recorded in the output's metadata.
    public var seed: UInt64
    public var recordedSeed: UInt64? { seed }
    /// The balancing density sums the kernel over every `kdeStride`-th candidate only:
    /// 1 for RoMa; 8 for Tiny RoMa, whose `sample` calls `kde(…, down=8)` on CPU.
    public var kdeStride: Int

    public init(count: Int = 5000, mode: Mode = .thresholdBalanced, threshold: Float = 0.05, seed: UInt64 = 0, kdeStride: Int = 1) {
        self.count = count
        self.mode = mode
        self.threshold = threshold
        self.seed = seed
        self.kdeStride = kdeStride
    }

    /// Tiny RoMa's `kde` stride on CPU (romatch 0.1.2 `TinyRoMa.sample`).
    public static let tinyKDEStride = 8

    /// Constants of the balanced draw, from romatch 0.1.2 `RegressionMatcher.sample`.
    public enum Reference {
        /// Candidates drawn per requested match before balancing.
        public static let expansionFactor = 4
        /// Gaussian kernel width in normalised 4-D match space.
        public static let kernelStd: Float = 0.1
        /// Candidates with fewer "neighbours" than this are nearly never kept
        /// (the reference: "should have at least 10 perfect neighbours").
        public static let minimumDensity: Float = 10
        /// Weight given to candidates below `minimumDensity`.
        public static let sparseWeight: Float = 1e-7
    }

    /// The parameters as recorded in an artifact's provenance (with `seed`).
    public var params: [String: any Sendable] {
        var params: [String: any Sendable] = [
            "num": count, "mode": mode.rawValue, "thresh": Self.decimal(threshold),
            "expansion_factor": mode.balances ? Reference.expansionFactor : 1,
            "kde_std": Self.decimal(Reference.kernelStd)]
        if kdeStride != 1 { params["kde_stride"] = kdeStride }
        return params
    }

    /// A Float as the Double with the same shortest decimal (0.05, not 0.0500000007).
    private static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
}

/// Why a warp cannot be sampled; the CLI adds the file name.
public struct SamplingError: Error, CustomStringConvertible, Sendable {
    public let problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
