import Artifacts
import Foundation

/// Safetensors weights through the Artifacts reader, which already validates
/// the header against the file size. Unlike artifacts, weights need no schema.
enum SafetensorsWeights {
    static func open(_ path: String) throws -> StateDict {
        let artifact = try Artifact.read(path)
        var ordered: [(key: String, info: TensorInfo)] = []
        for name in artifact.tensorNames {
            let t = try artifact.tensor(name)
            ordered.append((name, TensorInfo(dtype: elementType(t.dtype), shape: t.shape)))
        }
        return StateDict(file: path, ordered: ordered, store: SafetensorsStore(artifact: artifact))
    }

    /// Unsigned 16/32/64-bit integers have no torch storage class; they only need
    /// to count as integers for validation, and convert through `integers()`.
    static func elementType(_ dtype: DType) -> ElementType {
        switch dtype {
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float64: return .float64
        case .int64, .uint64, .uint32: return .int64
        case .int32: return .int32
        case .int16, .uint16: return .int16
        case .int8: return .int8
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }
}

struct SafetensorsStore: TensorStore {
    let artifact: Artifact

    func values(of key: String) throws -> [Float] {
        let t = try artifact.tensor(key)
        if let floats = t.floats() { return floats }
        if let integers = t.integers() { return integers.map { Float($0) } }
        throw CheckpointError(file: artifact.source, "tensor '\(key)' has dtype \(t.dtype.rawValue), which does not convert to Float")
    }
}
