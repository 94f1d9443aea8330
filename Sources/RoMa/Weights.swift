import Artifacts
import Foundation

/// Where the model's parameters come from, keyed by the official state-dict
/// names (`encoder.cnn.layers.0.weight`, `decoder.gps.16.pos_conv.bias`, …;
/// DINOv2's own names under the `dinov2.` prefix, see `CombinedWeights`).
/// Implementations throw a descriptive error for a missing key or wrong shape.
public protocol WeightSource {
    func tensor(_ key: String, shape: [Int]) throws -> [Float]
}

/// A safetensors weight file, read tensor by tensor with positioned reads: only
/// the converted parameters stay in memory (mapping the whole file would keep a
/// second copy of every weight resident while the model is built).
public final class SafetensorsWeights: WeightSource, @unchecked Sendable {
    public let path: String
    private struct Entry { let dtype: String; let shape: [Int]; let begin: Int; let end: Int }
    private let entries: [String: Entry]
    private let dataStart: Int
    private let handle: FileHandle

    public init(path: String) throws {
        self.path = path
        guard let h = FileHandle(forReadingAtPath: path) else { throw ArtifactError(file: path, "cannot open weight file") }
        handle = h
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let head = (try? h.read(upToCount: 8)) ?? Data()
        guard head.count == 8 else { throw ArtifactError(file: path, "too short for a safetensors file") }
        let n = head.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard n > 0, n <= size - 8, n < 1 << 30 else { throw ArtifactError(file: path, "corrupt safetensors header length \(n)") }
        guard let json = try? h.read(upToCount: n), json.count == n,
              let dict = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw ArtifactError(file: path, "unreadable safetensors header")
        }
        dataStart = 8 + n
        var entries: [String: Entry] = [:]
        for (key, value) in dict where key != "__metadata__" {
            guard let v = value as? [String: Any], let dtype = v["dtype"] as? String, let shape = v["shape"] as? [Int],
                  let offsets = v["data_offsets"] as? [Int], offsets.count == 2, offsets[0] <= offsets[1],
                  dataStart + offsets[1] <= size else {
                throw ArtifactError(file: path, "tensor '\(key)' has a malformed or out-of-range header entry")
            }
            entries[key] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.entries = entries
    }

    deinit { try? handle.close() }

    public var keys: [String] { entries.keys.sorted() }

    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        guard let e = entries[key] else { throw ArtifactError(file: path, "missing weight '\(key)'") }
        guard e.shape == shape else { throw ArtifactError(file: path, "weight '\(key)' has shape \(e.shape), expected \(shape)") }
        let count = shape.reduce(1, *)
        let width: Int
        switch e.dtype {
        case "F32": width = 4
        case "F16", "BF16": width = 2
        default: throw ArtifactError(file: path, "weight '\(key)' has dtype \(e.dtype), expected F32, F16 or BF16")
        }
        guard e.end - e.begin == count * width else { throw ArtifactError(file: path, "weight '\(key)' byte size does not match its shape") }
        try handle.seek(toOffset: UInt64(dataStart + e.begin))
        guard let bytes = try handle.read(upToCount: e.end - e.begin), bytes.count == e.end - e.begin else {
            throw ArtifactError(file: path, "weight '\(key)' is truncated")
        }
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                switch e.dtype {
                case "F32":
                    for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case "BF16":
                    for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                default:
                    for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                }
            }
        }
        for v in out where !v.isFinite { throw ArtifactError(file: path, "weight '\(key)' holds a non-finite value") }
        return out
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
