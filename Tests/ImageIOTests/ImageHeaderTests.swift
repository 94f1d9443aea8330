import Artifacts
import Foundation
import Testing
import TestSupport
@testable import ImageIO

@Suite struct ImageHeaderTests {
    @Test func sizesFromPNGAndJPEGHeaders() throws {
        let folder = TestPaths.scratch("header")
        try ImageFile.write(RGBImage(width: 37, height: 21, pixels: [UInt8](repeating: 90, count: 37 * 21 * 3)), to: folder + "/x.png")
        #expect(try ImageHeader.size(of: folder + "/x.png") == (37, 21))
        try Data(count: 10).write(to: URL(fileURLWithPath: folder + "/zeros.jpg"))
        #expect { try ImageHeader.size(of: folder + "/zeros.jpg") } throws: { ($0 as? ArtifactError)?.file == folder + "/zeros.jpg" }
        #expect(try ImageHeader.size(of: TestPaths.fixture("decode/photo_crop.jpg")) == (240, 180))
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
