import Testing
import Artifacts
@testable import Geometry

@Suite struct RobustEstimationTests {
    // 50 % outliers and 1 px noise on 2000 matches (1000 inliers). In general and
    // forward motion the pose is determined to about a tenth of a degree, so 1° is
    // a bound that a wrong or contaminated model cannot meet. Small baselines
    // (parallax of tens of pixels) and near-planar scenes (2 % relief) are
    // ill-conditioned: even the true inliers pin the pose only to degrees, so there
    // the bounds guard against gross failure (a wrong solution is tens of degrees
    // off) and the benchmark tracks accuracy.
    @Test(arguments: SyntheticPair.Scene.allCases)
    func recoversPoseAtHalfOutliers(scene: SyntheticPair.Scene) throws {
        for seed: UInt64 in 1...3 {
            let pair = SyntheticPair.make(scene: scene, count: 2000, noise: 1, outlierRatio: 0.5, seed: seed)
            let result = estimateRelativePose(pair.matches, intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB,
                                              options: EstimationOptions(threshold: 0.5, seed: seed))
            #expect(result.succeeded, "\(scene) seed \(seed): \(result.status)")
            let error = pair.poseError(result)
            let bound = [SyntheticPair.Scene.smallBaseline: 10.0, .nearPlanar: 3.0][scene] ?? 1.0
            #expect(error < bound, "\(scene) seed \(seed): error \(error)°")
            // Few outliers may pass as inliers: 1000 true inliers vs 1000 outliers, and
            // a random outlier lies within 0.5 px of its epipolar line with p ≈ 0.1 %.
            let wrong = zip(result.inliers, pair.isInlier).filter { $0.0 == 1 && !$0.1 }.count
            #expect(wrong < 20)
        }
    }

    @Test func sameSeedSameResult() {
        let pair = SyntheticPair.make(scene: .general, count: 1000, noise: 1, outlierRatio: 0.5, seed: 11)
        let options = EstimationOptions(seed: 5)
        let a = estimateRelativePose(pair.matches, intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB, options: options)
        let b = estimateRelativePose(pair.matches, intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB, options: options)
        #expect(a.rotation == b.rotation && a.translation == b.translation && a.inliers == b.inliers && a.iterations == b.iterations)
    }

    @Test func fundamentalWithoutIntrinsics() throws {
        let pair = SyntheticPair.make(scene: .general, count: 1000, noise: 0.5, outlierRatio: 0.3, seed: 3)
        let result = estimateRelativePose(pair.matches, intrinsicsA: nil, intrinsicsB: nil, options: EstimationOptions(threshold: 1))
        #expect(result.succeeded && result.model == .fundamental)
        // Compare F with the truth through its epipolar error on the noise-free
        // inliers: mean Sampson distance below 0.5 px at 0.5 px noise.
        let truth = SyntheticPair.make(scene: .general, count: 1000, noise: 0, outlierRatio: 0.3, seed: 3)
        let data = Correspondences(pointsA: truth.matches.pointsA, pointsB: truth.matches.pointsB)
        let f = Mat3(result.matrix)
        let errors = (0..<1000).filter { truth.isInlier[$0] }.map { sampsonSquared(f, data.xa[$0], data.ya[$0], data.xb[$0], data.yb[$0]).squareRoot() }
        #expect(errors.reduce(0, +) / Double(errors.count) < 0.5)
    }

    @Test func openCVPathMatchesTruthOnCleanData() {
        let pair = SyntheticPair.make(scene: .general, count: 500, noise: 0.5, outlierRatio: 0.2, seed: 9)
        let result = estimateRelativePose(pair.matches, intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB,
                                          options: EstimationOptions(solver: .opencv))
        #expect(result.succeeded, "\(result.status)")
        #expect(pair.poseError(result) < 2)
    }
}
