import ArgumentParser
import Console
import Evaluation
import Foundation

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render a synthetic benchmark: image pairs with known pose, depth and ground-truth warp.",
        discussion: """
        Ray-casts a procedurally textured room with boxes and spheres from two cameras per \
        pair. Writes <id>_a.png, <id>_b.png, depth maps (roma.depth/1), the ground-truth \
        warp <id>.warp.safetensors (roma.warp/2, usable as the `oracle` matcher) and \
        pairs.txt (image_a image_b K_a(9) K_b(9) T_ab(16)). The seed fixes every pixel.
        """
    )

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Number of image pairs.")
    var pairs: Int = 8

    @OptionGroup var seed: SeedOption

    @Option(help: "Image width in pixels.")
    var width: Int = 640

    @Option(help: "Image height in pixels.")
    var height: Int = 480

    @Option(help: "Side of the square ground-truth warp grid (RoMa's upsampled output is 864).")
    var warpSize: Int = 864

    @Option(help: "Render N views of one scene instead of pairs: view_<k>.png, views.txt (poses) and every pair in pairs.txt.")
    var views: Int?

    @Flag(name: .shortAndLong, help: "No progress display (pairs rendered, rate, ETA) on stderr.")
    var quiet = false

    func validate() throws {
        guard pairs >= 1 else { throw ValidationError("--pairs must be at least 1") }
        guard width >= 16, height >= 16, width <= 8192, height <= 8192 else { throw ValidationError("--width and --height must be in 16…8192") }
        guard warpSize >= 8, warpSize <= 4096 else { throw ValidationError("--warp-size must be in 8…4096") }
        if let views, views < 2 || views > 100 { throw ValidationError("--views must be in 2…100") }
    }

    func run() throws {
        var options = Synthetic.Options()
        options.pairs = pairs
        options.seed = seed.seed
        options.width = width
        options.height = height
        options.warpSize = warpSize
        if let views {
            let pairCount = views * (views - 1) / 2
            try MultiView.generate(into: output, views: views, options: options,
                                   progress: ProgressMeter("synth", total: pairCount, unit: "pair", quiet: quiet))
            print("synth: \(views) views, \(pairCount) pairs in \(output) (views.txt, pairs.txt, PNG images, depth, ground-truth warps)")
            return
        }
        let records = try Synthetic.generate(into: output, options: options,
                                             progress: ProgressMeter("synth", total: pairs, unit: "pair", quiet: quiet))
        print("synth: \(records.count) pairs in \(output) (pairs.txt, PNG images, depth, ground-truth warps)")
    }
}
