import Artifacts
import Foundation
import ImageIO
import Testing
import TestSupport

/// Damaged, truncated and oversized images are refused by the one reader every stage
/// uses (`ImageSource`), with a message naming the file, before any decoder allocates
/// for the declared size (issue 19 items 2–3, issue 12 item 6).
@Suite struct BadImageTests {
    static let jpeg = TestPaths.fixture("decode/photo_crop.jpg")
    static let png = TestPaths.fixture("decode/small.png")

    func refusal(_ path: String) -> String? {
        do {
            _ = try ImageFile.read(path)
            return nil
        } catch let error as ArtifactError {
            #expect(error.file == path)
            return error.problem
        } catch {
            Issue.record("unexpected error type: \(error)")
            return "\(error)"
        }
    }

    @Test func jpegCutAfter5000BytesIsRefused() throws {
        let cut = try BadFiles.truncated(Self.jpeg, to: 5000, in: TestPaths.scratch("badimg"), name: "cut.jpg")
        let problem = try #require(refusal(cut))
        #expect(problem.contains("truncated") && problem.contains("Premature end of JPEG file"), "\(problem)")
    }

    @Test func everyTruncationOfAJPEGAndAPNGIsRefused() throws {
        let folder = TestPaths.scratch("badimg")
        for source in [Self.jpeg, Self.png] {
            let size = try Data(contentsOf: URL(fileURLWithPath: source)).count
            for k in 1..<40 {
                let length = size * k / 40
                let cut = try BadFiles.truncated(source, to: length, in: folder, name: "cut-\(k)" + (source.hasSuffix(".png") ? ".png" : ".jpg"))
                #expect(refusal(cut) != nil, "\(source) cut at \(length) of \(size) bytes was accepted")
            }
            #expect(refusal(source) == nil)
        }
    }

    @Test func corruptJPEGScanDataIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.jpeg)))
        // A run of 0xFF inside the entropy-coded scan: libjpeg warns "Corrupt JPEG data:
        // premature end of data segment" and OpenCV alone would return the image.
        for i in 12000..<12032 { bytes[i] = 0xFF }
        let path = TestPaths.scratch("badimg") + "/corrupt.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let problem = try #require(refusal(path))
        #expect(problem.contains("Corrupt JPEG data"), "\(problem)")
    }

    @Test func damagedPNGImageDataIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.png)))
        let idat = try #require(bytes.indices.first { Array(bytes[$0..<$0 + 4]) == Array("IDAT".utf8) })
        bytes[idat + 40] ^= 0x10  // inside the compressed stream: the chunk's CRC no longer matches
        let path = TestPaths.scratch("badimg") + "/crc.png"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let problem = try #require(refusal(path))
        #expect(problem.contains("damaged"), "\(problem)")
    }

    @Test(arguments: [(20000, 20000), (100_000, 100_000), (40000, 10)])
    func sizeIsCheckedFromTheHeader(width: Int, height: Int) throws {
        let path = TestPaths.scratch("badimg") + "/bomb.png"
        try BadFiles.pngDeclaring(width: width, height: height).write(to: URL(fileURLWithPath: path))
        let problem = try #require(refusal(path))
        #expect(problem.contains("\(width)×\(height)") && problem.contains("limit"), "\(problem)")
    }

    @Test func otherFormatsAndEmptyFilesAreNamed() throws {
        let folder = TestPaths.scratch("badimg")
        try Data("BM not really a bitmap".utf8).write(to: URL(fileURLWithPath: folder + "/x.bmp"))
        try Data().write(to: URL(fileURLWithPath: folder + "/empty.png"))
        #expect(refusal(folder + "/x.bmp")?.contains("not a JPEG or PNG") == true)
        #expect(refusal(folder + "/empty.png") != nil)
        #expect(refusal(folder)?.contains("folder") == true)
    }

    @Test(.enabled(if: TestPaths.sharedFile("images/toronto_A.jpg") != nil, "needs ../shared/images"))
    func realPhotosPassAndTheirTruncationsDoNot() throws {
        let folder = TestPaths.scratch("badimg")
        for name in ["toronto_A.jpg", "toronto_B.jpg", "sacre_coeur_A.jpg", "sacre_coeur_B.jpg"] {
            guard let photo = TestPaths.sharedFile("images/" + name) else { continue }
            let source = try ImageSource.open(photo)
            #expect(source.format == .jpeg && source.bitDepth == 8)
            let size = source.bytes.count
            for length in [5000, size / 2, size - 2] {
                let cut = try BadFiles.truncated(photo, to: length, in: folder, name: "\(length)-\(name)")
                #expect(refusal(cut) != nil, "\(name) cut at \(length) was accepted")
            }
        }
    }
}
