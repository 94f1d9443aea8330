import Artifacts
import Testing
@testable import Evaluation

/// Warp quality of a matcher run one way (Tiny RoMa, RoMa --no-symmetric): the empty
/// B→A direction is not scored as a wrong prediction.
@Suite struct OneWayWarpQualityTests {
    @Test func emptyDirectionIsSkipped() throws {
        let truth = Synthetic.renderPair(index: 0, options: SyntheticTests.small).warp
        var oneWay = truth
        oneWay.warpBA = oneWay.warpBA.map { _ in 0 }
        oneWay.certaintyBA = oneWay.certaintyBA.map { _ in 0 }
        let visibleAB = truth.certaintyAB.filter { $0 > 0.5 }.count
        #expect(visibleAB > 0)
        #expect(try WarpQuality.compare(predicted: oneWay, truth: truth) == WarpQuality(endPointError: 0, pck: [1, 1, 1], validCells: visibleAB))
    }
}
