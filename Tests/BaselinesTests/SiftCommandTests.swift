import Artifacts
import Foundation
import Testing
import TestSupport

/// `roma sift` end to end, through the built executable (skipped when it is not built).
@Suite struct SiftCommandTests {
    static func roma(_ arguments: [String]) throws -> CommandResult { try RomaCLI.run(arguments) }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func writesAStampedMatchesArtifact() throws {
        let pair = WarpedPair.shared
        let out = TestPaths.scratch("sift-cli") + "/m.safetensors"
        let run = try Self.roma(["sift", pair.a, pair.b, "-o", out, "--ratio", "0.75", "--no-mutual"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("matches"))
        let artifact = try Artifact.read(out, expecting: .matches)
        #expect(artifact.metadata["stage"] == "sift")
        let params = artifact.params
        #expect(params["ratio"] as? Double == 0.75)
        #expect(params["mutual"] as? Bool == false)
        #expect(params["search"] as? String == "blas")
        let inputs = try #require(artifact.metadata["inputs"]?.data(using: .utf8))
        let digests = try #require(try JSONSerialization.jsonObject(with: inputs) as? [String: String])
        #expect(Set(digests.keys) == [pair.a, pair.b])
        #expect(try Matches(artifact).count > 0)
    }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func badInputsExitNonZeroNamingTheProblem() throws {
        let folder = TestPaths.scratch("sift-cli-bad")
        let out = folder + "/m.safetensors"
        let missing = folder + "/missing.png"
        let run = try Self.roma(["sift", WarpedPair.shared.a, missing, "-o", out])
        #expect(run.status != 0)
        #expect(run.stderr.contains(missing) && run.stderr.contains("no such image file"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written on failure")

        let badRatio = try Self.roma(["sift", WarpedPair.shared.a, WarpedPair.shared.b, "-o", out, "--ratio", "2"])
        #expect(badRatio.status != 0)
        #expect(badRatio.stderr.contains("--ratio"), "\(badRatio.stderr)")

        let badSearch = try Self.roma(["sift", WarpedPair.shared.a, WarpedPair.shared.b, "-o", out, "--search", "kd"])
        #expect(badSearch.status != 0)
    }
}
