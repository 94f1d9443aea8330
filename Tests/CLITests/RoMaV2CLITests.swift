import Foundation
import Testing
import TestSupport

/// `roma decode --preset roma2` and `roma match --model roma2`'s options. (The model itself
/// is tested end to end on the reduced fixture in RoMaTests/RoMaV2ModelTests: the CLI
/// builds the official architecture only.)
@Suite struct RoMaV2CLITests {
    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func decodeKeepsTheImageSize() throws {
        let dir = TestPaths.scratch("roma2-cli")
        let run = try RomaCLI.run(["decode", TestPaths.fixture("decode/textured.png"), "--preset", "roma2", "-o", "\(dir)/a.dec"])
        #expect(run.status == 0, "\(run.stderr)")
        let info = try RomaCLI.run(["info", "\(dir)/a.dec"])
        #expect(info.stdout.contains("coarse: U8 [200, 320, 3]") && !info.stdout.contains("upsampled:"), "\(info.stdout)")
    }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func optionsAndMissingWeightsAreRefused() throws {
        let dir = TestPaths.scratch("roma2-cli")
        let run0 = try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "--preset", "roma2", "-o", "\(dir)/s.dec"])
        #expect(run0.status == 0, "\(run0.stderr)")
        let (a, out) = ("\(dir)/s.dec", "\(dir)/x.warp")
        for (extra, message) in [(["--indoor"], "--indoor applies to RoMa, not to --model roma2"),
                                 (["--no-symmetric"], "--no-symmetric applies to RoMa")] {
            let run = try RomaCLI.run(["match", a, a, "--model", "roma2", "-o", out] + extra)
            #expect(run.status == 64 && run.stderr.contains(message), "\(extra): \(run.stderr)")
        }
        var run = try RomaCLI.run(["match", a, a, "--setting", "precise", "-o", out])
        #expect(run.status == 64 && run.stderr.contains("--setting applies to --model roma2 only"), "\(run.stderr)")
        run = try RomaCLI.run(["match", a, a, "--model", "roma2", "--setting", "huge", "-o", out])
        #expect(run.status == 64 && run.stderr.contains("huge"), "\(run.stderr)")
        run = try RomaCLI.run(["match", a, a, "--model", "roma2", "--weights", "\(dir)/absent.pt", "-o", out])
        #expect(run.status == 1 && run.stderr.contains("\(dir)/absent.pt"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // --precision is RoMa v2's too (default bf16, as romav2): accepted, so the run gets as far as the weights.
        // So are --warp-encoding compact and --batch.
        run = try RomaCLI.run(["match", a, a, "--model", "roma2", "--warp-encoding", "compact", "--weights", "\(dir)/absent.pt", "-o", out])
        #expect(run.status == 1 && run.stderr.contains("\(dir)/absent.pt"), "\(run.stderr)")
        try "\(a) \(a) \(out)\n".write(toFile: "\(dir)/pairs.txt", atomically: true, encoding: .utf8)
        run = try RomaCLI.run(["match", "--batch", "\(dir)/pairs.txt", "--model", "roma2", "--weights", "\(dir)/absent.pt"])
        #expect(run.status == 1 && run.stderr.contains("\(dir)/absent.pt"), "\(run.stderr)")
        for precision in ["bf16", "fp32"] {
            run = try RomaCLI.run(["match", a, a, "--model", "roma2", "--precision", precision, "--weights", "\(dir)/absent.pt", "-o", out])
            #expect(run.status == 1 && run.stderr.contains("\(dir)/absent.pt"), "\(precision): \(run.stderr)")
        }
        run = try RomaCLI.run(["pose", TestPaths.fixture("decode/small.png"), TestPaths.fixture("decode/small.png"), "--matcher", "tiny",
                               "--precision", "bf16"])
        #expect(run.status == 64 && run.stderr.contains("--precision bf16 applies to --matcher roma or roma2 only"), "\(run.stderr)")
        run = try RomaCLI.run(["pose", TestPaths.fixture("decode/small.png"), TestPaths.fixture("decode/small.png"), "--setting", "fast"])
        #expect(run.status == 64 && run.stderr.contains("--setting applies to --matcher roma2 only"), "\(run.stderr)")
    }
}
