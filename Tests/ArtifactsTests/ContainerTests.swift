import Artifacts
import Foundation
import Testing
import TestSupport

@Suite struct ContainerTests {
    func sample() -> Artifact {
        var a = Artifact(schema: .matches)
        a.put("kpts_a", [Float](arrayLiteral: 1, 2, 3, 4.5), shape: [2, 2])
        a.put("kpts_b", [Double](arrayLiteral: -1, 0.25, 7, 8), shape: [2, 2])
        a.put("flags", [UInt8](arrayLiteral: 1, 0, 1), shape: [3])
        a.put("ids", [Int64](arrayLiteral: -5, 1 << 40), shape: [2])
        a.put("empty", [Float](), shape: [0, 2])
        a.metadata["note"] = "ünïcode / slashes"
        return a
    }

    @Test func roundTripsEveryTypeAndMetadata() throws {
        let path = TestPaths.scratch() + "/m.safetensors"
        try sample().write(to: path)
        let back = try Artifact.read(path, expecting: .matches)
        #expect(try back.floats("kpts_a", shape: [2, 2]) == [1, 2, 3, 4.5])
        #expect(try back.doubles("kpts_b") == [-1, 0.25, 7, 8])
        #expect(try back.bytes("flags") == [1, 0, 1])
        #expect(try back.integers("ids") == [-5, 1 << 40])
        #expect(try back.tensor("empty").shape == [0, 2])
        #expect(back.metadata["note"] == "ünïcode / slashes")
        #expect(back.tensorNames == ["kpts_a", "kpts_b", "flags", "ids", "empty"])
    }

    /// The layout safetensors readers expect: u64 LE header length, JSON header
    /// padded to 8 bytes, tensors contiguous in header order.
    @Test func layoutIsSafetensors() throws {
        let data = try sample().encoded()
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(n % 8 == 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + Int(n))) as! [String: Any]
        let entry = header["kpts_a"] as! [String: Any]
        #expect(entry["dtype"] as? String == "F32")
        #expect((entry["data_offsets"] as! [Int]) == [0, 16])
        #expect((header["__metadata__"] as! [String: String])["schema"] == "roma.matches/1")
        #expect(data.count == 8 + Int(n) + 16 + 32 + 3 + 16)
    }

    /// A file written by Python's safetensors (the decode fixtures) opens here.
    @Test func readsFilesWrittenByPython() throws {
        let a = try Artifact.read(TestPaths.fixture("decode/expected.safetensors"))
        #expect(a.metadata["generator"] != nil)
        #expect(try a.tensor("small.png@224x224").shape == [224, 224, 3])
    }

    @Test func checksSchemaAndShapes() throws {
        let path = TestPaths.scratch() + "/m.safetensors"
        try sample().write(to: path)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return String(describing: error) }
        }
        #expect(message { _ = try Artifact.read(path, expecting: .pose) }.contains("expected roma.pose/1"))
        #expect(message { _ = try Artifact.read(path, expecting: Schema("roma.matches", version: 2)) }.contains("version"))
        #expect(message { _ = try Artifact.read(path).floats("kpts_a", shape: [3, 2]) }.contains("shape"))
        #expect(message { _ = try Artifact.read(path).floats("nope") }.contains("missing tensor 'nope'"))
        #expect(message { _ = try Artifact.read(path).bytes("kpts_a") }.contains("dtype F32"))
        #expect(message { _ = try Artifact.read(path + ".absent") }.contains("no such file"))
        var anonymous = Artifact(schema: .pose)
        anonymous.metadata = [:]
        #expect(message { try anonymous.require(.pose) }.contains("no 'schema'"))
    }

    @Test func userArtifactsNeedOnlySchemaAndTensors() throws {
        var a = Artifact(schema: .matches)
        a.put("kpts_a", [Double](arrayLiteral: 1, 2), shape: [1, 2])
        a.put("kpts_b", [Double](arrayLiteral: 3, 4), shape: [1, 2])
        let m = try Matches(Artifact.decode(try a.encoded()))
        #expect(m.count == 1 && m.pointsB == [3, 4] && m.certainty == nil)
    }

    @Test func typedSchemasRoundTrip() throws {
        let w = Warp(width: 2, height: 1, warpAB: [0, 0, 0.5, -0.5], warpBA: [1, 1, -1, -1], certaintyAB: [0.2, 1],
                     certaintyBA: [0, 0.5], widthA: 640, heightA: 480, widthB: 618, heightB: 640)
        let w2 = try Warp(Artifact.decode(try w.artifact.encoded()))
        // Certainties come back on the 1/65535 grid (0.2 is not on it; 0, 0.5 → 32768/65535 and 1 are within half a step).
        #expect(w2.warpAB == w.warpAB && w2.widthB == 618)
        #expect(zip(w2.certaintyAB + w2.certaintyBA, w.certaintyAB + w.certaintyBA).allSatisfy { abs($0 - $1) <= 0.5 / 65535 })
        #expect(w2.certaintyAB == w.withStoredCertainty().certaintyAB && w2.certaintyBA[0] == 0 && w2.certaintyAB[1] == 1)
        // A stored warp reads back bit for bit.
        let w3 = try Warp(Artifact.decode(try w2.artifact.encoded()))
        #expect(w3.certaintyAB == w2.certaintyAB && w3.certaintyBA == w2.certaintyBA)
        #expect(try Artifact.decode(try w.artifact.encoded()).tensor("certainty_ab").dtype == .uint16)
        var foreign = w.artifact
        foreign.put("certainty_ab", [UInt8](arrayLiteral: 1, 2), shape: [1, 2])
        #expect { try Warp(Artifact.decode(try foreign.encoded())) } throws: { "\($0)".contains("U8") && "\($0)".contains("U16") }
        var bad = w
        bad.warpAB[1] = .nan
        #expect(throws: ArtifactError.self) { try Warp(Artifact.decode(try bad.artifact.encoded())) }
        let p = PoseResult.failed("too few matches", model: .essential, matchCount: 3)
        let p2 = try PoseResult(Artifact.decode(try p.artifact.encoded()))
        #expect(p2.status == "failed: too few matches" && p2.inliers.count == 3 && !p2.succeeded)
    }

    @Test func provenanceRecordsParamsSeedAndInputHashes() throws {
        let dir = TestPaths.scratch()
        let input = dir + "/in.txt"
        try "abc".write(toFile: input, atomically: true, encoding: .utf8)
        var a = Artifact(schema: .matches)
        try a.stamp(stage: "sample", params: ["num": 5000, "mode": "threshold_balanced", "thresh": 0.05], seed: 42, inputs: [input])
        #expect(a.metadata["seed"] == "42")
        #expect(a.metadata["inputs"] == "{\"\(input)\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}")
        #expect(a.params["num"] as? Int == 5000)
        #expect(a.metadata["tool"]?.hasPrefix("roma-swift") == true)
    }
}

@Suite struct AtomicWriteTests {
    @Test func leavesNoTemporaryFilesAndReplacesWhole() throws {
        let dir = TestPaths.scratch("atomic")
        let path = dir + "/x.bin"
        try AtomicFile.write(Data(repeating: 1, count: 1000), to: path)
        try AtomicFile.write(Data(repeating: 2, count: 10), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 2, count: 10))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["x.bin"])
    }

    @Test func failureKeepsThePreviousFile() throws {
        let dir = TestPaths.scratch("atomic")
        let path = dir + "/x.bin"
        try AtomicFile.write(Data([7]), to: path)
        // A folder where the file should go makes the rename fail.
        let blocked = dir + "/sub"
        try FileManager.default.createDirectory(atPath: blocked + "/inner", withIntermediateDirectories: true)
        #expect(throws: ArtifactError.self) { try AtomicFile.write(Data([1]), to: blocked) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([7]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["sub", "x.bin"])
    }
}

@Suite struct SHA256Tests {
    // FIPS 180-2 appendix B test vectors.
    @Test func knownVectors() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = Data((0..<1000).map { UInt8($0 % 251) })
        var h = SHA256()
        h.update(bytes.prefix(63)); h.update(bytes.dropFirst(63).prefix(65)); h.update(bytes.dropFirst(128))
        #expect(h.finalize().map { String(format: "%02x", $0) }.joined() == SHA256.hex(bytes))
    }
}
