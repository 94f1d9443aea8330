import ArgumentParser
import Artifacts
import Checkpoint
import Foundation
import NN
import RoMa

/// `roma-bench descriptor`: RoMa v2's DINOv3 descriptor at full size (ViT-L/16, layers 11
/// and 17) against romav2 in float32, on the weights, image and reference outputs that
/// `scripts/reference/romav2_descriptor_fullsize.py` writes (docs/roma2.md).
struct DescriptorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descriptor",
        abstract: "RoMa v2's DINOv3 descriptor vs romav2 float32 (files from scripts/reference/romav2_descriptor_fullsize.py).")

    @Option(help: "Folder holding weights.safetensors and io.safetensors.")
    var dir = "runs/roma2_descriptor"

    @Flag(help: "Also run ours at bf16 against romav2's bf16 descriptor (out_bf16.*, written by the script's --bf16).")
    var bf16 = false

    @Flag(help: "Only compare romav2's bf16 DINOv3 op by op, each op fed torch's input (bf16_ops.safetensors from scripts/reference/romav2_descriptor_bf16_blocks.py).")
    var bf16Ops = false

    func run() throws {
        if bf16Ops { return try DescriptorBF16Ops(dir: dir).run() }
        let io = try Artifact.read(dir + "/io.safetensors")
        let descriptor = try DINOv3Descriptor(weights: try StateDict.load(dir + "/weights.safetensors"), shape: .vitl16)
        let image = Tensor(try io.floats("image"), shape: try io.tensor("image").shape)
        let t0 = Date()
        let outputs = try descriptor(image)
        print(String(format: "ours: descriptor %.1f s (reference run: %@ s, not side by side)",
                     Date().timeIntervalSince(t0), (io.metadata["reference_seconds"] ?? "?") as NSString))
        var within = true
        for (j, out) in outputs.enumerated() {
            let ref = try io.floats("out.\(j)", shape: out.shape.map { $0 })
            let d = DifferenceSummary(out.array, ref)
            let same = zip(out.array, ref).filter { $0.bitPattern == $1.bitPattern }.count
            print(String(format: "layer %d %@: max abs %.3g, mean abs %.3g; max abs / max|ref| %.3g, mean abs / mean|ref| %.3g (max|ref| %.3g, mean|ref| %.3g); %.2f %% identical",
                         descriptor.shape.layers[j], "\(out.shape)" as NSString, d.maxAbs, d.meanAbs,
                         d.maxAbs / d.maxRef, d.meanAbs / d.meanRef, d.maxRef, d.meanRef, 100 * Double(same) / Double(ref.count)))
            // Float32 summation order alone gives ~1e-6 relative; a formula error moves outputs by O(1).
            within = within && d.meanAbs / d.meanRef < 1e-4 && d.maxAbs / d.maxRef < 1e-3
        }
        if bf16 { try compareBF16(io: io, image: image) }
        if !within { throw ValidationError("the descriptor is further from romav2 than float32 rounding explains") }
    }

    /// Ours at bf16 against romav2's bf16 run: share of values identical to the bit, mean
    /// relative difference; beside it romav2's own bf16 against its fp32 (no threshold: a report).
    private func compareBF16(io: Artifact, image: Tensor) throws {
        let descriptor = try DINOv3Descriptor(weights: try StateDict.load(dir + "/weights.safetensors"), shape: .vitl16, precision: .bf16)
        let outputs = try descriptor(image)
        for (j, out) in outputs.enumerated() {
            let ref = try io.floats("out_bf16.\(j)", shape: out.shape.map { $0 }), fp32 = try io.floats("out.\(j)", shape: out.shape.map { $0 })
            let ours = out.array
            let same = zip(ours, ref).filter { $0.bitPattern == $1.bitPattern }.count
            let d = DifferenceSummary(ours, ref), theirs = DifferenceSummary(ref, fp32)
            print(String(format: "layer %d bf16: ours vs romav2-bf16 %.2f %% identical, mean abs / mean|ref| %.3g; romav2-bf16 vs romav2-fp32 mean abs / mean|ref| %.3g",
                         descriptor.shape.layers[j], 100 * Double(same) / Double(ref.count), d.meanAbs / d.meanRef, theirs.meanAbs / theirs.meanRef))
        }
    }
}

private struct DifferenceSummary {
    var maxAbs: Double = 0, meanAbs = 0.0, maxRef: Double = 0, meanRef = 0.0

    init(_ ours: [Float], _ ref: [Float]) {
        for i in 0..<ref.count {
            let d = Double(abs(ours[i] - ref[i])), r = Double(abs(ref[i]))
            (maxAbs, maxRef) = (max(maxAbs, d), max(maxRef, r))
            meanAbs += d
            meanRef += r
        }
        meanAbs /= Double(max(1, ref.count))
        meanRef /= Double(max(1, ref.count))
    }
}
