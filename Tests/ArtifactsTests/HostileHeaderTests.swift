import Artifacts
import Foundation
import Testing

/// Issue 19 item 6 and the lenient spots the fuzzing pass found in the artifact readers.
@Suite struct HostileHeaderTests {
    /// A container with a hand-written JSON header, padded to 8 bytes, and `body` zero bytes.
    static func file(_ header: String, body: Int = 0) -> Data {
        var json = Data(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var d = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(json)
        d.append(Data(count: body))
        return d
    }

    func problem(_ data: Data) -> String? {
        do {
            _ = try Artifact.decode(data, source: "x.safetensors")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func repeatedMetadataIsRefused() {
        // Last one wins in Foundation's reader: this warp would be read as a pose.
        let text = #"{"__metadata__":{"schema":"roma.warp/2"},"__metadata__":{"schema":"roma.pose/1"}}"#
        let message = problem(Self.file(text))
        #expect(message?.contains("repeats the key '__metadata__'") == true, "\(message ?? "accepted")")
    }

    @Test func repeatedTensorNamesAreRefused() {
        let plain = #"{"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"x":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        #expect(problem(Self.file(plain, body: 8))?.contains("repeats the key 'x'") == true)
        // The same name spelt with an escape is the same key.
        let escaped = #"{"x":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"\u0078":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        #expect(problem(Self.file(escaped, body: 8))?.contains("repeats the key 'x'") == true)
        // Equal keys in different objects are fine.
        let distinct = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        #expect(problem(Self.file(distinct, body: 8)) == nil)
    }

    @Test func duplicateKeyScanner() {
        #expect(JSONDuplicateKeys.first(in: Data(#"{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}"#.utf8)) == nil)
        #expect(JSONDuplicateKeys.first(in: Data(#"{"a":"\"a\"","b":{"k":1,"k":2}}"#.utf8)) == "k")
        #expect(JSONDuplicateKeys.first(in: Data(#"{"s":"{\"a\":1,\"a\":2}"}"#.utf8)) == nil)  // inside a string value
    }

    @Test func longSchemaStringsAreCut() throws {
        var a = Artifact(schema: .warp)
        a.metadata["schema"] = String(repeating: "z", count: 100_000) + "/1"
        do {
            try Artifact.decode(a.encoded(), source: "x.safetensors").require(.warp)
            Issue.record("accepted")
        } catch {
            let text = "\(error)"
            #expect(text.count < 300 && text.contains("…"), "\(text.count) characters")
        }
        a.metadata["schema"] = String(repeating: "y", count: 100_000)
        do {
            try Artifact.decode(a.encoded(), source: "x.safetensors").require(.warp)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".count < 300)
        }
    }

    @Test func warpCoordinatesMustBeSane() throws {
        func warp(_ value: Float) -> Warp {
            var ab = [Float](repeating: 0.5, count: 2 * 2 * 2)
            ab[3] = value
            return Warp(width: 2, height: 2, warpAB: ab, warpBA: [Float](repeating: 0, count: 8),
                        certaintyAB: [1, 1, 1, 1], certaintyBA: [1, 1, 1, 1], widthA: 8, heightA: 8, widthB: 8, heightB: 8)
        }
        #expect(throws: Never.self) { try Warp(warp(1000).artifact) }
        #expect(throws: ArtifactError.self) { try Warp(warp(1e30).artifact) }
        #expect(throws: ArtifactError.self) { try Warp(warp(-1001).artifact) }
    }
}
