@testable import NN
import Testing

/// Winograd F(2×2, 3×3) against a direct convolution summed in double precision.
///
/// Error measure: |y − y_ref| / S, with S = |b| + Σ|w·x| over the output's taps (the
/// scale every float32 summation error of that output is proportional to). A plain
/// float32 dot product of K terms errs by ≲ K·u·S (u = 2⁻²⁴ ≈ 6e-8), typically √K·u·S.
/// Winograd adds rounding in its transforms and sums transformed values whose
/// magnitudes are up to (2·2)·(1.5·1.5)·(3·3) = 81× those of the plain products
/// (row sums of |Bᵀ|⊗|Bᵀ|, |G|⊗|G|, |Aᵀ|⊗|Aᵀ|), but errors add like random walks and
/// the worst cases do not align: measured errors stay below 1.8e-7·S for K ≤ 50,
/// like im2col's (≤ 1.6e-7·S on the same cases). The tolerance 2e-6·S keeps ~10× headroom while
/// a wrong tap, a misplaced tile or a dropped border (errors ~ 0.1·S or more) fails.
@Suite struct WinogradTests {
    static let tolerance = 2e-6

    struct Shape: CustomTestStringConvertible, Sendable {
        let batch, inChannels, outChannels, height, width, padding: Int
        let bias: Bool
        var testDescription: String {
            "\(batch)×\(inChannels)→\(outChannels) \(height)×\(width) pad \(padding)\(bias ? " +bias" : "")"
        }
    }

    /// Odd and even output sizes (partial last tile row and column), padding 0/1/2,
    /// channel counts that are not multiples of 8, batch 2, 1×1 and 1×n outputs.
    static let shapes: [Shape] = [
        Shape(batch: 2, inChannels: 19, outChannels: 21, height: 13, width: 11, padding: 1, bias: true),
        Shape(batch: 2, inChannels: 17, outChannels: 5, height: 8, width: 9, padding: 0, bias: false),
        Shape(batch: 1, inChannels: 33, outChannels: 24, height: 7, width: 16, padding: 2, bias: true),
        Shape(batch: 2, inChannels: 3, outChannels: 7, height: 6, width: 5, padding: 1, bias: true),
        Shape(batch: 1, inChannels: 20, outChannels: 9, height: 3, width: 3, padding: 0, bias: true),
        Shape(batch: 2, inChannels: 11, outChannels: 13, height: 4, width: 23, padding: 0, bias: false),
        Shape(batch: 1, inChannels: 50, outChannels: 18, height: 1, width: 2, padding: 1, bias: true),
    ]

    @Test(arguments: shapes)
    func matchesDirectConvolution(_ s: Shape) throws {
        let (x, w, b) = inputs(s, seed: UInt64(s.inChannels * 131 + s.height))
        let reference = directConv(x, w, b, padding: s.padding)
        let y = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .winograd)
        let error = relativeError(y, reference)
        #expect(error <= Self.tolerance, "Winograd error \(error)·S")
        // The im2col path must agree with the same reference: both sides of the dispatch are exact.
        let plain = try conv2d(x, weight: w, bias: b, padding: s.padding, algorithm: .im2col)
        #expect(relativeError(plain, reference) <= Self.tolerance)
    }

    /// torch's F.conv2d on the shared fixture (batch 2, 5 → 7 channels, 11×13, padding 1,
    /// odd in both directions), forced through Winograd, at ConvTests' tolerance (1e-5,
    /// justified there for float32 reordering): Winograd's error measured above is the
    /// same size as im2col's, which passes it.
    @Test func matchesTorchFixture() throws {
        let f = try Fixture("conv_3x3")
        let y = try conv2d(try f.tensor("x"), weight: try f.tensor("weight"), bias: try f.tensor("bias"),
                           padding: try f.int("padding"), algorithm: .winograd)
        expectClose(y, try f.tensor("y"), rtol: 1e-5, atol: 1e-5, "conv_3x3 via Winograd")
    }

    /// One tile row per band, so every band boundary (and a last band holding the
    /// partial tile row) is crossed; a scratch budget of one float forces it.
    @Test(arguments: [shapes[0], shapes[2], shapes[5]])
    func bandedMatchesDirectConvolution(_ s: Shape) throws {
        let (x, w, b) = inputs(s, seed: 7)
        let reference = directConv(x, w, b, padding: s.padding)
        let g = try ConvGeometry(x: x, weight: w, bias: b, stride: 1, padding: s.padding, dilation: 1, groups: 1)
        let out = Tensor(uninitialized: [s.batch, s.outChannels, g.outHeight, g.outWidth])
        // Both ways of running the bands: each step on all threads, and bands per thread
        // (WinogradTiles.swift; where the GEMM has no calling-thread path it falls back).
        for perThread in [false, true] {
            winogradConv2d(x, w, b, g, out, nil, bandBudget: 1, minimumBandTiles: 1, perThread: perThread)
            let error = relativeError(out, reference)
            #expect(error <= Self.tolerance, "banded Winograd error \(error)·S (per thread: \(perThread))")
        }
    }

    /// A VGG-like layer (64 channels, 40×37 input) through the automatic choice, which
    /// must take Winograd here, compared with the forced im2col path: both float32, so
    /// their difference is bounded by the sum of their errors (2·tolerance·S).
    @Test func automaticChoiceAgreesWithIm2col() throws {
        let s = Shape(batch: 2, inChannels: 64, outChannels: 64, height: 40, width: 37, padding: 1, bias: true)
        let (x, w, b) = inputs(s, seed: 3)
        let g = try ConvGeometry(x: x, weight: w, bias: b, stride: 1, padding: 1, dilation: 1, groups: 1)
        #expect(winogradApplies(g))
        let auto = try conv2d(x, weight: w, bias: b, padding: 1)
        let plain = try conv2d(x, weight: w, bias: b, padding: 1, algorithm: .im2col)
        let reference = directConv(x, w, b, padding: 1)
        #expect(relativeError(auto, reference) <= Self.tolerance)
        #expect(relativeError(plain, reference) <= Self.tolerance)
    }

    /// The dispatch policy: VGG's first layer (Cin = 3) and non-Winograd shapes stay on im2col.
    @Test func dispatchPolicy() throws {
        func geometry(_ cin: Int, _ cout: Int, k: Int = 3, stride: Int = 1, dilation: Int = 1, groups: Int = 1) throws -> ConvGeometry {
            try ConvGeometry(x: Tensor(zeros: [1, cin, 16, 16]), weight: Tensor(zeros: [cout, cin / groups, k, k]), bias: nil,
                             stride: stride, padding: 1, dilation: dilation, groups: groups)
        }
        #expect(try !winogradApplies(geometry(3, 64)))
        #expect(try winogradApplies(geometry(64, 64)))
        #expect(try winogradApplies(geometry(256, 512)))
        #expect(try !winogradApplies(geometry(64, 64, stride: 2)))
        #expect(try !winogradApplies(geometry(64, 64, dilation: 2)))
        #expect(try !winogradApplies(geometry(64, 64, groups: 2)))
        #expect(try !winogradApplies(geometry(64, 64, k: 5)))
    }

    @Test func rejectsUnsupportedShapesWhenForced() throws {
        let x = Tensor(zeros: [1, 16, 9, 9])
        #expect(throws: NNError.self) { try conv2d(x, weight: Tensor(zeros: [4, 16, 5, 5]), algorithm: .winograd) }
        #expect(throws: NNError.self) { try conv2d(x, weight: Tensor(zeros: [4, 16, 3, 3]), stride: 2, algorithm: .winograd) }
        #expect(throws: NNError.self) { try conv2d(x, weight: Tensor(zeros: [4, 8, 3, 3]), groups: 2, algorithm: .winograd) }
    }

    @Test func workspaceReusesScratchAcrossCalls() throws {
        let s = Shape(batch: 1, inChannels: 24, outChannels: 16, height: 12, width: 12, padding: 1, bias: true)
        let (x, w, b) = inputs(s, seed: 5)
        let ws = Workspace()
        let first = try conv2d(x, weight: w, bias: b, padding: 1, workspace: ws, algorithm: .winograd)
        let expected = first.copy()
        ws.recycle(first)
        let before = ws.allocatedBytes
        let second = try conv2d(x, weight: w, bias: b, padding: 1, workspace: ws, algorithm: .winograd)
        #expect(ws.allocatedBytes == before, "a repeated call with recycled buffers must not allocate")
        #expect(second.array == expected.array, "same inputs, same result")
    }

    // MARK: Helpers

    /// Input in [−1, 1), weights scaled by 1/√(9·Cin) so outputs stay O(1), bias in [−1, 1).
    func inputs(_ s: Shape, seed: UInt64) -> (Tensor, Tensor, Tensor?) {
        var state = seed
        func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 23) - 1
        }
        let scale = 1 / Float(9 * s.inChannels).squareRoot()
        let x = Tensor((0..<(s.batch * s.inChannels * s.height * s.width)).map { _ in next() },
                       shape: [s.batch, s.inChannels, s.height, s.width])
        let w = Tensor((0..<(s.outChannels * s.inChannels * 9)).map { _ in next() * scale },
                       shape: [s.outChannels, s.inChannels, 3, 3])
        let b = s.bias ? Tensor((0..<s.outChannels).map { _ in next() }, shape: [s.outChannels]) : nil
        return (x, w, b)
    }

    /// Direct 3×3 convolution in double: values and the error scale S = |b| + Σ|w·x| per output.
    func directConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, padding p: Int) -> (values: [Double], scale: [Double]) {
        let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3], cout = w.shape[0]
        let ho = h + 2 * p - 2, wo = wd + 2 * p - 2
        let xs = x.array.map(Double.init), ws = w.array.map(Double.init), bs = b?.array.map(Double.init)
        var values = [Double](repeating: 0, count: n * cout * ho * wo), scale = values
        for i in 0..<n {
            for co in 0..<cout {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var sum = bs?[co] ?? 0, mag = abs(sum)
                        for ci in 0..<cin {
                            for ky in 0..<3 {
                                let iy = oy - p + ky
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<3 {
                                    let ix = ox - p + kx
                                    if ix < 0 || ix >= wd { continue }
                                    let t = ws[((co * cin + ci) * 3 + ky) * 3 + kx] * xs[((i * cin + ci) * h + iy) * wd + ix]
                                    sum += t; mag += abs(t)
                                }
                            }
                        }
                        let o = ((i * cout + co) * ho + oy) * wo + ox
                        values[o] = sum; scale[o] = mag
                    }
                }
            }
        }
        return (values, scale)
    }

    /// max |y − y_ref| / S (∞ on a shape mismatch or NaN).
    func relativeError(_ y: Tensor, _ reference: (values: [Double], scale: [Double])) -> Double {
        let a = y.array
        guard a.count == reference.values.count else { return .infinity }
        var worst = 0.0
        for i in 0..<a.count {
            let e = abs(Double(a[i]) - reference.values[i]) / max(reference.scale[i], 1e-30)
            if !(e <= worst) { worst = e.isNaN ? .infinity : e }
        }
        return worst
    }
}
