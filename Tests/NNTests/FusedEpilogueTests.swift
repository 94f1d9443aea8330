import Foundation
import Testing
@testable import NN

/// The fused epilogues of DINOv2's fp32 blocks: `addResidual` (bias, layer scale and
/// residual sum in one pass) and `gelu(_:addingBias:)` (fc1's bias in the GELU pass).
@Suite struct FusedEpilogueTests {
    /// x + γ·(y + b) rounded op by op, as torch's separate ops round it: the fused pass
    /// must equal NN's separate add, layerScale and add to the bit (no fused multiply-add,
    /// same order), for every combination of bias and gamma, with a ragged width.
    @Test func residualMatchesSeparateOpsExactly() throws {
        let (n, c) = (29, 37)
        let x = Float32AccuracyTests.rows(n, c, mean: 3, std: 2, seed: 21), y = Float32AccuracyTests.rows(n, c, mean: 0, std: 1, seed: 22)
        let b = Tensor(Float32AccuracyTests.rows(1, c, mean: 0.1, std: 0.3, seed: 23), shape: [c])
        let g = Tensor(Float32AccuracyTests.rows(1, c, mean: 0.1, std: 0.05, seed: 24), shape: [c])
        for (bias, gamma) in [(b, g), (b, nil), (nil, g), (nil, nil)] as [(Tensor?, Tensor?)] {
            let fused = Tensor(x, shape: [1, n, c])
            try addResidual(fused, Tensor(y, shape: [1, n, c]), bias: bias, gamma: gamma)
            var branch = Tensor(y, shape: [1, n, c])
            if let bias { branch = try add(branch, bias) }
            if let gamma { branch = try layerScale(branch, gamma: gamma) }
            let separate = try add(Tensor(x, shape: [1, n, c]), branch)
            #expect(fused.array == separate.array, "bias \(bias != nil), gamma \(gamma != nil)")
        }
        let x0 = Tensor(x, shape: [1, n, c])
        #expect(throws: NNError.self) { try addResidual(x0, Tensor(zeros: [1, n, c + 1])) }
        #expect(throws: NNError.self) { try addResidual(x0, Tensor(y, shape: [1, n, c]), bias: Tensor(zeros: [c - 1])) }
        #expect(throws: NNError.self) { try addResidual(x0, x0) }
    }

    /// gelu(x + b) in one pass is the separate add then GELU to the bit (same float sum,
    /// same GELU formula on every kernel path), and within 2e-6·(1 + |x + b|) of the exact
    /// GELU of the float sum in double: the erfc fit's ~1e-7 relative error (VectorKernelTests)
    /// times |x| up to ~8 here, plus the product's rounding. Rows of 100 cover a ragged
    /// 16-lane tail.
    @Test func geluWithBiasAgreesWithSeparateOpsAndDouble() throws {
        let (n, c) = (23, 100)
        let x = Float32AccuracyTests.rows(n, c, mean: 0, std: 2, seed: 31), b = Float32AccuracyTests.rows(1, c, mean: 0.2, std: 1, seed: 32)
        let fused = try gelu(Tensor(x, shape: [n, c]), addingBias: Tensor(b, shape: [c])).array
        let separate = try gelu(try add(Tensor(x, shape: [n, c]), Tensor(b, shape: [c]))).array
        #expect(fused == separate)
        var worst = 0.0
        for i in 0..<(n * c) {
            let s = Double(x[i] + b[i % c])
            let exact = s * 0.5 * erfc(-s / 2.0.squareRoot())
            worst = max(worst, abs(Double(fused[i]) - exact) / (1 + abs(s)))
        }
        #expect(worst < 2e-6, "worst error \(worst)")
        let inPlace = Tensor(x, shape: [n, c])
        _ = try gelu(inPlace, addingBias: Tensor(b, shape: [c]), into: inPlace)
        #expect(inPlace.array == fused)
        #expect(throws: NNError.self) { try gelu(Tensor(x, shape: [n, c]), addingBias: Tensor(zeros: [c - 1])) }
    }
}
