import Artifacts
import Foundation
import Geometry

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
    /// Error of an estimated pose (R, t) against the ground truth (R, t).
    ///
    /// A zero or non-finite estimated translation, or a non-finite rotation, counts as
    /// a failure (90°): the reference would produce NaN there, which sorts after every
    /// threshold and so is equally a miss. A ground-truth translation of zero length
    /// (pure rotation) leaves the direction undefined: its translation error is 0.
    public static func error(rotation: [Double], translation: [Double], truthRotation: [Double], truthTranslation: [Double]) -> PoseError {
        precondition(rotation.count == 9 && truthRotation.count == 9 && translation.count == 3 && truthTranslation.count == 3,
                     "rotations are 3×3, translations 3-vectors")
        guard rotation.allSatisfy(\.isFinite), translation.allSatisfy(\.isFinite) else { return .failure }
        let rotationError = rotationAngleDegrees(Mat3(rotation), Mat3(truthRotation))
        let t = SIMD3(translation[0], translation[1], translation[2])
        let truth = SIMD3(truthTranslation[0], truthTranslation[1], truthTranslation[2])
        if length(truth) == 0 { return PoseError(rotation: rotationError, translation: 0) }
        guard length(t) > 0, length(t).isFinite, length(truth).isFinite else { return .failure }
        return PoseError(rotation: rotationError, translation: directionAngleDegrees(t, truth))
    }

    /// Error of a pose artifact; an estimate whose status is not "ok" counts as 90°.
    public static func error(of estimate: PoseResult, truthRotation: [Double], truthTranslation: [Double]) -> PoseError {
        guard estimate.succeeded, estimate.model == .essential else { return .failure }
        return error(rotation: estimate.rotation, translation: estimate.translation,
                     truthRotation: truthRotation, truthTranslation: truthTranslation)
    }
}
