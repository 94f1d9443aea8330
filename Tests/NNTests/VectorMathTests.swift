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
}
