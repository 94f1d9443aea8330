import Foundation
import Testing
import TestSupport
@testable import Evaluation

@Suite("Pose AUC and accuracy")
struct PoseAUCTests {
    @Test("hand-computed AUC of three errors")
    func handComputed() {
        // Curve (0,0) (1,1/3) (2,2/3), then flat at 2/3:
        // to 5°:  1·(1/6) + 1·(1/2) + 3·(2/3) = 8/3   → 8/15
        // to 10°: 1/6 + 1/2 + 8·(2/3)       = 6     → 0.6
        // to 20°: 1/6 + 1/2 + 18·(2/3)      = 38/3  → 19/30
        let auc = PoseAUC.auc([30, 1, 2])
        #expect(abs(auc[0] - 8.0 / 15) < 1e-12)
        #expect(abs(auc[1] - 0.6) < 1e-12)
        #expect(abs(auc[2] - 19.0 / 30) < 1e-12)
        let twoThirds: Double = 2.0 / 3
        #expect(PoseAUC.accuracy([30, 1, 2]) == [twoThirds, twoThirds, twoThirds])
    }

    @Test("an error exactly at the threshold does not count below it")
    func boundary() {
        #expect(PoseAUC.auc([5], thresholds: [5]) == [0])
        #expect(PoseAUC.accuracy([5], thresholds: [5]) == [0])
        // All errors zero: full area.
        #expect(PoseAUC.auc([0, 0]) == [1, 1, 1])
        // Failures only.
        #expect(PoseAUC.auc([90, 90]) == [0, 0, 0])
        #expect(PoseAUC.auc([]) == [0, 0, 0])
    }

    @Test("NaN counts as a miss, as it sorts last in numpy")
    func nanIsMiss() {
        #expect(PoseAUC.auc([1, .nan]) == PoseAUC.auc([1, 1000]))
    }

    @Test("matches romatch's pose_auc on the committed fixtures")
    func reference() throws {
        let fixture = try Fixture.load()
        #expect(fixture.auc_cases.count >= 10)
        for c in fixture.auc_cases {
            // Same formula in double precision; only summation order differs, so 1e-10 is ample.
            let auc = PoseAUC.auc(c.errors, thresholds: fixture.thresholds)
            for (ours, theirs) in zip(auc, c.auc) { #expect(abs(ours - theirs) < 1e-10, "errors \(c.errors.prefix(5))…") }
            #expect(PoseAUC.accuracy(c.errors, thresholds: fixture.thresholds) == c.accuracy)
        }
    }
}

/// Tests/Fixtures/evaluation/auc_reference.json, written by scripts/fixtures/make_auc_fixtures.py.
struct Fixture: Decodable {
    struct AUCCase: Decodable { var errors: [Double]; var auc: [Double]; var accuracy: [Double] }
    struct PoseCase: Decodable {
        var R_gt: [Double], t_gt: [Double], R_est: [Double], t_est: [Double]
        var error_t: Double, error_R: Double
    }
    var thresholds: [Double]
    var auc_cases: [AUCCase]
    var pose_cases: [PoseCase]

    static func load() throws -> Fixture {
        let path = TestPaths.fixture("evaluation/auc_reference.json")
        let data = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        return try JSONDecoder().decode(Fixture.self, from: data)
    }
}
