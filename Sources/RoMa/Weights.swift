import Artifacts
import Foundation

/// Where the model's parameters come from, keyed by the official state-dict
/// names (`encoder.cnn.layers.0.weight`, `decoder.gps.16.pos_conv.bias`, …;
/// DINOv2's own names under the `dinov2.` prefix, see `CombinedWeights`).
/// Implementations throw a descriptive error for a missing key or wrong shape.
public protocol WeightSource {
    func tensor(_ key: String, shape: [Int]) throws -> [Float]
}

/// A safetensors file (e.g. a converted checkpoint or a test fixture).
public struct SafetensorsWeights: WeightSource {
    public let artifact: Artifact

    public init(path: String) throws {
        artifact = try Artifact.read(path)
    }

    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        try artifact.floats(key, shape: shape.map { Optional($0) })
    }
}

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
        if key.hasPrefix("dinov2.") { return try dinov2.tensor(String(key.dropFirst(7)), shape: shape) }
        return try roma.tensor(key, shape: shape)
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
