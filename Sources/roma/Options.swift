import ArgumentParser
import Geometry
import NN
import Parallel
import Pipeline

// Options several subcommands share, declared once (`@OptionGroup`).

struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for our loops and OpenBLAS (default: ROMA_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Call first in `run()`: OpenBLAS's workers restart with the count.
    func apply() { Threads.configure(requested: threads) }
}

struct IntrinsicsOptions: ParsableArguments {
    @Option(name: .customLong("K-a"), help: "Intrinsics of image A in its pixels: fx,fy,cx,cy or the 9 values of K (row-major).")
    var kA: String?

    @Option(name: .customLong("K-b"), help: "Intrinsics of image B: fx,fy,cx,cy or the 9 values of K (row-major).")
    var kB: String?

    var given: Bool { kA != nil }

    func validate() throws {
        if (kA == nil) != (kB == nil) {
            throw ValidationError("give both --K-a and --K-b (essential matrix, relative pose) or neither (fundamental matrix)")
        }
    }

    func parsed() throws -> (a: CameraIntrinsics?, b: CameraIntrinsics?) {
        (try kA.map { try parse($0, option: "--K-a") }, try kB.map { try parse($0, option: "--K-b") })
    }

    private func parse(_ text: String, option: String) throws -> CameraIntrinsics {
        switch CameraIntrinsics.parse(text) {
        case .success(let k): return k
        case .failure(let error): throw ValidationError("\(option) \(error.description)")
        }
    }
}

struct WeightsOptions: ParsableArguments {
    @Option(help: "RoMa checkpoint (roma_outdoor.pth / roma_indoor.pth, or .safetensors). Default: the weights cache (`roma weights`).")
    var weights: String?

    @Option(help: "DINOv2 ViT-L/14 checkpoint (dinov2_vitl14_pretrain.pth, or .safetensors). Default: the weights cache.")
    var dinov2: String?

    @Flag(help: "Use the indoor checkpoint (roma_indoor.pth) when --weights is not given.")
    var indoor = false

    @Option(help: "Arithmetic: fp32, or bf16 as torch's CPU autocast to bfloat16 (faster on AVX512-BF16 CPUs; docs/runtime.md). Default fp32 for RoMa; bf16 for roma2, as romav2 runs by default (docs/roma2.md, \"Precision\").")
    var precision: Precision?

    /// `model`'s options; an unset --precision is fp32, or bf16 for RoMa v2 (romav2's default).
    func matchOptions(upsample: Bool = true, symmetric: Bool = true, model: MatchModel = .roma) -> MatchStage.Options {
        var options = MatchStage.Options(weights: weights, dinov2: dinov2, indoor: indoor, upsample: upsample, symmetric: symmetric)
        options.model = model
        options.precision = precision ?? (model == .roma2 ? .bf16 : .fp32)
        return options
    }
}

struct SeedOption: ParsableArguments {
    @Option(help: "Seed of every random choice (recorded in the artifact's metadata).")
    var seed: UInt64 = 0
}

extension PoseSolver: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
