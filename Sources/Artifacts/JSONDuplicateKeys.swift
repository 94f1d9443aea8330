import Foundation

/// Finds a key repeated within one JSON object. Foundation's JSON readers keep the
/// last of repeated keys without a word, so a safetensors header repeating
/// `__metadata__` (or a tensor name) would be read as whichever came last; Python's
/// safetensors refuses such files, and so does this tool.
public enum JSONDuplicateKeys {
    /// The first repeated key, or nil. Expects text that already parsed as JSON.
    public static func first(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var stack: [(keys: Set<String>, expectingKey: Bool)?] = []  // nil entries are arrays
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"): stack.append((keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","): if let top = stack.last, let object = top { stack[stack.count - 1] = (object.keys, true) }
            case UInt8(ascii: ":"): if let top = stack.last, let object = top { stack[stack.count - 1] = (object.keys, false) }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                var escaped = false
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                    i += 1
                }
                if let top = stack.last, var object = top, object.expectingKey {
                    let raw = Data(bytes[start...min(i, bytes.count - 1)])
                    // Escapes decoded, so "a" and "\u0061" count as the same key.
                    let key = escaped ? ((try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed)) as? String ?? String(decoding: raw, as: UTF8.self))
                                      : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    if !object.keys.insert(key).inserted { return key }
                    object.expectingKey = false
                    stack[stack.count - 1] = object
                }
            default: break
            }
            i += 1
        }
        return nil
    }
}
