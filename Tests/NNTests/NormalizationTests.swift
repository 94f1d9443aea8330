import NN
import Testing

@Suite struct NormalizationTests {
    /// Eval-mode batch norm: a scale and shift per channel, computed in a slightly
    /// different order from torch's ((x − mean)·invstd·γ + β vs x·s + t): ~1e-6.
    @Test func batchNormMatchesTorch() throws {
        let f = try Fixture("batchnorm")
        let bn = BatchNormParameters(gamma: try f.tensor("gamma"), beta: try f.tensor("beta"), mean: try f.tensor("mean"),
                                     variance: try f.tensor("var"), eps: Float(try f.double("eps")))
        let x = try f.tensor("x")
        expectClose(try batchNorm(x, bn), try f.tensor("y"), rtol: 1e-5, atol: 1e-5)
        _ = try batchNorm(x, bn, into: x)   // in place
        expectClose(x, try f.tensor("y"), rtol: 1e-5, atol: 1e-5, "in place")
    }

    /// ReLU is exact. Our GELU works from erfc (see VectorMathTests); torch computes
    /// 1 + erf(x/√2), which cancels for negative x and so carries an absolute error of
    /// about |x|·2⁻²⁴ ≤ 5e-7 on [−8, 8]: atol 2e-6, rtol 1e-6 elsewhere. A
    /// tanh-approximate GELU would miss by up to 5e-4.
    @Test func activationsMatchTorch() throws {
        let f = try Fixture("activations")
        let x = try f.tensor("x")
        expectClose(try relu(x), try f.tensor("relu"), rtol: 0, atol: 0, "relu")
        expectClose(try gelu(x), try f.tensor("gelu"), rtol: 1e-6, atol: 2e-6, "gelu")
    }

    /// Mean and variance over 32 values around 5: ~1e-6 relative.
    @Test func layerNormMatchesTorch() throws {
        let f = try Fixture("layernorm")
        let y = try layerNorm(try f.tensor("x"), weight: try f.tensor("weight"), bias: try f.tensor("bias"), eps: Float(try f.double("eps")))
        expectClose(y, try f.tensor("y"), rtol: 1e-5, atol: 1e-5)
    }

    /// Softmax over 33 logits of spread ~15: exp's relative error ~1e-7 per term.
    @Test func softmaxMatchesTorch() throws {
        let f = try Fixture("softmax")
        let x = try f.tensor("x")
        expectClose(try softmax(x), try f.tensor("y"), rtol: 1e-5, atol: 1e-7)
        let rows = try softmax(x).array
        for r in 0..<(rows.count / 33) {
            let s = rows[(r * 33)..<(r * 33 + 33)].reduce(0, +)
            #expect(abs(s - 1) < 1e-5)
        }
    }
}
