import Artifacts
import Testing
import TestSupport
@testable import ImageIO

@Suite struct ImageHeaderTests {
    @Test func sizesFromPNGAndJPEGHeaders() throws {
        let folder = TestPaths.scratch("header")
        try ImageFile.write(RGBImage(width: 37, height: 21, pixels: [UInt8](repeating: 90, count: 37 * 21 * 3)), to: folder + "/x.png")
        #expect(try ImageHeader.size(of: folder + "/x.png") == (37, 21))
        // A minimal JPEG prefix: SOI, an APP0 segment, then SOF0 with height 300 and width 451.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00,
                             0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0xC3, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(ImageHeader.parse(jpeg)! == (451, 300))
        #expect(ImageHeader.parse([0x00, 0x01, 0x02, 0x03]) == nil)
        let absent = folder + "/absent.jpg"
        #expect { try ImageHeader.size(of: absent) } throws: { ($0 as? ArtifactError)?.file == absent }
    }

    @Test(.enabled(if: TestPaths.hasShared, "needs ../shared"))
    func realJPEGSizes() throws {
        let path = try #require(TestPaths.sharedFile("images/sacre_coeur_B.jpg"))
        #expect(try ImageHeader.size(of: path) == (618, 640))
        #expect(try ImageHeader.size(of: try #require(TestPaths.sharedFile("images/toronto_A.jpg"))) == (2040, 1530))
    }
}
