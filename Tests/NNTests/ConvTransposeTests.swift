@testable import NN
import Parallel
import Testing

/// Transposed convolution against a direct double-precision evaluation of its definition:
/// out[co, iy·s − p + ky, ix·s − p + kx] += x[ci, iy, ix] · w[ci, co, ky, kx], plus bias.
/// Inputs are uniform in [−1, 1], weights scaled by 1/√(Cin·kh·kw), so outputs are O(1)
/// and float32 reordering error is ~√K·2⁻²⁴ ≈ 1e-6; atol/rtol 1e-5 catch any wrong tap
/// (errors of order 0.1).
@Suite struct ConvTransposeTests {
    struct Case: Sendable, CustomStringConvertible {
        let n, cin, cout, h, w, kernel, stride, padding: Int
        var description: String { "n\(n) \(cin)→\(cout) \(h)x\(w) k\(kernel) s\(stride) p\(padding)" }
    }

    static let cases = [
        Case(n: 1, cin: 5, cout: 6, h: 3, w: 4, kernel: 4, stride: 4, padding: 0),   // DPT's ×4 layer
        Case(n: 2, cin: 7, cout: 3, h: 5, w: 2, kernel: 2, stride: 2, padding: 0),   // DPT's ×2 layer, batch of 2
        Case(n: 1, cin: 4, cout: 5, h: 4, w: 6, kernel: 3, stride: 2, padding: 1),   // overlapping taps, cropped border
        Case(n: 1, cin: 3, cout: 2, h: 3, w: 3, kernel: 3, stride: 1, padding: 0),
    ]

    static func values(_ count: Int, scale: Double, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in Float(Double.random(in: -1...1, using: &rng) * scale) }
    }

    static func reference(_ c: Case, x: [Float], w: [Float], b: [Float]) -> [Double] {
        let ho = (c.h - 1) * c.stride - 2 * c.padding + c.kernel, wo = (c.w - 1) * c.stride - 2 * c.padding + c.kernel
        var out = [Double](repeating: 0, count: c.n * c.cout * ho * wo)
        for n in 0..<c.n {
            for co in 0..<c.cout {
                for i in 0..<(ho * wo) { out[(n * c.cout + co) * ho * wo + i] = Double(b[co]) }
                for ci in 0..<c.cin {
                    for iy in 0..<c.h {
                        for ix in 0..<c.w {
                            for ky in 0..<c.kernel {
                                for kx in 0..<c.kernel {
                                    let oy = iy * c.stride - c.padding + ky, ox = ix * c.stride - c.padding + kx
                                    guard oy >= 0, oy < ho, ox >= 0, ox < wo else { continue }
                                    let xv = Double(x[((n * c.cin + ci) * c.h + iy) * c.w + ix])
                                    let wv = Double(w[((ci * c.cout + co) * c.kernel + ky) * c.kernel + kx])
                                    out[((n * c.cout + co) * ho + oy) * wo + ox] += xv * wv
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: cases)
    func matchesDoublePrecisionDefinition(_ c: Case) throws {
        var rng = SplitMix64(seed: 7)
        let x = Self.values(c.n * c.cin * c.h * c.w, scale: 1, &rng)
        let w = Self.values(c.cin * c.cout * c.kernel * c.kernel, scale: 1 / Double(c.cin * c.kernel * c.kernel).squareRoot(), &rng)
        let b = Self.values(c.cout, scale: 0.1, &rng)
        let y = try convTranspose2d(Tensor(x, shape: [c.n, c.cin, c.h, c.w]), weight: Tensor(w, shape: [c.cin, c.cout, c.kernel, c.kernel]),
                                    bias: Tensor(b, shape: [c.cout]), stride: c.stride, padding: c.padding, workspace: Workspace())
        let ho = (c.h - 1) * c.stride - 2 * c.padding + c.kernel, wo = (c.w - 1) * c.stride - 2 * c.padding + c.kernel
        #expect(y.shape == [c.n, c.cout, ho, wo])
        let expected = Self.reference(c, x: x, w: w, b: b)
        let worst = zip(y.array, expected).map { abs(Double($0) - $1) / (1e-5 + 1e-5 * abs($1)) }.max() ?? 0
        #expect(worst <= 1, "\(c): worst error ratio \(worst)")
    }

    @Test func withoutBiasAddsNothing() throws {
        let x = Tensor(repeating: 1, shape: [1, 1, 2, 2]), w = Tensor(repeating: 0.5, shape: [1, 1, 2, 2])
        let y = try convTranspose2d(x, weight: w, stride: 2)
        #expect(y.array == [Float](repeating: 0.5, count: 16))
    }

    @Test func rejectsBadShapes() {
        let w = Tensor(zeros: [3, 2, 2, 2])
        #expect(throws: NNError.self) { try convTranspose2d(Tensor(zeros: [1, 4, 3, 3]), weight: w, stride: 2) }   // channels
        #expect(throws: NNError.self) { try convTranspose2d(Tensor(zeros: [3, 3, 3]), weight: w) }                 // rank
        #expect(throws: NNError.self) { try convTranspose2d(Tensor(zeros: [1, 3, 3, 3]), weight: w, bias: Tensor(zeros: [3])) }
        #expect(throws: NNError.self) { try convTranspose2d(Tensor(zeros: [1, 3, 1, 1]), weight: w, padding: 1) }  // empty output
        #expect(throws: NNError.self) { try convTranspose2d(Tensor(zeros: [1, 3, 3, 3]), weight: w, stride: 0) }
    }
}
