import Testing
import PropertyBased
@testable import Geometry

@Suite struct DecompositionTests {
    @Test func recoverReturnsTruePose() async throws {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...3)) { seed, k in
            let (pair, data) = exactProblem(count: 50, seed: seed, scene: SyntheticPair.Scene.allCases[k])
            // The sign and scale of E are arbitrary; recovery must not depend on them.
            let e = pair.truth.essential * (seed % 2 == 0 ? 3.0 : -0.5)
            let recovered = try #require(EssentialDecomposition.recover(e, data, indices: Array(0..<50)))
            #expect(recovered.inFront == 50)
            // Rounding only. The angle comes from acos(1 − ε), which turns rounding
            // ε ~ 1e-15 into ~1e-6 degrees, so 1e-5 degrees is the honest bound.
            #expect(rotationAngleDegrees(recovered.pose.rotation, pair.truth.rotation) < 1e-5)
            #expect(length(recovered.pose.translation - pair.truth.translation) < 1e-8)
        }
    }

    @Test func fourCandidatesAreDistinctRotationsOfE() throws {
        let (pair, _) = exactProblem(count: 5, seed: 7)
        let candidates = EssentialDecomposition.candidates(pair.truth.essential)
        #expect(candidates.count == 4)
        for c in candidates {
            #expect(abs(c.rotation.determinant - 1) < 1e-12)
            #expect(projectiveDistance(c.essential, pair.truth.essential) < 1e-10)
        }
        #expect(rotationAngleDegrees(candidates[0].rotation, candidates[2].rotation) > 1)
    }

    @Test func thresholdFollowsTheStandardProtocol() {
        // romatch: 0.5 / (mean|K_a[:2,:2]| + mean|K_b[:2,:2]|); with these K the
        // means are (800+820)/4 = 405 and (1000+1000)/4 = 500.
        let a = CameraIntrinsics(fx: 800, fy: 820, cx: 1, cy: 2)
        let b = CameraIntrinsics(fx: 1000, fy: 1000, cx: 1, cy: 2)
        #expect(abs(normalizedThreshold(pixels: 0.5, a, b) - 0.5 / 905) < 1e-15)
    }

    @Test func intrinsicsParseBothForms() throws {
        let four = try CameraIntrinsics.parse("800, 810,600,450").get()
        #expect(four == CameraIntrinsics(fx: 800, fy: 810, cx: 600, cy: 450))
        let nine = try CameraIntrinsics.parse("800,0,600,0,810,450,0,0,1").get()
        #expect(nine == four)
        for bad in ["800,810,600", "a,b,c,d", "0,810,600,450", "800,0,600,1,810,450,0,0,1", "nan,1,2,3"] {
            #expect(throws: IntrinsicsError.self) { try CameraIntrinsics.parse(bad).get() }
        }
    }
}
