import ArgumentParser
import Artifacts
import Baselines
import Evaluation
import Foundation
import Geometry
import Parallel
import Sampling

/// The synthetic benchmark per difficulty level: the ground-truth warp ("oracle"),
/// the oracle's matches degraded by noise and outliers, and SIFT, each estimated by
/// our LO-RANSAC and by OpenCV's findEssentialMat (the reference protocol). Shows
/// that the levels separate matchers and estimators while the ground truth stays
/// exact (the oracle's AUC ≈ 100 at every level).
struct SyntheticBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic",
        abstract: "Synthetic benchmark by difficulty level: oracle, degraded oracle and SIFT, ours vs OpenCV (AUC@5/10/20).",
        discussion: """
        Renders each level with `roma synth`'s renderer into --data/<level>-p<N>-s<seed> \
        (reused when its pairs.txt exists; delete the folder after changing the renderer), \
        then per pair and repetition k: samples 5000 matches from the ground-truth warp \
        (seed k, as `roma sample`), degrades copies of them, matches SIFT once, and \
        estimates each with seed k at the protocol's 0.5 px threshold.
        """)

    @Option(help: "Comma-separated difficulty levels.")
    var levels = "easy,medium,hard"

    @Option(name: .customLong("set"), help: "Override a factor of every level, e.g. --set overlap=0.3-0.5 (repeatable; names as `roma synth`'s options).")
    var overrides: [String] = []

    @Option(help: "Pairs per level.")
    var pairs = 32

    @Option(help: "Seed of the rendered sets.")
    var seed: UInt64 = 0

    @Option(help: "Sample + estimate repetitions per pair (make eval uses 5).")
    var repetitions = 1

    @Option(help: "Side of the ground-truth warp grid.")
    var warpSize = 864

    @Option(help: "Folder for the rendered sets.")
    var data = "runs/bench/synthetic"

    @Option(help: "Where to write the Markdown table.")
    var output = "runs/bench/synthetic.md"

    func validate() throws {
        guard pairs >= 1, repetitions >= 1, warpSize >= 8 else { throw ValidationError("--pairs, --repetitions must be ≥ 1 and --warp-size ≥ 8") }
    }

    /// A method's matches for one pair and repetition.
    enum Method: CaseIterable {
        case oracle, oracleNoise, oracleOutliers, sift
        var label: String {
            switch self {
            case .oracle: return "oracle (ground-truth warp)"
            case .oracleNoise: return "oracle + 1 px noise"
            case .oracleOutliers: return "oracle + 1 px noise + 50 % outliers"
            case .sift: return "SIFT (8000 features, ratio 0.8, mutual)"
            }
        }
    }

    func run() throws {
        var factors: [String: String] = [:]
        for item in overrides {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set '\(item)': expected name=value") }
            factors[parts[0]] = parts[1]
        }
        let chosen = try levels.split(separator: ",").map { (String($0), try Difficulty.level(named: String($0)).overriding(factors)) }
        let suffix = overrides.sorted().map { "-" + $0.replacingOccurrences(of: "=", with: "") }.joined()
        var lines: [String] = []
        func emit(_ s: String) { print(s); lines.append(s) }
        emit("# Synthetic benchmark by difficulty level")
        emit("")
        emit("`roma-bench synthetic --levels \(levels)\(overrides.map { " --set " + $0 }.joined()) --pairs \(pairs) --seed \(seed) --repetitions \(repetitions)`: \(pairs) pairs per level, "
             + "640×480, \(warpSize)² ground-truth warp; 5000 balanced samples per repetition; threshold 0.5 px; "
             + "ours = LO-RANSAC (`roma estimate`), cv = OpenCV findEssentialMat + recoverPose (`--solver opencv`).")
        emit("")
        emit("| level | matches | AUC@5 ours | AUC@10 ours | AUC@20 ours | AUC@5 cv | AUC@10 cv | AUC@20 cv | median matches |")
        emit("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for (name, level) in chosen {
            let folder = "\(data)/\(name)\(suffix)-p\(pairs)-s\(seed)\(warpSize == 864 ? "" : "-w\(warpSize)")"
            if !FileManager.default.fileExists(atPath: folder + "/pairs.txt") {
                var options = Synthetic.Options()
                options.pairs = pairs
                options.seed = seed
                options.warpSize = warpSize
                options.difficulty = level
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let start = Date()
                try Synthetic.generate(into: folder, options: options)
                print("rendered \(name)\(suffix): \(pairs) pairs in \(String(format: "%.1f", Date().timeIntervalSince(start))) s → \(folder)")
            }
            let manifest = try BenchmarkManifest.prepare(.synthetic(folder: folder), datasetsFolder: "datasets")
            var errors = [[Double]](repeating: [], count: Method.allCases.count * 2)
            var counts = [[Int]](repeating: [], count: Method.allCases.count)
            for pair in manifest.pairs {
                let warp = try Warp.read("\(folder)/\(pair.id).warp.safetensors")
                let sift = try siftMatches(imageA: pair.imageA, imageB: pair.imageB)
                let ka = CameraIntrinsics(fx: pair.estimateIntrinsicsA[0], fy: pair.estimateIntrinsicsA[1],
                                          cx: pair.estimateIntrinsicsA[2], cy: pair.estimateIntrinsicsA[3])
                let kb = CameraIntrinsics(fx: pair.estimateIntrinsicsB[0], fy: pair.estimateIntrinsicsB[1],
                                          cx: pair.estimateIntrinsicsB[2], cy: pair.estimateIntrinsicsB[3])
                for r in 0..<repetitions {
                    let exact = try sampleMatches(from: warp, options: SamplingOptions(count: 5000, seed: UInt64(r)))
                    var rng = SplitMix64(seed: SplitMix64.derive(seed: UInt64(r), stream: 0xDE6))
                    let noisy = Self.degrade(exact, noise: 1, outliers: 0, width: pair.widthB, height: pair.heightB, rng: &rng)
                    let outlying = Self.degrade(exact, noise: 1, outliers: 0.5, width: pair.widthB, height: pair.heightB, rng: &rng)
                    for (m, matches) in zip(Method.allCases.indices, [exact, noisy, outlying, sift]) {
                        counts[m].append(matches.count)
                        for (s, solver) in [PoseSolver.ours, .opencv].enumerated() {
                            let options = EstimationOptions(threshold: pair.estimateThreshold, seed: UInt64(r), solver: solver)
                            let result = estimateRelativePose(matches, intrinsicsA: ka, intrinsicsB: kb, options: options)
                            errors[m * 2 + s].append(PoseMetrics.error(of: result, truthRotation: pair.rotation,
                                                                       truthTranslation: pair.translation).pose)
                        }
                    }
                }
            }
            for (m, method) in Method.allCases.enumerated() {
                let ours = PoseAUC.auc(errors[m * 2]), cv = PoseAUC.auc(errors[m * 2 + 1])
                let sorted = counts[m].sorted()
                emit("| \(name)\(suffix) | \(method.label) | " + (ours + cv).map { String(format: "%.1f", 100 * $0) }.joined(separator: " | ")
                     + " | \(sorted[sorted.count / 2]) |")
            }
        }
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: output).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: output)
        print("\nwritten to \(output)")
    }

    /// `matches` with Gaussian noise of σ `noise` px on B's points, then a fraction
    /// `outliers` of them moved to uniform random positions in B.
    static func degrade(_ matches: Matches, noise: Double, outliers: Double, width: Int, height: Int, rng: inout SplitMix64) -> Matches {
        var b = matches.pointsB
        for i in b.indices { b[i] += noise * rng.gaussian() }
        for k in 0..<matches.count where rng.unit() < outliers {
            b[2 * k] = rng.uniform(0, Double(width))
            b[2 * k + 1] = rng.uniform(0, Double(height))
        }
        return Matches(pointsA: matches.pointsA, pointsB: b, certainty: matches.certainty)
    }
}
