import Parallel
import Artifacts
import Foundation

/// Two-view problems with known truth, for tests and `roma-bench geometry`:
/// random cameras and poses, 3D points visible in both images, Gaussian pixel
/// noise and uniformly random outliers. Fully determined by the seed.
public struct SyntheticPair: Sendable {
    public enum Scene: String, Sendable, CaseIterable {
        /// Rotation up to 30°, translation in any direction, depths 2–8 baselines.
        case general
        /// Motion mostly along the optical axis (epipole inside the image).
        case forward
        /// Baseline 4–7 % of the scene depth: little parallax.
        case smallBaseline = "small-baseline"
        /// Points within 2 % of a tilted plane.
        case nearPlanar = "near-planar"
    }

    public var matches: Matches
    public var intrinsicsA: CameraIntrinsics
    public var intrinsicsB: CameraIntrinsics
    public var truth: RelativePose
    /// Which matches were generated as inliers (before noise).
    public var isInlier: [Bool]

    public static let width = 1200.0
    public static let height = 900.0

    public static func make(scene: Scene, count: Int, noise: Double, outlierRatio: Double, seed: UInt64) -> SyntheticPair {
        var rng = SplitMix64(seed: seed)
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * rng.unit() }
        func randomUnit() -> SIMD3<Double> {
            let v = SIMD3(rng.gaussian(), rng.gaussian(), rng.gaussian())
            return v / length(v)
        }
        func camera() -> CameraIntrinsics {
            let f = uniform(700, 1300)
            return CameraIntrinsics(fx: f, fy: f * uniform(0.98, 1.02), cx: width / 2 + uniform(-20, 20), cy: height / 2 + uniform(-20, 20))
        }
        while true {
            let ka = camera(), kb = camera()
            let pose: RelativePose
            switch scene {
            case .general, .nearPlanar:
                pose = RelativePose(rotation: Mat3.rotation(axis: randomUnit(), angle: uniform(0, 30) * .pi / 180), translation: randomUnit())
            case .forward:
                let t = SIMD3(uniform(-0.15, 0.15), uniform(-0.15, 0.15), rng.unit() < 0.5 ? -1.0 : 1.0)
                pose = RelativePose(rotation: Mat3.rotation(axis: randomUnit(), angle: uniform(0, 10) * .pi / 180), translation: t / length(t))
            case .smallBaseline:
                pose = RelativePose(rotation: Mat3.rotation(axis: randomUnit(), angle: uniform(0, 20) * .pi / 180), translation: randomUnit())
            }
            // Scene scale: depths in baselines (the translation has unit length).
            let (near, far): (Double, Double) = scene == .smallBaseline ? (15, 25) : (2, 8)
            let planeNormal = SIMD3(uniform(-0.3, 0.3), uniform(-0.3, 0.3), 1.0)
            let planeDepth = uniform(near + 1, far - 1)

            var pa: [Double] = [], pb: [Double] = []
            var attempts = 0
            while pa.count < 2 * count && attempts < 200 * count {
                attempts += 1
                let (x, y) = (uniform(0, width), uniform(0, height))
                let (u, v) = ka.normalize(x: x, y: y)
                let ray = SIMD3(u, v, 1.0)
                var depth = uniform(near, far)
                if scene == .nearPlanar {
                    // Intersect the ray with the plane n·X = planeDepth, then jitter 1 %.
                    let along = dot(planeNormal, ray)
                    guard along > 0 else { continue }
                    depth = planeDepth / along * (1 + uniform(-0.02, 0.02))
                }
                let xb = pose.rotation * (ray * depth) + pose.translation
                guard xb.z > 0.1 else { continue }
                let (bx, by) = kb.project(u: xb.x / xb.z, v: xb.y / xb.z)
                guard bx >= 0, bx < width, by >= 0, by < height else { continue }
                pa += [x, y]
                pb += [bx, by]
            }
            guard pa.count == 2 * count else { continue }  // too little overlap: draw another pose

            var inlier = [Bool](repeating: true, count: count)
            let outliers = Int((Double(count) * outlierRatio).rounded())
            var order = Array(0..<count)
            for i in 0..<outliers {
                let j = i + rng.index(below: count - i)
                order.swapAt(i, j)
                let k = order[i]
                inlier[k] = false
                pb[2 * k] = uniform(0, width)
                pb[2 * k + 1] = uniform(0, height)
            }
            if noise > 0 {
                for k in 0..<2 * count {
                    pa[k] += noise * rng.gaussian()
                    pb[k] += noise * rng.gaussian()
                }
            }
            return SyntheticPair(matches: Matches(pointsA: pa, pointsB: pb), intrinsicsA: ka, intrinsicsB: kb, truth: pose, isInlier: inlier)
        }
    }

    /// max(rotation error, translation-direction error) in degrees, the quantity the
    /// pose AUC integrates; 90° for a failed estimate.
    public func poseError(_ result: PoseResult) -> Double {
        guard result.succeeded, result.model == .essential else { return 90 }
        let r = Mat3(result.rotation)
        let t = SIMD3(result.translation[0], result.translation[1], result.translation[2])
        return max(rotationAngleDegrees(r, truth.rotation), directionAngleDegrees(t, truth.translation))
    }
}
