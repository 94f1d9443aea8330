import NN
import Testing

@Suite struct ResamplingTests {
    /// Max-pool selects values: exact.
    @Test func maxPoolMatchesTorch() throws {
        let f = try Fixture("maxpool")
        expectClose(try maxPool2x2(try f.tensor("x")), try f.tensor("y"), rtol: 0, atol: 0)
    }

    /// Bilinear: four products of O(3) values with weights from torch's float formulas;
    /// torch's kernel groups the weight products differently (measured: torch float32
    /// is itself 7e-7 from a float64 evaluation on this fixture, we are 1.5e-6 from
    /// torch), so atol 3e-6. A wrong source index errs by ~1e-1.
    @Test func bilinearMatchesTorch() throws {
        let f = try Fixture("bilinear")
        let x = try f.tensor("x")
        expectClose(try interpolateBilinear(x, size: (13, 20)), try f.tensor("up"), rtol: 1e-6, atol: 3e-6, "up")
        expectClose(try interpolateBilinear(x, size: (4, 5)), try f.tensor("down"), rtol: 1e-6, atol: 3e-6, "down")
        expectClose(try interpolateBilinear(x, size: (13, 20), alignCorners: true), try f.tensor("up_corners"), rtol: 1e-6, atol: 3e-6, "corners")
        let s = (try f.double("scale_h"), try f.double("scale_w"))
        expectClose(try interpolateBilinear(x, scaleFactor: s), try f.tensor("scale"), rtol: 1e-6, atol: 3e-6, "scale factor")
    }

    /// Bicubic: source coordinates (up to 36) are computed in float32 by torch as by us,
    /// so each carries ~2e-6 px of rounding; times gradients of O(3) that gives torch
    /// float32 a 7.3e-6 error against float64 on this fixture (measured), and us 4.9e-6
    /// against torch. Hence atol 1e-5. The DINOv2 case also
    /// checks the output size floor(37·s) and the 1/s coordinate mapping: mapping
    /// with in/out instead (size=(30, 40)) differs from torch by up to 0.65.
    @Test func bicubicMatchesTorch() throws {
        let f = try Fixture("bicubic")
        let s = (try f.double("scale_h"), try f.double("scale_w"))
        expectClose(try interpolateBicubic(try f.tensor("pos_grid"), scaleFactor: s), try f.tensor("pos_scaled"), rtol: 1e-6, atol: 1e-5, "dinov2 pos")
        let x = try f.tensor("x")
        expectClose(try interpolateBicubic(x, size: (11, 4)), try f.tensor("size"), rtol: 1e-6, atol: 1e-5, "size")
        expectClose(try interpolateBicubic(x, size: (11, 4), alignCorners: true), try f.tensor("size_corners"), rtol: 1e-6, atol: 1e-5, "corners")
    }

    /// grid_sample: same formulas as torch, including out-of-image taps (zeros).
    @Test func gridSampleMatchesTorch() throws {
        let f = try Fixture("grid_sample")
        expectClose(try gridSample(try f.tensor("x"), grid: try f.tensor("grid")), try f.tensor("y"), rtol: 1e-6, atol: 1e-6)
        #expect(throws: NNError.self) { try gridSample(try f.tensor("x"), grid: Tensor(zeros: [2, 3, 3, 3])) }
    }
}
