import ArgumentParser
import Evaluation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare benchmark runs side by side: AUC table, paired bootstrap intervals, overlaid curves, per-pair changes.",
        discussion: """
        Writes OUT/report.md, OUT/index.html, OUT/curves.png, OUT/scatter-<k>.png and \
        OUT/pairs/*.png from existing results artifacts (and the pose and matches files \
        their provenance names), in seconds. The first run is the baseline. Results whose \
        configurations differ only in `-seed<N>` form one run with several seeds (mean ± \
        std). Runs of different benchmarks or pair sets are refused. `make compare \
        CONFIGS="…" [SEEDS="…"]` runs it on `make eval` configuration folders; see \
        docs/evaluation.md.
        """
    )

    @Argument(help: "Results artifacts (roma.results/1) written by `roma evaluate`; the first is the baseline.")
    var results: [String]

    @Option(help: "Bootstrap resamples over pairs.")
    var resamples: Int = 2000

    @Option(help: "Confidence level of the bootstrap interval.")
    var level: Double = 0.95

    @Option(help: "Seed of the bootstrap draws (recorded in the report).")
    var seed: UInt64 = 0

    @Option(help: "Match pictures of this many most-changed pairs per compared run.")
    var pictures: Int = 2

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    func validate() throws {
        guard results.count >= 2 else { throw ValidationError("give at least two results files (two runs, or two seeds of one run)") }
        guard resamples >= 100, resamples <= 1_000_000 else { throw ValidationError("--resamples must be in 100…1000000") }
        guard level > 0.5, level < 1 else { throw ValidationError("--level must be in (0.5, 1), e.g. 0.95") }
        guard pictures >= 0, pictures <= 50 else { throw ValidationError("--pictures must be in 0…50") }
    }

    func run() throws {
        let out = try ComparisonRenderer.render(ComparisonInputs(results: results, output: output, resamples: resamples, level: level,
                                                                 seed: seed, pictures: pictures))
        print("compare: \(out.html), \(out.markdown), \(out.figures.count) figures")
    }
}
