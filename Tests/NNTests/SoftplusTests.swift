import Foundation
import NN
import Testing

@Suite struct SoftplusTests {
    /// Against log1p(exp(x)) in double precision over [−40, 40] (both branches, the
    /// threshold at 20, and the log1p range where 1 + eˣ rounds to 1 in float32).
    /// expf and log1pf are each within ~1 ulp, so 4 float32 ulps (rtol 5e-7) bound it;
    /// above 20 torch returns x itself, whose distance to the exact value is e⁻²⁰·… < 3e-9.
    @Test func softplusMatchesDoublePrecision() {
        var worst = 0.0
        for i in 0...8000 {
            let x = Float(-40 + Double(i) * 0.01)
            let exact = log1p(exp(Double(x)))
            let got = Double(softplus(x))
            worst = max(worst, abs(got - exact) / exact)
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(softplus(25) == 25)
        #expect(softplus(-100) > 0 && softplus(-100) < 1e-43)
    }
}
