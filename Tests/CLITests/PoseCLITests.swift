import Foundation
import Testing
import TestSupport

/// `roma pose` end to end on a synthetic pair with known pose, with the SIFT
/// matcher (no weights needed), and its failure paths.
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct PoseCLITests {
    /// One rendered pair: image paths, K, and the true rotation A→B (row-major).
    static let pair: (a: String, b: String, k: String, rotation: [Double]) = {
        let folder = TestPaths.scratch("pose-cli")
        let run = try! RomaCLI.run(["synth", "-o", folder, "--pairs", "1", "--seed", "5", "--warp-size", "32"])
        precondition(run.status == 0, run.stderr)
        let line = try! String(contentsOfFile: folder + "/pairs.txt", encoding: .utf8)
            .split(separator: "\n").first { !$0.hasPrefix("#") }!
        let fields = line.split(separator: " ").map(String.init)
        let k = fields[3..<12].compactMap(Double.init)
        let t = fields[21..<37].compactMap(Double.init)
        return (folder + "/" + fields[1], folder + "/" + fields[2],
                "\(k[0]),\(k[4]),\(k[2]),\(k[5])", [t[0], t[1], t[2], t[4], t[5], t[6], t[8], t[9], t[10]])
    }()

    @Test func siftPoseRecoversTheTrueRotation() throws {
        let p = Self.pair
        let keep = TestPaths.scratch("pose-keep")
        let run = try RomaCLI.run(["pose", p.a, p.b, "--matcher", "sift", "--K-a", p.k, "--K-b", p.k, "--json", "--keep", keep])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "ok")
        #expect(json["model"] as? String == "essential")
        let r = try #require(json["R"] as? [Double])
        // Angle of R_estᵀ R_true: synthetic images are sharp and SIFT finds hundreds of
        // exact matches, so anything beyond a degree means a broken stage.
        var trace = 0.0
        for i in 0..<3 { for j in 0..<3 { trace += r[j * 3 + i] * p.rotation[j * 3 + i] } }
        let degrees = acos(max(-1, min(1, (trace - 1) / 2))) * 180 / .pi
        #expect(degrees < 1, "rotation error \(degrees)°")
        #expect((json["inliers"] as? Int ?? 0) > 50)
        #expect(json["kept"] as? [String] == [keep + "/matches.safetensors", keep + "/pose.safetensors"])
        #expect(FileManager.default.fileExists(atPath: keep + "/pose.safetensors"))
        #expect(FileManager.default.fileExists(atPath: keep + "/matches.safetensors"))
        let info = try RomaCLI.run(["info", keep + "/pose.safetensors"])
        #expect(info.stdout.contains("roma.pose/1"))
        #expect(info.stdout.range(of: #"status\s+ok"#, options: .regularExpression) != nil)
    }

    @Test func withoutIntrinsicsGivesAFundamentalMatrix() throws {
        let run = try RomaCLI.run(["pose", Self.pair.a, Self.pair.b, "--matcher", "sift"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("F =") && !run.stdout.contains("R ="))
    }

    @Test func failuresAreClear() throws {
        let missing = try RomaCLI.run(["pose", "/nonexistent/a.jpg", Self.pair.b, "--matcher", "sift"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/a.jpg"))
        let oneK = try RomaCLI.run(["pose", Self.pair.a, Self.pair.b, "--K-a", "1,1,1,1"])
        #expect(oneK.status != 0 && oneK.stderr.contains("--K-b"))
        // No weights in the cache and no download possible (curl is not on this PATH):
        // one message naming the files, the folder and how to check them.
        let cache = TestPaths.scratch("no-weights")
        let noWeights = try RomaCLI.run(["pose", Self.pair.a, Self.pair.b],
                                        environment: ["ROMA_WEIGHTS": cache, "PATH": "/nonexistent"])
        #expect(noWeights.status == 1)
        #expect(noWeights.stderr.contains("roma_outdoor.pth") && noWeights.stderr.contains("dinov2_vitl14_pretrain.pth"))
        #expect(noWeights.stderr.contains(cache) && noWeights.stderr.contains("roma weights --check"))
        // The same image twice: every match has zero disparity, so no pose has points in
        // front of both cameras; the estimate fails cleanly with exit code 3.
        let same = TestPaths.fixture("decode/textured.png")
        let degenerate = try RomaCLI.run(["pose", same, same, "--matcher", "sift", "--K-a", "100,100,45,35", "--K-b", "100,100,45,35"])
        #expect(degenerate.status == 3, "\(degenerate.stderr)")
        #expect(degenerate.stdout.contains("status: failed: degenerate"))
    }
}
