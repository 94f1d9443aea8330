import Artifacts
import Foundation
import Parallel
import Testing
import TestSupport
@testable import Evaluation
import ImageIO

/// Results of one made-up run: one repetition per pair, the given pose errors.
func constructedResults(_ errors: [Double], bench: String = "synthetic", config: String = "a/n5-seed0/ransac-t0.5-seed0",
                        ids: [String]? = nil) -> BenchmarkResults {
    BenchmarkResults(bench: bench, config: config, pairIDs: ids ?? errors.indices.map { String(format: "%04d", $0) }, repetitions: 1,
                     rotationErrors: errors, translationErrors: errors.map { _ in 0 }, failed: errors.map { $0 >= 90 ? 1 : 0 },
                     inlierCounts: errors.map { _ in 10 }, matchCounts: errors.map { _ in 20 }, countLastRepetitionTwice: false)
}

@Suite("Compare runs")
struct CompareTests {
    @Test("weighted AUC over sorted errors equals pose_auc of the list with each pair repeated")
    func weightedAUC() {
        var rng = SplitMix64(seed: 5)
        let errors = (0..<40).map { _ in Double.random(in: 0..<25, using: &rng) } + [5, 5, 10, 90]
        let run = PairedErrors(constructedResults(errors))
        let unit = run.auc(weights: errors.map { _ in 1 }, thresholds: PoseAUC.standardThresholds)
        #expect(zip(unit, PoseAUC.auc(errors)).allSatisfy { abs($0 - $1) < 1e-12 })
        let weights = errors.indices.map { $0 % 3 }
        let repeated = errors.indices.flatMap { p in [Double](repeating: errors[p], count: weights[p]) }
        #expect(zip(run.auc(weights: weights, thresholds: [5, 10, 20]), PoseAUC.auc(repeated)).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("the 95 % bootstrap interval covers a known population difference in most of 40 samples")
    func coverage() {
        // A population of pairs where B's error is A's scaled by a random factor
        // centred below 1: B is better on average by a known ΔAUC@10.
        var rng = SplitMix64(seed: 11)
        func normal() -> Double { (-2 * log(Double.random(in: 1e-12..<1, using: &rng))).squareRoot() * cos(2 * .pi * Double.random(in: 0..<1, using: &rng)) }
        let population = (0..<20_000).map { _ -> (Double, Double) in
            let a = -log(Double.random(in: 1e-12..<1, using: &rng)) * 8
            return (a, a * exp(0.5 * normal() - 0.15))
        }
        let truth = PoseAUC.auc(population.map(\.1))[1] - PoseAUC.auc(population.map(\.0))[1]
        #expect(truth > 0.01)
        var covered = 0, excludesZero = 0
        let trials = 40
        for trial in 0..<trials {
            let sample = (0..<150).map { _ in population[Int.random(in: 0..<population.count, using: &rng)] }
            let interval = PairedBootstrap.difference([PairedErrors(constructedResults(sample.map(\.0)))],
                                                      [PairedErrors(constructedResults(sample.map(\.1)))],
                                                      thresholds: [5, 10, 20], resamples: 500, seed: UInt64(trial))
            #expect(interval.lower[1] <= interval.observed[1] && interval.observed[1] <= interval.upper[1])
            if interval.lower[1] <= truth && truth <= interval.upper[1] { covered += 1 }
            if PairedBootstrap.verdict(interval, threshold: 1) == .better { excludesZero += 1 }
        }
        // Nominal 95 %: 40 draws of a 0.95 coin fall below 34 with probability < 1 %.
        #expect(covered >= 34 && covered <= trials, "covered \(covered) of \(trials)")
        #expect(excludesZero > 0, "a real 10° difference should be detected in some samples")
    }

    @Test("a large difference is detected; the bootstrap is reproducible from its seed")
    func detectsAndReproduces() {
        let a = (0..<60).map { Double($0 % 20) + 0.5 }, b = a.map { $0 / 4 }
        let ea = [PairedErrors(constructedResults(a))], eb = [PairedErrors(constructedResults(b))]
        let first = PairedBootstrap.difference(ea, eb, thresholds: [5, 10, 20], resamples: 300, seed: 3)
        #expect(PairedBootstrap.verdict(first, threshold: 0) == .better && PairedBootstrap.verdict(first, threshold: 2) == .better)
        let reversed = PairedBootstrap.difference(eb, ea, thresholds: [5, 10, 20], resamples: 300, seed: 3)
        #expect(PairedBootstrap.verdict(reversed, threshold: 1) == .worse)
        let again = PairedBootstrap.difference(ea, eb, thresholds: [5, 10, 20], resamples: 300, seed: 3)
        #expect(again.lower == first.lower && again.upper == first.upper)
    }

    @Test("two identical runs compare as no difference")
    func identical() throws {
        let folder = TestPaths.scratch("compare-identical")
        try constructedResults([0.5, 3, 7, 12, 40, 90]).artifact.write(to: folder + "/r.safetensors")
        let comparison = try RunComparison.load([folder + "/r.safetensors", folder + "/r.safetensors"])
        #expect(comparison.runs.count == 2, "the same configuration twice is two runs, not two seeds")
        let out = try ComparisonRenderer.render(ComparisonInputs(results: [folder + "/r.safetensors", folder + "/r.safetensors"],
                                                                 output: folder + "/report", resamples: 200))
        let markdown = try String(contentsOfFile: out.markdown, encoding: .utf8)
        #expect(markdown.contains("+0.0 [+0.0, +0.0] | +0.0 [+0.0, +0.0] | +0.0 [+0.0, +0.0] | no difference (identical errors) | 0 / 0 |"))
        #expect(markdown.contains("No recorded parameter differs") && markdown.contains("No pair's median pose error changed."))
    }

    @Test("runs of different benchmarks or pair sets are refused, naming the file")
    func refusesMismatch() throws {
        let folder = TestPaths.scratch("compare-mismatch")
        try constructedResults([1, 2, 3]).artifact.write(to: folder + "/a.safetensors")
        try constructedResults([1, 2, 3], bench: "megadepth1500").artifact.write(to: folder + "/mega.safetensors")
        try constructedResults([1, 2, 3], ids: ["0000", "0001", "0007"]).artifact.write(to: folder + "/other.safetensors")
        #expect { try RunComparison.load([folder + "/a.safetensors", folder + "/mega.safetensors"]) } throws: { error in
            let e = error as? ArtifactError
            return e?.file == folder + "/mega.safetensors" && e!.problem.contains("benchmark 'megadepth1500'") && e!.problem.contains("'synthetic'")
        }
        #expect { try RunComparison.load([folder + "/a.safetensors", folder + "/other.safetensors"]) } throws: { error in
            let e = error as? ArtifactError
            return e?.file == folder + "/other.safetensors" && e!.problem.contains("pair '0007'")
        }
    }

    @Test("seeds of one configuration form one run with mean ± std beside the first seed")
    func seeds() throws {
        let folder = TestPaths.scratch("compare-seeds")
        let errorsBySeed: [[Double]] = [[1, 4, 8, 30], [2, 3, 9, 25], [0.5, 6, 7, 40]]
        var files: [String] = []
        for (s, errors) in errorsBySeed.enumerated() {
            let file = folder + "/s\(s).safetensors"
            try constructedResults(errors, config: "a/n5-seed\(s)/ransac-t0.5-seed\(s)").artifact.write(to: file)
            files.append(file)
        }
        try constructedResults([1, 1, 1, 1], config: "b/native/ransac-t0.5-seed0").artifact.write(to: folder + "/b.safetensors")
        let comparison = try RunComparison.load(files + [folder + "/b.safetensors"])
        #expect(comparison.runs.map(\.name) == ["a/n5-seed{0,1,2}/ransac-t0.5-seed{0,1,2}", "b/native/ransac-t0.5-seed0"])
        let aucs = errorsBySeed.map { PoseAUC.auc($0) }
        let mean = (0..<3).map { k in aucs.reduce(0) { $0 + $1[k] } / 3 }
        let std = (0..<3).map { k in (aucs.reduce(0) { $0 + pow($1[k] - mean[k], 2) } / 2).squareRoot() }
        #expect(zip(comparison.runs[0].aucMean, mean).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(zip(comparison.runs[0].aucStd, std).allSatisfy { abs($0 - $1) < 1e-12 } && std[0] > 0)
        let out = try ComparisonRenderer.render(ComparisonInputs(results: files + [folder + "/b.safetensors"], output: folder + "/report", resamples: 200))
        let markdown = try String(contentsOfFile: out.markdown, encoding: .utf8)
        #expect(markdown.contains(String(format: "| %.1f ± %.2f |", 100 * mean[0], 100 * std[0])))
        #expect(markdown.contains("| 1 | a/n5-seed{0,1,2}/ransac-t0.5-seed{0,1,2} | 3 | \(ReportRenderer.pct(aucs[0][0])) |"))
    }

    @Test("full report: curves, scatter, side-by-side pictures and the parameters that differ, read from provenance")
    func fullReport() throws {
        let compared = try ComparedSmallRuns.make(label: "compare-full")
        let out = try ComparisonRenderer.render(ComparisonInputs(results: compared.results, output: compared.folder + "/report", resamples: 200, pictures: 1))
        let markdown = try String(contentsOfFile: out.markdown, encoding: .utf8)
        #expect(markdown.contains("| estimate.solver | ours | opencv |"))
        #expect(markdown.contains("![Cumulative pose error curves of every run](curves.png)") && markdown.contains("scatter-1.png"))
        // Pair 0001 changed most (1° → 12°): it is pictured and first in the table.
        #expect(markdown.contains("pairs/1-0001.png") && markdown.contains("| 0001 | 1 | 12 | +11 |"))
        #expect(out.figures.count == 3)
        for figure in out.figures {
            let size = try ImageHeader.size(of: figure)
            #expect(size.width > 300 && size.height > 200, "\(figure)")
        }
    }
}

/// Two runs on the small synthetic set sharing their matches, stamped as `make eval`
/// stamps them (pose → matches), with different solvers: run A 1° on every pair,
/// run B 1° on pair 0000 and 12° on pair 0001.
struct ComparedSmallRuns {
    let folder: String
    let results: [String]

    static func make(label: String) throws -> ComparedSmallRuns {
        let run = try SmallRun.make(label: label) { pair, _ in SmallRun.pose(pair, rotatedBy: 1) }
        var results: [String] = []
        for (name, solver, degrees) in [("ransac", "ours", [1.0, 1.0]), ("opencv", "opencv", [1.0, 12.0])] {
            let poses = run.folder + "/" + name
            for (p, pair) in run.manifest.pairs.enumerated() {
                for r in 0..<run.manifest.evaluationProtocol.repetitions {
                    var pose = SmallRun.pose(pair, rotatedBy: degrees[p]).artifact
                    try pose.stamp(stage: "estimate", params: ["solver": solver, "threshold_px": 0.5],
                                   inputs: ["\(run.matchesFolder)/r0/\(pair.id).matches.safetensors"])
                    try pose.write(to: Evaluator.posePath(folder: poses, pair: pair.id, repetition: r))
                }
            }
            let evaluated = try Evaluator.evaluate(manifest: run.manifest, posesFolder: poses, config: "oracle/n10-seed0/\(name)-t0.5-seed0")
            try run.manifest.write(to: poses + "/pairs.json")
            try evaluated.artifact.write(to: poses + "/results.safetensors")
            results.append(poses + "/results.safetensors")
        }
        return ComparedSmallRuns(folder: run.folder, results: results)
    }
}

@Suite("roma compare command", .enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct CompareCommandTests {
    @Test("mismatched benchmarks exit 1 naming the file; one results file is a usage error")
    func exitCodes() throws {
        let folder = TestPaths.scratch("compare-cli")
        try constructedResults([1, 2, 3]).artifact.write(to: folder + "/a.safetensors")
        try constructedResults([1, 2, 3], bench: "scannet1500").artifact.write(to: folder + "/s.safetensors")
        let mismatch = try RomaCLI.run(["compare", folder + "/a.safetensors", folder + "/s.safetensors", "-o", folder + "/out"])
        #expect(mismatch.status == 1 && mismatch.stderr.contains(folder + "/s.safetensors") && mismatch.stderr.contains("scannet1500"), "\(mismatch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/index.html"))
        let one = try RomaCLI.run(["compare", folder + "/a.safetensors", "-o", folder + "/out"])
        #expect(one.status == 64, "\(one.stderr)")
        let same = try RomaCLI.run(["compare", folder + "/a.safetensors", folder + "/a.safetensors", "-o", folder + "/out", "--resamples", "200"])
        #expect(same.status == 0 && FileManager.default.fileExists(atPath: folder + "/out/index.html"), "\(same.stderr)")
    }
}
