import Foundation

/// Differences between two artifact files that should describe the same result made
/// by different routes (a stage command vs `roma pose --keep`): metadata compared
/// key by key, except `inputs`, and every tensor's dtype, shape and bytes. Empty when
/// equal. Inputs are compared by file name (the folders differ by design) and, for
/// files that are not artifacts, by SHA-256: an artifact's bytes include its own
/// inputs' paths, so its hash differs between folders even when its content agrees
/// (that content is compared when the artifact itself is).
///
/// Reads the safetensors container directly (header JSON + data) so it needs no
/// module under test.
public enum ArtifactComparison {
    public static func differences(_ pathA: String, _ pathB: String) throws -> [String] {
        let a = try Container(pathA), b = try Container(pathB)
        var out: [String] = []
        let keys = Set(a.metadata.keys).union(b.metadata.keys)
        for key in keys.sorted() {
            let va = a.metadata[key], vb = b.metadata[key]
            if key == "inputs" {
                let ia = try inputs(va), ib = try inputs(vb)
                if ia != ib { out.append("inputs: \(ia) vs \(ib)") }
            } else if va != vb {
                out.append("metadata \(key): \(va ?? "absent") vs \(vb ?? "absent")")
            }
        }
        if a.tensors.keys.sorted() != b.tensors.keys.sorted() {
            out.append("tensors \(a.tensors.keys.sorted()) vs \(b.tensors.keys.sorted())")
        }
        for (name, ta) in a.tensors.sorted(by: { $0.key < $1.key }) {
            guard let tb = b.tensors[name] else { continue }
            if ta.dtype != tb.dtype || ta.shape != tb.shape { out.append("\(name): \(ta.dtype)\(ta.shape) vs \(tb.dtype)\(tb.shape)") }
            else if ta.bytes != tb.bytes { out.append("\(name): contents differ") }
        }
        return out
    }

    /// "name" for artifacts, "name sha256" for other files, sorted.
    private static func inputs(_ json: String?) throws -> [String] {
        guard let json else { return [] }
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] ?? [:]
        return object.map { path, hash in
            let name = URL(fileURLWithPath: path).lastPathComponent
            return name.hasSuffix(".safetensors") ? name : "\(name) \(hash)"
        }.sorted()
    }

    private struct Tensor {
        var dtype: String
        var shape: [Int]
        var bytes: Data
    }

    private struct Container {
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]

        init(_ path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count >= 8 else { throw ComparisonError("\(path): too short for safetensors") }
            let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            guard 8 + n <= data.count,
                  let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any] else {
                throw ComparisonError("\(path): unreadable safetensors header")
            }
            let body = data.subdata(in: (8 + n)..<data.count)
            for (key, value) in header {
                if key == "__metadata__" {
                    metadata = value as? [String: String] ?? [:]
                    continue
                }
                guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                      let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                    throw ComparisonError("\(path): malformed entry \(key)")
                }
                tensors[key] = Tensor(dtype: dtype, shape: shape, bytes: body.subdata(in: offsets[0]..<offsets[1]))
            }
        }
    }

    public struct ComparisonError: Error, CustomStringConvertible {
        public let description: String
        init(_ text: String) { description = text }
    }
}
