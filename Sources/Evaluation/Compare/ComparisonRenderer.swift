import Artifacts
import Foundation

/// What `roma compare` reads and how it resamples.
public struct ComparisonInputs: Sendable {
    /// Results artifacts; the first run is the baseline every other run is compared to.
    public var results: [String]
    public var output: String
    /// Bootstrap resamples (B) and the confidence level of the interval.
    public var resamples: Int
    public var level: Double
    public var seed: UInt64
    /// Pictures of this many most-changed pairs per compared run.
    public var pictures: Int

    public init(results: [String], output: String, resamples: Int = 2000, level: Double = 0.95, seed: UInt64 = 0, pictures: Int = 2) {
        self.results = results
        self.output = output
        self.resamples = resamples
        self.level = level
        self.seed = seed
        self.pictures = pictures
    }
}

/// Renders a comparison of runs: `report.md`, `index.html`, `curves.png`,
/// `scatter-<k>.png` and `pairs/*.png`, from results artifacts and the files their
/// provenance names. Nothing is recomputed but AUCs and the bootstrap.
public enum ComparisonRenderer {
    public static func render(_ inputs: ComparisonInputs) throws -> ReportRenderer.Output {
        let comparison = try RunComparison.load(inputs.results)
        let runs = comparison.runs
        let t = comparison.thresholds
        let degrees = t.map { String(format: "%g°", $0) }
        let seedCount = runs.reduce(0) { $0 + $1.seeds.count }
        var doc = ReportDocument(title: "Run comparison: \(comparison.bench), \(runs.count) run\(runs.count == 1 ? "" : "s")"
                                     + (seedCount > runs.count ? " (\(seedCount) results with their seeds)" : ""))
        var figures: [String] = []

        // Every run's table, the single-seed figures beside the mean over seeds.
        doc.heading("Runs")
        let seeded = runs.contains { $0.seeds.count > 1 }
        var header = ["#", "run", "seeds"] + degrees.map { "AUC@" + $0 }
        if seeded { header += degrees.map { "AUC@\($0) mean ± std" } }
        header += degrees.map { "acc@" + $0 } + ["failed / estimates"]
        var rows: [[String]] = runs.enumerated().map { k, run in
            var row = ["\(k + 1)", run.name, "\(run.seeds.count)"] + run.first.auc.map(ReportRenderer.pct)
            if seeded {
                row += zip(run.aucMean, run.aucStd).map { run.seeds.count > 1 ? String(format: "%.1f ± %.2f", 100 * $0, 100 * $1) : "–" }
            }
            let failed = run.seeds.reduce(0) { $0 + $1.failed.reduce(0) { $0 + Int($1) } }
            let estimates = run.seeds.reduce(0) { $0 + $1.pairCount * $1.repetitions }
            return row + run.accuracyMean.map(ReportRenderer.pct) + ["\(failed) / \(estimates)"]
        }
        let published = PublishedNumbers.all(bench: comparison.bench)
        for (n, row) in published.enumerated() {
            rows.append(["", row.method + " " + PublishedNumbers.mark(n), "–"] + row.auc.map { String(format: "%.1f", $0) }
                        + (seeded ? t.map { _ in "–" } : []) + t.map { _ in "–" } + ["–"])
        }
        doc.table(header, rows)
        let base = runs[0].first
        doc.paragraph("\(comparison.pairIDs.count) pairs × \(base.repetitions) repetitions per seed. AUC in percent, as romatch's `pose_auc`, "
            + "of the first seed listed" + (seeded ? "; mean ± sample standard deviation over the seeds of a run beside it" : "")
            + "; accuracy (fraction of errors below the threshold) and failures over all seeds.")
        for (n, row) in published.enumerated() { doc.paragraph("\(PublishedNumbers.mark(n)) \(row.source).") }

        // Differences to the first run, with a paired bootstrap interval.
        var intervals: [PairedBootstrap.Interval] = []
        if runs.count > 1 {
            doc.heading("Difference to the first run")
            let baseMedian = comparison.medians(0)
            doc.table(["#", "run"] + degrees.map { "ΔAUC@\($0) [\(Int((inputs.level * 100).rounded())) % CI]" } + ["verdict (5° / 10° / 20°)", "pairs better / worse"],
                      runs.indices.dropFirst().map { k in
                let interval = PairedBootstrap.difference(runs[0].errors, runs[k].errors, thresholds: t, resamples: inputs.resamples,
                                                          level: inputs.level, seed: inputs.seed)
                intervals.append(interval)
                let cells = t.indices.map { i in
                    "\(points(interval.observed[i])) [\(points(interval.lower[i])), \(points(interval.upper[i]))]"
                }
                let verdicts = t.indices.map { PairedBootstrap.verdict(interval, threshold: $0).rawValue }
                let verdict = Set(verdicts).count == 1 ? verdicts[0] : verdicts.joined(separator: " / ")
                let median = comparison.medians(k)
                let better = zip(baseMedian, median).filter { $1 < $0 }.count, worse = zip(baseMedian, median).filter { $1 > $0 }.count
                return ["\(k + 1)", runs[k].name] + cells + [verdict, "\(better) / \(worse)"]
            })
            doc.paragraph("ΔAUC = run − first run, in AUC points. Interval: paired bootstrap over pairs — the \(comparison.pairIDs.count) pairs drawn "
                + "with replacement B = \(inputs.resamples) times (SplitMix64, seed \(inputs.seed)), both runs scored on the same draw with all of a pair's "
                + "repetitions, a run with several seeds by its mean AUC over them; percentile interval at \(Int((inputs.level * 100).rounded())) %. "
                + "\"better\"/\"worse\" only when the interval excludes 0. Pairs better / worse: median pose error over repetitions lower / higher than "
                + "in the first run (first seeds).")
        }

        // Cumulative error curves overlaid.
        let series = runs.enumerated().map { k, run in
            ErrorCurvePlot.Series(label: run.name, errors: run.first.poseErrorsForAUC, auc: run.first.auc,
                                  color: ErrorCurvePlot.palette[k % ErrorCurvePlot.palette.count])
        }
        let curve = ErrorCurvePlot.draw(series, thresholds: t, title: "Cumulative pose error, \(comparison.bench) (first seed of each run)")
        try write(curve, "curves.png", into: inputs.output, doc: &doc, figures: &figures, alt: "Cumulative pose error curves of every run")

        // Per pair: scatter against the first run, and the pairs that changed most.
        let manifest = runs.lazy.compactMap(\.parameters.manifest).first.flatMap { try? BenchmarkManifest.read($0) }
        for k in runs.indices.dropFirst() {
            doc.heading("Per pair: run \(k + 1) (`\(runs[k].name)`) against run 1 (`\(runs[0].name)`)")
            let a = comparison.medians(0), b = comparison.medians(k)
            let scatter = PairScatterPlot.draw(a: a, b: b, labelA: runs[0].name, labelB: runs[k].name,
                                               title: "Median pose error per pair (\(comparison.pairIDs.count) pairs), log scale")
            try write(scatter, "scatter-\(k).png", into: inputs.output, doc: &doc, figures: &figures, alt: "Per-pair error scatter, run \(k + 1) against run 1")
            let changed = comparison.pairIDs.indices.filter { a[$0] != b[$0] }
                .sorted { (-abs(b[$0] - a[$0]), comparison.pairIDs[$0]) < (-abs(b[$1] - a[$1]), comparison.pairIDs[$1]) }
                .prefix(max(inputs.pictures, 5))
            guard !changed.isEmpty else {
                doc.paragraph("No pair's median pose error changed.")
                continue
            }
            doc.paragraph("The pairs whose median pose error changed most:")
            doc.table(["pair", "median error, first run (°)", "median error, this run (°)", "change (°)"],
                      changed.map { p in [comparison.pairIDs[p], degrees3(a[p]), degrees3(b[p]), (b[p] > a[p] ? "+" : "") + degrees3(b[p] - a[p])] })
            for p in changed.prefix(inputs.pictures) {
                let id = comparison.pairIDs[p]
                let drawn = [0, k].map { r in
                    picture(run: runs[r], id: id, caption: "run \(r + 1): pair \(id), median error \(degrees3(comparison.medians(r)[p])) deg",
                            manifest: manifest)
                }
                switch (drawn[0], drawn[1]) {
                case let (.success(left), .success(right)):
                    try write(sideBySide(left, right), "pairs/\(k)-\(id).png", into: inputs.output, doc: &doc, figures: &figures,
                              alt: "Pair \(id): first run left, this run right")
                case let (.failure(reason), _), let (_, .failure(reason)):
                    doc.paragraph("Pair \(id): no picture (\(reason)).")
                }
            }
        }
        if runs.count > 1, inputs.pictures > 0 {
            doc.paragraph("Pictures: repetition 0 of the first seed, run 1 (the first) left and the compared run right (runs numbered "
                + "as in the table); matches as lines, green where "
                + "that run's estimate counts them as inliers, red otherwise (at most 150 drawn).")
        }

        // What changed between the runs, from provenance.
        doc.heading("Parameters that differ")
        let differing = RunParameters.differing(runs.map(\.parameters))
        if differing.isEmpty {
            doc.paragraph("No recorded parameter differs between the runs.")
        } else {
            doc.table(["parameter"] + runs.map(\.name), differing.map { key in [key] + runs.map { $0.parameters.values[key] ?? "–" } })
        }
        doc.paragraph("Read along each run's provenance (first seed, first pair, repetition 0): the results' `evaluate` stage, the pose file's "
            + "`estimate` stage, its matches' `sample` or `sift` stage, their warp's stage. Per-pair values (intrinsics, pair id, paths) are left out.")
        let gaps = runs.compactMap { run in run.parameters.gap.map { "`\(run.name)`: \($0)" } }
        if !gaps.isEmpty { doc.list(gaps) }

        doc.heading("Provenance")
        var provenance: [String] = []
        for run in runs {
            for file in run.files { provenance.append("`\(run.name)`: `\(file)` (SHA-256 \(try SHA256.hex(ofFile: file)))") }
        }
        for row in published { provenance.append("Published numbers (\(row.method)): \(row.source).") }
        provenance.append("Bootstrap: B = \(inputs.resamples), level \(inputs.level), seed \(inputs.seed).")
        provenance.append("Rendered by roma-swift \(Provenance.toolVersion) on \(ISO8601DateFormatter().string(from: Date())).")
        doc.list(provenance)

        let written = try doc.write(into: inputs.output)
        return ReportRenderer.Output(markdown: written.markdown, html: written.html, figures: figures)
    }

    /// An AUC difference in points: one decimal as the tables, more when that would read 0.0.
    static func points(_ fraction: Double) -> String {
        let x = 100 * fraction
        return x == 0 || abs(x) >= 0.05 ? String(format: "%+.1f", x) : String(format: "%+.1e", x)
    }

    /// A pose error with three significant digits (oracle runs are near 1e-4°).
    static func degrees3(_ x: Double) -> String { String(format: "%.3g", x) }

    static func write(_ canvas: Canvas, _ name: String, into folder: String, doc: inout ReportDocument, figures: inout [String], alt: String) throws {
        try canvas.writePNG(to: folder + "/" + name)
        figures.append(folder + "/" + name)
        doc.image(name, alt: alt)
    }

    static func picture(run: ComparedRun, id: String, caption: String, manifest: BenchmarkManifest?) -> Result<Canvas, ReportPictureUnavailable> {
        let inputs = ReportInputs(results: run.files[0], poses: run.parameters.posesFolder, matches: run.parameters.matchesFolder, output: "")
        return ReportRenderer.pictures(for: id, caption: caption, inputs: inputs, manifest: manifest, height: 240).map { $0[0].1 }
    }

    static func sideBySide(_ left: Canvas, _ right: Canvas) -> Canvas {
        let gap = 20
        var c = Canvas(width: left.width + gap + right.width, height: max(left.height, right.height))
        c.paste(left, x: 0, y: 0)
        c.paste(right, x: left.width + gap, y: 0)
        return c
    }
}
