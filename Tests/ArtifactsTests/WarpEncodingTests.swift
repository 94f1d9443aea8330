import Artifacts
import Foundation
import Testing
import TestSupport

/// `--warp-encoding compact`: 16-bit fixed-point coordinates, read back within the
/// stated bound, and never silently clamping values a faulty producer put out of range.
@Suite struct WarpEncodingTests {
    static func warp(side: Int, outlier: Float? = nil) -> Warp {
        var g = SystemRandomNumberGenerator()
        let n = side * side
        var ab = (0..<2 * n).map { _ in Float.random(in: -1...1, using: &g) }
        ab[0] = -1
        ab[1] = 1
        if let outlier { ab[2] = outlier }
        let ba = (0..<2 * n).map { _ in Float.random(in: -1...1, using: &g) }
        let c = (0..<n).map { _ in Float.random(in: 0...1, using: &g) }
        return Warp(width: side, height: side, warpAB: ab, warpBA: ba, certaintyAB: c, certaintyBA: c,
                    widthA: 640, heightA: 480, widthB: 640, heightB: 480).withStoredCertainty()
    }

    @Test func compactWarpsReadBackWithinTheStatedBound() throws {
        let w = Self.warp(side: 64)
        let folder = TestPaths.scratch("warp-encoding")
        try w.artifact(encoding: .exact).write(to: folder + "/exact.warp")
        try w.artifact(encoding: .compact).write(to: folder + "/compact.warp")
        let back = try Warp.read(folder + "/compact.warp")
        // Half a step of 2/65535, plus float32 rounding of the decode (|x| ≤ 1: ≤ 6e-8).
        let bound: Float = 1 / 65535 + 1e-7
        for (x, y) in zip(w.warpAB + w.warpBA, back.warpAB + back.warpBA) { #expect(abs(x - y) <= bound) }
        #expect(back.warpAB[0] == -1 && back.warpAB[1] == 1)
        #expect(back.certaintyAB == w.certaintyAB)
        let size = { (p: String) in try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int }
        // 4 + 4 + 2 bytes a pixel become 2 + 2 + 2 (plus the same header).
        #expect(Double(try size(folder + "/compact.warp")) < 0.62 * Double(try size(folder + "/exact.warp")))
        #expect(try Warp.read(folder + "/exact.warp").warpAB == w.warpAB)
    }

    @Test func outOfRangeValuesStayExact() throws {
        let w = Self.warp(side: 8, outlier: 1.5)
        let a = w.artifact(encoding: .compact)
        #expect(try a.tensor("warp_ab").dtype == .float32)
        #expect(try a.tensor("warp_ba").dtype == .uint16)
    }
}
