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

    /// Every schema reader on damaged copies of a valid artifact of its kind: each
    /// outcome is a value or an ArtifactError naming the file, never a trap. (The
    /// process-level driver, `roma-bench fuzz`, runs the same damage through `roma`.)
    @Test func schemaReadersNeverCrash() throws {
        let decoded = DecodedImage(coarse: .init(width: 4, height: 3, rgb: [UInt8](repeating: 7, count: 36)), upsampled: nil,
                                   originalWidth: 8, originalHeight: 6, sourcePath: "x.png").artifact
        let warp = Warp(width: 3, height: 2, warpAB: (0..<12).map { Float($0) / 12 }, warpBA: (0..<12).map { -Float($0) / 12 },
                        certaintyAB: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], certaintyBA: [1, 0, 1, 0, 1, 0],
                        widthA: 30, heightA: 20, widthB: 30, heightB: 20).artifact
        let matches = Matches(pointsA: [1, 2, 3, 4], pointsB: [5, 6, 7, 8], certainty: [0.5, 0.9]).artifact
        let pose = PoseResult(rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [1, 0, 0], model: .essential,
                              matrix: [Double](repeating: 0.1, count: 9), inliers: [1, 0], status: "ok", iterations: 3, score: 1).artifact
        let readers: [(String, Artifact, (Artifact) throws -> Void)] = [
            ("decoded", decoded, { _ = try DecodedImage($0) }), ("warp", warp, { _ = try Warp($0) }),
            ("matches", matches, { _ = try Matches($0) }), ("pose", pose, { _ = try PoseResult($0) }),
        ]
        var rng = Rng(s: 0x5EED_0019)
        for (name, artifact, read) in readers {
            let data = try artifact.encoded()
            try read(try Artifact.decode(data, source: name))  // the undamaged file reads
            var outcomes = (read: 0, refused: 0)
            for _ in 0..<1500 {
                var bytes = [UInt8](data)
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[i] ^= UInt8(1 << (rng.next() % 8))
                    case 1: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    default: bytes[i] = [0x00, 0xFF, UInt8(ascii: "9"), UInt8(ascii: "-")][Int(rng.next() % 4)]
                    }
                }
                do {
                    try read(try Artifact.decode(Data(bytes), source: "\(name).safetensors"))
                    outcomes.read += 1
                } catch let error as ArtifactError {
                    #expect(error.file == "\(name).safetensors")
                    outcomes.refused += 1
                }
            }
            #expect(outcomes.read > 0 && outcomes.refused > 0, "\(name): \(outcomes)")
        }
    }
}
