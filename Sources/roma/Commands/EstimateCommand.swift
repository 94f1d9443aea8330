import ArgumentParser
import Artifacts
import Foundation
import Geometry

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Estimate the relative pose (or a fundamental matrix) from matches (roma.matches/1 → roma.pose/1).",
        discussion: """
        With --K-a and --K-b: essential matrix and relative pose (x_B = R x_A + t). The \
        pixel threshold is normalised as the LoFTR/RoMa benchmarks do: \
        threshold / (mean|K_a[:2,:2]| + mean|K_b[:2,:2]|). Without intrinsics: fundamental \
        matrix only, threshold in pixels.

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

    @Option(help: "Inlier threshold in pixels (the standard protocol uses 0.5).")
    var threshold: Double = 0.5

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
    }

    func run() throws {
        let intrinsicsA = try kA.map { try parseIntrinsics($0, option: "--K-a") }
        let intrinsicsB = try kB.map { try parseIntrinsics($0, option: "--K-b") }
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
        try artifact.stamp(stage: "estimate", params: params, seed: solver == .ours ? seed : nil, inputs: [matches])
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

    private func parseIntrinsics(_ text: String, option: String) throws -> CameraIntrinsics {
        switch CameraIntrinsics.parse(text) {
        case .success(let k): return k
        case .failure(let error): throw ValidationError("\(option) \(error.description)")
        }
    }
}

extension PoseSolver: ExpressibleByArgument {}
