import ArgumentParser
import Artifacts
import Console
import Foundation
import Pipeline

struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Dense RoMa warp and certainty between two decoded images (roma.warp/2).",
        discussion: """
        Runs romatch 0.1.2's matcher: symmetric (A→B and B→A), a coarse pass at the decoded \
        images' coarse size (560×560 by default) and a refinement at their upsampled size \
        (864×864). Without --weights/--dinov2 the official checkpoints come from the weights \
        cache ($ROMA_WEIGHTS, else ~/.cache/roma-swift), downloaded there when missing \
        (`make weights` does it ahead of time). Checkpoints may be torch .pth files or \
        safetensors.
        """)

    @Argument(help: "Decoded image A (roma.decoded/1, from `roma decode`).")
    var imageA: String

    @Argument(help: "Decoded image B (roma.decoded/1).")
    var imageB: String

    @Option(name: .shortAndLong, help: "Output warp artifact (roma.warp/2).")
    var output: String

    @OptionGroup var model: WeightsOptions

    @Flag(help: "Skip the upsampled refinement pass; the warp is then at the coarse size.")
    var noUpsample = false

    @Flag(help: "Match A→B only (the reference's symmetric=False): about half the decoder time; warp_ba is then empty, with zero certainty.")
    var noSymmetric = false

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "No progress display (it is shown only on a terminal, or with ROMA_PROGRESS=lines).")
    var quiet = false

    func run() throws {
        threads.apply()
        let a = try DecodedImage.read(imageA), b = try DecodedImage.read(imageB)
        let options = model.matchOptions(upsample: !noUpsample, symmetric: !noSymmetric)
        let (warp, record) = try MatchStage.run(a, b, names: (imageA, imageB), options: options) { steps in
            ProgressMeter("match", total: steps, unit: "step", quiet: quiet)
        }
        try warp.artifact.write(to: output, record: record, inputs: [imageA, imageB])
        print("matched \(imageA) and \(imageB) -> \(output) (\(warp.width)x\(warp.height) warp)")
    }
}
