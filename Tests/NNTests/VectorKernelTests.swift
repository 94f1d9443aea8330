import CKernels
import Parallel
import Testing
@testable import NN

/// Depthwise convolution, softmax and GELU run C kernels whose vector width depends
/// on the CPU (`roma_kernels_level`; `ROMA_KERNELS=baseline|avx2` forces the narrower
/// paths). These checks put row lengths from shorter than one vector to several
/// vectors plus a remainder through whichever path this machine takes.
struct VectorKernelTests {
    /// Direct loop in double precision over the unpadded input (taps outside are zero).
    func direct(_ x: [Float], channels: Int, h: Int, w: Int, weight: [Float], bias: [Float], k: Int, dilation: Int) -> [Double] {
        let pad = dilation * (k - 1) / 2
        var out = [Double](repeating: 0, count: channels * h * w)
        for c in 0..<channels {
            for oy in 0..<h {
                for ox in 0..<w {
                    var acc = Double(bias[c])
                    for ki in 0..<k {
                        for kj in 0..<k {
                            let iy = oy - pad + ki * dilation, ix = ox - pad + kj * dilation
                            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                            acc += Double(weight[(c * k + ki) * k + kj]) * Double(x[(c * h + iy) * w + ix])
                        }
                    }
                    out[(c * h + oy) * w + ox] = acc
                }
            }
        }
        return out
    }

    // Heights below, at and across the AVX-512 path's blocks of four output rows (square
    // kernels at dilation 1), widths across its 16-lane groups.
    @Test(arguments: [(1, 3), (7, 5), (8, 4), (15, 6), (16, 3), (17, 5), (33, 4), (70, 3), (19, 9), (31, 12)])
    func matchesDirectLoop(width: Int, height: Int) throws {
        var rng = SplitMix64(seed: UInt64(width * 100 + height))
        for (k, dilation) in [(5, 1), (3, 2), (3, 1), (7, 1)] {
            let channels = 3
            let x = (0..<(channels * height * width)).map { _ in Float(rng.unit() * 2 - 1) }
            let weight = (0..<(channels * k * k)).map { _ in Float(rng.unit() * 2 - 1) }
            let bias = (0..<channels).map { _ in Float(rng.unit() - 0.5) }
            let out = try conv2d(Tensor(x, shape: [1, channels, height, width]), weight: Tensor(weight, shape: [channels, 1, k, k]),
                                 bias: Tensor(bias, shape: [channels]), padding: dilation * (k - 1) / 2, dilation: dilation, groups: channels)
            let expected = direct(x, channels: channels, h: height, w: width, weight: weight, bias: bias, k: k, dilation: dilation)
            let got = out.array
            // At most k² products of magnitude ≤ 1 and the bias summed in float32 (with or
            // without fused multiply-add): the rounding error stays below (k² + 1) · 2⁻²⁴ · (k² + 1)
            // (4.0e-5 at 5×5, 1.5e-4 at 7×7).
            let bound = Double((k * k + 1) * (k * k + 1)) * 0x1p-24
            let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < bound, "width \(width), height \(height), kernel \(k), dilation \(dilation), kernels level \(roma_kernels_level()): max error \(worst)")
        }
    }

    /// A NaN anywhere in a row poisons the whole row, as in torch; other rows are untouched.
    @Test(arguments: [5, 16, 37])
    func softmaxPropagatesNaN(columns: Int) throws {
        var values = (0..<(3 * columns)).map { Float($0 % 7) - 3 }
        values[columns + columns / 2] = .nan
        let y = try softmax(Tensor(values, shape: [3, columns])).array
        #expect(y[columns..<(2 * columns)].allSatisfy { $0.isNaN })
        for row in [0, 2] {
            let slice = y[(row * columns)..<((row + 1) * columns)]
            // Sums of ≤ 37 terms in [0, 1] rounded in float32: within 1e-6 of one.
            #expect(abs(slice.reduce(0, +) - 1) < 1e-6 && slice.allSatisfy { $0 > 0 })
        }
    }

    /// GELU keeps NaN, is exact at 0, and follows its limits x and 0 in the tails
    /// (at ±10 the erfc factor is below 1e-22, far under float32's resolution of x).
    @Test func geluEdges() throws {
        let x: [Float] = [.nan, 0, 10, -10, 1, -1] + (0..<19).map { Float($0) * 0.1 - 0.9 }
        let y = try gelu(Tensor(x, shape: [x.count])).array
        #expect(y[0].isNaN)
        #expect(y[1] == 0 && y[2] == 10 && abs(y[3]) < 1e-20)
        // Φ(1) = 0.841344746…: gelu(1) = Φ(1), gelu(−1) = −(1 − Φ(1)); the erfc fit is good to ~1e-7 relative.
        #expect(abs(y[4] - 0.8413447) < 1e-6 && abs(y[5] + 0.1586553) < 1e-6)
    }
}
