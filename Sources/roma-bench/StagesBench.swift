import ArgumentParser
import Artifacts
import Checkpoint
import Foundation
import NN
import RoMa

/// `roma-bench stages`: our float32 output at every stage of the full-size matcher, for
/// `scripts/reference/stage_errors.py` to set beside romatch float32 and float64
/// (`full_size_reference.py run --stages [--float64]`) on the same prepared folder.
struct StagesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "Write every stage's output of `roma match` on a prepared full-size folder (stages_ours.safetensors).")

    @Option(help: "Folder prepared by scripts/reference/full_size_reference.py prepare.")
    var dir = "runs/fullsize"

    @OptionGroup var threading: ThreadOption

    func run() throws {
        threading.apply()
        let a = try DecodedImage.read(dir + "/A.decoded"), b = try DecodedImage.read(dir + "/B.decoded")
        let weights = CombinedWeights(roma: try StateDict.load(dir + "/roma_random.safetensors"),
                                      dinov2: try StateDict.load(dir + "/dinov2_random.safetensors"))
        let model = try RoMaModel(weights: weights, config: .outdoor)
        let start = Date()
        let stages = try model.stageOutputs(a, b)
        var artifact = Artifact(schema: Schema("roma.stages", version: 1))
        for (name, t) in stages.sorted(by: { $0.key < $1.key }) {
            artifact.put(name, Array(UnsafeBufferPointer(start: t.pointer, count: t.count)), shape: t.shape)
        }
        artifact.metadata["gemm"] = GEMM.backend.rawValue
        try artifact.write(to: dir + "/stages_ours.safetensors")
        print(String(format: "%@/stages_ours.safetensors: %d stages, match %.1f s, GEMM backend %@", dir as NSString, stages.count,
                     Date().timeIntervalSince(start), GEMM.backend.rawValue as NSString))
    }
}
