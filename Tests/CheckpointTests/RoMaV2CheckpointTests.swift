import Artifacts
import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// RoMa v2's checkpoint: what romav2's state dict pickles (bfloat16, float32 and int64
/// storages in an OrderedDict), the official file's layout, and the message a RoMa v1
/// file gets where v2's is expected, and the reverse. Fixtures from
/// scripts/fixtures/make_romav2_checkpoint_fixtures.py (torch.save itself).
@Suite struct RoMaV2CheckpointTests {
    /// romav2's key names, dtypes and container at toy sizes read back value for value
    /// (bfloat16 widens to float32 exactly; the int64 counters and `matcher.scale` read as integers).
    @Test func reducedRomav2CheckpointReadsExactly() throws {
        let dict = try StateDict.load(Fixtures.path("romav2_reduced.pt"))
        let expected = try Artifact.read(Fixtures.path("romav2_reduced_expected.safetensors"))
        #expect(Set(dict.keys) == Set(expected.tensorNames))
        #expect(dict.info("f.blocks.0.attn.qkv.weight")?.dtype == .bfloat16)
        #expect(dict.info("matcher.mv_vit.rope_embed.periods")?.dtype == .bfloat16)
        #expect(dict.info("matcher.proj.weight")?.dtype == .float32)
        #expect(dict.info("matcher.scale")?.dtype == .int64 && dict.info("matcher.scale")?.shape == [])
        for key in dict.keys {
            #expect(try dict.tensor(key).values == expected.floats(key), "\(key)")
        }
        #expect(try dict.tensor("matcher.scale").values == [16])
        #expect(try dict.tensor("refiners.4.block1.norm.num_batches_tracked").values == [321])
    }

    @Test func theOfficialFileIsKnown() {
        let v2 = OfficialWeights.romav2
        #expect(v2.fileName == "romav2.0.1.pt")
        #expect(v2.url == "https://github.com/Parskatt/RoMaV2/releases/download/v2.0.1/romav2.0.1.pt")
        // Counts printed by make_romav2_checkpoint_fixtures.py --layouts from romav2's own model.
        #expect(v2.expectedLayout.count == 907)
        #expect(v2.expectedLayout.values.map { $0.reduce(1, *) }.reduce(0, +) == 425_510_400)
        #expect(v2.expectedLayout["f.blocks.23.mlp.fc2.weight"] == [1024, 4096])
        #expect(v2.weightFile.integerKeys?.contains("matcher.scale") == true)
        #expect(v2.weightFile.integerKeys?.count == 36)
    }

    /// Every official key, shape and dtype (stride-0 views of one element each).
    @Test func aFileInTheOfficialLayoutPasses() throws {
        let dict = try StateDict.load(Fixtures.path("romav2_layout_stub.pt"))
        try dict.requireLayout(of: .romav2)
        #expect(dict.officialLayout == .romav2)
        #expect(dict.withPrefix("f.").officialLayout == .romav2)
    }

    @Test func romaV1GivenToV2IsNamed() throws {
        let v1 = try StateDict.load(Fixtures.path("roma_outdoor_layout_stub.pt"))
        #expect(v1.officialLayout == .outdoor)
        let text = Fixtures.message { try v1.requireLayout(of: .romav2) } ?? ""
        #expect(text.contains("roma_outdoor_layout_stub.pt"), "\(text)")
        #expect(text.contains("is not a RoMa v2 checkpoint (romav2.0.1.pt): it is laid out as roma_outdoor.pth, the RoMa v1 outdoor checkpoint"), "\(text)")
        #expect(text.contains("missing keys (907)"), "\(text)")
        // Reading v2's tensors by name from it says the same.
        let missing = Fixtures.message { _ = try v1.tensor("matcher.scale") } ?? ""
        #expect(missing.contains("laid out as roma_outdoor.pth, the RoMa v1 outdoor checkpoint"), "\(missing)")
    }

    @Test func romaV2GivenToV1IsNamed() throws {
        let v2 = try StateDict.load(Fixtures.path("romav2_layout_stub.pt"))
        let text = Fixtures.message { try v2.requireLayout(of: .outdoor) } ?? ""
        #expect(text.contains("is not a RoMa v1 outdoor checkpoint (roma_outdoor.pth): it is laid out as romav2.0.1.pt, the RoMa v2 checkpoint"), "\(text)")
        // RoMa v1's model asks for its tensors by name (after a prefix): the error names the file's kind.
        let missing = Fixtures.message { _ = try v2.withPrefix("encoder.cnn.").tensor("layers.0.weight", shape: [64, 3, 3, 3]) } ?? ""
        #expect(missing.contains("romav2.0.1.pt, the RoMa v2 checkpoint"), "\(missing)")
        // A file of no official layout gets no such claim.
        let reduced = try StateDict.load(Fixtures.path("romav2_reduced.pt"))
        #expect(reduced.officialLayout == nil)
        #expect(!(Fixtures.message { _ = try reduced.tensor("nope") } ?? "").contains("laid out as"))
    }

    /// `roma weights --check` on a cache holding the stand-in accepts its layout and records it.
    @Test func theCacheChecksTheLayout() throws {
        let folder = TestPaths.scratch("romav2-cache")
        let target = folder + "/romav2.0.1.pt"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: Fixtures.path("romav2_layout_stub.pt"), toPath: target)
        let status = try WeightsCache(folder: folder).verify(OfficialWeights.romav2.weightFile, hashing: false)
        #expect(status.path == target)
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: Fixtures.path("roma_outdoor_layout_stub.pt"), toPath: target)
        #expect(throws: CheckpointError.self) { try WeightsCache(folder: folder).verify(OfficialWeights.romav2.weightFile, hashing: false) }
    }
}
