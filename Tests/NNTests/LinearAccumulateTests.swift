import Foundation
import Testing
@testable import NN

/// `linear(_:weight:bias:accumulatingInto:)` (out += x·Wᵀ + b, the residual add of
/// DINOv2's blocks inside the GEMM) against double precision.
@Suite struct LinearAccumulateTests {
    /// Odd sizes so every GEMM path meets ragged edges. Each output is a sum of K + 2 float
    /// terms (the accumulator, the bias, K products), so its float32 error is within
    /// γ₍K+2₎ = (K+2)·2⁻²⁴ of the sum of the terms' magnitudes whatever the summation
    /// order (Higham, Accuracy and Stability, §3.1); a missing or doubled term is O(1) off.
    @Test func agreesWithDouble() throws {
        let (n, k, o) = (37, 301, 70)
        let x = Float32AccuracyTests.rows(n, k, mean: 0.2, std: 1, seed: 21)
        let w = Float32AccuracyTests.rows(o, k, mean: 0, std: 0.05, seed: 22)
        let b = Float32AccuracyTests.rows(1, o, mean: 0.1, std: 0.3, seed: 23)
        let start = Float32AccuracyTests.rows(n, o, mean: 3, std: 2, seed: 24)
        for bias in [true, false] {
            let out = Tensor(start, shape: [1, n, o])
            try linear(Tensor(x, shape: [1, n, k]), weight: Tensor(w, shape: [o, k]), bias: bias ? Tensor(b, shape: [o]) : nil,
                       accumulatingInto: out)
            let y = out.array
            var worst = 0.0
            for r in 0..<n {
                for j in 0..<o {
                    var exact = Double(start[r * o + j]) + (bias ? Double(b[j]) : 0)
                    var magnitude = abs(Double(start[r * o + j])) + (bias ? abs(Double(b[j])) : 0)
                    for p in 0..<k {
                        let t = Double(x[r * k + p]) * Double(w[j * k + p])
                        exact += t
                        magnitude += abs(t)
                    }
                    worst = max(worst, abs(Double(y[r * o + j]) - exact) / (Double(k + 2) * 0x1p-24 * magnitude))
                }
            }
            #expect(worst <= 1, "bias \(bias): worst error \(worst) of the γ(K+2) bound")
        }
    }

    @Test func rejectsMismatchedShapes() {
        let x = Tensor(zeros: [1, 4, 8]), w = Tensor(zeros: [5, 8])
        #expect(throws: NNError.self) { try linear(x, weight: w, accumulatingInto: Tensor(zeros: [1, 4, 6])) }
        #expect(throws: NNError.self) { try linear(x, weight: w, bias: Tensor(zeros: [4]), accumulatingInto: Tensor(zeros: [1, 4, 5])) }
        #expect(throws: NNError.self) { try linear(x, weight: Tensor(zeros: [5, 7]), accumulatingInto: Tensor(zeros: [1, 4, 5])) }
    }
}
