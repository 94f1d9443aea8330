/// A relative pose: x_B = R x_A + t, with t a unit direction.
public struct RelativePose: Sendable, Equatable {
    public var rotation: Mat3
    public var translation: SIMD3<Double>

    public init(rotation: Mat3, translation: SIMD3<Double>) {
        self.rotation = rotation
        self.translation = translation
    }

    /// E = [t]× R.
    public var essential: Mat3 { Mat3.skew(translation) * rotation }
}

/// E → the four (R, t) and the cheirality vote that picks one, as OpenCV's
/// `recoverPose` does: E = U diag(1,1,0) Vᵀ gives R ∈ {U W Vᵀ, U Wᵀ Vᵀ} and
/// t = ±u₃; the right pair puts the triangulated points in front of both cameras.
public enum EssentialDecomposition {
    /// The four candidate poses; empty if the SVD fails.
    public static func candidates(_ e: Mat3) -> [RelativePose] {
        guard let (u0, _, vt0) = Dense.svd3(e) else { return [] }
        // Proper rotations need det U = det V = +1; flipping the sign of a
        // singular vector pair only changes the sign of E, which is immaterial.
        var u = u0, vt = vt0
        if u.determinant < 0 { u = u * -1 }
        if vt.determinant < 0 { vt = vt * -1 }
        let w = Mat3(rows: SIMD3(0, -1, 0), SIMD3(1, 0, 0), SIMD3(0, 0, 1))
        let r1 = u * w * vt
        let r2 = u * w.transposed * vt
        let t = u.column(2)
        return [RelativePose(rotation: r1, translation: t), RelativePose(rotation: r1, translation: -t),
                RelativePose(rotation: r2, translation: t), RelativePose(rotation: r2, translation: -t)]
    }

    /// Depths (λ_A, λ_B) with λ_B b ≈ λ_A R a + t, in the least-squares sense; nil
    /// when the rays are parallel (no parallax).
    @inline(__always)
    static func depths(_ pose: RelativePose, _ a: SIMD3<Double>, _ b: SIMD3<Double>) -> (Double, Double)? {
        // Minimise |λ_A Ra − λ_B b + t|² over the two depths (2×2 normal equations).
        let ra = pose.rotation * a
        let m00 = dot(ra, ra), m01 = -dot(ra, b), m11 = dot(b, b)
        let r0 = -dot(ra, pose.translation), r1 = dot(b, pose.translation)
        let det = m00 * m11 - m01 * m01
        guard det > 1e-14 * m00 * m11 else { return nil }
        return ((m11 * r0 - m01 * r1) / det, (m00 * r1 - m01 * r0) / det)
    }

    /// Whether the pair triangulates in front of both cameras within `maxDepth`
    /// (depth along each optical axis in units of the baseline, as OpenCV's `distanceThresh`; the reference call uses 1e9, i.e. no limit).
    @inline(__always)
    public static func inFront(_ pose: RelativePose, _ a: SIMD3<Double>, _ b: SIMD3<Double>, maxDepth: Double = 1e9) -> Bool {
        guard let (la, lb) = depths(pose, a, b) else { return false }
        return la > 0 && lb > 0 && la < maxDepth && lb < maxDepth
    }

    /// The candidate with the most pairs (among `indices`) in front of both cameras,
    /// and that count.
    public static func recover(_ e: Mat3, _ data: Correspondences, indices: [Int]) -> (pose: RelativePose, inFront: Int)? {
        var best: (RelativePose, Int)?
        for pose in candidates(e) {
            var n = 0
            for i in indices where inFront(pose, data.a(i), data.b(i)) { n += 1 }
            if best == nil || n > best!.1 { best = (pose, n) }
        }
        return best
    }
}
