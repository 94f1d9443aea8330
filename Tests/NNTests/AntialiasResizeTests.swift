import Artifacts
import Foundation
import NN
import TestSupport
import Testing

/// romav2's input resize, F.interpolate(bicubic, align_corners=False, antialias=True) on
/// u8/255, against torch (scripts/fixtures/make_roma2_decode_fixtures.py).
@Suite struct AntialiasResizeTests {
    /// Same taps, same float32 formulas and the same summation order as torch's kernel,
    /// so the difference is a few float32 roundings of O(1) values (measured: 3.0e-7 to
    /// 4.8e-7 over the five sizes, ROMA_PRINT_DIFFS=1). torch float32 itself is up to 2.7e-6 from float64
    /// on this fixture (recorded in its metadata), so 1e-6 would catch a kernel that is
    /// merely as accurate as torch but different; a wrong tap range or the −0.75 kernel
    /// errs by 1e-2 or more.
    @Test func matchesTorch() throws {
        let artifact = try Artifact.read(TestPaths.fixture("roma2/decode/bicubic_antialias.safetensors"))
        let u8 = try artifact.tensor("image", shape: [nil, nil, 3])
        let (h, w) = (u8.shape[0], u8.shape[1])
        let bytes = [UInt8](u8.bytes)
        var planar = [Float](repeating: 0, count: 3 * h * w)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { planar[(c * h + y) * w + x] = Float(bytes[(y * w + x) * 3 + c]) / 255 } } }
        let image = Tensor(planar, shape: [1, 3, h, w])
        for name in ["down", "mixed", "up", "keep_h", "romav2_like"] {
            let expected = try artifact.tensor(name)
            let e = Tensor(try artifact.floats(name), shape: expected.shape)
            let got = try interpolateBicubicAntialiased(image, size: (expected.shape[2], expected.shape[3]))
            #expect(got.shape == e.shape, "\(name)")
            let diff = zip(got.array, e.array).map { abs($0 - $1) }.max() ?? .infinity
            if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil { print("antialiased bicubic \(name): max \(diff)") }
            #expect(diff <= 1e-6, "\(name): max difference \(diff)")
        }
    }

    @Test func keepsSizeAsCopy() throws {
        let x = Tensor((0..<24).map { Float($0) }, shape: [1, 2, 3, 4])
        #expect(try interpolateBicubicAntialiased(x, size: (3, 4)).array == x.array)
        #expect(throws: NNError.self) { try interpolateBicubicAntialiased(Tensor(zeros: [3, 4]), size: (2, 2)) }
    }
}
