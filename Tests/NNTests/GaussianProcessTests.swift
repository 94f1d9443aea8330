import NN
import Testing

/// The pieces of RoMa's GP (romatch/models/matcher.py): CosKernel, then the
/// Cholesky factor and solve of K_yy + σI.
@Suite struct GaussianProcessTests {
    /// exp((c − 1)/T) with T = 0.2 multiplies the cosine's error (~1e-7 from a
    /// 16-term dot product and two norms) by 1/T = 5: 2e-6 relative.
    @Test func cosineKernelMatchesRoMa() throws {
        let f = try Fixture("gp")
        let k = try cosineKernel(try f.tensor("x"), try f.tensor("y"), temperature: Float(try f.double("temperature")))
        expectClose(k, try f.tensor("kxy"), rtol: 5e-6, atol: 1e-7)
    }

    /// LAPACK's and torch's Cholesky differ in blocking; the error of a factor is
    /// bounded by ~n·ε·cond. Here n = 25, cond(K + 0.1·I) ≤ (25 + 0.1)/0.1 ≈ 250, so
    /// relative errors up to ~1e-4 are possible on the solve; the factor is better
    /// conditioned (√cond). Tolerances 2e-5 (factor) and 2e-4 (solution).
    @Test func choleskyMatchesTorch() throws {
        let f = try Fixture("gp")
        let l = try choleskyFactor(try f.tensor("a"))
        expectClose(l, try f.tensor("L"), rtol: 2e-5, atol: 2e-5, "factor")
        let x = try choleskySolve(try f.tensor("rhs"), factor: l)
        expectClose(x, try f.tensor("solution"), rtol: 2e-4, atol: 2e-4, "solve")
        // In place, as the GP uses it to save memory.
        let a = try f.tensor("a")
        _ = try choleskyFactor(a, into: a)
        expectClose(a, try f.tensor("L"), rtol: 2e-5, atol: 2e-5, "in place")
    }

    @Test func choleskyRejectsIndefiniteMatrix() {
        let a = Tensor([1, 2, 2, 1], shape: [1, 2, 2])   // eigenvalues 3 and −1
        #expect(throws: NNError.self) { try choleskyFactor(a) }
        #expect(throws: NNError.self) { try choleskySolve(Tensor(zeros: [1, 3, 2]), factor: Tensor(zeros: [1, 2, 2])) }
    }
}
