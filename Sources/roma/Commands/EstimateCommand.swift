import ArgumentParser
import Artifacts
import Foundation
import Geometry
import Pipeline

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

    @OptionGroup var intrinsics: IntrinsicsOptions

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

    @OptionGroup var seed: SeedOption

    @Option(help: "Estimator: ours (LO-RANSAC) or opencv (findEssentialMat + recoverPose, the reference protocol).")
    var solver: PoseSolver = .ours

    @Option(name: .shortAndLong, help: "Output pose artifact path (.safetensors).")
    var output: String

    func validate() throws {
        if (manifest == nil) != (pair == nil) {
            throw ValidationError("--manifest and --pair go together: the manifest holds many pairs")
        }
        if manifest != nil, intrinsics.given {
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
        let estimation = EstimationOptions(threshold: threshold ?? 0.5, confidence: confidence, maxIterations: maxIterations,
                                           seed: seed.seed, solver: solver)
        if let problem = estimation.problem { throw ValidationError(problem) }
        let options: EstimateStage.Options
        if let manifest, let pair {
            options = try EstimateStage.Options(estimation: estimation, manifest: manifest, pair: pair)
        } else {
            let k = try intrinsics.parsed()
            options = EstimateStage.Options(estimation: estimation, intrinsicsA: k.a, intrinsicsB: k.b)
        }
        let input = try Matches.read(matches)
        let result = try EstimateStage.run(input, options: options)
        try result.artifact.write(to: output, record: options.record, inputs: [matches] + options.extraInputs)

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
