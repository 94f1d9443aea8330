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
            // Drawn for every scene kind, so each kind's random stream stays as it was.
            let planeNormal = SIMD3(uniform(-0.3, 0.3), uniform(-0.3, 0.3), 1.0)
            let planeDepth = uniform(near + 1, far - 1)
            let plane = scene == .nearPlanar ? (normal: planeNormal, depth: planeDepth) : nil
            if let pair = sample(ka, kb, pose, width: width, height: height, near: near, far: far, plane: plane, count: count,
                                 noise: noise, outlierRatio: outlierRatio, rng: &rng) {
                return pair
            }
            // too little overlap: draw another pose
        }
    }

    /// A problem on a given camera geometry (e.g. a MegaDepth-1500 pair's intrinsics
    /// and relative pose, whose translation is in the reconstruction's own units):
    /// images of 2·cx × 2·cy pixels, points at depths of 2–8 baselines, or 4–16, 8–32, …
    /// until `count` of them are visible in both images (wide rotations need far points).
    /// Nil when even 1024 baselines leave too little overlap.
    public static func make(intrinsicsA ka: CameraIntrinsics, intrinsicsB kb: CameraIntrinsics, pose: RelativePose,
                            count: Int, noise: Double, outlierRatio: Double, seed: UInt64) -> SyntheticPair? {
        var rng = SplitMix64(seed: seed)
        let baseline = length(pose.translation)
        var near = 2.0
        while near <= 256 {
            if let pair = sample(ka, kb, pose, width: 2 * ka.cx, height: 2 * ka.cy, widthB: 2 * kb.cx, heightB: 2 * kb.cy,
                                 near: near * baseline, far: 4 * near * baseline, plane: nil, count: count,
                                 noise: noise, outlierRatio: outlierRatio, rng: &rng) {
                return pair
            }
            near *= 2
        }
        return nil
    }

    /// `count` matches between two given cameras (image A `width`×`height`, B the same):
    /// points at depths near…far (in A's frame, scene units) or on `plane` (n·X = depth,
    /// jittered 2 %), visible in both; nil when too few are. Then outliers and noise.
    static func sample(_ ka: CameraIntrinsics, _ kb: CameraIntrinsics, _ pose: RelativePose, width: Double, height: Double,
                       widthB: Double? = nil, heightB: Double? = nil,
                       near: Double, far: Double, plane: (normal: SIMD3<Double>, depth: Double)?, count: Int,
                       noise: Double, outlierRatio: Double, rng: inout SplitMix64) -> SyntheticPair? {
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * rng.unit() }
        let widthB = widthB ?? width, heightB = heightB ?? height
        var pa: [Double] = [], pb: [Double] = []
        var attempts = 0
        while pa.count < 2 * count && attempts < 200 * count {
            attempts += 1
            let (x, y) = (uniform(0, width), uniform(0, height))
            let (u, v) = ka.normalize(x: x, y: y)
            let ray = SIMD3(u, v, 1.0)
            var depth = uniform(near, far)
            if let plane {
                // Intersect the ray with the plane n·X = depth, then jitter.
                let along = dot(plane.normal, ray)
                guard along > 0 else { continue }
                depth = plane.depth / along * (1 + uniform(-0.02, 0.02))
            }
            let xb = pose.rotation * (ray * depth) + pose.translation
            guard xb.z > 0.1 * length(pose.translation) else { continue }
            let (bx, by) = kb.project(u: xb.x / xb.z, v: xb.y / xb.z)
            guard bx >= 0, bx < widthB, by >= 0, by < heightB else { continue }
            pa += [x, y]
            pb += [bx, by]
        }
        guard pa.count == 2 * count else { return nil }

        var inlier = [Bool](repeating: true, count: count)
        let outliers = Int((Double(count) * outlierRatio).rounded())
        var order = Array(0..<count)
        for i in 0..<outliers {
            let j = i + rng.index(below: count - i)
            order.swapAt(i, j)
            let k = order[i]
            inlier[k] = false
            pb[2 * k] = uniform(0, widthB)
            pb[2 * k + 1] = uniform(0, heightB)
        }
        if noise > 0 {
            for k in 0..<2 * count {
                pa[k] += noise * rng.gaussian()
                pb[k] += noise * rng.gaussian()
            }
        }
        return SyntheticPair(matches: Matches(pointsA: pa, pointsB: pb), intrinsicsA: ka, intrinsicsB: kb, truth: pose, isInlier: inlier)
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
