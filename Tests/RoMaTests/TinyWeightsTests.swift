import Artifacts
import Checkpoint
import Foundation
import Testing
@testable import RoMa
import TestSupport

/// Tiny RoMa's checkpoints: the official layouts (generated from romatch's and
/// XFeat's own modules) and the messages a wrong file gets.
@Suite struct TinyWeightsTests {
    /// A safetensors state dict with exactly `layout`'s keys and shapes (zeros).
    func stateDict(_ layout: [String: [Int]], dropping: (String) -> Bool = { _ in false }) throws -> StateDict {
        var a = Artifact(schema: .warp)   // any schema: the checkpoint reader ignores metadata
        for (key, shape) in layout where !dropping(key) {
            if key.hasSuffix("num_batches_tracked") {
                a.put(key, [Int64(0)], shape: shape)
            } else {
                a.put(key, [Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
            }
        }
        let path = TestPaths.scratch("tiny-weights") + "/w.safetensors"
        try a.write(to: path)
        return try StateDict.load(path)
    }

    @Test func layoutsHaveTheReferenceCounts() {
        // Counts printed by scripts/fixtures/make_tiny_fixtures.py --layouts from the modules' state dicts.
        let tiny = OfficialWeights.tiny.expectedLayout, xfeat = OfficialWeights.xfeat.expectedLayout
        #expect(tiny.count == 112 && tiny.values.map { $0.reduce(1, *) }.reduce(0, +) == 2_847_180)
        #expect(xfeat.count == 122 && xfeat.values.map { $0.reduce(1, *) }.reduce(0, +) == 1_551_625)
        #expect(tiny["coarse_matcher.0.layer.0.weight"] == [256, 130, 3, 3])
        #expect(tiny["xfeat.0.block5.3.layer.0.weight"] == xfeat["block5.3.layer.0.weight"])
        #expect(OfficialWeights.tiny.fileName == "tiny_roma_v1_outdoor.pth" && OfficialWeights.xfeat.fileName == "xfeat.pt")
    }

    @Test func officialLayoutBindsAndFixtureWidthsAreRead() throws {
        let weights = try TinyWeights(tiny: try stateDict(OfficialWeights.tiny.expectedLayout), xfeat: nil)
        #expect(weights.architecture == .official)
        #expect(try TinyRoMaModel(weights: weights).architecture == .official)
        let fixture = try TinyWeights(tiny: try StateDict.load(TinyFixture.directory + "/weights.safetensors"), xfeat: nil)
        #expect(fixture.architecture == TinyFixture.architecture)
    }

    @Test func foreignCheckpointIsNamed() throws {
        let xfeatFile = try stateDict(OfficialWeights.xfeat.expectedLayout)
        let error = #expect(throws: CheckpointError.self) { try TinyWeights(tiny: xfeatFile, xfeat: nil) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(xfeatFile.file) && text.contains("is not a Tiny RoMa v1 checkpoint"))
        #expect(text.contains("it is laid out as xfeat.pt"))
    }

    @Test func badShapeIsReported() throws {
        var layout = OfficialWeights.tiny.expectedLayout
        layout["fine_matcher.4.weight"] = [3, 64, 3, 3]
        let error = #expect(throws: CheckpointError.self) { try TinyWeights(tiny: try stateDict(layout), xfeat: nil) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("fine_matcher.4.weight: expected [3, 64, 1, 1], found [3, 64, 3, 3]"))
    }

    @Test func xfeatComesFromItsOwnFileWhenTheCheckpointLacksIt() throws {
        let withoutXFeat = try stateDict(OfficialWeights.tiny.expectedLayout) { $0.hasPrefix("xfeat.0.") }
        #expect(throws: RoMaError.self) { try TinyWeights(tiny: withoutXFeat, xfeat: nil) }
        let weights = try TinyWeights(tiny: withoutXFeat, xfeat: try stateDict(OfficialWeights.xfeat.expectedLayout))
        #expect(try weights.tensor("xfeat.0.skip1.1.bias", shape: [24]) == [Float](repeating: 0, count: 24))
        // A foreign "xfeat" file is named too.
        #expect(throws: CheckpointError.self) {
            try TinyWeights(tiny: withoutXFeat, xfeat: try stateDict(OfficialWeights.xfeat.expectedLayout) { $0.hasPrefix("block5") })
        }
    }
}
