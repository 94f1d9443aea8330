import Artifacts
import Foundation
import Testing
@testable import Evaluation

@Suite("Pose error")
struct PoseErrorTests {
    static let identity: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]

    static func rotationZ(_ degrees: Double) -> [Double] {
        let a = degrees * .pi / 180
        return [cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1]
    }

    @Test("hand-computed rotation and folded translation errors")
    func handComputed() {
        let e = PoseMetrics.error(rotation: Self.rotationZ(7), translation: [0, 1, 0], truthRotation: Self.identity, truthTranslation: [1, 0, 0])
        #expect(abs(e.rotation - 7) < 1e-9)
        #expect(abs(e.translation - 90) < 1e-9)
        #expect(abs(e.pose - 90) < 1e-9)
        // A translation pointing backwards is the same direction up to the sign an essential matrix cannot fix.
        let flipped = PoseMetrics.error(rotation: Self.identity, translation: [-2, -0.1, 0], truthRotation: Self.identity, truthTranslation: [1, 0, 0])
        #expect(abs(flipped.translation - atan(0.05) * 180 / .pi) < 1e-9)
        #expect(flipped.rotation < 1e-6)
    }

    @Test("failed, unusable or fundamental-only estimates count as 90°")
    func failures() {
        let failed = PoseResult.failed("too few matches", model: .essential, matchCount: 3)
        #expect(PoseMetrics.error(of: failed, truthRotation: Self.identity, truthTranslation: [1, 0, 0]) == .failure)
        #expect(PoseMetrics.error(rotation: Self.identity, translation: [0, 0, 0], truthRotation: Self.identity, truthTranslation: [1, 0, 0]).failed)
        #expect(PoseMetrics.error(rotation: Self.identity, translation: [.nan, 0, 1], truthRotation: Self.identity, truthTranslation: [1, 0, 0]).pose == 90)
        var fundamental = PoseResult(rotation: Self.identity, translation: [1, 0, 0], model: .fundamental, matrix: Self.identity,
                                     inliers: [1], status: "ok", iterations: 1, score: 1)
        #expect(PoseMetrics.error(of: fundamental, truthRotation: Self.identity, truthTranslation: [1, 0, 0]).failed)
        fundamental.model = .essential
        #expect(PoseMetrics.error(of: fundamental, truthRotation: Self.identity, truthTranslation: [1, 0, 0]).pose < 1e-6)
    }

    @Test("matches romatch's compute_pose_error on the committed fixtures")
    func reference() throws {
        let fixture = try Fixture.load()
        #expect(fixture.pose_cases.count >= 20)
        for c in fixture.pose_cases {
            let e = PoseMetrics.error(rotation: c.R_est, translation: c.t_est, truthRotation: c.R_gt, truthTranslation: c.t_gt)
            // Same formulas (clipped arccos); float rounding near cos = ±1 is ~1e-7° at worst.
            #expect(abs(e.rotation - c.error_R) < 1e-6)
            #expect(abs(e.translation - c.error_t) < 1e-6)
        }
    }
}
