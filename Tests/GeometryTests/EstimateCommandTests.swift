import Foundation
import Testing
import Artifacts
import TestSupport
@testable import Geometry

/// `roma estimate` end to end through the built executable (skipped when it has
/// not been built next to the tests).
@Suite(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
struct EstimateCommandTests {
    func run(_ arguments: [String]) throws -> (code: Int32, stderr: String) {
        let result = try RomaCLI.run(["estimate"] + arguments)
        return (result.status, result.stderr)
    }

    func k(_ c: CameraIntrinsics) -> String { "\(c.fx),\(c.fy),\(c.cx),\(c.cy)" }

    @Test func writesPoseForAGoodPair() throws {
        let folder = TestPaths.scratch("estimate")
        let pair = SyntheticPair.make(scene: .general, count: 500, noise: 0.5, outlierRatio: 0.3, seed: 21)
        try pair.matches.artifact.write(to: folder + "/m.safetensors")
        let (code, stderr) = try run([folder + "/m.safetensors", "--K-a", k(pair.intrinsicsA), "--K-b", k(pair.intrinsicsB),
                                      "--seed", "7", "-o", folder + "/p.safetensors"])
        #expect(code == 0, "\(stderr)")
        let artifact = try Artifact.read(folder + "/p.safetensors", expecting: .pose)
        let pose = try PoseResult(artifact)
        #expect(pose.succeeded && pose.inliers.count == 500)
        #expect(pair.poseError(pose) < 1)
        #expect(artifact.metadata["seed"] == "7" && artifact.metadata["stage"] == "estimate")
    }

    @Test func failedEstimateStillWritesTheArtifact() throws {
        let folder = TestPaths.scratch("estimate")
        let few = Matches(pointsA: [1, 2, 3, 4, 5, 6], pointsB: [1, 2, 3, 4, 5, 6])
        try few.artifact.write(to: folder + "/few.safetensors")
        let (code, stderr) = try run([folder + "/few.safetensors", "--K-a", "1000,1000,500,500", "--K-b", "1000,1000,500,500",
                                      "-o", folder + "/p.safetensors"])
        #expect(code == 3)
        #expect(stderr.contains("failed: only 3 matches"))
        let pose = try PoseResult.read(folder + "/p.safetensors")
        #expect(pose.status.hasPrefix("failed: only 3 matches") && pose.inliers.count == 3)
    }

    @Test func unreadableInputFailsWithoutOutput() throws {
        let folder = TestPaths.scratch("estimate")
        let (code, stderr) = try run([folder + "/absent.safetensors", "-o", folder + "/p.safetensors"])
        #expect(code == 1 && stderr.contains("absent.safetensors: no such file"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/p.safetensors"))
        let (code2, stderr2) = try run([folder + "/absent.safetensors", "--K-a", "1,2,3", "--K-b", "1,1,0,0", "-o", folder + "/p.safetensors"])
        #expect(code2 != 0 && stderr2.contains("--K-a"))
    }
}
