import Foundation
import Testing
import TestSupport

/// `roma` loads the OpenCV shim only when a stage uses it: with the shim made
/// unloadable, sample and estimate still run (and the dynamic loader's log shows no
/// OpenCV library), and decode fails naming what it tried.
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct OpenCVLoadingTests {
    static let unloadable: [String: String] = ProcessInfo.processInfo.environment
        .merging(["ROMA_OPENCV_LIBRARY": "/nonexistent/libRomaOpenCV.so"]) { $1 }

    @Test func stagesWithoutOpenCVRunWithoutTheShim() throws {
        let folder = TestPaths.scratch("no-opencv")
        let synth = try RomaCLI.run(["synth", "-o", folder, "--pairs", "1", "--width", "64", "--height", "48", "--warp-size", "32", "--quiet"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let sample = try RomaCLI.run(["sample", folder + "/0000.warp.safetensors", "--num", "50", "-o", folder + "/m.safetensors"],
                                     environment: Self.unloadable)
        #expect(sample.status == 0, "\(sample.stderr)")
        let estimate = try RomaCLI.run(["estimate", folder + "/m.safetensors", "--K-a", "50,50,32,24", "--K-b", "50,50,32,24",
                                        "-o", folder + "/p.safetensors"], environment: Self.unloadable.merging(["LD_DEBUG": "libs"]) { $1 })
        #expect(estimate.status == 0 || estimate.status == 3, "\(estimate.stderr)")
        // glibc's loader logs every library it loads; the log must be there and name no OpenCV.
        #expect(estimate.stderr.contains("libswiftCore"))
        #expect(!estimate.stderr.contains("opencv") && !estimate.stderr.contains("RomaOpenCV"))
        #expect(FileManager.default.fileExists(atPath: folder + "/p.safetensors"))
    }

    @Test func aStageNeedingOpenCVSaysWhatIsMissing() throws {
        let folder = TestPaths.scratch("no-opencv-decode")
        let run = try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "-o", folder + "/a.safetensors"],
                                  environment: Self.unloadable)
        #expect(run.status == 1)
        #expect(run.stderr.contains("/nonexistent/libRomaOpenCV.so"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/a.safetensors"))
    }
}
