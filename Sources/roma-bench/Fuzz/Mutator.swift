import Foundation
import Parallel

/// Seeded damage to a valid input. Every choice comes from one SplitMix64 stream, so a
/// (seed, case) pair names the exact bytes a failure was found with.
struct Mutator {
    var random: SplitMix64
    /// Whether the last `binary` call cut the input short: a truncated image or
    /// container is never valid, so such a case must be refused.
    private(set) var truncated = false

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(random.next() % UInt64(n)) }

    /// 1–4 byte-level edits, half of them in the first and last 600 bytes where
    /// headers, chunk tables and zip directories live; one case in six is cut short.
    mutating func binary(_ input: Data) -> Data {
        var bytes = [UInt8](input)
        for _ in 0..<(1 + below(4)) where !bytes.isEmpty {
            let at: Int
            switch below(4) {
            case 0: at = below(min(600, bytes.count))
            case 1: at = bytes.count - 1 - below(min(600, bytes.count))
            default: at = below(bytes.count)
            }
            switch below(6) {
            case 0: bytes[at] ^= UInt8(1 << below(8))
            case 1: bytes[at] = 0xFF
            case 2: bytes[at] = 0x00
            case 3:  // a run copied elsewhere: repeated chunks, markers, keys
                let length = 1 + below(min(64, bytes.count - at))
                let run = Array(bytes[at..<at + length])
                bytes.insert(contentsOf: run, at: below(bytes.count))
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
            default: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            }
        }
        truncated = false
        if below(6) == 0, bytes.count > 1 {
            bytes.removeLast(1 + below(bytes.count - 1))
            truncated = true
        }
        return Data(bytes)
    }

    /// Tokens a hostile or careless user puts where a number or a path belongs.
    static let hostileTokens = [
        "0x10", "51\u{0}2", "nan", "inf", "-inf", "1e400", "-0", "1_000", "١٢", "", "1,5", "+", ".", "1e", "--1",
        String(repeating: "9", count: 4000), "/", "/dev/zero", ".", "..", "id=", "id=a/b", "#", "\u{FEFF}1", "0 0 0",
    ]

    /// 1–3 edits on whitespace-separated fields: a field replaced by a hostile token,
    /// a file name replaced by one of `paths` (a folder, a missing file, …), a line
    /// dropped or repeated, a field dropped; sometimes byte damage on top.
    mutating func text(_ input: String, paths: [String] = []) -> Data {
        var lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let tokens = Self.hostileTokens + paths
        for _ in 0..<(1 + below(3)) where !lines.isEmpty {
            // Lines with several fields (records, JSON members) rather than comments and blanks.
            let records = lines.indices.filter { lines[$0].split(separator: " ").count > 1 && !lines[$0].hasPrefix("#") }
            let row = records.isEmpty ? below(lines.count) : records[below(records.count)]
            var fields = lines[row].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let names = fields.indices.filter { fields[$0].contains(".png") || fields[$0].contains(".jpg") }
            switch below(6) {
            case 4 where !names.isEmpty && !paths.isEmpty, 5 where !names.isEmpty && !paths.isEmpty:
                fields[names[below(names.count)]] = paths[below(paths.count)]
                lines[row] = fields.joined(separator: " ")
            case 0: lines.remove(at: row)
            case 1: lines.insert(lines[row], at: row)
            case 2: if !fields.isEmpty { fields.remove(at: below(fields.count)) }; lines[row] = fields.joined(separator: " ")
            default: if !fields.isEmpty { fields[below(fields.count)] = tokens[below(tokens.count)] }; lines[row] = fields.joined(separator: " ")
            }
        }
        let data = Data(lines.joined(separator: "\n").utf8)
        truncated = false
        return below(4) == 0 ? binary(data) : data
    }
}
