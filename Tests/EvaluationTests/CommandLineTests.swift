import Foundation
import Testing
import TestSupport
@testable import Evaluation

/// The `roma synth`, `roma evaluate` and `roma report` commands end to end, through
/// the built executable (skipped when it has not been built).
@Suite("Command line", .enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
struct CommandLineTests {
    static func roma(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
        try RomaCLI.run(arguments, environment: environment, directory: TestPaths.packageRoot)
    }

    @Test("synth → prepare → evaluate → report")
    func endToEnd() throws {
        let folder = TestPaths.scratch("cli")
        let synth = try Self.roma(["synth", "-o", folder + "/data", "--pairs", "2", "--width", "100", "--height", "75", "--warp-size", "24", "--seed", "3"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let prepare = try Self.roma(["evaluate", "prepare", "synthetic", "--data", folder + "/data", "-o", folder + "/run/pairs.json",
                                     "--makefile", folder + "/run/pairs.mk"])
        #expect(prepare.status == 0, "\(prepare.stderr)")
        let manifest = try BenchmarkManifest.read(folder + "/run/pairs.json")
        #expect(manifest.pairs.count == 2 && manifest.pairs[0].widthA == 100)
        let fragment = try String(contentsOfFile: folder + "/run/pairs.mk", encoding: .utf8)
        #expect(fragment.contains("EVAL_PAIRS := 0000 0001") && fragment.contains("EVAL_ESTIMATE_ARGS_0001 := --K-a 80.0,80.0,50.0,37.5"))
        for pair in manifest.pairs {
            for r in 0..<5 {
                try SmallRun.pose(pair, rotatedBy: Double(r)).artifact.write(to: Evaluator.posePath(folder: folder + "/run", pair: pair.id, repetition: r))
            }
        }
        let score = try Self.roma(["evaluate", "--manifest", folder + "/run/pairs.json", "--poses", folder + "/run",
                                   "--warps", folder + "/data", "--truth-warps", folder + "/data", "-o", folder + "/run/results.safetensors"])
        #expect(score.status == 0, "\(score.stderr)")
        let results = try BenchmarkResults.read(folder + "/run/results.safetensors")
        #expect(results.warpQuality?.allSatisfy { $0.endPointError < 1e-6 && $0.pck == [1, 1, 1] } == true)
        #expect(abs(results.auc[0] - PoseAUC.auc([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])[0]) < 1e-6)
        let report = try Self.roma(["report", folder + "/run/results.safetensors", "--manifest", folder + "/run/pairs.json", "-o", folder + "/report"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/report/index.html"))
    }

    @Test("missing data and bad options fail with a message and exit status 1")
    func badInput() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MEGADEPTH_ROOT"] = nil
        let noRoot = try Self.roma(["evaluate", "prepare", "megadepth1500", "-o", TestPaths.scratch("x") + "/p.json"], environment: environment)
        #expect(noRoot.status == 1 && noRoot.stderr.contains("MEGADEPTH_ROOT"))
        let noManifest = try Self.roma(["evaluate", "--manifest", "/nonexistent/pairs.json", "--poses", "/tmp", "-o", "/tmp/x.safetensors"])
        #expect(noManifest.status == 1 && noManifest.stderr.contains("/nonexistent/pairs.json"))
        let notResults = try Self.roma(["report", TestPaths.fixture("evaluation/auc_reference.json"), "-o", TestPaths.scratch("r")])
        #expect(notResults.status == 1 && notResults.stderr.contains("auc_reference.json"))
        let badSynth = try Self.roma(["synth", "-o", TestPaths.scratch("s"), "--pairs", "0"])
        #expect(badSynth.status != 0 && badSynth.stderr.contains("--pairs"))
    }
}
