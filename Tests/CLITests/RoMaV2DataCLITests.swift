import Foundation
import Testing
import TestSupport

/// `roma sample` on RoMa v2's warp (romav2's sampler, said in provenance), and `roma weights`
/// knowing romav2.0.1.pt.
@Suite struct RoMaV2DataCLITests {
    let warp = TestPaths.fixture("sampling/romav2_warp.safetensors")

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func sampleRunsRomav2sSamplerOnAVersion3Warp() throws {
        let dir = TestPaths.scratch("romav2-sample-cli")
        var run = try RomaCLI.run(["sample", warp, "--num", "100", "--seed", "3", "-o", "\(dir)/m"])
        #expect(run.status == 0 && run.stdout.contains("romav2 sampler"), "\(run.stderr)")
        run = try RomaCLI.run(["info", "\(dir)/m"])
        #expect(run.stdout.contains("\"sampler\":\"romav2\"") && run.stdout.contains("\"thresh\":\"none\""), "\(run.stdout)")
        #expect(run.stdout.contains("\"kde_precision\":\"float16\""), "\(run.stdout)")
        #expect(run.stdout.contains("precision_a: F32 [100, 2, 2]") && run.stdout.contains("precision_b: F32 [100, 2, 2]"), "\(run.stdout)")
        #expect(run.stdout.contains("certainty: F32 [100]"), "\(run.stdout)")
        // --thresh overrides the warp's own (none here); the same seed gives the same file.
        run = try RomaCLI.run(["sample", warp, "--num", "100", "--seed", "3", "--thresh", "0.05", "-o", "\(dir)/t"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try RomaCLI.run(["info", "\(dir)/t"]).stdout.contains("\"thresh\":0.05"))
        run = try RomaCLI.run(["sample", warp, "--num", "100", "--seed", "3", "-o", "\(dir)/m2"])
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/m")), b = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/m2"))
        #expect(a == b)
        // romav2's sample has one mode.
        run = try RomaCLI.run(["sample", warp, "--mode", "threshold", "-o", "\(dir)/x"])
        #expect(run.status == 64 && run.stderr.contains("do not apply to a RoMa v2 warp"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/x"))
        // The estimator reads the matches as any other.
        run = try RomaCLI.run(["estimate", "\(dir)/m", "-o", "\(dir)/pose"])
        #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
    }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func weightsKnowsTheRomav2File() throws {
        let folder = TestPaths.scratch("romav2-weights-cli")
        let run = try RomaCLI.run(["weights", "--check", "--cache", folder, "--only", "romav2"])
        #expect(run.status != 0, "\(run.stderr)")
        #expect(run.stderr.contains("romav2.0.1.pt  from https://github.com/Parskatt/RoMaV2/releases/download/v2.0.1/romav2.0.1.pt"), "\(run.stderr)")
        // Without --only, RoMa v1's files only: RoMa v2's 1.1 GB are opt-in.
        let all = try RomaCLI.run(["weights", "--check", "--cache", folder])
        #expect(all.status != 0 && all.stderr.contains("roma_outdoor.pth") && all.stderr.contains("xfeat.pt"), "\(all.stderr)")
        #expect(!all.stderr.contains("romav2.0.1.pt"), "\(all.stderr)")
    }
}
