import Artifacts
import Testing
@testable import RoMa
import TestSupport

/// `symmetric = false` (the reference's symmetric=False) runs only A→B. In eval mode
/// every module works per sample, so the reference's A→B is the same with or without
/// the B→A half of the batch; ours must be too, and B→A must be empty.
struct SymmetryTests {
    @Test func oneDirectionGivesTheSymmetricRunsAToB() throws {
        let weights = try RoMaFixture.weights()
        let a = try RoMaFixture.decoded(try RoMaFixture.io(), "a"), b = try RoMaFixture.decoded(try RoMaFixture.io(), "b")
        let both = try RoMaModel(weights: weights, config: RoMaFixture.config).match(a, b)
        var config = RoMaFixture.config
        config.symmetric = false
        let one = try RoMaModel(weights: weights, config: config).match(a, b)
        // Same operations on the same inputs in the same order: identical, not merely close.
        #expect(one.warpAB == both.warpAB)
        #expect(one.certaintyAB == both.certaintyAB)
        #expect(one.certaintyBA.allSatisfy { $0 == 0 } && one.warpBA.allSatisfy { $0 == 0 })
        #expect(both.certaintyBA.contains { $0 > 0 }, "the symmetric run's B→A is not empty")
    }
}
