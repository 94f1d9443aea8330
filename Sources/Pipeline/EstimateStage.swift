import Artifacts
import Evaluation
import Geometry
import Parallel

/// `roma estimate` as a function: matches → relative pose (with intrinsics) or
/// fundamental matrix (without). Shared by `roma estimate` and `roma pose`.
public enum EstimateStage {
    public struct Options: StageOptions, Equatable {
        public static let stage = "estimate"

        public var estimation: EstimationOptions
        /// Both (essential matrix) or neither (fundamental matrix).
        public var intrinsicsA: CameraIntrinsics?
        public var intrinsicsB: CameraIntrinsics?
        /// The benchmark manifest and pair the intrinsics and threshold came from, if any.
        public var manifest: String?
        public var pair: String?

        public init(estimation: EstimationOptions = EstimationOptions(), intrinsicsA: CameraIntrinsics? = nil,
                    intrinsicsB: CameraIntrinsics? = nil) {
            self.estimation = estimation
            self.intrinsicsA = intrinsicsA
            self.intrinsicsB = intrinsicsB
        }

        /// Intrinsics and threshold of one pair of a benchmark manifest (`roma evaluate prepare`).
        public init(estimation: EstimationOptions, manifest: String, pair: String) throws {
            let setup = try ManifestPair.read(manifest, pair: pair)
            var estimation = estimation
            estimation.threshold = setup.threshold
            self.init(estimation: estimation, intrinsicsA: setup.intrinsicsA, intrinsicsB: setup.intrinsicsB)
            self.manifest = manifest
            self.pair = pair
        }

        public var params: [String: any Sendable] {
            let e = estimation
            var params: [String: any Sendable] = [
                "threshold_px": e.threshold, "confidence": e.confidence, "solver": e.solver.rawValue,
                "max_iterations": e.iterationCap(essential: intrinsicsA != nil && intrinsicsB != nil),
            ]
            if let a = intrinsicsA, let b = intrinsicsB {
                params["K_a"] = a.matrix.values
                params["K_b"] = b.matrix.values
                params["threshold_normalized"] = normalizedThreshold(pixels: e.threshold, a, b)
            }
            if let manifest, let pair {
                params["manifest"] = manifest
                params["pair"] = pair
            }
            return params
        }

        /// OpenCV's solver draws with its own fixed generator: no seed of ours to record.
        public var recordedSeed: UInt64? { estimation.solver == .ours ? estimation.seed : nil }

        /// The manifest counts as an input of the estimate, beside the matches.
        public var extraInputs: [String] { manifest.map { [$0] } ?? [] }
    }

    /// Never throws for bad matches: a failed estimate is a result (`status: failed: …`).
    /// Throws only for unusable options (the message names the option).
    public static func run(_ matches: Matches, options: Options) throws -> PoseResult {
        if let problem = options.estimation.problem { throw EstimateOptionsError(description: problem) }
        return Threads.withSerialBLAS {
            estimateRelativePose(matches, intrinsicsA: options.intrinsicsA, intrinsicsB: options.intrinsicsB,
                                 options: options.estimation)
        }
    }
}

public struct EstimateOptionsError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
