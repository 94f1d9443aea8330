@testable import Geometry

/// Noise-free correspondences on the normalised planes, with the true pose.
func exactProblem(count: Int, seed: UInt64, scene: SyntheticPair.Scene = .general) -> (SyntheticPair, Correspondences) {
    let pair = SyntheticPair.make(scene: scene, count: count, noise: 0, outlierRatio: 0, seed: seed)
    let data = Correspondences(pointsA: pair.matches.pointsA, pointsB: pair.matches.pointsB,
                               intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB)
    return (pair, data)
}

/// Distance between two epipolar matrices up to scale and sign (both normalised).
func projectiveDistance(_ a: Mat3, _ b: Mat3) -> Double {
    let na = a.normalized, nb = b.normalized
    return min((na - nb).frobeniusNorm, (na + nb).frobeniusNorm)
}

/// F = K_B⁻ᵀ E K_A⁻¹ for the pair's truth.
func trueFundamental(_ pair: SyntheticPair) -> Mat3 {
    func inverse(_ k: CameraIntrinsics) -> Mat3 {
        // K⁻¹ of an upper-triangular K with zero skew.
        Mat3(rows: SIMD3(1 / k.fx, 0, -k.cx / k.fx), SIMD3(0, 1 / k.fy, -k.cy / k.fy), SIMD3(0, 0, 1))
    }
    return inverse(pair.intrinsicsB).transposed * pair.truth.essential * inverse(pair.intrinsicsA)
}
