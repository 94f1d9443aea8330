import Foundation
import Parallel
import Testing
@testable import NN

/// Attention as per-thread tiles (AttentionTiles.swift) and the calling-thread GEMM
/// under it, each against double precision.
struct AttentionTilesTests {
    /// `GEMM.sgemmOnCallingThread` from two threads at once, on shapes across the
    /// kernels' blocking edges (GEMMTests' bound: γ_{k+2}·(|α|·Σ|a·b| + |β·c|), which any
    /// float32 summation order meets and a wrong element misses by orders of magnitude).
    @Test func callingThreadGEMMMatchesDoublePrecision() {
        let shapes: [(m: Int, n: Int, k: Int, transB: Bool, alpha: Float, beta: Float)] = [
            (1, 1, 1, false, 1, 0), (13, 31, 7, true, 1, 0), (15, 33, 385, false, 0.5, 1), (81, 161, 64, true, 0.125, 0),
            (81, 64, 161, false, 1, 0), (5, 6, 0, false, 1, 0.5),
        ]
        var rng = SplitMix64(seed: 29)
        for s in shapes {
            let lda = s.k + 2, ldb = (s.transB ? s.k : s.n) + 2, ldc = s.n + 2
            let a = (0..<(s.m * lda)).map { _ in Float(rng.unit() * 2 - 1) }
            let b = (0..<((s.transB ? s.n : s.k) * ldb)).map { _ in Float(rng.unit() * 2 - 1) }
            let c0 = (0..<(s.m * ldc)).map { _ in Float(rng.unit() * 2 - 1) }
            // Two copies of C, one per thread, computed concurrently.
            let results = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c0.count)
            defer { results.deallocate() }
            for t in 0..<2 { (results + t * c0.count).initialize(from: c0, count: c0.count) }
            let out = SendablePointer(results)
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                let (sa, sb) = (SendablePointer(UnsafeMutablePointer(mutating: pa.baseAddress!)),
                                SendablePointer(UnsafeMutablePointer(mutating: pb.baseAddress!)))
                parallelFor(2, threads: 2) { t in
                    GEMM.sgemmOnCallingThread(transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: sa.base, lda: lda,
                                              b: sb.base, ldb: ldb, beta: s.beta, c: out.base + t * c0.count, ldc: ldc)
                }
            }}
            for t in 0..<2 {
                for i in 0..<s.m {
                    for j in 0..<ldc {
                        let got = results[t * c0.count + i * ldc + j]
                        guard j < s.n else { #expect(got == c0[i * ldc + j], "\(s): wrote outside C"); continue }
                        var exact = 0.0, magnitude = 0.0
                        for p in 0..<s.k {
                            let x = Double(a[i * lda + p]) * Double(s.transB ? b[j * ldb + p] : b[p * ldb + j])
                            exact += x
                            magnitude += abs(x)
                        }
                        let old = Double(c0[i * ldc + j])
                        let reference = Double(s.alpha) * exact + Double(s.beta) * old
                        let steps = Double(s.k + 2), u = 0x1p-24
                        let bound = steps * u / (1 - steps * u) * (abs(Double(s.alpha)) * magnitude + abs(Double(s.beta) * old))
                        #expect(abs(Double(got) - reference) <= bound + 1e-30, "\(s) thread \(t): C[\(i), \(j)] = \(got), double \(reference)")
                    }
                }
            }
        }
    }

    /// Tiled attention (several query blocks per head, a ragged last block, batch 2 ×
    /// 3 heads, d and dv not multiples of 8) against a double-precision softmax(q·kᵀ·s)·v.
    /// Error: the scores err by γ_{d}·Σ|q·k|·s ≤ ~1e-6 here (d = 12, |q·k| ≤ 12·1·s), exp
    /// turns that into a relative error of the weights of the same size, plus a few ulps
    /// from exp, the sum and the division; the second product adds γ_m·Σ p|v|. So each
    /// output is within ~1e-5 · Σ_j p_j |v_j| (≤ 1e-5 with |v| ≤ 1), stated as 2e-5
    /// of that sum; a wrong row, head or block is off by O(1).
    @Test func tiledAttentionMatchesDoublePrecision() throws {
        let (b, h, n, m, d, dv) = (2, 3, 37, 53, 12, 5)
        var rng = SplitMix64(seed: 31)
        func random(_ shape: [Int]) -> Tensor {
            Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.unit() * 2 - 1) }, shape: shape)
        }
        let q = random([b, h, n, d]), k = random([b, h, m, d]), v = random([b, h, m, dv])
        let scale: Float = 0.7
        let out = Tensor(repeating: .nan, shape: [b, h, n, dv])
        let (pq, pk, pv, po) = (SendablePointer(q.pointer), SendablePointer(k.pointer), SendablePointer(v.pointer), SendablePointer(out.pointer))
        // 5 query rows per tile → 8 blocks per head, the last one 2 rows.
        let tiled = attendHeadsTiled(heads: b * h, n: n, m: m, d: d, dv: dv, scale: scale, workspace: Workspace(),
                                     tileBudget: 5 * m) { i in
            HeadOperands(q: pq.base + i * n * d, k: pk.base + i * m * d, v: pv.base + i * m * dv, out: po.base + i * n * dv,
                         ldq: d, ldk: d, ldv: dv, ldo: dv)
        }
        #expect(tiled == GEMM.runsOnCallingThread)
        guard tiled else { return }   // this machine's GEMM has no calling-thread path: the plain path runs (LinearAttentionTests)
        // The operator (shared path unless ROMA_ATTENTION_TILES=on) against the same reference.
        let viaOperator = try scaledDotProductAttention(q: q, k: k, v: v, scale: scale)
        for head in 0..<(b * h) {
            for r in 0..<n {
                var scores = [Double](repeating: 0, count: m)
                for j in 0..<m {
                    for p in 0..<d { scores[j] += Double(q[flat: (head * n + r) * d + p]) * Double(k[flat: (head * m + j) * d + p]) }
                    scores[j] *= Double(scale)
                }
                let top = scores.max()!
                let weights = scores.map { ($0 - top).exp() }
                let total = weights.reduce(0, +)
                for c in 0..<dv {
                    var exact = 0.0, magnitude = 0.0
                    for j in 0..<m {
                        let x = weights[j] / total * Double(v[flat: (head * m + j) * dv + c])
                        exact += x
                        magnitude += abs(x)
                    }
                    let index = (head * n + r) * dv + c
                    #expect(abs(Double(out[flat: index]) - exact) <= 2e-5 * magnitude, "head \(head) row \(r) col \(c): \(out[flat: index]) vs \(exact)")
                    #expect(abs(Double(viaOperator[flat: index]) - exact) <= 2e-5 * magnitude, "operator: head \(head) row \(r) col \(c)")
                }
            }
        }
    }
}

private extension Double {
    func exp() -> Double { Foundation.exp(self) }
}
