import Parallel
import Testing
import Artifacts
@testable import Geometry

@Suite struct BadInputTests {
    let k = CameraIntrinsics(fx: 1000, fy: 1000, cx: 600, cy: 450)

    func estimate(_ a: [Double], _ b: [Double], solver: PoseSolver = .ours, intrinsics: Bool = true) -> PoseResult {
        estimateRelativePose(Matches(pointsA: a, pointsB: b), intrinsicsA: intrinsics ? k : nil, intrinsicsB: intrinsics ? k : nil,
                             options: EstimationOptions(solver: solver))
    }

    @Test(arguments: PoseSolver.allCases)
    func tooFewMatches(solver: PoseSolver) {
        let r = estimate([1, 2, 3, 4, 5, 6, 7, 9], [1, 2, 3, 4, 5, 6, 7, 9], solver: solver)
        #expect(r.status.hasPrefix("failed: only 4 matches"))
        #expect(r.inliers.count == 4 && r.inlierCount == 0)
        let f = estimate((0..<12).map { Double($0 * $0) }, (0..<12).map { Double($0) }, solver: solver, intrinsics: false)
        #expect(f.status.hasPrefix("failed: only 6 matches; the fundamental matrix needs at least 7"))
    }

    @Test(arguments: PoseSolver.allCases)
    func nonFiniteCoordinates(solver: PoseSolver) {
        let pair = SyntheticPair.make(scene: .general, count: 100, noise: 0, outlierRatio: 0, seed: 1)
        var a = pair.matches.pointsA
        a[37] = .nan
        let r = estimate(a, pair.matches.pointsB, solver: solver)
        #expect(r.status == "failed: match 18 has a non-finite (NaN or infinite) coordinate")
    }

    @Test(arguments: PoseSolver.allCases)
    func allPointsEqual(solver: PoseSolver) {
        let r = estimate([Double](repeating: 300, count: 200), [Double](repeating: 200, count: 200), solver: solver)
        #expect(r.status.contains("degenerate") && r.status.contains("coincide"), "\(r.status)")
        #expect(!r.succeeded)
    }

    @Test(arguments: PoseSolver.allCases)
    func collinearPoints(solver: PoseSolver) {
        var a: [Double] = [], b: [Double] = []
        for k in 0..<100 {
            let s = Double(k)
            a += [3 * s + 10, 2 * s + 5]
            b += [2.5 * s + 40, 1.5 * s + 7]
        }
        let r = estimate(a, b, solver: solver)
        #expect(r.status.contains("collinear"), "\(r.status)")
        let f = estimate(a, b, solver: solver, intrinsics: false)
        #expect(f.status.contains("collinear"), "\(f.status)")
    }

    @Test func pureOutliersDoNotCrash() {
        // Random points with no geometry: either a clean failure or some model, never a trap.
        var rng = SplitMix64(seed: 4)
        let a = (0..<400).map { _ in rng.unit() * 1000 }, b = (0..<400).map { _ in rng.unit() * 1000 }
        let r = estimate(a, b)
        #expect(r.inliers.count == 200)
        #expect(r.rotation.allSatisfy { $0.isFinite })
    }

    @Test func oneSidedIntrinsicsAndBadOptions() {
        let pair = SyntheticPair.make(scene: .general, count: 50, noise: 0, outlierRatio: 0, seed: 1)
        let r = estimateRelativePose(pair.matches, intrinsicsA: k, intrinsicsB: nil, options: EstimationOptions())
        #expect(r.status.contains("only one image"))
        let bad = estimateRelativePose(pair.matches, intrinsicsA: k, intrinsicsB: k, options: EstimationOptions(threshold: -1))
        #expect(bad.status.contains("threshold"))
        let zeroFocal = estimateRelativePose(pair.matches, intrinsicsA: CameraIntrinsics(fx: 0, fy: 1, cx: 0, cy: 0), intrinsicsB: k,
                                             options: EstimationOptions())
        #expect(zeroFocal.status.contains("intrinsics A"))
    }
}
