import Foundation
import NN
import Testing

/// RoPE (RoPE.swift) against a double-precision transcription of DINOv3's
/// `RopePositionEmbedding.forward` and `rope_apply`, written from the reference's formulas.
struct RoPETests {
    /// DINOv3's periods: base^(2i/(D/2)), i < D/4.
    static func periods(headDim d: Int, base: Double = 100) -> [Double] {
        (0..<(d / 4)).map { pow(base, 2 * Double($0) / Double(d / 2)) }
    }

    /// sin, cos [H·W, D] in double.
    static func tables(height: Int, width: Int, periods p: [Double]) -> (sin: [Double], cos: [Double]) {
        let q = p.count, d = 4 * q
        var s = [Double](), c = [Double]()
        for y in 0..<height {
            for x in 0..<width {
                let coords = [2 * (Double(y) + 0.5) / Double(height) - 1, 2 * (Double(x) + 0.5) / Double(width) - 1]
                let half = (0..<(2 * q)).map { 2 * Double.pi * coords[$0 / q] / p[$0 % q] }
                let angles = half + half
                precondition(angles.count == d)
                s += angles.map { Foundation.sin($0) }
                c += angles.map { Foundation.cos($0) }
            }
        }
        return (s, c)
    }

    @Test(arguments: [(4, 4, 16), (3, 5, 16), (7, 2, 64), (1, 1, 8)])
    func tablesMatchDoublePrecision(height: Int, width: Int, headDim: Int) throws {
        let p = Self.periods(headDim: headDim)
        let rope = try RotaryEmbedding(height: height, width: width, periods: Tensor(p.map { Float($0) }, shape: [p.count]))
        #expect(rope.sin.shape == [height * width, headDim] && rope.cos.shape == rope.sin.shape)
        let (s, c) = Self.tables(height: height, width: width, periods: p)
        // Angles reach 2π·(1 − 1/n); float32 rounding of the period, 2π, the coordinate and
        // the angle gives about 4 ulp of 2π ≈ 2e-6 in the angle, and sin/cos add an ulp.
        for (ours, ref) in [(rope.sin.array, s), (rope.cos.array, c)] {
            let worst = zip(ours, ref).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < 5e-6, "table differs from double by \(worst)")
        }
    }

    @Test func rotatesQueryAndKeyOfPatchTokensOnly() throws {
        let (heads, d, prefix, h, w) = (2, 16, 5, 3, 5)
        let c = heads * d, n = prefix + h * w
        let p = Self.periods(headDim: d)
        let rope = try RotaryEmbedding(height: h, width: w, periods: Tensor(p.map { Float($0) }, shape: [p.count]))
        var g = SystemRandomNumberGenerator()
        let values = (0..<(n * 3 * c)).map { _ in Float.random(in: -2...2, using: &g) }
        let qkv = Tensor(values, shape: [1, n, 3 * c])
        try applyRotary(qkv, rope, groups: 2 * heads)
        let (s, co) = Self.tables(height: h, width: w, periods: p)
        let out = qkv.array
        var worst = 0.0
        for token in 0..<n {
            for ch in 0..<(3 * c) {
                let i = token * 3 * c + ch
                var expected = Double(values[i])
                if token >= prefix && ch < 2 * c {   // q and k of a patch token: x·cos + rotate_half(x)·sin
                    let t = token - prefix, k = ch % d, head = ch - k
                    let partner = k < d / 2 ? -Double(values[token * 3 * c + head + k + d / 2]) : Double(values[token * 3 * c + head + k - d / 2])
                    expected = Double(values[i]) * co[t * d + k] + partner * s[t * d + k]
                }
                worst = max(worst, abs(Double(out[i]) - expected))
            }
        }
        // |x| ≤ 2: two products and a sum of O(2) values, plus the tables' 5e-6, in float32.
        #expect(worst < 2e-5, "rotation differs from double by \(worst)")
    }

    @Test func attentionWithRotaryEqualsRotatedInputs() throws {
        // multiHeadSelfAttention(rotary:) must equal attention over q, k rotated by hand.
        let (heads, d, n) = (2, 8, 6)
        let c = heads * d
        var g = SystemRandomNumberGenerator()
        func random(_ shape: [Int]) -> Tensor { Tensor((0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &g) }, shape: shape) }
        let x = random([1, n, c]), wqkv = random([3 * c, c]), bqkv = random([3 * c]), wp = random([c, c])
        let rope = try RotaryEmbedding(height: 2, width: 2, periods: Tensor([1, 10], shape: [2]))
        let ours = try multiHeadSelfAttention(x, qkvWeight: wqkv, qkvBias: bqkv, projWeight: wp, projBias: nil, heads: heads, rotary: rope)
        let qkv = try linear(x, weight: wqkv, bias: bqkv)
        try applyRotary(qkv, rope, groups: 2 * heads)
        let split = try permute(qkv.reshaped([1, n, 3, heads, d]), [2, 0, 3, 1, 4])   // [3, 1, heads, n, d]
        func part(_ i: Int) throws -> Tensor { try narrow(split, dim: 0, start: i, length: 1).reshaped([1, heads, n, d]) }
        let attended = try scaledDotProductAttention(q: part(0), k: part(1), v: part(2))
        let mixed = try permute(attended, [0, 2, 1, 3]).reshaped([1, n, c])
        let expected = try linear(mixed, weight: wp)
        let worst = zip(ours.array, expected.array).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "attention with rotary differs by \(worst)")
    }

    @Test func rejectsMismatchedShapes() throws {
        let rope = try RotaryEmbedding(height: 2, width: 2, periods: Tensor([1, 10], shape: [2]))   // head width 8, 4 tokens
        #expect(throws: NNError.self) { try applyRotary(Tensor(zeros: [1, 3, 16]), rope, groups: 2) }     // fewer tokens than positions
        #expect(throws: NNError.self) { try applyRotary(Tensor(zeros: [1, 4, 16]), rope, groups: 3) }     // heads overflow the width
        #expect(throws: NNError.self) { try RotaryEmbedding(height: 0, width: 2, periods: Tensor([1], shape: [1])) }
        #expect(throws: NNError.self) { try RotaryEmbedding(height: 2, width: 2, periods: Tensor([1, 0], shape: [2])) }
        #expect(throws: NNError.self) {
            try multiHeadSelfAttention(Tensor(zeros: [1, 4, 32]), qkvWeight: Tensor(zeros: [96, 32]), qkvBias: nil,
                                       projWeight: Tensor(zeros: [32, 32]), projBias: nil, heads: 2, rotary: rope)   // heads 16 wide, tables 8
        }
    }
}
