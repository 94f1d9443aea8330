import Foundation
@testable import NN
import Testing

/// `MappedPages.withScratch`: per-call scratch (the bf16 GEMM's packed operands) from the
/// page pool, so a repeated call takes back the pages the previous one released instead
/// of faulting in fresh ones.
@Suite struct ScratchPagesTests {
    static let mb = 1 << 20

    @Test func repeatedScratchReusesReleasedPages() {
        let pool = PagePool(limit: 64 * Self.mb)
        let first = MappedPages.withScratch(UInt16.self, count: 3 * Self.mb, pool: pool) { p in
            p[0] = 7; p[3 * Self.mb - 1] = 9
            return Int(bitPattern: p)
        }
        let s1 = pool.statistics
        #expect(s1.fresh == 6 * Self.mb && s1.reused == 0 && s1.kept == 6 * Self.mb)   // handed back on return
        // Another element type and a smaller size: the same pages, no fresh ones.
        let second = MappedPages.withScratch(Float.self, count: Self.mb, pool: pool) { Int(bitPattern: $0) }
        let s2 = pool.statistics
        #expect(second == first && s2.fresh == s1.fresh && s2.reused == 4 * Self.mb && s2.kept == 6 * Self.mb)
        // Under the mapping threshold: malloc, the pool untouched.
        MappedPages.withScratch(UInt16.self, count: 1000, pool: pool) { p in p[999] = 1 }
        #expect(pool.statistics == s2)
    }

    /// The bf16 GEMM packs into reused (dirty) scratch: a call after one with other
    /// operands must give the same bits as the first call with these.
    @Test func bf16GEMMOnReusedScratchIsUnchanged() {
        let (m, n, k) = (8, 1 << 16, 24)   // B packed: 3 MB, from the pool
        func values(_ count: Int, _ seed: Float) -> [Float] { (0..<count).map { sinf(Float($0) * 0.37 + seed) } }
        let a = values(m * k, 1), b = values(k * n, 2), b2 = values(k * n, 3)
        func gemm(_ b: [Float]) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            GEMM.bf16(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: &c, ldc: n)
            return c
        }
        let c1 = gemm(b)
        _ = gemm(b2)
        #expect(gemm(b) == c1)
        // And it is the product: one entry against a float64 sum of the rounded operands
        // (the output is rounded to bf16, relative error up to 2^-8; 1e-2 leaves room).
        let ref = (0..<k).reduce(0.0) { $0 + Double(BF16.round(a[$1])) * Double(BF16.round(b[$1 * n + 5])) }
        #expect(abs(Double(c1[5]) - ref) <= 1e-2 * max(1, abs(ref)))
    }
}
