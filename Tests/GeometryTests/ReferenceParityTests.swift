import Foundation
import Testing
import Artifacts
import TestSupport
@testable import Geometry

/// Parity with romatch 0.1.2's own protocol on a committed pair
/// (scripts/fixtures/make_geometry_fixtures.py): its normalised threshold and
/// its `estimate_pose` (cv2.findEssentialMat + recoverPose) output.
@Suite struct ReferenceParityTests {
    let fixture: Artifact
    let matches: Matches
    let ka: CameraIntrinsics, kb: CameraIntrinsics

    init() throws {
        let artifact = try Artifact.read(TestPaths.fixture("geometry/reference_pose.safetensors"), expecting: .matches)
        fixture = artifact
        matches = try Matches(artifact)
        ka = try Self.intrinsics(artifact, "K_a")
        kb = try Self.intrinsics(artifact, "K_b")
    }

    static func intrinsics(_ artifact: Artifact, _ name: String) throws -> CameraIntrinsics {
        try CameraIntrinsics.parse(try artifact.doubles(name, shape: [3, 3]).map { String($0) }.joined(separator: ",")).get()
    }

    func rotation(_ name: String) throws -> Mat3 { Mat3(try fixture.doubles(name, shape: [3, 3])) }
    func vector(_ name: String) throws -> SIMD3<Double> {
        let v = try fixture.doubles(name, shape: [3])
        return SIMD3(v[0], v[1], v[2])
    }

    @Test func thresholdMatchesTheBenchmarkFormula() throws {
        let reference = try fixture.doubles("norm_threshold", shape: [1])[0]
        // Same four-term means in a different summation order: a few ulps.
        #expect(abs(normalizedThreshold(pixels: 0.5, ka, kb) - reference) <= 1e-15 * reference)
    }

    @Test func openCVPathReproducesEstimatePose() throws {
        let result = estimateRelativePose(matches, intrinsicsA: ka, intrinsicsB: kb, options: EstimationOptions(solver: .opencv))
        #expect(result.succeeded)
        // The same call on the same doubles gives the same answer: OpenCV's RANSAC
        // seeds its own generator with a fixed value. Measured: identical R, t and
        // mask (Python cv2 5.0.0 for the fixture, system OpenCV 4.6 here). The
        // 1e-9 allows only for a different BLAS/compiler rounding in the SVDs; an
        // OpenCV upgrade that changes its RANSAC would fail here, on purpose.
        let referenceR = try fixture.doubles("R_ref", shape: [3, 3]), referenceT = try fixture.doubles("t_ref", shape: [3])
        #expect(zip(result.rotation, referenceR).allSatisfy { abs($0 - $1) < 1e-9 }, "R \(result.rotation) vs \(referenceR)")
        #expect(zip(result.translation, referenceT).allSatisfy { abs($0 - $1) < 1e-9 }, "t \(result.translation) vs \(referenceT)")
        let reference = try fixture.bytes("inliers_ref", shape: [matches.count])
        #expect(result.inliers == reference)
    }

    @Test func oursIsAtLeastAsAccurateAsTheReference() throws {
        let truthR = try rotation("R_gt"), truthT = try vector("t_gt")
        func error(_ r: Mat3, _ t: SIMD3<Double>) -> Double {
            max(rotationAngleDegrees(r, truthR), directionAngleDegrees(t, truthT))
        }
        let referenceError = error(try rotation("R_ref"), try vector("t_ref"))
        let ours = estimateRelativePose(matches, intrinsicsA: ka, intrinsicsB: kb, options: EstimationOptions(seed: 1))
        let oursError = error(Mat3(ours.rotation), SIMD3(ours.translation[0], ours.translation[1], ours.translation[2]))
        #expect(ours.succeeded)
        #expect(oursError <= referenceError, "ours \(oursError)° vs reference \(referenceError)°")
    }
}
