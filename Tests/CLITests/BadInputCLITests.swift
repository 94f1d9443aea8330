import Foundation
import Testing
import TestSupport

/// Issue 19's findings, reproduced through the `roma` executable: exit 1 (never a
/// signal), a message naming the file, nothing written.
@Suite struct BadInputCLITests {
    func expectRefused(_ arguments: [String], naming file: String, saying words: [String] = [], output: String?) throws {
        let run = try RomaCLI.run(arguments)
        #expect(run.status == 1, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains(file), "\(run.stderr)")
        for word in words { #expect(run.stderr.contains(word), "expected '\(word)' in: \(run.stderr)") }
        if let output { #expect(!FileManager.default.fileExists(atPath: output)) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (output.map { ($0 as NSString).deletingLastPathComponent }) ?? "/nonexistent")
        #expect(!leftovers.contains { $0.hasPrefix(".tmp") }, "temporary files left: \(leftovers)")
    }

    @Test func truncatedJPEGInDecodeAndSift() throws {
        let dir = TestPaths.scratch("badcli")
        let cut = try BadFiles.truncated(TestPaths.fixture("decode/photo_crop.jpg"), to: 5000, in: dir, name: "cut.jpg")
        try expectRefused(["decode", cut, "-o", dir + "/out.safetensors"], naming: cut, saying: ["truncated"], output: dir + "/out.safetensors")
        try expectRefused(["sift", cut, TestPaths.fixture("decode/photo_crop.jpg"), "-o", dir + "/m.safetensors"],
                          naming: cut, saying: ["truncated"], output: dir + "/m.safetensors")
    }

    @Test func sixteenBitPNGRefusedBySiftAsByDecode() throws {
        let dir = TestPaths.scratch("badcli")
        let deep = TestPaths.fixture("decode/deep16.png")
        try expectRefused(["decode", deep, "-o", dir + "/out.safetensors"], naming: deep, saying: ["16-bit"], output: dir + "/out.safetensors")
        try expectRefused(["sift", deep, deep, "-o", dir + "/m.safetensors"], naming: deep, saying: ["16-bit"], output: dir + "/m.safetensors")
    }

    @Test func oversizedPNGRefusedFromItsHeader() throws {
        let dir = TestPaths.scratch("badcli")
        for (w, h) in [(20000, 20000), (100_000, 100_000)] {
            let bomb = dir + "/bomb\(w).png"
            try BadFiles.pngDeclaring(width: w, height: h).write(to: URL(fileURLWithPath: bomb))
            try expectRefused(["sift", bomb, bomb, "-o", dir + "/m.safetensors"], naming: bomb, saying: ["limit"], output: dir + "/m.safetensors")
            try expectRefused(["decode", bomb, "-o", dir + "/d.safetensors"], naming: bomb, saying: ["limit"], output: dir + "/d.safetensors")
        }
    }

    @Test func pixelLimitFollowsTheEnvironment() throws {
        let dir = TestPaths.scratch("badcli")
        let small = TestPaths.fixture("decode/small.png")  // 60×45 = 2700 pixels
        var environment = ProcessInfo.processInfo.environment
        environment["ROMA_MAX_IMAGE_PIXELS"] = "2000"
        let refused = try RomaCLI.run(["decode", small, "-o", dir + "/d.safetensors"], environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("60×45") && refused.stderr.contains("2000"), "\(refused.stderr)")
        environment["ROMA_MAX_IMAGE_PIXELS"] = "2700"
        #expect(try RomaCLI.run(["decode", small, "-o", dir + "/d.safetensors", "--coarse", "56", "--upsampled", "none"],
                                environment: environment).status == 0)
    }

    /// Item 1: used to die with SIGILL from a `try!` inside FileHandle.readData.
    @Test func pairListNamingAFolderAsAnImage() throws {
        let dir = TestPaths.scratch("badcli")
        try FileManager.default.createDirectory(atPath: dir + "/folder.jpg", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.fixture("decode/photo_crop.jpg"), toPath: dir + "/b.jpg")
        let k = "100 0 120 0 100 90 0 0 1"
        let line = "folder.jpg b.jpg \(k) \(k) 1 0 0 1 0 1 0 0 0 0 1 0 0 0 0 1\n"
        try line.write(toFile: dir + "/pairs.txt", atomically: true, encoding: .utf8)
        try expectRefused(["evaluate", "prepare", "pairs:" + dir + "/pairs.txt", "-o", dir + "/pairs.json"],
                          naming: dir + "/folder.jpg", saying: ["folder"], output: dir + "/pairs.json")
    }
}
