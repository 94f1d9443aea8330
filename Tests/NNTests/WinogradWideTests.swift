@testable import NN
import Testing

/// The Winograd transforms on rows wide enough for the 16-tiles-per-vector path
/// (CKernels/winograd.c at kernels level 2; the Swift loops below it, e.g. under
/// ROMA_KERNELS=baseline): two full groups of 16 tiles plus a partial one, odd and even
/// output widths, and the ReLU applied as the output is written. Same reference,
/// error measure and tolerance as WinogradTests (justified there); the ReLU reference
/// is max(0, y_ref), which moves no output by more than its own error.
@Suite struct WinogradWideTests {
    let helpers = WinogradTests()

    static let shapes: [WinogradTests.Shape] = [
        WinogradTests.Shape(batch: 1, inChannels: 18, outChannels: 20, height: 9, width: 70, padding: 1, bias: true),
        WinogradTests.Shape(batch: 2, inChannels: 16, outChannels: 17, height: 6, width: 69, padding: 1, bias: false),
        WinogradTests.Shape(batch: 1, inChannels: 21, outChannels: 16, height: 7, width: 36, padding: 0, bias: true),
        WinogradTests.Shape(batch: 1, inChannels: 16, outChannels: 16, height: 5, width: 33, padding: 2, bias: true),
    ]

    @Test(arguments: shapes)
    func wideRowsMatchDirectConvolution(_ s: WinogradTests.Shape) throws {
        let (x, w, b) = helpers.inputs(s, seed: UInt64(s.width * 17 + s.inChannels))
        let reference = helpers.directConv(x, w, b, padding: s.padding)
        let y = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .winograd)
        let error = helpers.relativeError(y, reference)
        #expect(error <= WinogradTests.tolerance, "Winograd error \(error)·S")

        let rectified = (values: reference.values.map { max(0, $0) }, scale: reference.scale)
        for algorithm in [ConvAlgorithm.winograd, .im2col] {
            let r = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: algorithm, relu: true)
            let reluError = helpers.relativeError(r, rectified)
            #expect(reluError <= WinogradTests.tolerance, "\(algorithm) + ReLU error \(reluError)·S")
            #expect(r.array.allSatisfy { $0 >= 0 }, "\(algorithm) + ReLU left a negative output")
        }
    }

    /// Bands of one tile row, on all threads and per thread, with the ReLU.
    @Test func bandedWithReLU() throws {
        let s = Self.shapes[1]
        let (x, w, b) = helpers.inputs(s, seed: 11)
        let reference = helpers.directConv(x, w, b, padding: s.padding)
        let rectified = (values: reference.values.map { max(0, $0) }, scale: reference.scale)
        let g = try ConvGeometry(x: x, weight: w, bias: b, stride: 1, padding: s.padding, dilation: 1, groups: 1)
        let out = Tensor(uninitialized: [s.batch, s.outChannels, g.outHeight, g.outWidth])
        for perThread in [false, true] {
            winogradConv2d(x, w, b, g, out, nil, relu: true, bandBudget: 1, minimumBandTiles: 1, perThread: perThread)
            let error = helpers.relativeError(out, rectified)
            #expect(error <= WinogradTests.tolerance, "banded Winograd + ReLU error \(error)·S (per thread: \(perThread))")
        }
    }

    /// NaN passes through the fused ReLU, as through `relu` and torch's.
    @Test func reluKeepsNaN() throws {
        let s = Self.shapes[2]
        let (x, w, b) = helpers.inputs(s, seed: 2)
        x.pointer[3 * s.width + 40 % s.width] = .nan
        let fused = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .winograd, relu: true)
        let separate = try relu(try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .winograd))
        #expect(fused.array.filter(\.isNaN).count == separate.array.filter(\.isNaN).count)
        #expect(fused.array.contains { $0.isNaN })
    }
}
