import ArgumentParser
import Artifacts
import Evaluation
import Foundation
import Geometry
import Parallel

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Estimate the relative pose (or a fundamental matrix) from matches (roma.matches/1 → roma.pose/1).",
        discussion: """
        With --K-a and --K-b: essential matrix and relative pose (x_B = R x_A + t). The \
        pixel threshold is normalised as the LoFTR/RoMa benchmarks do: \
        threshold / (mean|K_a[:2,:2]| + mean|K_b[:2,:2]|). Without intrinsics: fundamental \
        matrix only, threshold in pixels.

        With --manifest pairs.json --pair ID (written by `roma evaluate prepare`): the \
        intrinsics and the pixel threshold of that pair come from the manifest, which \
        already folds in the protocol's rescaling and keypoint shift; --K-a, --K-b and \
        --threshold are then not allowed.

        A failed estimate (fewer than 5/7 matches, NaN coordinates, degenerate points, \
        no model) still writes the pose artifact with `status: failed: <reason>`, prints \
        the reason and exits with code 3; unreadable input exits with code 1. \
        See docs/geometry.md.
        """
    )

    @Argument(help: "Matches artifact (roma.matches/1): kpts_a, kpts_b in pixels.")
    var matches: String

    @Option(name: .customLong("K-a"), help: "Intrinsics of image A: fx,fy,cx,cy or the 9 values of K (row-major).")
    var kA: String?

    @Option(name: .customLong("K-b"), help: "Intrinsics of image B: fx,fy,cx,cy or the 9 values of K (row-major).")
    var kB: String?

    @Option(help: "Benchmark manifest (pairs.json from `roma evaluate prepare`) giving the intrinsics and threshold; needs --pair.")
    var manifest: String?

    @Option(help: "Id of the pair in --manifest whose intrinsics and threshold to use.")
    var pair: String?

    @Option(help: "Inlier threshold in pixels (default 0.5, the standard protocol; with --manifest, the manifest's).")
    var threshold: Double?

    @Option(help: "RANSAC confidence for adaptive stopping.")
    var confidence: Double = 0.99999

    @Option(help: "Iteration cap (default: 10000 for ours, 1000 for opencv as in the reference call).")
    var maxIterations: Int?

    @Option(help: "Seed of the random sampling (recorded in the artifact).")
    var seed: UInt64 = 0

    @Option(help: "Estimator: ours (LO-RANSAC) or opencv (findEssentialMat + recoverPose, the reference protocol).")
    var solver: PoseSolver = .ours

    @Option(name: .shortAndLong, help: "Output pose artifact path (.safetensors).")
    var output: String

    func validate() throws {
        if (kA == nil) != (kB == nil) {
            throw ValidationError("give both --K-a and --K-b (essential matrix) or neither (fundamental matrix)")
        }
        if (manifest == nil) != (pair == nil) {
            throw ValidationError("--manifest and --pair go together: the manifest holds many pairs")
        }
        if manifest != nil, kA != nil {
            throw ValidationError("give the intrinsics either with --K-a/--K-b or with --manifest, not both")
        }
        if manifest != nil, threshold != nil {
            // The manifest's threshold is already rescaled to the images' own pixels;
            // another value would silently break the protocol.
            throw ValidationError("--threshold cannot be combined with --manifest, whose threshold folds in the protocol's rescaling "
                + "(rerun `roma evaluate prepare --threshold …` to change it)")
        }
    }

    func run() throws {
        // The estimator is sequential and its LAPACK calls are on ≤ 10×10
        // matrices: OpenBLAS worker threads only add wake-ups (docs/geometry.md).
        Threads.configure(1)
        var intrinsicsA = try kA.map { try parseIntrinsics($0, option: "--K-a") }
        var intrinsicsB = try kB.map { try parseIntrinsics($0, option: "--K-b") }
        var threshold = self.threshold ?? 0.5
        if let manifest, let pair {
            let setup = try ManifestPair.read(manifest, pair: pair)
            (intrinsicsA, intrinsicsB, threshold) = (setup.intrinsicsA, setup.intrinsicsB, setup.threshold)
        }
        let input = try Matches.read(matches)
        let options = EstimationOptions(threshold: threshold, confidence: confidence, maxIterations: maxIterations,
                                        seed: seed, solver: solver)
        if let problem = options.problem { throw ValidationError(problem) }

        let result = estimateRelativePose(input, intrinsicsA: intrinsicsA, intrinsicsB: intrinsicsB, options: options)

        var artifact = result.artifact
        var params: [String: any Sendable] = [
            "threshold_px": threshold, "confidence": confidence, "solver": solver.rawValue,
            "max_iterations": maxIterations ?? (solver == .ours ? EstimationOptions.defaultMaxIterations : EstimationOptions.openCVMaxIterations),
        ]
        if let a = intrinsicsA, let b = intrinsicsB {
            params["K_a"] = a.matrix.values
            params["K_b"] = b.matrix.values
            params["threshold_normalized"] = normalizedThreshold(pixels: threshold, a, b)
        }
        if let manifest, let pair {
            params["manifest"] = manifest
            params["pair"] = pair
        }
        try artifact.stamp(stage: "estimate", params: params, seed: solver == .ours ? seed : nil,
                           inputs: [matches] + (manifest.map { [$0] } ?? []))
        try artifact.write(to: output)

        if result.succeeded {
            let what = result.model == .essential ? "relative pose" : "fundamental matrix"
            print("estimated \(what) from \(input.count) matches: \(result.inlierCount) inliers"
                  + (solver == .ours ? ", \(result.iterations) iterations" : " (OpenCV)") + " -> \(output)")
        } else {
            FileHandle.standardError.write(Data("roma estimate: \(matches): \(result.status) (artifact written to \(output))\n".utf8))
            throw ExitCode(3)
        }
    }
}

/// Parses `--K-a`/`--K-b` (fx,fy,cx,cy or the 9 values of K); shared by estimate and pose.
func parseIntrinsics(_ text: String, option: String) throws -> CameraIntrinsics {
    switch CameraIntrinsics.parse(text) {
    case .success(let k): return k
    case .failure(let error): throw ValidationError("\(option) \(error.description)")
    }
}

extension PoseSolver: ExpressibleByArgument {}

/// The estimation setup of one pair of a benchmark manifest: intrinsics in the
/// images' own pixels with the protocol's keypoint shift folded into the principal
/// point, and the pixel threshold that, normalised by those intrinsics, equals the
/// protocol's normalised threshold (see `EstimateParameters` in Evaluation).
struct ManifestPair {
    var intrinsicsA: CameraIntrinsics
    var intrinsicsB: CameraIntrinsics
    var threshold: Double

    static func read(_ path: String, pair id: String) throws -> ManifestPair {
        let manifest = try BenchmarkManifest.read(path)
        guard let p = manifest.pairs.first(where: { $0.id == id }) else {
            let some = manifest.pairs.prefix(3).map { "'\($0.id)'" }.joined(separator: ", ")
            throw ArtifactError(file: path, "no pair '\(id)' among its \(manifest.pairs.count) pairs"
                + (some.isEmpty ? "" : " (e.g. \(some))"))
        }
        func intrinsics(_ v: [Double], _ side: String) throws -> CameraIntrinsics {
            let k = CameraIntrinsics(fx: v[0], fy: v[1], cx: v[2], cy: v[3])
            if let problem = k.problem { throw ArtifactError(file: path, "pair '\(id)': intrinsics of image \(side): \(problem)") }
            return k
        }
        guard p.estimateThreshold > 0, p.estimateThreshold.isFinite else {
            throw ArtifactError(file: path, "pair '\(id)': threshold must be a positive number of pixels, got \(p.estimateThreshold)")
        }
        return ManifestPair(intrinsicsA: try intrinsics(p.estimateIntrinsicsA, "A"), intrinsicsB: try intrinsics(p.estimateIntrinsicsB, "B"),
                            threshold: p.estimateThreshold)
    }
}
