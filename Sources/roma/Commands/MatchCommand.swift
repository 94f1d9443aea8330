import ArgumentParser
import Artifacts

extension Warp.Encoding: ExpressibleByArgument {}
import Console
import Foundation
import Parallel
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

        With --batch LIST, matches many pairs in one process (see docs/batch.md): each line \
        of LIST is `A.decoded.safetensors B.decoded.safetensors OUT.warp.safetensors` \
        (`#` starts a comment). The weights are bound once, an image in several pairs is \
        encoded once (up to --cache-mb of encoder outputs kept), each warp is written as \
        soon as it is done, and pairs whose warp exists (and is newer than both inputs) \
        are skipped, so a killed run resumes. Every warp is the one `roma match A B -o OUT` \
        writes, bit for bit.
        """)

    @Argument(help: "Decoded image A (roma.decoded/1, from `roma decode`).")
    var imageA: String?

    @Argument(help: "Decoded image B (roma.decoded/1).")
    var imageB: String?

    @Option(name: .shortAndLong, help: "Output warp artifact (roma.warp/2).")
    var output: String?

    @Option(help: "Match every pair of this list instead (lines `A.decoded B.decoded OUT.warp`).")
    var batch: String?

    @Option(help: "With --batch: megabytes of encoder outputs kept for images used again (full size: about 0.2 GB an image).")
    var cacheMb = 4096

    @Option(help: "RoMa checkpoint (roma_outdoor.pth / roma_indoor.pth, or .safetensors). Default: the weights cache.")
    var weights: String?

    @Option(help: "DINOv2 ViT-L/14 checkpoint (dinov2_vitl14_pretrain.pth, or .safetensors). Default: the weights cache.")
    var dinov2: String?

    @Flag(help: "Use the indoor checkpoint (roma_indoor.pth) when --weights is not given.")
    var indoor = false

    @Flag(help: "Skip the upsampled refinement pass; the warp is then at the coarse size.")
    var noUpsample = false

    @Flag(help: "Match A→B only (the reference's symmetric=False): about half the decoder time; warp_ba is then empty, with zero certainty.")
    var noSymmetric = false

    @Option(help: "How warps are stored: exact (float32) or compact (16-bit fixed point, 40 % smaller, error ≤ 1/65535 of the half-width; see docs/batch.md).")
    var warpEncoding: Warp.Encoding = .exact

    @Option(help: "Threads for our loops and OpenBLAS (default: ROMA_THREADS or all cores).")
    var threads: Int?

    @Flag(help: "No progress display (it is shown only on a terminal, or with ROMA_PROGRESS=lines).")
    var quiet = false

    func validate() throws {
        if batch != nil {
            guard imageA == nil, imageB == nil, output == nil else {
                throw ValidationError("--batch takes its pairs and outputs from the list: give no images and no --output")
            }
            guard cacheMb >= 0 else { throw ValidationError("--cache-mb must not be negative") }
        } else {
            guard imageA != nil, imageB != nil else { throw ValidationError("give two decoded images, or --batch LIST") }
            guard output != nil else { throw ValidationError("missing --output") }
        }
    }

    var options: MatchStage.Options {
        MatchStage.Options(weights: weights, dinov2: dinov2, indoor: indoor, upsample: !noUpsample, symmetric: !noSymmetric)
    }

    func run() throws {
        Threads.configure(threads ?? Threads.count)
        if let batch { return try runBatch(list: batch) }
        let (imageA, imageB, output) = (imageA!, imageB!, output!)
        let a = try DecodedImage.read(imageA), b = try DecodedImage.read(imageB)
        let (warp, params) = try MatchStage.run(a, b, names: (imageA, imageB), options: options) { steps in
            ProgressMeter("match", total: steps, unit: "step", quiet: quiet)
        }
        try MatchStage.artifact(warp, params: params, inputs: (imageA, imageB), encoding: warpEncoding).write(to: output)
        print("matched \(imageA) and \(imageB) -> \(output) (\(warp.width)x\(warp.height) warp)")
    }
}
