import Testing
@testable import Geometry

/// Problems on a given camera geometry (roma-bench geometry's MegaDepth-1500 timing):
/// the matches lie in both images and, before noise, on the true epipolar geometry;
/// the outlier share and the seed are honoured.
struct RealGeometryProblemTests {
    // MegaDepth-1500's first pair (datasets/megadepth1500/pairs.txt, id 0015_0.1_0.3-000).
    let ka = CameraIntrinsics(fx: 1579.21, fy: 1579.09, cx: 800, cy: 499)
    let kb = CameraIntrinsics(fx: 1764.98, fy: 1764.62, cx: 800, cy: 591.5)
    var pose: RelativePose {
        RelativePose(rotation: Mat3([0.9980500176404262, 0.002073281311903724, 0.062384804179764365,
                                     0.0006389397369776961, 0.999056514095326, -0.043424341096994286,
                                     -0.062415975871233036, 0.04337952452825316, 0.9971070468148066]),
                     translation: SIMD3(-0.6880655656310981, 0.22161190632498529, 1.196128283848743))
    }

    @Test func inliersFollowTheTrueGeometry() throws {
        let pair = try #require(SyntheticPair.make(intrinsicsA: ka, intrinsicsB: kb, pose: pose, count: 500, noise: 0,
                                                   outlierRatio: 0.5, seed: 3))
        #expect(pair.matches.count == 500)
        #expect(pair.isInlier.filter { !$0 }.count == 250)
        let f = trueFundamental(pair)
        for i in 0..<500 {
            let (xa, ya) = (pair.matches.pointsA[2 * i], pair.matches.pointsA[2 * i + 1])
            let (xb, yb) = (pair.matches.pointsB[2 * i], pair.matches.pointsB[2 * i + 1])
            #expect(xa >= 0 && xa < 2 * ka.cx && ya >= 0 && ya < 2 * ka.cy)
            #expect(xb >= 0 && xb < 2 * kb.cx && yb >= 0 && yb < 2 * kb.cy)
            guard pair.isInlier[i] else { continue }
            // Distance of B's point to the epipolar line F·a, in pixels: exact up to rounding.
            let line = f * SIMD3(xa, ya, 1)
            let distance = abs(line.x * xb + line.y * yb + line.z) / (line.x * line.x + line.y * line.y).squareRoot()
            #expect(distance < 1e-6, "match \(i): \(distance) px off its epipolar line")
        }
        let again = SyntheticPair.make(intrinsicsA: ka, intrinsicsB: kb, pose: pose, count: 500, noise: 0, outlierRatio: 0.5, seed: 3)
        #expect(again?.matches.pointsB == pair.matches.pointsB)
    }
}
