import Checkpoint
import NN
import Testing
@testable import RoMa
import TestSupport

/// RoMa v2's bf16 model packs its torch-order linears once, at load, and drops their fp32
/// weights; the fp32 model keeps every fp32 weight as the checkpoint holds it. (That the packed
/// model computes what torch does, to the bit, is RoMaV2BF16StageTests' and
/// RoMaV2BF16Tests'; that a packed weight sums as the per-call form, NNTests' BF16PackedLinearTests.)
struct RoMaV2PackedBF16Tests {
    static func model(_ precision: Precision) throws -> (RoMaV2Model, StateDict) {
        let weights = try StateDict.load(RoMaV2ModelTests.directory + "/weights.safetensors")
        return (try RoMaV2Model(weights: weights, architecture: try RoMaV2ModelTests.architecture(weights), precision: precision), weights)
    }

    /// Every linear of the descriptor's blocks and of the matcher's ViT, with its checkpoint key.
    static func linears(_ model: RoMaV2Model) -> [(String, Linear)] {
        var all: [(String, Linear)] = []
        func block(_ prefix: String, _ b: TransformerBlock) {
            all += [(prefix + "attn.qkv", b.qkv), (prefix + "attn.proj", b.proj), (prefix + "mlp.fc1", b.fc1), (prefix + "mlp.fc2", b.fc2)]
        }
        for (i, b) in model.descriptor.blocks.enumerated() { block("f.blocks.\(i).", b) }
        let vit = model.matcher.transformer
        all += [("matcher.mv_vit.projector", vit.projector), ("matcher.mv_vit.output_projector", vit.outputProjector)]
        for (i, b) in vit.blocks.enumerated() { block("matcher.mv_vit.blocks.\(i).", b) }
        return all
    }

    @Test func fp32ModelKeepsItsFP32Weights() throws {
        let (model, weights) = try Self.model(.fp32)
        let linears = Self.linears(model)
        #expect(linears.count == 4 * model.descriptor.blocks.count + 2 + 4 * model.matcher.transformer.blocks.count)
        for (key, linear) in linears {
            #expect(linear.packedBF16 == nil, "\(key) packed in the fp32 model")
            let stored = try weights.tensor(key + ".weight", shape: linear.weight.shape)
            #expect(linear.weight.array == stored, "\(key): fp32 weight differs from the checkpoint's")
        }
    }

    @Test func bf16ModelHoldsOnlyPackedBF16Weights() throws {
        let (model, weights) = try Self.model(.bf16)
        for (key, linear) in Self.linears(model) {
            let packed = try #require(linear.packedBF16, "\(key) not packed in the bf16 model")
            #expect(linear.fp32Weight == nil, "\(key) still holds its fp32 weight")
            let stored = try weights.tensor(key + ".weight", shape: [packed.outFeatures, packed.inFeatures])
            #expect(packed.unpacked().array.map(\.bitPattern) == stored.map { BF16.round($0).bitPattern }, "\(key)")
        }
    }
}
