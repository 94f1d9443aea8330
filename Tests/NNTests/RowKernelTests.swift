import Parallel
import Testing
@testable import NN

/// The C row kernels (CKernels/norms.c) against the Swift loops they replaced, bit for bit:
/// they perform the same operations in the same order.
struct RowKernelTests {
    /// NN's layer norm loop before it moved to C: per row, double sums from the first
    /// element to the last, then each output in double, rounded once.
    func layerNormLoop(_ x: [Float], rows: Int, c: Int, weight: [Float]?, bias: [Float]?, eps: Float) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            var sum = 0.0
            for k in 0..<c { sum += Double(x[r * c + k]) }
            let mean = sum / Double(c)
            var sq = 0.0
            for k in 0..<c { let d = Double(x[r * c + k]) - mean; sq += d * d }
            let inv = 1 / (sq / Double(c) + Double(eps)).squareRoot()
            for k in 0..<c {
                var v = (Double(x[r * c + k]) - mean) * inv
                if let weight { v *= Double(weight[k]) }
                if let bias { v += Double(bias[k]) }
                out[r * c + k] = Float(v)
            }
        }
        return out
    }

    /// 8-row groups and a ragged remainder (19 rows), narrow and DINOv2-wide rows, rows
    /// with a large mean (where the order of the double sums shows), every weight/bias
    /// combination, and in place.
    @Test(arguments: [(19, 1024), (3, 13), (40, 64)])
    func layerNormEqualsSwiftLoop(rows: Int, c: Int) throws {
        var rng = SplitMix64(seed: UInt64(rows * 1000 + c))
        let x = (0..<(rows * c)).map { i in Float(rng.gaussian()) + (i / c % 2 == 0 ? 50 : 0) }
        let w = (0..<c).map { _ in Float(rng.gaussian()) }, b = (0..<c).map { _ in Float(rng.gaussian()) }
        for (weight, bias) in [(w, b), (w, nil), (nil, b), (nil, nil)] as [([Float]?, [Float]?)] {
            let expected = layerNormLoop(x, rows: rows, c: c, weight: weight, bias: bias, eps: 1e-6)
            let input = Tensor(x, shape: [rows, c])
            let got = try layerNorm(input, weight: weight.map { Tensor($0, shape: [c]) }, bias: bias.map { Tensor($0, shape: [c]) },
                                    eps: 1e-6).array
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(rows)×\(c), weight \(weight != nil), bias \(bias != nil)")
            let inPlace = Tensor(x, shape: [rows, c])
            _ = try layerNorm(inPlace, weight: weight.map { Tensor($0, shape: [c]) }, bias: bias.map { Tensor($0, shape: [c]) },
                              eps: 1e-6, into: inPlace)
            #expect(inPlace.array.map(\.bitPattern) == expected.map(\.bitPattern))
        }
    }

    /// Widths with and without a 16-wide tail, odd sizes (dropped last row and column), and
    /// NaN, ±0 and ties placed so Swift's max(x, y) = y >= x ? y : x decides which comes out.
    @Test(arguments: [(6, 70), (5, 33), (2, 2)])
    func maxPoolEqualsSwiftLoop(h: Int, w: Int) throws {
        var rng = SplitMix64(seed: UInt64(h * 100 + w))
        var x = (0..<(2 * h * w)).map { _ in Float(rng.gaussian()) }
        let specials: [Float] = [.nan, 0, -0.0, 1, 1, -.infinity]
        for i in stride(from: 0, to: x.count, by: 3) { x[i] = specials[(i / 3) % specials.count] }
        let got = try maxPool2x2(Tensor(x, shape: [1, 2, h, w])).array
        var expected: [Float] = []
        for plane in 0..<2 {
            for oy in 0..<(h / 2) {
                for ox in 0..<(w / 2) {
                    let t = plane * h * w + 2 * oy * w + 2 * ox
                    expected.append(max(max(x[t], x[t + 1]), max(x[t + w], x[t + w + 1])))
                }
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
