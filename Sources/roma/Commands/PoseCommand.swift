import ArgumentParser
import Artifacts
import Baselines
import Foundation
import Geometry
import ImageIO
import Pipeline
import Sampling

struct Pose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pose",
        abstract: "Relative pose of one image pair: every stage in memory (decode → match → sample → estimate).",
        discussion: """
        With --K-a and --K-b prints R, t and the essential matrix; without them, the \
        fundamental matrix. --matcher sift needs no neural weights. --keep DIR writes \
        each stage's artifact so any stage can be rerun alone. --json prints one JSON \
        object (keys in docs/pose.md). Exit code 3 when the estimate failed \
        (too few matches, degenerate input); 1 for unreadable input.
        """)

    @Argument(help: "Image A (JPEG or PNG).")
    var imageA: String

    @Argument(help: "Image B (JPEG or PNG).")
    var imageB: String

    @OptionGroup var intrinsics: IntrinsicsOptions

    @Option(help: "Matcher: roma (dense, needs weights), tiny (Tiny RoMa v1, fast on a CPU; --weights is then its checkpoint), roma2 (RoMa v2; --weights its checkpoint, --setting) or sift (OpenCV baseline).")
    var matcher: PosePipeline.Matcher = .roma

    @OptionGroup var model: WeightsOptions

    @Option(help: "With --matcher roma2: romav2's setting (turbo|fast|base|precise|mega1500|scannet1500; default precise).")
    var setting: RoMaV2Setting?

    @Option(help: "Matches to sample from the dense warp.")
    var num: Int = 5000

    @OptionGroup var seed: SeedOption

    @Option(help: "Inlier threshold in pixels (normalised by the intrinsics as the standard protocol does).")
    var threshold: Double = 0.5

    @Option(help: "Estimator: ours (LO-RANSAC) or opencv (the reference protocol's findEssentialMat).")
    var solver: PoseSolver = .ours

    @Option(help: "Folder to keep every stage's artifact in.")
    var keep: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress messages on stderr.")
    var quiet = false

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard num > 0 else { throw ValidationError("--num must be at least 1") }
        if model.precision == .bf16 && matcher != .roma && matcher != .roma2 {
            throw ValidationError("--precision bf16 applies to --matcher roma or roma2 only")
        }
        if setting != nil, matcher != .roma2 { throw ValidationError("--setting applies to --matcher roma2 only") }
    }

    func run() throws {
        threads.apply()
        let estimation = EstimationOptions(threshold: threshold, seed: seed.seed, solver: solver)
        if let problem = estimation.problem { throw ValidationError(problem) }
        let k = try intrinsics.parsed()
        var request = PosePipeline.Request(imageA: imageA, imageB: imageB,
                                           estimate: EstimateStage.Options(estimation: estimation, intrinsicsA: k.a, intrinsicsB: k.b))
        request.matcher = matcher
        request.match = model.matchOptions(model: matcher == .roma2 ? .roma2 : .roma)
        request.match.setting = setting
        request.sampling = SamplingOptions(count: num, seed: seed.seed)
        request.keep = keep
        let showProgress = !quiet && !json && isatty(STDERR_FILENO) != 0
        let outcome = try PosePipeline.run(request, progress: { stage in
            if showProgress { FileHandle.standardError.write(Data("\(stage)…\n".utf8)) }
        })
        if json {
            print(jsonReport(outcome))
        } else {
            print(textReport(outcome))
        }
        if !outcome.pose.succeeded { throw ExitCode(3) }
    }

    private func textReport(_ outcome: PosePipeline.Outcome) -> String {
        let pose = outcome.pose
        func matrix(_ m: [Double]) -> String {
            (0..<3).map { r in "  [" + (0..<3).map { String(format: "% .6f", m[r * 3 + $0]) }.joined(separator: ", ") + "]" }.joined(separator: "\n")
        }
        var lines = ["pose: \(imageA) -> \(imageB) (matcher \(matcher.rawValue), solver \(solver.rawValue))",
                     "status: \(pose.status)"]
        if pose.succeeded {
            if pose.model == .essential {
                lines.append("R =\n" + matrix(pose.rotation))
                lines.append("t = [" + pose.translation.map { String(format: "%.6f", $0) }.joined(separator: ", ") + "]")
                lines.append("E =\n" + matrix(pose.matrix))
            } else {
                lines.append("F =\n" + matrix(pose.matrix))
            }
        }
        lines.append("inliers: \(pose.inlierCount) / \(outcome.matchCount) matches, \(pose.iterations) iterations")
        let total = outcome.timings.reduce(0) { $0 + $1.seconds }
        lines.append("time: " + mergedTimings(outcome).map { String(format: "%@ %.2f s", $0.0, $0.1) }.joined(separator: ", ")
                     + String(format: ", total %.2f s", total))
        for (stage, path) in outcome.kept { lines.append("kept \(stage): \(path)") }
        return lines.joined(separator: "\n")
    }

    private func mergedTimings(_ outcome: PosePipeline.Outcome) -> [(String, Double)] {
        var order: [String] = [], sums: [String: Double] = [:]
        for t in outcome.timings {
            if sums[t.stage] == nil { order.append(t.stage) }
            sums[t.stage, default: 0] += t.seconds
        }
        return order.map { ($0, sums[$0]!) }
    }

    private func jsonReport(_ outcome: PosePipeline.Outcome) -> String {
        let pose = outcome.pose
        var object: [String: Any] = [
            "image_a": imageA, "image_b": imageB,
            "matcher": matcher.rawValue, "solver": solver.rawValue,
            "status": pose.status, "model": pose.model.rawValue,
            "inliers": pose.inlierCount, "matches": outcome.matchCount,
            "iterations": pose.iterations, "seed": seed.seed, "threshold_px": threshold,
            "timings_s": Dictionary(mergedTimings(outcome), uniquingKeysWith: +),
            "kept": outcome.kept.map(\.path),
        ]
        object[pose.model == .essential ? "E" : "F"] = pose.matrix
        if pose.model == .essential {
            object["R"] = pose.rotation
            object["t"] = pose.translation
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension PosePipeline.Matcher: ExpressibleByArgument {}
