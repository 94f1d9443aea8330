import CKernels
import Foundation
import Parallel
import Testing
@testable import NN

/// The fused fp32 attention kernel (AttentionFused.swift, CKernels/attention512.c) and
/// the operators dispatching to it, against a double-precision softmax(q·kᵀ·s)·v. Run
/// under ROMA_KERNELS=baseline and avx2 too: there the operators take the GEMM path,
/// which must meet the same bound, and the fused entry point must decline.
struct AttentionFusedTests {
    /// One output's error bound, from a rounding-error analysis any float32 order meets:
    /// - each score ŝ_j = s·Σ_p q_p·k_pj errs by δ_j ≤ γ_{d+1}·|s|·Σ_p |q_p·k_pj| (d products
    ///   summed, then the scale);
    /// - a weight exp(ŝ_j − max) then errs relatively by δ_j, plus u·|s_j − max| from the
    ///   subtraction and 2 ulp from exp (VectorMath.swift), bounded by 4u; the common
    ///   error of the maximum cancels in the normalisation, the sum's relative error is
    ///   at most the largest weight's, so each probability errs relatively by at most
    ///   ε = 2·max_j(δ_j + u·|s_j − max|) + 4u + 4u (normalisation, float sum: γ_{m/16+4}
    ///   ≪ γ_m);
    /// - the product with v adds γ_m·Σ_j p_j·|v_j|, the final division or rounding u·|o|.
    /// So |ô − o| ≤ (ε + γ_m)·Σ_j p_j·|v_j| + u·|o|, stated with a factor 2 for the
    /// second-order terms left out. A wrong row, head, column or chunk is off by O(0.1–1).
    /// Returns the mean absolute error, to compare paths (the bound is a worst case).
    @discardableResult
    static func expectMatchesDouble(_ out: (Int, Int, Int) -> Float, q: (Int, Int, Int) -> Float, k: (Int, Int, Int) -> Float,
                                    v: (Int, Int, Int) -> Float, heads: Int, n: Int, m: Int, d: Int, dv: Int, scale: Float,
                                    _ label: String) -> Double {
        let u = 0x1p-24
        func gamma(_ k: Int) -> Double { Double(k) * u / (1 - Double(k) * u) }
        var sumError = 0.0
        for h in 0..<heads {
            for r in 0..<n {
                var scores = [Double](repeating: 0, count: m), slack = [Double](repeating: 0, count: m)
                for j in 0..<m {
                    var dot = 0.0, magnitude = 0.0
                    for p in 0..<d {
                        let x = Double(q(h, r, p)) * Double(k(h, j, p))
                        dot += x
                        magnitude += abs(x)
                    }
                    scores[j] = dot * Double(scale)
                    slack[j] = gamma(d + 1) * abs(Double(scale)) * magnitude
                }
                let top = scores.max()!
                let weights = scores.map { Foundation.exp($0 - top) }
                let total = weights.reduce(0, +)
                let epsilon = 2 * zip(scores, slack).map { $1 + u * abs($0 - top) }.max()! + 8 * u
                for c in 0..<dv {
                    var exact = 0.0, magnitude = 0.0
                    for j in 0..<m {
                        let x = weights[j] / total * Double(v(h, j, c))
                        exact += x
                        magnitude += abs(x)
                    }
                    let bound = 2 * ((epsilon + gamma(m)) * magnitude + u * abs(exact))
                    let got = Double(out(h, r, c))
                    sumError += abs(got - exact)
                    #expect(abs(got - exact) <= bound, "\(label): head \(h) row \(r) col \(c): \(got) vs double \(exact), bound \(bound)")
                }
            }
        }
        return sumError / Double(heads * n * dv)
    }

    /// The operator on shapes across the kernel's edges: 45 query rows (a full 28-row job,
    /// then 14 + 3 rows), 1100 keys (three 512-key score chunks, the last ragged, and a
    /// ragged 32-key panel), d = 13 and dv = 37 (a second, 5-wide value panel).
    @Test func operatorMatchesDoublePrecisionOnRaggedShapes() throws {
        let (b, h, n, m, d, dv) = (1, 2, 45, 1100, 13, 37)
        var rng = SplitMix64(seed: 47)
        func random(_ shape: [Int], spread: Double) -> Tensor {
            Tensor((0..<shape.reduce(1, *)).map { _ in Float((rng.unit() * 2 - 1) * spread) }, shape: shape)
        }
        // Spread 2 gives scores up to ±14: peaked rows, so the maximum and exp's range matter.
        let q = random([b, h, n, d], spread: 2), k = random([b, h, m, d], spread: 2), v = random([b, h, m, dv], spread: 1)
        let scale: Float = 0.3
        let out = try scaledDotProductAttention(q: q, k: k, v: v, scale: scale, workspace: Workspace())
        let error = Self.expectMatchesDouble({ out[flat: ($0 * n + $1) * dv + $2] }, q: { q[flat: ($0 * n + $1) * d + $2] },
                                             k: { k[flat: ($0 * m + $1) * d + $2] }, v: { v[flat: ($0 * m + $1) * dv + $2] },
                                             heads: b * h, n: n, m: m, d: d, dv: dv, scale: scale, "sdpa")
        // Not wider than the GEMM path's (two products and NN's softmax) on the same data:
        // the mean over 3330 outputs is stable to a few %, so 1.2× is a real margin.
        let gemmPath = Tensor(repeating: .nan, shape: [b, h, n, dv])
        for head in 0..<(b * h) {
            attendHead(q: q.pointer + head * n * d, ldq: d, k: k.pointer + head * m * d, ldk: d, v: v.pointer + head * m * dv,
                       ldv: dv, out: gemmPath.pointer + head * n * dv, ldo: dv, n: n, m: m, d: d, dv: dv, scale: scale,
                       workspace: nil)
        }
        let gemmError = Self.expectMatchesDouble({ gemmPath[flat: ($0 * n + $1) * dv + $2] }, q: { q[flat: ($0 * n + $1) * d + $2] },
                                                 k: { k[flat: ($0 * m + $1) * d + $2] }, v: { v[flat: ($0 * m + $1) * dv + $2] },
                                                 heads: b * h, n: n, m: m, d: d, dv: dv, scale: scale, "GEMM path")
        #expect(error <= 1.2 * gemmError, "mean error \(error), GEMM path \(gemmError)")
    }

    /// The fused entry point itself on DINOv2's layout (q, k, v of each head read out of
    /// one [N, 3C] qkv matrix, output written into [N, C]) at head width 64 and short
    /// sequences (1 key, 1 query); it must write nothing outside each head's columns,
    /// and decline below kernels level 2.
    @Test func fusedKernelOnStridedHeads() {
        let heads = 3, d = 64, c = heads * d
        for (n, m) in [(30, 30), (1, 1), (15, 1), (1, 40)] {
            var rng = SplitMix64(seed: 53)
            let rows = max(n, m)
            let qkv = (0..<(rows * 3 * c)).map { _ in Float(rng.unit() * 2 - 1) }
            let sentinel: Float = 12345
            let out = UnsafeMutablePointer<Float>.allocate(capacity: n * c)
            defer { out.deallocate() }
            out.initialize(repeating: sentinel, count: n * c)
            let scale = 1 / Float(d).squareRoot()
            let done = qkv.withUnsafeBufferPointer { p in
                let base = SendablePointer(UnsafeMutablePointer(mutating: p.baseAddress!)), o = SendablePointer(out)
                return attendHeadsFused(heads: heads, n: n, m: m, d: d, dv: d, scale: scale, workspace: nil) { i in
                    HeadOperands(q: base.base + i * d, k: base.base + c + i * d, v: base.base + 2 * c + i * d, out: o.base + i * d,
                                 ldq: 3 * c, ldk: 3 * c, ldv: 3 * c, ldo: c)
                }
            }
            #expect(done == (roma_kernels_level() >= 2 && fusedAttentionEnabled))
            guard done else { continue }
            Self.expectMatchesDouble({ out[$1 * c + $0 * d + $2] }, q: { qkv[$1 * 3 * c + $0 * d + $2] },
                                     k: { qkv[$1 * 3 * c + c + $0 * d + $2] }, v: { qkv[$1 * 3 * c + 2 * c + $0 * d + $2] },
                                     heads: heads, n: n, m: m, d: d, dv: d, scale: scale, "strided n \(n) m \(m)")
            #expect((0..<(n * c)).allSatisfy { out[$0] != sentinel }, "n \(n) m \(m): an output left unwritten")
        }
    }

    /// Torch's softmax over a row holding NaN is NaN throughout; so is the fused row,
    /// and the other rows of its tile stay finite.
    @Test func nanScorePoisonsItsRowOnly() throws {
        let (n, m, d) = (3, 40, 4)
        let values = (0..<(m * d)).map { Float($0 % 7) * 0.1 }
        let k = Tensor(values, shape: [1, 1, m, d]), v = Tensor(values, shape: [1, 1, m, d])
        var qv = [Float](repeating: 0.5, count: n * d)
        qv[1 * d + 2] = .nan
        let out = try scaledDotProductAttention(q: Tensor(qv, shape: [1, 1, n, d]), k: k, v: v)
        for r in 0..<n {
            #expect((0..<d).allSatisfy { out[flat: r * d + $0].isNaN == (r == 1) }, "row \(r)")
        }
    }
}
