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
        gives the same matches; it is recorded in the output. See docs/sampling.md.
        """
    )

    @Argument(help: "Warp artifact (roma.warp/2), as written by `roma match`.")
    var warp: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the matches (roma.matches/1).")
    var output: String

    @Option(help: "Number of matches to draw.")
    var num: Int = 5000

    @OptionGroup var seed: SeedOption

    @Option(help: "Sampling mode: threshold_balanced (the reference's default), threshold or balanced.")
    var mode: SamplingOptions.Mode = .thresholdBalanced

    @Option(help: "Certainty above this counts as 1 in the threshold modes.")
    var thresh: Float = 0.05

    @Option(help: "Balance against the density of every N-th candidate (the reference's kde `down`). Default: 8 for a Tiny RoMa warp (its `sample` on CPU), else 1.")
    var kdeStride: Int?

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard num > 0 else { throw ValidationError("--num must be positive, not \(num)") }
        guard thresh.isFinite, thresh >= 0 else { throw ValidationError("--thresh must be a finite number ≥ 0, not \(thresh)") }
        if let kdeStride, kdeStride < 1 { throw ValidationError("--kde-stride must be at least 1, not \(kdeStride)") }
    }

    func run() throws {
        threads.apply()
        let warpArtifact = try Artifact.read(warp)
        let tiny = warpArtifact.params["model"] as? String == "tiny"
        let options = SamplingOptions(count: num, mode: mode, threshold: thresh, seed: seed.seed,
                                      kdeStride: kdeStride ?? (tiny ? SamplingOptions.tinyKDEStride : 1))
        let matches = try SampleStage.run(try Warp(warpArtifact), source: warp, options: options)
        try matches.artifact.write(to: output, record: options.record, inputs: [warp])
        if matches.count < num {
            FileHandle.standardError.write(Data("note: only \(matches.count) cells have positive certainty, fewer than the \(num) asked for\n".utf8))
        }
        print("wrote \(matches.count) matches to \(output)")
    }
}
