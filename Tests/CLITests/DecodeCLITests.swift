import Foundation
import Testing
import TestSupport

@Suite struct DecodeCLITests {
    @Test func decodeThenInfo() throws {
        let out = TestPaths.scratch("cli") + "/a.safetensors"
        let decode = try RomaCLI.run(["decode", TestPaths.fixture("decode/textured.png"), "-o", out, "--coarse", "112", "--upsampled", "none"])
        #expect(decode.status == 0, "\(decode.stderr)")
        let info = try RomaCLI.run(["info", out])
        #expect(info.status == 0)
        #expect(info.stdout.contains("roma.decoded/1"))
        #expect(info.stdout.contains("coarse: U8 [112, 112, 3]"))
        #expect(!info.stdout.contains("upsampled:"))
    }

    @Test(.enabled(if: TestPaths.sharedFile("images/toronto_A.jpg") != nil, "needs ../shared/images"))
    func decodesARealPhoto() throws {
        let out = TestPaths.scratch("cli") + "/toronto.safetensors"
        let run = try RomaCLI.run(["decode", TestPaths.sharedFile("images/toronto_A.jpg")!, "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2040x1530"))
    }

    @Test func badInputsExitNonZeroNamingTheFile() throws {
        let dir = TestPaths.scratch("cli")
        let missing = dir + "/missing.jpg"
        var run = try RomaCLI.run(["decode", missing, "-o", dir + "/x.safetensors"])
        #expect(run.status != 0 && run.stderr.contains(missing))

        let notImage = dir + "/notes.png"
        try "hello".write(toFile: notImage, atomically: true, encoding: .utf8)
        run = try RomaCLI.run(["decode", notImage, "-o", dir + "/x.safetensors"])
        #expect(run.status != 0 && run.stderr.contains(notImage))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.safetensors"))

        let good = dir + "/good.safetensors"
        #expect(try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "-o", good, "--coarse", "56", "--upsampled", "none"]).status == 0)
        let truncated = dir + "/truncated.safetensors"
        try Data(contentsOf: URL(fileURLWithPath: good)).prefix(300).write(to: URL(fileURLWithPath: truncated))
        run = try RomaCLI.run(["info", truncated])
        #expect(run.status != 0 && run.stderr.contains(truncated))

        run = try RomaCLI.run(["decode", TestPaths.fixture("decode/small.png"), "-o", good, "--coarse", "100"])
        #expect(run.status != 0 && run.stderr.contains("multiples of 14"))
    }
}
