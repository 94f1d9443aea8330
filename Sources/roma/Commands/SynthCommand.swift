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

        --difficulty easy|medium|hard draws each pair's viewpoint change (rotation, \
        overlap, scale, in-plane rotation), lighting change (light direction with shadows, \
        exposure, white balance), weak textures (repeated patterns, near-uniform walls), \
        sensor effects (noise, blur, JPEG) and occluders present in one view only, from \
        the level's ranges; the factor options override single ranges (a or a-b). Every \
        pair's factors go to difficulty.json and its artifacts' metadata; the ground truth \
        stays exact under all of them. Without --difficulty: the classic set \
        (docs/evaluation.md lists each level's ranges).
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

    @Option(help: "Difficulty level: classic, easy, medium or hard.")
    var difficulty: String = "classic"

    @OptionGroup var factors: DifficultyFactorOptions

    @Flag(name: .shortAndLong, help: "No progress display (pairs rendered, rate, ETA) on stderr.")
    var quiet = false

    func validate() throws {
        guard pairs >= 1 else { throw ValidationError("--pairs must be at least 1") }
        guard width >= 16, height >= 16, width <= 8192, height <= 8192 else { throw ValidationError("--width and --height must be in 16…8192") }
        guard warpSize >= 8, warpSize <= 4096 else { throw ValidationError("--warp-size must be in 8…4096") }
        if let views, views < 2 || views > 100 { throw ValidationError("--views must be in 2…100") }
        do { _ = try resolvedDifficulty() } catch let error as DatasetError { throw ValidationError(error.description) }
    }

    func resolvedDifficulty() throws -> Difficulty {
        try Difficulty.level(named: difficulty).overriding(factors.values)
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
        options.difficulty = try resolvedDifficulty()
        let records = try Synthetic.generate(into: output, options: options,
                                             progress: ProgressMeter("synth", total: pairs, unit: "pair", quiet: quiet))
        print("synth: \(records.count) pairs, difficulty \(options.difficulty.name), in \(output) (pairs.txt, images, depth, ground-truth warps, difficulty.json)")
    }
}

/// One option per difficulty factor, each overriding the level's range.
struct DifficultyFactorOptions: ParsableArguments {
    @Option(help: "Azimuth between the cameras, degrees (a or a-b).") var rotation: String?
    @Option(help: "Wanted overlap, covisible fraction (a-b, or none).") var overlap: String?
    @Option(help: "Scale change between the views, ≥ 1.") var scale: String?
    @Option(name: .customLong("in-plane"), help: "Extra in-plane rotation of view B, degrees.") var inPlane: String?
    @Option(help: "Exposure change between the views, stops.") var exposure: String?
    @Option(name: .customLong("white-balance"), help: "Per-channel white-balance gain deviation (0.1 = ±10 %).") var whiteBalance: String?
    @Option(help: "Turn of the light direction between the views, degrees.") var light: String?
    @Option(help: "Cast shadows: on or off.") var shadows: String?
    @Option(help: "Probability that a surface wears a repeated pattern.") var repeated: String?
    @Option(name: .customLong("low-texture"), help: "Probability that a surface is nearly uniform.") var lowTexture: String?
    @Option(help: "Sensor noise σ, 8-bit levels.") var noise: String?
    @Option(help: "Gaussian blur σ, pixels.") var blur: String?
    @Option(help: "JPEG quality 1-100 (a or a-b), or none for PNG.") var jpeg: String?
    @Option(help: "Occluders present in one view only, per pair.") var occluders: String?

    var values: [String: String] {
        let all: [(String, String?)] = [("rotation", rotation), ("overlap", overlap), ("scale", scale), ("in-plane", inPlane),
                                        ("exposure", exposure), ("white-balance", whiteBalance), ("light", light), ("shadows", shadows),
                                        ("repeated", repeated), ("low-texture", lowTexture), ("noise", noise), ("blur", blur),
                                        ("jpeg", jpeg), ("occluders", occluders)]
        return Dictionary(uniqueKeysWithValues: all.compactMap { name, value in value.map { (name, $0) } })
    }
}
