import Artifacts
import Checkpoint
import Foundation

/// RoMa's checkpoint and DINOv2's, seen as one source: keys `dinov2.<name>` go to
/// the DINOv2 file as `<name>`, all others to the RoMa file. (The reference keeps
/// DINOv2 outside its state dict and loads it from its own file.)
public struct CombinedWeights: WeightSource {
    public let roma: any WeightSource
    public let dinov2: any WeightSource

    public init(roma: any WeightSource, dinov2: any WeightSource) {
        self.roma = roma
        self.dinov2 = dinov2
    }

    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        let values = key.hasPrefix("dinov2.") ? try dinov2.tensor(String(key.dropFirst(7)), shape: shape)
                                               : try roma.tensor(key, shape: shape)
        // A NaN in one weight would silently poison every warp; refuse it at load time.
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw RoMaError("weight '\(key)' holds a non-finite value (\(values[bad])) at element \(bad): the checkpoint is corrupt")
        }
        return values
    }
}

/// Reads typed layers from a weight source under a key prefix.
struct LayerReader {
    let source: any WeightSource
    let prefix: String

    init(_ source: any WeightSource, _ prefix: String = "") {
        self.source = source
        self.prefix = prefix
    }

    func callAsFunction(_ sub: String) -> LayerReader { LayerReader(source, prefix + sub + ".") }

    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
        try source.tensor(prefix + name, shape: shape)
    }

    func conv(out: Int, in inC: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1, bias: Bool = true) throws -> Conv2d {
        let w = try tensor("weight", [out, inC / groups, kernel, kernel])
        let b = bias ? try tensor("bias", [out]) : nil
        return Conv2d(outChannels: out, inChannels: inC, kernel: kernel, stride: stride, padding: padding, groups: groups, weight: w, bias: b)
    }

    func batchNorm(_ c: Int) throws -> BatchNorm {
        BatchNorm(gamma: try tensor("weight", [c]), beta: try tensor("bias", [c]),
                  mean: try tensor("running_mean", [c]), variance: try tensor("running_var", [c]))
    }

    func linear(out: Int, in inF: Int, bias: Bool = true) throws -> Linear {
        Linear(inFeatures: inF, outFeatures: out, weight: try tensor("weight", [out, inF]), bias: bias ? try tensor("bias", [out]) : nil)
    }

    func layerNorm(_ d: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(weight: try tensor("weight", [d]), bias: try tensor("bias", [d]), eps: eps)
    }
}
