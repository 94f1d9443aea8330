import ArgumentParser
import Artifacts
import Foundation
import Pipeline
import Sampling

extension SamplingOptions.Mode: ExpressibleByArgument {}

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw sparse matches from a dense warp, balanced as romatch's RegressionMatcher.sample.",
        discussion: """
        Reads a roma.warp/2 artifact and writes roma.matches/1 with keypoints in pixels of \
        the original images (x = W/2·(u + 1)) and each match's certainty. The default mode \
        is the reference's threshold_balanced: certainty above --thresh counts as 1, 4·num \
        candidates are drawn by certainty, then num of them are drawn favouring sparse \
        regions of 4-D match space (Gaussian kernel density, σ = 0.1). The same seed \
        gives the same matches; it is recorded in the output. A RoMa v2 warp (roma.warp/3) \
        is sampled as romav2's RoMaV2.sample instead (float16 kernel density, border mask, \
        the threshold its setting recorded unless --thresh is given), and each match \
        carries its overlap and the precision of both keypoints. See docs/sampling.md.
        """
    )

    @Argument(help: "Warp artifact (roma.warp/2, or RoMa v2's roma.warp/3), as written by `roma match`.")
    var warp: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the matches (roma.matches/1).")
    var output: String

    @Option(help: "Number of matches to draw.")
    var num: Int = 5000

    @OptionGroup var seed: SeedOption

    @Option(help: "Sampling mode: threshold_balanced (the reference's default), threshold or balanced. Not for a RoMa v2 warp.")
    var mode: SamplingOptions.Mode?

    @Option(help: "Certainty above this counts as 1 in the threshold modes (default 0.05). RoMa v2 warp: overlap above it counts as 1 (default: the threshold of the setting that made it, if any).")
    var thresh: Float?

    @Option(help: "Balance against the density of every N-th candidate (the reference's kde `down`). Default: 8 for a Tiny RoMa warp (its `sample` on CPU), else 1.")
    var kdeStride: Int?

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard num > 0 else { throw ValidationError("--num must be positive, not \(num)") }
        if let thresh, !(thresh.isFinite && thresh >= 0) { throw ValidationError("--thresh must be a finite number ≥ 0, not \(thresh)") }
        if let kdeStride, kdeStride < 1 { throw ValidationError("--kde-stride must be at least 1, not \(kdeStride)") }
    }

    func run() throws {
        threads.apply()
        let warpArtifact = try Artifact.read(warp)
        if warpArtifact.schema == .warpOverlap { return try runRoMaV2(warpArtifact) }
        let tiny = warpArtifact.params["model"] as? String == "tiny"
        let options = SamplingOptions(count: num, mode: mode ?? .thresholdBalanced, threshold: thresh ?? 0.05, seed: seed.seed,
                                      kdeStride: kdeStride ?? (tiny ? SamplingOptions.tinyKDEStride : 1))
        let matches = try SampleStage.run(try Warp(warpArtifact), source: warp, options: options)
        try matches.artifact.write(to: output, record: options.record, inputs: [warp])
        if matches.count < num {
            FileHandle.standardError.write(Data("note: only \(matches.count) cells have positive certainty, fewer than the \(num) asked for\n".utf8))
        }
        print("wrote \(matches.count) matches to \(output)")
    }

    private func runRoMaV2(_ artifact: Artifact) throws {
        guard mode == nil, kdeStride == nil else {
            throw ValidationError("--mode and --kde-stride do not apply to a RoMa v2 warp (roma.warp/3): romav2's sample has one mode")
        }
        let v2 = try PrecisionWarp(artifact)
        let options = RoMaV2SamplingOptions(count: num, threshold: thresh ?? v2.overlapThreshold, seed: seed.seed)
        let matches = try SampleStage.run(v2, source: warp, options: options)
        try matches.artifact.write(to: output, record: options.record, inputs: [warp])
        if matches.count < num {
            FileHandle.standardError.write(Data("note: only \(matches.count) cells have positive overlap inside the border, fewer than the \(num) asked for\n".utf8))
        }
        print("wrote \(matches.count) matches to \(output) (romav2 sampler)")
    }
}
