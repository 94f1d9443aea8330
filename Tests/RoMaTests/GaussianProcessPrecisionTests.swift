import Checkpoint
import Foundation
import NN
import Parallel
import Testing
@testable import RoMa

/// The GP posterior against an independent double-precision computation (explicit
/// Gauss–Jordan solve, no Cholesky) on features built to make K(B, B) ill-conditioned, as
/// RoMa's are at full size (condition numbers ~1e4): the stage runs in double, so only its
/// final rounding to float32 remains. A float32 kernel and solve (the reference's, and ours
/// before) is off by ~cond·2⁻²⁴ ≈ 1e-4 relative here.
struct GaussianProcessPrecisionTests {
    struct Weights: WeightSource {
        let values: [String: [Float]]
        func tensor(_ key: String, shape: [Int]) throws -> [Float] {
            guard let v = values[key], v.count == shape.reduce(1, *) else { throw RoMaError("no \(key) \(shape)") }
            return v
        }
    }

    @Test func posteriorAgreesWithDouble() throws {
        let (dim, d, h, w) = (32, 16, 10, 12)
        let n = h * w
        var rng = SplitMix64(seed: 3)
        let gauss = { (rng: inout SplitMix64) -> Double in
            let u = Double.random(in: Double.ulpOfOne..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        // Features = a shared direction plus a little noise: cosine similarities near 1, so
        // K(B, B) is close to rank one plus σI.
        let common = (0..<dim).map { _ in gauss(&rng) }
        let feature = { (rng: inout SplitMix64) in (0..<dim).map { common[$0] + 0.15 * gauss(&rng) } }
        let aTokens = (0..<n).map { _ in feature(&rng) }, bTokens = (0..<n).map { _ in feature(&rng) }
        let map = { (t: [[Double]]) in Tensor((0..<dim).flatMap { c in (0..<n).map { Float(t[$0][c]) } }, shape: [1, dim, h, w]) }
        let posW = (0..<(2 * d)).map { _ in Float(0.5 * gauss(&rng)) }, posB = (0..<d).map { _ in Float(0.1 * gauss(&rng)) }
        let gp = try GaussianProcessEmbedding(LayerReader(Weights(values: ["pos_conv.weight": posW, "pos_conv.bias": posB])), dim: d)
        let ours = try gp(map(aTokens), map(bTokens)).array   // [1, d, h, w]

        // Reference: the same float32 inputs, everything else in double, solved by Gauss–Jordan.
        let xa = aTokens.map { $0.map { Double(Float($0)) } }, xb = bTokens.map { $0.map { Double(Float($0)) } }
        let kernel = { (p: [Double], q: [Double]) -> Double in
            let dot = zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }
            let np = p.reduce(0) { $0 + $1 * $1 }.squareRoot(), nq = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return exp((dot / (np * nq + 1e-6) - 1) / Double(Float(0.2)))
        }
        var system = (0..<n).map { i in (0..<n).map { j in kernel(xb[i], xb[j]) + (i == j ? Double(Float(0.1)) : 0) } }
        var rhs = (0..<n).map { p in
            (0..<d).map { c in
                let cx = -1 + (2 * Double(p % w) + 1) / Double(w), cy = -1 + (2 * Double(p / w) + 1) / Double(h)
                return cos(8 * Double.pi * (Double(posW[2 * c]) * cx + Double(posW[2 * c + 1]) * cy + Double(posB[c])))
            }
        }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(system[$0][col]) < abs(system[$1][col]) }!
            system.swapAt(col, pivot)
            rhs.swapAt(col, pivot)
            for r in 0..<n where r != col {
                let f = system[r][col] / system[col][col]
                if f == 0 { continue }
                for k in col..<n { system[r][k] -= f * system[col][k] }
                for k in 0..<d { rhs[r][k] -= f * rhs[col][k] }
            }
        }
        let weights = (0..<n).map { r in rhs[r].map { $0 / system[r][r] } }
        var err = 0.0, norm = 0.0
        for p in 0..<n {
            let k = (0..<n).map { kernel(xa[p], xb[$0]) }
            for c in 0..<d {
                let exact = (0..<n).reduce(0.0) { $0 + k[$1] * weights[$1][c] }
                let e = Double(ours[c * n + p]) - exact
                err += e * e
                norm += exact * exact
            }
        }
        // One float32 rounding of each output: ≤ 2⁻²⁴ relative, RMS ~3e-8; 2e-7 leaves room
        // for the double arithmetic's own error amplified by the condition number (~1e-12).
        let rel = (err / norm).squareRoot()
        #expect(rel < 2e-7, "relative RMS error \(rel)")
    }
}
