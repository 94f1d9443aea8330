import ArgumentParser
import Artifacts
import Foundation
import Parallel
import RoMa

struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Dense RoMa warp and certainty between two decoded images (roma.warp/1).",
        discussion: """
        Runs romatch 0.1.2's matcher: symmetric (A→B and B→A), a coarse pass at the decoded \
        images' coarse size (560×560 by default) and a refinement at their upsampled size \
        (864×864). Without --weights/--dinov2 the official checkpoints are read from the \
        weights cache (`make weights` fills it).
        """)

    @Argument(help: "Decoded image A (roma.decoded/1, from `roma decode`).")
    var imageA: String

    @Argument(help: "Decoded image B (roma.decoded/1).")
    var imageB: String

    @Option(name: .shortAndLong, help: "Output warp artifact (roma.warp/1).")
    var output: String

    @Option(help: "RoMa checkpoint (roma_outdoor.pth / roma_indoor.pth, or .safetensors). Default: the weights cache.")
    var weights: String?

    @Option(help: "DINOv2 ViT-L/14 checkpoint (dinov2_vitl14_pretrain.pth, or .safetensors). Default: the weights cache.")
    var dinov2: String?

    @Flag(help: "Use the indoor checkpoint (roma_indoor.pth) when --weights is not given.")
    var indoor = false

    @Flag(help: "Skip the upsampled refinement pass; the warp is then at the coarse size.")
    var noUpsample = false

    @Option(help: "Threads for our loops and OpenBLAS (default: ROMA_THREADS or all cores).")
    var threads: Int?

    func run() throws {
        if let threads { Threads.configure(threads) } else { Threads.configure(Threads.count) }
        let a = try DecodedImage.read(imageA), b = try DecodedImage.read(imageB)
        guard a.coarse.width == b.coarse.width, a.coarse.height == b.coarse.height else {
            throw ValidationError("\(imageA) and \(imageB) were decoded at different coarse sizes (\(a.coarse.width)x\(a.coarse.height) vs \(b.coarse.width)x\(b.coarse.height))")
        }
        var config = indoor ? RoMaConfig.indoor : RoMaConfig.outdoor
        config.coarseResolution = (a.coarse.height, a.coarse.width)
        config.upsample = !noUpsample
        if config.upsample {
            guard let ua = a.upsampled, let ub = b.upsampled else {
                throw ValidationError("\(a.upsampled == nil ? imageA : imageB) has no upsampled image; decode with an upsample size or pass --no-upsample")
            }
            guard ua.width == ub.width, ua.height == ub.height else {
                throw ValidationError("\(imageA) and \(imageB) were decoded at different upsampled sizes")
            }
            config.upsampleResolution = (ua.height, ua.width)
        }
        let files = try WeightFiles.resolve(weights: weights, dinov2: dinov2, indoor: indoor)
        let source = CombinedWeights(roma: try WeightFiles.open(files.roma), dinov2: try WeightFiles.open(files.dinov2))
        let model = try RoMaModel(weights: source, config: config)
        let warp = try model.match(a, b)
        var artifact = warp.artifact
        try artifact.stamp(stage: "match", params: [
            "weights": URL(fileURLWithPath: files.roma).lastPathComponent,
            "dinov2": URL(fileURLWithPath: files.dinov2).lastPathComponent,
            "indoor": indoor,
            "coarse_resolution": [config.coarseResolution.height, config.coarseResolution.width],
            "upsample_resolution": config.upsample ? [config.upsampleResolution.height, config.upsampleResolution.width] : [Int](),
            "symmetric": config.symmetric,
            "attenuate_certainty": config.attenuateCertainty,
            "reference": "romatch 0.1.2",
        ], inputs: [imageA, imageB])
        try artifact.write(to: output)
    }
}
