import Artifacts
import ArgumentParser
import Evaluation
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a benchmark run's pose artifacts: per-pair errors, AUC and accuracy (roma.results/1).",
        discussion: """
        `roma evaluate prepare BENCH` resolves a benchmark (ground truth, image paths and \
        sizes, per-pair `roma estimate` arguments) into pairs.json and a Make fragment. \
        `roma evaluate --manifest pairs.json --poses DIR -o results.safetensors` then \
        reads DIR/r<k>/<pair>.pose.safetensors for every pair and repetition. \
        eval/eval.mk runs both; see docs/evaluation.md.
        """,
        subcommands: [Score.self, Prepare.self, Watch.self],
        defaultSubcommand: Score.self
    )
}

extension Evaluate {
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Compute pose errors and the AUC table of a run (the default subcommand)."
        )

        @Option(help: "The benchmark manifest written by `roma evaluate prepare` (pairs.json).")
        var manifest: String

        @Option(help: "Folder holding r<k>/<pair>.pose.safetensors for every pair and repetition.")
        var poses: String

        @Option(help: "Configuration name recorded in the results (default: the poses folder).")
        var config: String?

        @Option(help: "Folder of predicted warps <pair>.warp.safetensors, for dense-warp quality (needs --truth-warps).")
        var warps: String?

        @Option(help: "Folder of ground-truth warps <pair>.warp.safetensors (the synthetic set), for dense-warp quality.")
        var truthWarps: String?

        @Option(name: .shortAndLong, help: "Output results artifact (roma.results/1).")
        var output: String

        @Flag(name: .shortAndLong, help: "No progress display (estimates read, rate, ETA, running AUC) on stderr.")
        var quiet = false

        func validate() throws {
            if (warps == nil) != (truthWarps == nil) { throw ValidationError("--warps and --truth-warps go together") }
        }

        func run() throws {
            let out = try EvaluateStage.run(EvaluateStage.Options(manifest: manifest, poses: poses, config: config,
                                                                  warps: warps, truthWarps: truthWarps), progressQuiet: quiet)
            let results = out.results
            try results.artifact.write(to: output, record: out.record, inputs: out.inputs)
            let table = zip(results.thresholds, results.auc).map { String(format: "AUC@%g %.1f", $0, 100 * $1) }.joined(separator: "  ")
            print("evaluate: \(results.bench) \(results.pairCount) pairs × \(results.repetitions): \(table) → \(output)")
        }
    }

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prepare",
            abstract: "Resolve a benchmark into pairs.json (and a Make fragment) with per-pair estimate arguments.",
            discussion: """
            Checks that every image exists (MEGADEPTH_ROOT, SCANNET_ROOT, the synthetic \
            folder or the pair list's folder) and reads image sizes from file headers, so the \
            MegaDepth (longer side 1200) and ScanNet (shorter side 480, −0.5 px shift) \
            protocols become intrinsics and a threshold for matches in original pixels.
            """
        )

        @Argument(help: "synthetic, megadepth1500, scannet1500 or pairs:FILE.")
        var bench: String

        @Option(help: "Folder `roma synth` wrote (BENCH=synthetic).")
        var data: String?

        @Option(help: "Image root, overriding MEGADEPTH_ROOT / SCANNET_ROOT / the pair list's folder.")
        var root: String?

        @Option(help: "Folder of the committed ground truth (<bench>/pairs.txt).")
        var datasets: String = "datasets"

        @Option(help: "RANSAC threshold in pixels of the protocol's frame (the reference uses 0.5).")
        var threshold: Double = 0.5

        @Option(name: .shortAndLong, help: "Output manifest (pairs.json).")
        var output: String

        @Option(help: "Also write the Make fragment eval/eval.mk includes.")
        var makefile: String?

        func validate() throws {
            guard threshold > 0, threshold.isFinite else { throw ValidationError("--threshold must be a positive number of pixels") }
        }

        func run() throws {
            let benchmark = try Benchmark(parsing: bench, syntheticFolder: data)
            let manifest = try BenchmarkManifest.prepare(benchmark, datasetsFolder: datasets, root: root, thresholdPixels: threshold)
            // The fragment first: Make sees pairs.json no older than pairs.mk.
            if let makefile { try AtomicFile.write(try manifest.makefile(), to: makefile) }
            try manifest.write(to: output)
            print("prepare: \(manifest.bench), \(manifest.pairs.count) pairs → \(output)")
        }
    }
}
