import Foundation
import Testing
import TestSupport

/// `roma decode --preset tiny`, `roma match --model tiny` and the stages after it,
/// on committed images with the Tiny RoMa fixture's (reduced-width) weights.
@Suite struct TinyCLITests {
    let weights = TestPaths.fixture("tiny/weights.safetensors")

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func decodeMatchSample() throws {
        let dir = TestPaths.scratch("tiny-cli")
        for (image, name) in [("decode/textured.png", "a"), ("decode/photo_crop.jpg", "b")] {
            let run = try RomaCLI.run(["decode", TestPaths.fixture(image), "--preset", "tiny", "-o", "\(dir)/\(name).dec"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        var run = try RomaCLI.run(["match", "\(dir)/a.dec", "\(dir)/b.dec", "--model", "tiny", "--weights", weights, "-o", "\(dir)/ab.warp", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        run = try RomaCLI.run(["info", "\(dir)/ab.warp"])
        #expect(run.stdout.contains("roma.warp/2") && run.stdout.contains("\"model\":\"tiny\""))
        #expect(run.stdout.contains("warp_ab: F32 [200, 320, 2]"), "the warp is at A's own size (320×200)")
        run = try RomaCLI.run(["sample", "\(dir)/ab.warp", "--num", "500", "-o", "\(dir)/ab.matches"])
        #expect(run.status == 0, "\(run.stderr)")
        run = try RomaCLI.run(["info", "\(dir)/ab.matches"])
        #expect(run.stdout.contains("\"kde_stride\":8"), "Tiny RoMa's sample uses kde(down=8) on CPU")
    }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func wrongCheckpointAndOptionsAreRefused() throws {
        let dir = TestPaths.scratch("tiny-cli")
        let run0 = try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "--preset", "tiny", "-o", "\(dir)/a.dec"])
        #expect(run0.status == 0, "\(run0.stderr)")
        let roma = TestPaths.fixture("roma/weights.safetensors")
        var run = try RomaCLI.run(["match", "\(dir)/a.dec", "\(dir)/a.dec", "--model", "tiny", "--weights", roma, "-o", "\(dir)/x.warp"])
        #expect(run.status == 1 && run.stderr.contains(roma) && run.stderr.contains("is not a Tiny RoMa v1 checkpoint"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/x.warp"))
        run = try RomaCLI.run(["match", "\(dir)/a.dec", "\(dir)/a.dec", "--model", "tiny", "--indoor", "-o", "\(dir)/x.warp"])
        #expect(run.status == 64 && run.stderr.contains("--indoor applies to RoMa"))
        run = try RomaCLI.run(["match", "\(dir)/a.dec", "\(dir)/a.dec", "--model", "tiny", "--precision", "bf16", "-o", "\(dir)/x.warp"])
        #expect(run.status == 64 && run.stderr.contains("--precision bf16 applies to RoMa"), "\(run.stderr)")
        run = try RomaCLI.run(["match", "\(dir)/a.dec", "\(dir)/a.dec", "--precision", "fp16", "-o", "\(dir)/x.warp"])
        #expect(run.status == 64 && run.stderr.contains("fp16"), "\(run.stderr)")
        run = try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "--preset", "huge", "-o", "\(dir)/b.dec"])
        #expect(run.status == 64 && run.stderr.contains("--preset 'huge'"))
    }
}

/// `roma weights` knows the two Tiny RoMa files.
@Suite struct TinyWeightsCLITests {
    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func offlineCheckNamesBothFiles() throws {
        let folder = TestPaths.scratch("tiny-weights-cli")
        for (only, line) in [("tiny", "tiny_roma_v1_outdoor.pth  from https://github.com/Parskatt/storage/releases/download/roma/tiny_roma_v1_outdoor.pth"),
                             ("xfeat", "xfeat.pt  from https://github.com/verlab/accelerated_features/raw/main/weights/xfeat.pt")] {
            // --check never touches the network.
            let run = try RomaCLI.run(["weights", "--check", "--cache", folder, "--only", only])
            #expect(run.status != 0 && run.stderr.contains(line), "\(run.stderr)")
        }
    }
}

/// `roma pose --matcher tiny`: decode at the images' own size, Tiny RoMa, its sample, estimate.
@Suite struct TinyPoseCLITests {
    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func poseRunsEveryStage() throws {
        let keep = TestPaths.scratch("tiny-pose")
        let run = try RomaCLI.run(["pose", TestPaths.fixture("decode/textured.png"), TestPaths.fixture("decode/photo_crop.jpg"),
                                   "--K-a", "300,300,160,100", "--K-b", "250,250,120,90", "--matcher", "tiny",
                                   "--weights", TestPaths.fixture("tiny/weights.safetensors"), "--keep", keep, "-q"])
        // Random weights: the pose may fail cleanly (exit 3), but every stage must have run.
        #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
        for file in ["a.decoded.safetensors", "warp.safetensors", "matches.safetensors", "pose.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: "\(keep)/\(file)"), "\(file) kept")
        }
        let info = try RomaCLI.run(["info", "\(keep)/a.decoded.safetensors"])
        #expect(info.stdout.contains("coarse: U8 [200, 320, 3]"), "decoded at its own size: \(info.stdout)")
        let matches = try RomaCLI.run(["info", "\(keep)/matches.safetensors"])
        #expect(matches.stdout.contains("\"kde_stride\":8"))
    }
}
