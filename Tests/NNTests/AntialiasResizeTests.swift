import Artifacts
import Foundation
import NN
import TestSupport
import Testing

/// romav2's input resize, F.interpolate(bicubic, align_corners=False, antialias=True) on
/// u8/255, against torch (scripts/fixtures/make_roma2_resize_fixture.py, make_roma2_decode_fixtures.py).
@Suite struct AntialiasResizeTests {
    /// torch's float32 roundings, fused multiply-adds included, reproduced to the bit
    /// (docs/roma2.md, "Each op in torch's order"): every output must be identical, since a
    /// single flipped rounding can change a bf16 input of RoMa v2's descriptor. The first
    /// fixture has photo-like inputs at RoMa v2's kinds of ratios plus windows up to 36 taps
    /// and full-mantissa noise (scripts/fixtures/make_roma2_resize_fixture.py); the second is
    /// the older five-size one (scripts/fixtures/make_roma2_decode_fixtures.py). Before
    /// FMA-exact weights and sums, 36,552 of the first fixture's 48,430 values differed and
    /// 54,557 of the second's 74,994 (ROMA_PRINT_DIFFS=1 prints the counts).
    @Test(arguments: [
        ("roma2/decode/resize_exact.safetensors", ["up_real", "up_odd", "down_real", "down_odd", "mixed", "many_taps",
                                                  "noise_up", "noise_down", "noise_mixed"]),
        ("roma2/decode/bicubic_antialias.safetensors", ["down", "mixed", "up", "keep_h", "romav2_like"]),
    ])
    func matchesTorchExactly(fixture: String, names: [String]) throws {
        let artifact = try Artifact.read(TestPaths.fixture(fixture))
        let u8 = try artifact.tensor("image", shape: [nil, nil, 3])
        let (h, w) = (u8.shape[0], u8.shape[1])
        let bytes = [UInt8](u8.bytes)
        var planar = [Float](repeating: 0, count: 3 * h * w)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { planar[(c * h + y) * w + x] = Float(bytes[(y * w + x) * 3 + c]) / 255 } } }
        let image = Tensor(planar, shape: [1, 3, h, w])
        let noise = names.contains { $0.hasPrefix("noise") } ? Tensor(try artifact.floats("noise"), shape: try artifact.tensor("noise").shape) : nil
        for name in names {
            let expected = try artifact.tensor(name)
            let e = try artifact.floats(name)
            let source = name.hasPrefix("noise") ? noise! : image
            let got = try interpolateBicubicAntialiased(source, size: (expected.shape[2], expected.shape[3]))
            #expect(got.shape == expected.shape, "\(name)")
            let differing = zip(got.array, e).filter { $0.bitPattern != $1.bitPattern }.count
            if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
                print("antialiased bicubic \(name): \(differing) of \(e.count) differ")
            }
            #expect(differing == 0, "\(name): \(differing) of \(e.count) values differ from torch")
        }
    }

    @Test func keepsSizeAsCopy() throws {
        let x = Tensor((0..<24).map { Float($0) }, shape: [1, 2, 3, 4])
        #expect(try interpolateBicubicAntialiased(x, size: (3, 4)).array == x.array)
        #expect(throws: NNError.self) { try interpolateBicubicAntialiased(Tensor(zeros: [3, 4]), size: (2, 2)) }
    }
}
