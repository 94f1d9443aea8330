import Foundation
import Testing
import TestSupport

/// `roma pose --keep` writes what the stage commands write for the same pair and
/// options: the same metadata (stage, params, seed, schema, tool version, inputs by
/// hash) and the same tensors, bit for bit. The RoMa route is covered with the
/// reduced-width fixture model in RoMaTests/PoseKeepRoMaTests.swift.
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct PoseKeepTests {
    func run(_ arguments: [String]) throws {
        let r = try RomaCLI.run(arguments)
        #expect(r.status == 0, "roma \(arguments.joined(separator: " ")): \(r.stderr)")
    }

    @Test(arguments: ["ours", "opencv"])
    func siftChainMatchesPoseKeep(solver: String) throws {
        let p = PoseCLITests.pair
        let staged = TestPaths.scratch("keep-staged-\(solver)"), kept = TestPaths.scratch("keep-pose-\(solver)")
        let k = ["--K-a", p.k, "--K-b", p.k]
        try run(["sift", p.a, p.b, "-o", staged + "/matches.safetensors", "--quiet"])
        try run(["estimate", staged + "/matches.safetensors", "--seed", "7", "--threshold", "0.75", "--solver", solver,
                 "-o", staged + "/pose.safetensors"] + k)
        try run(["pose", p.a, p.b, "--matcher", "sift", "--seed", "7", "--threshold", "0.75", "--solver", solver,
                 "--keep", kept, "--quiet"] + k)
        for file in ["matches.safetensors", "pose.safetensors"] {
            let differences = try ArtifactComparison.differences(staged + "/" + file, kept + "/" + file)
            #expect(differences.isEmpty, "\(file): \(differences)")
        }
        // The comparison itself can fail: a different seed changes the pose's metadata.
        try run(["estimate", staged + "/matches.safetensors", "--seed", "8", "--threshold", "0.75", "--solver", solver,
                 "-o", staged + "/other.safetensors"] + k)
        let other = try ArtifactComparison.differences(staged + "/other.safetensors", kept + "/pose.safetensors")
        #expect(solver == "opencv" ? other.isEmpty : other.contains { $0.hasPrefix("metadata seed") })
    }

    @Test func withoutKeepNothingIsWritten() throws {
        let p = PoseCLITests.pair
        let folder = TestPaths.scratch("keep-none")
        let before = try FileManager.default.contentsOfDirectory(atPath: folder)
        let r = try RomaCLI.run(["pose", p.a, p.b, "--matcher", "sift", "--json"], directory: URL(fileURLWithPath: folder))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == before)
    }
}
