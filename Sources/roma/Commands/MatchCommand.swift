import ArgumentParser
import Artifacts
import Console
import Foundation
import Pipeline

extension Warp.Encoding: ExpressibleByArgument {}

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
        safetensors. --model tiny runs Tiny RoMa v1 instead (A→B, on images decoded with \
        `roma decode --preset tiny`; docs/tiny.md).

        With --batch LIST, matches many pairs in one process (see docs/batch.md): each line \
        of LIST is `A.decoded.safetensors B.decoded.safetensors OUT.warp.safetensors` \
        (`#` starts a comment). The weights are bound once, an image in several pairs is \
        encoded once (up to --cache-mb of encoder outputs kept), each warp is written as \
        soon as it is done, and pairs whose warp exists (and is newer than both inputs) \
        are skipped, so a killed run resumes. Every warp is the one `roma match A B -o OUT` \
        writes, bit for bit. With --model roma2 the same (one model for the --setting; each \
        image's DINOv3 layers and VGG features are what the cache keeps).
        """)

    @Argument(help: "Decoded image A (roma.decoded/1, from `roma decode`).")
    var imageA: String?

    @Argument(help: "Decoded image B (roma.decoded/1).")
    var imageB: String?

    @Option(name: .shortAndLong, help: "Output warp artifact (roma.warp/2).")
    var output: String?

    @Option(help: "Match every pair of this list instead (lines `A.decoded B.decoded OUT.warp`).")
    var batch: String?

    @Option(help: "With --batch: megabytes of encoder outputs kept for images used again (full size: about 0.2 GB an image; RoMa v2: 0.05 GB at turbo to 1.04 GB at precise).")
    var cacheMb = 4096

    @OptionGroup var weightsOptions: WeightsOptions

    @Flag(help: "Skip the upsampled refinement pass; the warp is then at the coarse size.")
    var noUpsample = false

    @Flag(help: "Match A→B only (the reference's symmetric=False): about half the decoder time; warp_ba is then empty, with zero certainty.")
    var noSymmetric = false

    @Option(help: "Matcher: roma (romatch's RoMa), tiny (Tiny RoMa v1: XFeat + two small matchers, A→B only, fast on a CPU; decode with --preset tiny) or roma2 (romav2's RoMa v2; decode with --preset roma2).")
    var model: MatchModel = .roma

    @Option(help: "With --model roma2: romav2's setting, turbo|fast|base|precise|mega1500|scannet1500 (input sizes, bidirectional, overlap threshold; default precise, as romav2; docs/roma2.md).")
    var setting: RoMaV2Setting?

    @Option(help: "With --model tiny: XFeat checkpoint (xfeat.pt), needed only when the Tiny RoMa checkpoint holds no XFeat weights.")
    var xfeat: String?

    @Option(help: "How warps are stored: exact (float32) or compact (16-bit fixed point, 40 % smaller, error ≤ 1/65535 of the half-width; see docs/batch.md; with --model roma2 also U16 overlap and F16 precision factors, 43-57 % of the size; docs/artifacts.md).")
    var warpEncoding: Warp.Encoding = .exact

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "No progress display (it is shown only on a terminal, or with ROMA_PROGRESS=lines).")
    var quiet = false

    func validate() throws {
        if model == .tiny {
            let romaOnly = [("--dinov2", weightsOptions.dinov2 != nil), ("--indoor", weightsOptions.indoor), ("--no-upsample", noUpsample),
                            ("--no-symmetric", noSymmetric), ("--batch", batch != nil),
                            ("--precision bf16", weightsOptions.precision == .bf16)]
            if let (flag, _) = romaOnly.first(where: { $0.1 }) {
                throw ValidationError("\(flag) applies to RoMa, not to --model tiny (one checkpoint, one pass, A→B only)")
            }
        } else if xfeat != nil {
            throw ValidationError("--xfeat applies to --model tiny only")
        }
        if model == .roma2 {
            let romaOnly = [("--dinov2", weightsOptions.dinov2 != nil), ("--indoor", weightsOptions.indoor), ("--no-upsample", noUpsample),
                            ("--no-symmetric", noSymmetric)]
            if let (flag, _) = romaOnly.first(where: { $0.1 }) {
                throw ValidationError("\(flag) applies to RoMa, not to --model roma2 (one checkpoint; passes and directions come from --setting)")
            }
        } else if setting != nil {
            throw ValidationError("--setting applies to --model roma2 only")
        }
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
        var options = weightsOptions.matchOptions(upsample: !noUpsample, symmetric: !noSymmetric, model: model)
        options.xfeat = xfeat
        options.setting = setting
        return options
    }

    func run() throws {
        threads.apply()
        if let batch { return try runBatch(list: batch) }
        let (imageA, imageB, output) = (imageA!, imageB!, output!)
        let a = try DecodedImage.read(imageA), b = try DecodedImage.read(imageB)
        if model == .tiny || model == .roma2 {
            let reference = model == .tiny ? "romatch's Tiny RoMa" : "romav2"
            for (path, image) in [(imageA, a), (imageB, b)] where image.coarse.width != image.originalWidth || image.coarse.height != image.originalHeight {
                FileHandle.standardError.write(Data("note: \(path) was resized to \(image.coarse.width)x\(image.coarse.height); \(reference) takes images at their own size (`roma decode --preset \(model.rawValue)`)\n".utf8))
            }
        }
        if model == .roma2 {
            let (warp, record) = try RoMaV2MatchStage.run(a, b, names: (imageA, imageB), options: options) { steps in
                ProgressMeter("match", total: steps, unit: "step", quiet: quiet)
            }
            try RoMaV2MatchStage.artifact(warp, record: record, inputs: (imageA, imageB), encoding: warpEncoding).write(to: output)
            print("matched \(imageA) and \(imageB) -> \(output) (\(warp.width)x\(warp.height) warp, roma.warp/3, \(warp.bidirectional ? "both directions" : "A→B"))")
            return
        }
        let (warp, record) = try MatchStage.run(a, b, names: (imageA, imageB), options: options) { steps in
            ProgressMeter("match", total: steps, unit: "step", quiet: quiet)
        }
        try MatchStage.artifact(warp, record: record, inputs: (imageA, imageB), encoding: warpEncoding).write(to: output)
        print("matched \(imageA) and \(imageB) -> \(output) (\(warp.width)x\(warp.height) warp)")
    }
}

extension MatchModel: ExpressibleByArgument {}
extension RoMaV2Setting: ExpressibleByArgument {}
