import Foundation
@testable import NN
import Testing

@Suite struct VectorMathTests {
    /// The vectorised exp behind softmax against double-precision exp over the range
    /// softmax feeds it (x ≤ 0 after subtracting the row max) and beyond: the
    /// polynomial is good to a few ulp, so a relative error of 4 ulp (4·2⁻²³ ≈ 5e-7).
    @Test func vectorExpIsAccurate() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD8<Float>(x, x + 0.0137, x + 0.291, x + 0.5, x + 0.693, x + 0.77, x + 0.9, x + 0.999)
            let e = vectorExp(lanes)
            for i in 0..<8 {
                let exact = Foundation.exp(Double(lanes[i]))
                worst = max(worst, abs(Double(e[i]) - exact) / exact)
            }
            x += 1
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(scalarExp(0) == 1)
        #expect(scalarExp(-200) < 1e-37)
        #expect(scalarExp(.nan).isNaN)
    }

    /// GELU from erfc against double precision over [−10, 10]. Working from erfc keeps
    /// the error relative even in the negative tail (where torch's 1 + erf cancels and
    /// loses everything below ~5e-7 absolute). Bound per point: erfc's fit (1.2e-7) and
    /// exp (~2 ulp) give ~5e-7, plus the float rounding of the exponent −x²/2, which
    /// carries an absolute error of about (x²/2)·2⁻²³ into the relative result.
    @Test func vectorGeluIsAccurate() {
        var worst: Double = 0
        var x: Float = -10
        while x <= 10 {
            let g = vectorGelu(SIMD8(repeating: x))[0]
            let exact = Double(x) * 0.5 * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            let bound = 5e-7 + 2 * Double(x * x / 2) * 0x1p-23
            if exact != 0 { worst = max(worst, abs(Double(g) - exact) / abs(exact) / bound) }
            x += 0.01
        }
        #expect(worst <= 1, "worst error is \(worst)× the bound")
    }
}
