import ArgumentParser
import Artifacts
import Foundation
import Parallel
import Sampling

/// `roma-bench sample`: the balanced sampling stage at the reference's defaults on
/// a synthetic 864 × 864 symmetric warp (projective motion, smooth certainty map).
struct SamplingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Time the sampling stage (file in, file out) and its kernel density step; prints medians."
    )

    @Option(help: "Warp grid side (the reference's upsampled resolution is 864).")
    var size = 864
    @Option(help: "Matches to draw.")
    var num = 5000
    @Option(help: "Timed repetitions (the median is reported).")
    var runs = 7
    @OptionGroup var threading: ThreadOption

    func run() throws {
        threading.apply()
        let scratch = try ScratchFolder("sample"), folder = scratch.path
        defer { scratch.remove() }
        let warpPath = folder + "/warp.safetensors", matchesPath = folder + "/matches.safetensors"
        let warp = SyntheticWarp.projective(width: size, height: size)
        try warp.artifact.write(to: warpPath)

        print("sampling benchmark: \(size)×\(size) symmetric warp, \(num) matches, threshold_balanced, \(Threads.count) threads, \(runs) runs")
        var stage: [Double] = [], inMemory: [Double] = [], kde: [Double] = []
        // The kernel density step alone, on as many candidates as the stage draws.
        let candidates = try sampleCells(from: warp, options: SamplingOptions(count: SamplingOptions.Reference.expansionFactor * num, mode: .threshold))
        let points = normalizedMatches(of: warp, cells: candidates)
        for run in 0..<runs {
            let seed = UInt64(run)
            stage.append(try BenchClock.wallSeconds {
                let w = try Warp.read(warpPath)
                let runOptions = SamplingOptions(count: num, seed: seed)
                try sampleMatches(from: w, options: runOptions).artifact.write(to: matchesPath, record: runOptions.record, inputs: [warpPath])
            })
            inMemory.append(try BenchClock.wallSeconds { _ = try sampleMatches(from: warp, options: SamplingOptions(count: num, seed: seed)) })
            kde.append(BenchClock.wallSeconds { _ = KernelDensity.densities(points: points, std: 0.1) })
        }
        print(String(format: "  whole stage (read warp, sample, write matches): median %.3f s  (min %.3f, max %.3f)", median(stage), stage.min()!, stage.max()!))
        print(String(format: "  sampleMatches in memory:                        median %.3f s", median(inMemory)))
        print(String(format: "  kernel density of %d points:                 median %.3f s", points.count / 4, median(kde)))
    }
}
