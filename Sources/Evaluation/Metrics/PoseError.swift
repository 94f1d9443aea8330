import Artifacts
import Foundation

/// Angular error of one relative-pose estimate against the ground truth, in degrees.
///
/// Definitions follow `compute_pose_error` in romatch/utils/utils.py (romatch 0.1.2):
/// rotation error is the angle of R_estᵀ·R_gt; translation error is the angle between
/// the two directions, folded as min(e, 180° − e) because an essential matrix fixes
/// t only up to sign; the pose error is the larger of the two.
public struct PoseError: Sendable, Equatable {
    public var rotation: Double
    public var translation: Double
    /// True when the estimate failed (or was unusable) and was counted as 90°.
    public var failed: Bool

    public init(rotation: Double, translation: Double, failed: Bool = false) {
        self.rotation = rotation
        self.translation = translation
        self.failed = failed
    }

    public var pose: Double { max(rotation, translation) }

    /// What benchmarks record for a failed estimate (the reference's `except` branch).
    public static let failure = PoseError(rotation: 90, translation: 90, failed: true)
}

public enum PoseMetrics {
    /// Angle in degrees of the rotation taking `a` to `b` (row-major 3×3 each).
    public static func rotationAngle(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == 9 && b.count == 9, "rotations are 3×3")
        // trace(aᵀ b) = Σ a_ij b_ij
        var trace = 0.0
        for i in 0..<9 { trace += a[i] * b[i] }
        let cosine = min(1, max(-1, (trace - 1) / 2))
        return acos(cosine) * 180 / .pi
    }

    /// Angle in degrees between two 3-vectors, folded to [0°, 90°].
    /// Nil when either vector has zero length (no direction to compare).
    public static func foldedDirectionAngle(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == 3 && b.count == 3, "translations are 3-vectors")
        let norms = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]) * sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
        guard norms > 0, norms.isFinite else { return nil }
        let cosine = min(1, max(-1, (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / norms))
        let angle = acos(cosine) * 180 / .pi
        return min(angle, 180 - angle)
    }

    /// Error of an estimated pose (R, t) against the ground truth (R, t).
    ///
    /// A zero or non-finite estimated translation, or a non-finite rotation, counts as
    /// a failure (90°): the reference would produce NaN there, which sorts after every
    /// threshold and so is equally a miss. A ground-truth translation of zero length
    /// (pure rotation) leaves the direction undefined: its translation error is 0.
    public static func error(rotation: [Double], translation: [Double], truthRotation: [Double], truthTranslation: [Double]) -> PoseError {
        guard rotation.allSatisfy(\.isFinite), translation.allSatisfy(\.isFinite) else { return .failure }
        let rotationError = rotationAngle(rotation, truthRotation)
        let truthNorm = truthTranslation.reduce(0) { $0 + $1 * $1 }
        if truthNorm == 0 { return PoseError(rotation: rotationError, translation: 0) }
        guard let translationError = foldedDirectionAngle(translation, truthTranslation) else { return .failure }
        return PoseError(rotation: rotationError, translation: translationError)
    }

    /// Error of a pose artifact; an estimate whose status is not "ok" counts as 90°.
    public static func error(of estimate: PoseResult, truthRotation: [Double], truthTranslation: [Double]) -> PoseError {
        guard estimate.succeeded, estimate.model == .essential else { return .failure }
        return error(rotation: estimate.rotation, translation: estimate.translation,
                     truthRotation: truthRotation, truthTranslation: truthTranslation)
    }
}
