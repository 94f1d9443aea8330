import Foundation
import Parallel
import Testing
@testable import NN

/// Reductions whose float32 rounding used to exceed torch's (docs/model.md, "Float32 error
/// against float64"), each against double precision on data shaped like RoMa's.
@Suite struct Float32AccuracyTests {
    /// Rows of `c` values with the given mean and spread (Box–Muller on a seeded generator).
    static func rows(_ n: Int, _ c: Int, mean: Double, std: Double, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(n * c)).map { _ in
            let u = Double.random(in: Double.ulpOfOne..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
            return Float(mean + std * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    /// LayerNorm over C = 1024 (DINOv2's width, the match decoder's) on rows whose mean is
    /// large against their spread, as residual streams are. The exact result rounded once to
    /// float32 is off by ≤ 2⁻²⁴ relative (RMS ~3e-8); 1e-7 relative RMS leaves room for the
    /// weight/bias products. For scale: torch's float32 layer_norm gives 2.1e-6 on this
    /// distribution (mean 50, std 1) and the former float32 running sums 2.4e-5.
    @Test func layerNormAgreesWithDouble() throws {
        let (n, c) = (64, 1024)
        for (mean, std) in [(0.0, 1.0), (50.0, 1.0), (0.0, 30.0)] {
            let x = Self.rows(n, c, mean: mean, std: std, seed: 7)
            let w = Self.rows(1, c, mean: 1, std: 0.3, seed: 8), b = Self.rows(1, c, mean: 0, std: 0.1, seed: 9)
            let y = try layerNorm(Tensor(x, shape: [n, c]), weight: Tensor(w, shape: [c]), bias: Tensor(b, shape: [c]), eps: 1e-6).array
            var err = 0.0, norm = 0.0
            for r in 0..<n {
                let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
                let m = row.reduce(0, +) / Double(c)
                let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c)
                for k in 0..<c {
                    let exact = (row[k] - m) / (v + 1e-6).squareRoot() * Double(w[k]) + Double(b[k])
                    err += (Double(y[r * c + k]) - exact) * (Double(y[r * c + k]) - exact)
                    norm += exact * exact
                }
            }
            let rel = (err / norm).squareRoot()
            #expect(rel < 1e-7, "mean \(mean), std \(std): relative RMS error \(rel)")
        }
    }

    /// The cosine kernel's row norms over D = 512 (the GP's width): the norm rounded once to
    /// float32 is within 2⁻²⁴ ≈ 6e-8 relative; the bound is that one rounding.
    @Test func rowNormsAgreeWithDouble() {
        let (n, d) = (256, 512)
        let x = Self.rows(n, d, mean: 0.3, std: 1, seed: 11)
        let norms = rowNorms(Tensor(x, shape: [1, n, d]))
        var worst = 0.0
        for r in 0..<n {
            let exact = x[(r * d)..<((r + 1) * d)].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            worst = max(worst, abs(Double(norms[r]) - exact) / exact)
        }
        #expect(worst <= 0x1p-24, "worst relative error \(worst)")
    }
}
