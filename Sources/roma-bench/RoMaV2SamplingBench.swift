import ArgumentParser
import Artifacts
import Foundation
import Parallel
import Sampling

/// `roma-bench sample-v2`: romav2's `sample` (`sampleMatches(from: PrecisionWarp, …)`) on a
/// `roma.warp/3` warp, and its float16 kernel density step alone (the bulk of it).
struct RoMaV2SamplingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-v2",
        abstract: "Time romav2's sample on a RoMa v2 warp (file in, file out) and its float16 kernel density; prints medians.")

    @Option(help: "A roma.warp/3 file to sample; default: a synthetic two-way warp of --size.")
    var warp: String?
    @Option(help: "Synthetic warp grid side (320 = romav2's turbo setting).")
    var size = 320
    @Option(help: "Synthetic warp: smooth (a projective motion, matches spread over the image) or collapsed (every target within 0.05 of one point, as random weights give: every candidate pair within the kernel's reach, the worst case).")
    var kind = "smooth"
    @Option(help: "Matches to draw.")
    var num = 5000
    @Option(help: "Timed repetitions (the median is reported).")
    var runs = 5
    @OptionGroup var threading: ThreadOption

    func run() throws {
        threading.apply()
        let scratch = try ScratchFolder("sample-v2"), folder = scratch.path
        defer { scratch.remove() }
        let warpPath = warp ?? folder + "/warp.safetensors", matchesPath = folder + "/matches.safetensors"
        if warp == nil {
            guard ["smooth", "collapsed"].contains(kind) else { throw ValidationError("--kind is smooth or collapsed") }
            try Self.synthetic(size: size, collapsed: kind == "collapsed").artifact.write(to: warpPath)
        }
        let w = try PrecisionWarp.read(warpPath)
        let label = warp ?? "synthetic \(kind) \(size)×\(size) two-way warp"
        print("romav2 sampling benchmark: \(label), \(num) matches, \(Threads.count) threads, \(runs) runs")
        // The density step alone, on the candidates the stage draws (seed 0).
        let options = RoMaV2SamplingOptions(count: num, threshold: w.overlapThreshold, seed: 0)
        let points = try RoMaV2Candidates.points(from: w, options: options)
        var stage: [Double] = [], kde: [Double] = [], cpu: [Double] = []
        for run in 0..<runs {
            let runOptions = RoMaV2SamplingOptions(count: num, threshold: w.overlapThreshold, seed: UInt64(run))
            let cpuStart = BenchClock.cpuSeconds()
            stage.append(try BenchClock.wallSeconds {
                let read = try PrecisionWarp.read(warpPath)
                try sampleMatches(from: read, options: runOptions).matches.artifact.write(to: matchesPath, record: runOptions.record, inputs: [warpPath])
            })
            cpu.append(BenchClock.cpuSeconds() - cpuStart)
            kde.append(BenchClock.wallSeconds { _ = HalfKernelDensity.densities(points: points) })
        }
        print(String(format: "  whole stage (read warp, sample, write matches): median %.3f s wall, %.3f s CPU (min %.3f, max %.3f wall)",
                     median(stage), median(cpu), stage.min()!, stage.max()!))
        print(String(format: "  float16 kernel density of %d candidates:      median %.3f s", points.count / 4, median(kde)))
    }

    /// Two directions of `SyntheticWarp.projective`, overlap its certainty, precisions a smooth
    /// field of Cholesky products; `collapsed` squeezes every target into a disk of radius 0.05.
    static func synthetic(size: Int, collapsed: Bool) -> PrecisionWarp {
        let base = SyntheticWarp.projective(width: size, height: size)
        func direction(_ warp: [Float], _ overlap: [Float]) -> PrecisionWarp.Direction {
            var warp = warp, precision = [Float]()
            if collapsed { warp = warp.map { 0.2 + 0.05 * $0 } }
            for k in 0..<(size * size) {
                let x = Float(k % size) / Float(size), y = Float(k / size) / Float(size)
                let l00 = 2 + sin(5 * x), l10 = cos(3 * y), l11 = 1 + x * y
                precision += [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11]
            }
            return .init(warp: warp, overlap: overlap, precision: precision)
        }
        return PrecisionWarp(width: size, height: size, ab: direction(base.warpAB, base.certaintyAB), ba: direction(base.warpBA, base.certaintyBA),
                             widthA: base.widthA, heightA: base.heightA, widthB: base.widthB, heightB: base.heightB, overlapThreshold: 0.05)
    }
}
