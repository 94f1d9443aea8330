import Checkpoint
import NN

/// Every tensor of `base` rounded to bf16 (ties to even): torch's `model.to(torch.bfloat16)`,
/// parameters and buffers alike, as romav2 casts its frozen descriptor.
struct BF16Weights: WeightSource {
    let base: any WeightSource

    func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        try base.tensor(key, shape: shape).map(BF16.round)
    }
}
