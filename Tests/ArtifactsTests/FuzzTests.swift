import Artifacts
import Foundation
import Testing

/// Malformed files must be rejected with an ArtifactError, never crash or
/// allocate beyond the file's size.
@Suite struct ReaderFuzzTests {
    static func valid() throws -> Data {
        var a = Artifact(schema: .warp)
        a.put("warp_ab", (0..<24).map { Float($0) / 24 }, shape: [2, 3, 4])
        a.put("certainty_ab", [UInt8](repeating: 3, count: 6), shape: [2, 3])
        a.metadata["width_a"] = "10"
        return try a.encoded()
    }

    /// Deterministic xorshift so failures reproduce.
    struct Rng { var s: UInt64; mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s } }

    @Test func everyTruncationIsRejected() throws {
        let data = try Self.valid()
        for length in 0..<data.count {
            #expect(throws: ArtifactError.self, "length \(length)") { _ = try Artifact.decode(data.prefix(length)) }
        }
    }

    @Test func bitFlipsNeverCrash() throws {
        let data = try Self.valid()
        var rng = Rng(s: 0x9E3779B97F4A7C15)
        var rejected = 0
        for _ in 0..<3000 {
            var bytes = [UInt8](data)
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(1 << (rng.next() % 8))
            }
            do {
                let a = try Artifact.decode(Data(bytes))
                // Flips inside tensor bytes or harmless JSON spots still decode: the result must be self-consistent.
                for name in a.tensorNames {
                    let t = try a.tensor(name)
                    #expect(t.count * t.dtype.byteSize == t.bytes.count)
                }
            } catch is ArtifactError {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test func oversizedAndHostileHeadersAreRejected() throws {
        func file(headerLength: UInt64, header: String, body: Int = 0) -> Data {
            var d = Data()
            withUnsafeBytes(of: headerLength.littleEndian) { d.append(contentsOf: $0) }
            d.append(Data(header.utf8))
            d.append(Data(count: body))
            return d
        }
        let cases: [(String, Data)] = [
            ("huge header length", file(headerLength: UInt64.max, header: "{}")),
            ("header past end", file(headerLength: 1 << 20, header: "{}")),
            ("not json", file(headerLength: 4, header: "{abc")),
            ("not an object", file(headerLength: 2, header: "[]")),
            ("huge shape", file(headerLength: 80, header: #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#.padding(toLength: 80, withPad: " ", startingAt: 0), body: 16)),
            ("negative shape", file(headerLength: 64, header: #"{"x":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#.padding(toLength: 64, withPad: " ", startingAt: 0), body: 16)),
            ("unknown dtype", file(headerLength: 64, header: #"{"x":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#.padding(toLength: 64, withPad: " ", startingAt: 0), body: 16)),
            ("offsets past end", file(headerLength: 64, header: #"{"x":{"dtype":"U8","shape":[32],"data_offsets":[0,32]}}"#.padding(toLength: 64, withPad: " ", startingAt: 0), body: 16)),
            ("overlap", file(headerLength: 112, header: #"{"x":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"y":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}"#.padding(toLength: 112, withPad: " ", startingAt: 0), body: 12)),
            ("metadata not strings", file(headerLength: 32, header: #"{"__metadata__":{"a":1}}"#.padding(toLength: 32, withPad: " ", startingAt: 0))),
            ("trailing bytes", file(headerLength: 8, header: "{}      ", body: 5)),
        ]
        for (label, data) in cases {
            #expect(throws: ArtifactError.self, "\(label)") { _ = try Artifact.decode(data, source: label) }
        }
    }
}
