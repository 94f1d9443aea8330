import Foundation

extension Artifact {
    /// Human-readable description for `roma info`: schema, metadata and tensor shapes.
    public var summary: String {
        var lines: [String] = []
        lines.append("file:    \(source)")
        lines.append("schema:  \(metadata["schema"] ?? "(none)")")
        let others = metadata.keys.filter { $0 != "schema" }.sorted()
        if !others.isEmpty {
            lines.append("metadata:")
            let width = others.map(\.count).max() ?? 0
            for key in others {
                lines.append("  \(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(metadata[key]!)")
            }
        }
        lines.append("tensors:")
        for name in tensorNames {
            guard let t = try? tensor(name) else { continue }
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            lines.append("  \(name): \(t.dtype.rawValue) \(shape)  (\(t.bytes.count) bytes)")
        }
        return lines.joined(separator: "\n")
    }
}
