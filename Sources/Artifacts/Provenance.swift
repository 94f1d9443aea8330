import Foundation

/// The metadata every artifact the tool writes carries: who made it, with which
/// parameters and seed, from which input files (by SHA-256).
public enum Provenance {
    public static let toolName = "roma-swift"
    public static let toolVersion = "0.1.0"
}

extension Artifact {
    /// Records the stage that wrote the artifact, its parameters (as a JSON object
    /// with sorted keys), the seed where randomness is involved, and the SHA-256 of
    /// every input file.
    public mutating func stamp(stage: String, params: [String: any Sendable] = [:], seed: UInt64? = nil, inputs: [String] = []) throws {
        metadata["tool"] = "\(Provenance.toolName) \(Provenance.toolVersion)"
        metadata["stage"] = stage
        metadata["params"] = Self.json(params)
        if let seed { metadata["seed"] = String(seed) }
        var digests: [String: String] = [:]
        for path in inputs { digests[path] = try SHA256.hex(ofFile: path) }
        if !inputs.isEmpty { metadata["inputs"] = Self.json(digests) }
    }

    /// Parameters recorded by `stamp`, decoded.
    public var params: [String: Any] {
        guard let text = metadata["params"], let data = text.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }

    static func json(_ values: [String: any Sendable]) -> String {
        var clean: [String: Any] = [:]
        for (k, v) in values { clean[k] = jsonable(v) }
        guard let data = try? JSONSerialization.data(withJSONObject: clean, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonable(_ v: Any) -> Any {
        switch v {
        case let x as Bool: return x
        case let x as Int: return x
        case let x as UInt64: return x
        case let x as Int64: return x
        case let x as Double: return x.isFinite ? x : String(x)
        case let x as Float: return Double(x).isFinite ? Double(x) : String(x)
        case let x as String: return x
        case let x as [Any]: return x.map(jsonable)
        case let x as [String: Any]: return x.mapValues(jsonable)
        default: return String(describing: v)
        }
    }
}
