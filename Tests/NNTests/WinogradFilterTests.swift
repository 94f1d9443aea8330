@testable import NN
import Testing

/// `WinogradFilter`: the filter transform computed once must give the very bits of the
/// per-call path (same transform, same GEMMs, same output transform), so the comparison
/// is exact equality; the per-call path itself is checked against double precision in
/// WinogradTests. Also against double here, with WinogradTests' bound, so the test
/// fails on its own if both paths went wrong together.
@Suite struct WinogradFilterTests {
    let helpers = WinogradTests()

    /// WinogradTests' and WinogradWideTests' shapes that take Winograd automatically (≥ 16
    /// channels each way): partial tiles, padding 0–2, batch 2, a 1×2 output, rows of 16–35
    /// tiles (the vector transforms' full and partial groups), with and without bias.
    static let shapes = (WinogradTests.shapes + WinogradWideTests.shapes).filter {
        $0.inChannels >= winogradMinimumInChannels && $0.outChannels >= winogradMinimumOutChannels
    }

    @Test(arguments: shapes)
    func sameBitsAsPerCallTransform(_ s: WinogradTests.Shape) throws {
        let (x, w, b) = helpers.inputs(s, seed: UInt64(s.outChannels * 17 + s.width))
        let filter = try #require(WinogradFilter(weight: w))
        for relu in [false, true] {
            let perCall = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .winograd, relu: relu)
            let once = try conv2d(x, weight: w, bias: b, padding: s.padding, winograd: filter, relu: relu)
            #expect(once.shape == perCall.shape)
            #expect(once.array == perCall.array, "relu \(relu)")
            if !relu {
                let error = helpers.relativeError(once, helpers.directConv(x, w, b, padding: s.padding))
                #expect(error <= WinogradTests.tolerance, "error \(error)·S")
            }
        }
        // Both band paths (all threads per step, bands per thread), one tile row per band.
        let g = try ConvGeometry(x: x, weight: w, bias: b, stride: 1, padding: s.padding, dilation: 1, groups: 1)
        for perThread in [false, true] {
            let out = Tensor(uninitialized: [s.batch, s.outChannels, g.outHeight, g.outWidth])
            winogradConv2d(x, w, b, g, out, Workspace(), bandBudget: 1, minimumBandTiles: 1, perThread: perThread, filter: filter)
            let banded = Tensor(uninitialized: out.shape)
            winogradConv2d(x, w, b, g, banded, nil, bandBudget: 1, minimumBandTiles: 1, perThread: perThread)
            #expect(out.array == banded.array, "per thread: \(perThread)")
            #expect(helpers.relativeError(out, helpers.directConv(x, w, b, padding: s.padding)) <= WinogradTests.tolerance)
        }
    }

    /// Only shapes the automatic choice runs as Winograd get a filter transform.
    @Test func onlyWinogradShapes() {
        #expect(WinogradFilter(weight: Tensor(zeros: [64, 64, 3, 3])) != nil)
        #expect(WinogradFilter(weight: Tensor(zeros: [64, 3, 3, 3])) == nil)     // VGG's first layer: im2col
        #expect(WinogradFilter(weight: Tensor(zeros: [8, 64, 3, 3])) == nil)     // too few outputs
        #expect(WinogradFilter(weight: Tensor(zeros: [64, 64, 5, 5])) == nil)
        #expect(WinogradFilter(weight: Tensor(zeros: [64, 64, 1, 1])) == nil)
    }

    /// A filter of another shape is refused with an NNError, not used.
    @Test func rejectsMismatchedFilter() throws {
        let filter = try #require(WinogradFilter(weight: Tensor(zeros: [16, 24, 3, 3])))
        #expect(throws: NNError.self) {
            try conv2d(Tensor(zeros: [1, 16, 8, 8]), weight: Tensor(zeros: [16, 16, 3, 3]), padding: 1, winograd: filter)
        }
    }
}
