import CKernels
import Parallel
import Testing
@testable import NN

/// The fused refiner block (`depthwisePointwise`) against the same block in double
/// precision, over shapes and forced band sizes that put bands of one row, bands
/// ending inside the image, halos crossing the top and bottom edges, several images
/// in a batch and row lengths shorter and longer than one vector through it.
struct DepthwisePointwiseTests {
    struct Case: CustomStringConvertible, Sendable {
        let batch, channels, outChannels, height, width, kernel, padding, dilation: Int
        let bandColumns: Int?
        var description: String {
            "N\(batch) C\(channels)→\(outChannels) \(height)×\(width) k\(kernel) p\(padding) d\(dilation) band \(bandColumns.map(String.init) ?? "auto")"
        }
    }

    static let cases: [Case] = [
        Case(batch: 1, channels: 5, outChannels: 5, height: 9, width: 7, kernel: 5, padding: 2, dilation: 1, bandColumns: 1),
        Case(batch: 2, channels: 37, outChannels: 37, height: 13, width: 17, kernel: 5, padding: 2, dilation: 1, bandColumns: 40),
        Case(batch: 1, channels: 24, outChannels: 3, height: 21, width: 33, kernel: 5, padding: 2, dilation: 1, bandColumns: nil),
        Case(batch: 2, channels: 16, outChannels: 20, height: 11, width: 16, kernel: 3, padding: 2, dilation: 2, bandColumns: 48),
        Case(batch: 1, channels: 8, outChannels: 6, height: 12, width: 10, kernel: 5, padding: 0, dilation: 1, bandColumns: 12),
        Case(batch: 1, channels: 3, outChannels: 4, height: 2, width: 3, kernel: 5, padding: 2, dilation: 1, bandColumns: nil),
        // Wider than RoMa fuses (depthwisePointwiseMaxChannels), automatic band.
        Case(batch: 2, channels: 130, outChannels: 7, height: 9, width: 11, kernel: 5, padding: 2, dilation: 1, bandColumns: nil),
    ]

    /// Exact block in double and, per output, the bound γ·Σ|terms| on float32's error:
    /// the hidden value is a sum of k² + 1 terms, the output one of C + 1 terms of
    /// hidden values, so the float32 result is within (k² + C + 2)·2⁻²⁴ times the
    /// sum of the absolute values of every product that enters it (the standard
    /// forward bound for summation, with or without fused multiply-add, in any order).
    func reference(_ x: [Float], _ c: Case, dw: [Float], db: [Float], pw: [Float], pb: [Float])
        -> (value: [Double], bound: [Double], ho: Int, wo: Int) {
        let k = c.kernel, span = c.dilation * (k - 1)
        let ho = c.height + 2 * c.padding - span, wo = c.width + 2 * c.padding - span
        var value = [Double](), bound = [Double]()
        let u = 1.0 / Double(1 << 24), terms = Double(k * k + c.channels + 2)
        for n in 0..<c.batch {
            var hidden = [Double](repeating: 0, count: c.channels * ho * wo), magnitude = hidden
            for ch in 0..<c.channels {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var acc = Double(db[ch]), mag = abs(Double(db[ch]))
                        for ki in 0..<k {
                            for kj in 0..<k {
                                let iy = oy - c.padding + ki * c.dilation, ix = ox - c.padding + kj * c.dilation
                                if iy < 0 || iy >= c.height || ix < 0 || ix >= c.width { continue }
                                let p = Double(dw[(ch * k + ki) * k + kj]) * Double(x[((n * c.channels + ch) * c.height + iy) * c.width + ix])
                                acc += p
                                mag += abs(p)
                            }
                        }
                        hidden[(ch * ho + oy) * wo + ox] = max(acc, 0)
                        magnitude[(ch * ho + oy) * wo + ox] = mag
                    }
                }
            }
            for o in 0..<c.outChannels {
                for i in 0..<(ho * wo) {
                    var acc = Double(pb[o]), mag = abs(Double(pb[o]))
                    for ch in 0..<c.channels {
                        let w = Double(pw[o * c.channels + ch])
                        acc += w * hidden[ch * ho * wo + i]
                        mag += abs(w) * magnitude[ch * ho * wo + i]
                    }
                    value.append(acc)
                    bound.append(terms * u * mag)
                }
            }
        }
        return (value, bound, ho, wo)
    }

    @Test(arguments: cases)
    func matchesDoublePrecision(_ c: Case) throws {
        guard depthwisePointwiseAvailable else {
            // OpenBLAS only (ROMA_KERNELS=baseline): the fused op refuses, callers run the ops apart.
            #expect(throws: NNError.self) {
                try depthwisePointwise(Tensor(zeros: [1, 1, 3, 3]), depthwiseWeight: Tensor(zeros: [1, 1, 3, 3]),
                                       depthwiseBias: Tensor(zeros: [1]), padding: 1, relu: true,
                                       pointwiseWeight: Tensor(zeros: [1, 1, 1, 1]), pointwiseBias: nil)
            }
            return
        }
        var rng = SplitMix64(seed: UInt64(c.channels * 1000 + c.height * 10 + c.width))
        func values(_ n: Int, _ scale: Double = 1) -> [Float] { (0..<n).map { _ in Float((rng.unit() * 2 - 1) * scale) } }
        let x = values(c.batch * c.channels * c.height * c.width)
        let dw = values(c.channels * c.kernel * c.kernel), db = values(c.channels, 0.5)
        let pw = values(c.outChannels * c.channels), pb = values(c.outChannels, 0.5)
        let expected = reference(x, c, dw: dw, db: db, pw: pw, pb: pb)
        let y = try depthwisePointwise(Tensor(x, shape: [c.batch, c.channels, c.height, c.width]),
                                       depthwiseWeight: Tensor(dw, shape: [c.channels, 1, c.kernel, c.kernel]),
                                       depthwiseBias: Tensor(db, shape: [c.channels]), padding: c.padding, dilation: c.dilation,
                                       relu: true, pointwiseWeight: Tensor(pw, shape: [c.outChannels, c.channels, 1, 1]),
                                       pointwiseBias: Tensor(pb, shape: [c.outChannels]), bandColumns: c.bandColumns)
        #expect(y.shape == [c.batch, c.outChannels, expected.ho, expected.wo])
        let got = y.array
        var worst = 0.0
        for i in got.indices { worst = max(worst, abs(Double(got[i]) - expected.value[i]) / max(expected.bound[i], 1e-30)) }
        #expect(worst <= 1, "\(c), kernels level \(roma_kernels_level()), GEMM \(GEMM.current): worst error \(worst) of its bound")
    }

    /// Without ReLU and without a pointwise bias, fused equals the two convolutions run apart
    /// up to float32 reordering (same bound as above, doubled: two float32 results).
    @Test func matchesSeparateConvolutions() throws {
        guard depthwisePointwiseAvailable else { return }
        var rng = SplitMix64(seed: 7)
        let (ch, out, h, w) = (12, 9, 15, 19)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.unit() * 2 - 1) } }
        let x = Tensor(values(ch * h * w), shape: [1, ch, h, w])
        let dw = Tensor(values(ch * 25), shape: [ch, 1, 5, 5]), db = Tensor(values(ch), shape: [ch])
        let pw = Tensor(values(out * ch), shape: [out, ch, 1, 1])
        let fused = try depthwisePointwise(x, depthwiseWeight: dw, depthwiseBias: db, padding: 2, relu: false,
                                           pointwiseWeight: pw, pointwiseBias: nil, bandColumns: 30).array
        let apart = try conv2d(conv2d(x, weight: dw, bias: db, padding: 2, groups: ch), weight: pw).array
        // |hidden| ≤ 25 + 1, |output| ≤ 12·26: (25 + 12 + 2)·2⁻²⁴·312 ≈ 7e-4 each side.
        let worst = zip(fused, apart).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1.5e-3, "worst difference \(worst)")
    }

    /// depthwiseConv2d(x, inputBias:) is the depthwise conv of x + inputBias (zero padding
    /// untouched): bit for bit add-then-conv2d, since each element's sum rounds the same way.
    @Test func inputBiasEqualsAddThenConvolve() throws {
        let (c, h, w) = (6, 7, 9)
        var rng = SplitMix64(seed: 11)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.unit() * 2 - 1) } }
        let x = Tensor(values(c * h * w), shape: [1, c, h, w]), shift = Tensor(values(c), shape: [c])
        let weight = Tensor(values(c * 9), shape: [c, 1, 3, 3]), bias = Tensor(values(c), shape: [c])
        for relu in [false, true] {
            let got = try depthwiseConv2d(x, inputBias: shift, weight: weight, bias: bias, padding: 1, relu: relu)
            let shifted = try add(x, shift.reshaped([1, c, 1, 1]))
            let want = try conv2d(shifted, weight: weight, bias: bias, padding: 1, groups: c, relu: relu)
            #expect(got.shape == want.shape)
            #expect(zip(got.array, want.array).allSatisfy { $0.bitPattern == $1.bitPattern }, "relu \(relu)")
        }
        #expect(throws: NNError.self) {
            try depthwiseConv2d(x, inputBias: Tensor(zeros: [c + 1]), weight: weight, bias: bias, padding: 1, relu: false)
        }
    }
}
