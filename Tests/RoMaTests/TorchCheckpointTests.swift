import Artifacts
import Checkpoint
import Foundation
import Testing
@testable import RoMa
import TestSupport

/// The released weights are torch `.pth` files: the model must read them through
/// the checkpoint loader exactly as it reads safetensors
/// (fixtures: scripts/fixtures/make_roma_pth_fixtures.py).
struct TorchCheckpointTests {
    @Test func pthAndSafetensorsGiveTheSameWarp() throws {
        let dir = RoMaFixture.directory
        let pth = CombinedWeights(roma: try WeightFiles.open(dir + "/weights.pth"), dinov2: try WeightFiles.open(dir + "/dinov2.pth"))
        let io = try RoMaFixture.io()
        let a = try RoMaFixture.decoded(io, "a"), b = try RoMaFixture.decoded(io, "b")
        let fromPth = try RoMaModel(weights: pth, config: RoMaFixture.config).match(a, b)
        let fromSafetensors = try RoMaModel(weights: try RoMaFixture.weights(), config: RoMaFixture.config).match(a, b)
        // Same float32 values in, same computation: the outputs must agree bit for bit.
        #expect(fromPth.warpAB == fromSafetensors.warpAB)
        #expect(fromPth.certaintyBA == fromSafetensors.certaintyBA)
    }

    @Test func resolveFindsGivenFilesAndNamesMissingOnes() throws {
        let dir = RoMaFixture.directory
        let files = try WeightFiles.resolve(weights: dir + "/weights.pth", dinov2: dir + "/dinov2.pth", indoor: false)
        #expect(files.roma.hasSuffix("weights.pth") && files.dinov2.hasSuffix("dinov2.pth"))
        let empty = TestPaths.scratch("roma-cache")
        #expect { try WeightFiles.resolve(weights: nil, dinov2: nil, indoor: true, cache: WeightsCache(folder: empty), download: false) } throws: { error in
            "\(error)".contains("roma_indoor.pth") && "\(error)".contains(empty)
        }
    }
}
