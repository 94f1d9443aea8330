import NN
import Parallel
import Testing
@testable import RoMa

/// `RefinerBlock.run` (a wide refiner's stack with each 1×1 bias moved into the next
/// block's depthwise copy) against the blocks run one by one, and against a float64
/// evaluation of the same stack.
struct RefinerBlockTests {
    /// Three blocks at 130 channels (at or above `depthwisePointwiseMaxChannels`: the
    /// unfused path whose bias moves), a 9×11 map, 5×5 depthwise kernels with ReLU.
    func blocks(channels c: Int, count: Int) -> [RefinerBlock] {
        var rng = SplitMix64(seed: 7)
        func values(_ n: Int, _ s: Double) -> [Float] { (0..<n).map { _ in Float((rng.unit() * 2 - 1) * s) } }
        return (0..<count).map { _ in
            var dw = Conv2d(outChannels: c, inChannels: c, kernel: 5, padding: 2, groups: c,
                            weight: values(c * 25, 0.3), bias: values(c, 0.5))
            dw.fusedReLU = true
            let pw = Conv2d(outChannels: c, inChannels: c, kernel: 1, weight: values(c * c, 1 / Double(c).squareRoot()),
                            bias: values(c, 0.5))
            return RefinerBlock(depthwise: dw, pointwise: pw)
        }
    }

    /// The stack in double from the same float32 weights and input.
    func reference(_ blocks: [RefinerBlock], _ x: [Float], c: Int, h: Int, w: Int) -> [Double] {
        var d = x.map(Double.init)
        for b in blocks {
            let dw = b.depthwise.weight.array.map(Double.init), db = b.depthwise.bias.array.map(Double.init)
            var hidden = [Double](repeating: 0, count: c * h * w)
            for ch in 0..<c {
                for y in 0..<h {
                    for xx in 0..<w {
                        var s = db[ch]
                        for ki in 0..<5 {
                            for kj in 0..<5 {
                                let iy = y + ki - 2, ix = xx + kj - 2
                                if iy >= 0 && iy < h && ix >= 0 && ix < w { s += dw[ch * 25 + ki * 5 + kj] * d[(ch * h + iy) * w + ix] }
                            }
                        }
                        hidden[(ch * h + y) * w + xx] = max(s, 0)
                    }
                }
            }
            let pw = b.pointwise.weight.array.map(Double.init), pb = b.pointwise.bias.array.map(Double.init)
            var out = [Double](repeating: 0, count: c * h * w)
            for o in 0..<c {
                for p in 0..<(h * w) {
                    var s = pb[o]
                    for i in 0..<c { s += pw[o * c + i] * hidden[i * h * w + p] }
                    out[o * h * w + p] = s
                }
            }
            d = out
        }
        return d
    }

    /// float32 error bound: each block sums 130 products of O(1) terms in the 1×1 and 26 in the
    /// depthwise, ~√K·2⁻²⁴·Σ|terms| ≈ 1e-6 per block relative to outputs of O(1); three blocks
    /// compound it, so 2e-5 absolute + 2e-5 relative holds with margin while a lost or doubled
    /// bias (errors ≈ 0.1–0.5) fails.
    @Test func movedBiasMatchesBlockByBlockAndDouble() throws {
        let (c, h, w) = (130, 9, 11)
        let stack = blocks(channels: c, count: 3)
        var rng = SplitMix64(seed: 3)
        let input = (0..<(c * h * w)).map { _ in Float(rng.unit() * 2 - 1) }
        let x = Tensor(input, shape: [1, c, h, w])
        let moved = try RefinerBlock.run(stack, x, stage: "test")
        var one = x
        for b in stack { one = try b(one, stage: "test") }
        let expected = reference(stack, input, c: c, h: h, w: w)
        #expect(moved.shape == [1, c, h, w])
        var worst = 0.0
        for (i, e) in expected.enumerated() {
            worst = max(worst, abs(Double(moved.pointer[i]) - e) / (2e-5 + 2e-5 * abs(e)))
            worst = max(worst, abs(Double(one.pointer[i]) - e) / (2e-5 + 2e-5 * abs(e)))
        }
        #expect(worst <= 1, "worst error / tolerance \(worst)")
    }
}
