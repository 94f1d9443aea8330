import Artifacts
import Foundation
import TestSupport
import Testing
@testable import NN

/// `BF16Attention.fused` against torch's own fused CPU attention at bf16
/// (`F.scaled_dot_product_attention` on bf16 q, k, v: aten's flash-attention kernel;
/// scripts/fixtures/make_sdpa_bf16_fixture.py: 1100 keys = two 512-key blocks and a tail; and
/// 1500 keys × 192 queries chosen to be sensitive to the exp sum's order).
///
/// Tolerance: none. Both sides take the same bf16 operands, keep the scores in fp32, round the
/// same unnormalised exponentials (torch's exp_u20 polynomial, reproduced) and the output once,
/// and sum the two products in the order MKL's bf16 GEMM does inside torch's kernel (k in
/// order, blocks of 192; flash_bf16.c), the row's exp sum in the order of torch's compiled
/// kernel (three 16-lane accumulators), the running sum with torch's contracted multiply-add:
/// the same additions in the same order leave nothing to differ, so every output must be
/// identical to the bit. The explicit form (scores and normalised probabilities rounded, RoMa
/// v1's) misses most of them on the same data, so the test tells the two apart.
struct FusedAttentionBF16Tests {
    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    /// Share of elements equal to the bit, and the largest distance in bf16 ulps of `expected`.
    static func agreement(_ y: Tensor, _ expected: Tensor) -> (identical: Double, maxULPs: Float) {
        var same = 0
        var worst: Float = 0
        for i in 0..<y.count {
            let (a, b) = (y[flat: i], expected[flat: i])
            if a.bitPattern == b.bitPattern { same += 1; continue }
            let ulp = Float(bitPattern: (b.magnitude.bitPattern & 0x7f80_0000)) * 0x1p-7   // bf16 ulp at b
            worst = max(worst, abs(a - b) / max(ulp, .leastNormalMagnitude))
        }
        return (Double(same) / Double(y.count), worst)
    }

    @Test func fusedFormMatchesTorchFlashAttention() throws {
        let f = try Artifact.read(TestPaths.fixture("bf16/sdpa.safetensors"))
        let (q, k, v) = (try Self.tensor(f, "q"), try Self.tensor(f, "k"), try Self.tensor(f, "v"))
        let expected = try Self.tensor(f, "y")
        let fused = try scaledDotProductAttention(q: q, k: k, v: v, precision: .bf16, bf16Attention: .fused)
        let explicit = try scaledDotProductAttention(q: q, k: k, v: v, precision: .bf16, bf16Attention: .explicit)
        let ours = Self.agreement(fused, expected), other = Self.agreement(explicit, expected)
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF sdpa bf16 identical to torch / max ulps: fused \(ours.identical) / \(ours.maxULPs), explicit \(other.identical) / \(other.maxULPs)")
        }
        #expect(ours.identical == 1, "fused bf16 attention: \(ours.identical) of outputs bit-identical to torch's (max \(ours.maxULPs) ulps)")
        #expect(other.identical < ours.identical, "the explicit form should not match torch's fused kernel as well")
        // fp32 attention is untouched by the switch
        let a = try scaledDotProductAttention(q: q, k: k, v: v, bf16Attention: .fused)
        let b = try scaledDotProductAttention(q: q, k: k, v: v)
        #expect((0..<a.count).allSatisfy { a[flat: $0].bitPattern == b[flat: $0].bitPattern })
    }

    /// The fused form on a fixture's q, k, v against its torch output: q's and k's shapes, the
    /// number of outputs not identical to the bit, and the largest distance in bf16 ulps.
    static func fusedAgainstTorch(_ name: String) throws -> (q: [Int], k: [Int], differing: Int, maxULPs: Float) {
        let f = try Artifact.read(TestPaths.fixture("bf16/\(name).safetensors"))
        let (q, k, v) = (try tensor(f, "q"), try tensor(f, "k"), try tensor(f, "v"))
        let expected = try tensor(f, "y")
        let fused = try scaledDotProductAttention(q: q, k: k, v: v, precision: .bf16, bf16Attention: .fused)
        let differing = (0..<fused.count).filter { fused[flat: $0].bitPattern != expected[flat: $0].bitPattern }.count
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF \(name) bf16: \(differing) of \(fused.count) outputs differ from torch")
        }
        return (q.shape, k.shape, differing, agreement(fused, expected).maxULPs)
    }

    /// Three key blocks (512, 512, 476: runs of 32, one of 16 and a 12-key scalar tail) and 192
    /// queries (three of torch's 64-row query blocks), 28 of them picked because their output
    /// depends on the order of the row's fp32 exp sum (make_sdpa_bf16_fixture.py, sdpa_blocks).
    /// With a single 16-lane accumulator (flash_bf16.c before torch's compiled order was read)
    /// exactly those 28 rows differed, one output each; every output must now be identical.
    @Test func fusedFormMatchesTorchAcrossKeyAndQueryBlocks() throws {
        let r = try Self.fusedAgainstTorch("sdpa_blocks")
        #expect(r.q == [1, 1, 192, 64] && r.k == [1, 1, 1500, 64])
        #expect(r.differing == 0, "fused bf16 attention over key and query blocks: \(r.differing) outputs differ from torch's (max \(r.maxULPs) ulps)")
    }

    /// 517 keys, head size 32: the last key block holds 5 keys, where MKL's q·kᵀ takes its narrow
    /// kernel (lanes by k mod 4 or 8, added as a tree; flash_bf16.c), as DINOv3's last block does
    /// at 512² (1029 tokens). Half the 64 rows were picked where that order changes the output
    /// (make_sdpa_bf16_fixture.py, sdpa_narrow): with k summed in order, 115 outputs in 32 rows
    /// differed; every output must now be identical.
    @Test func fusedFormMatchesTorchWithANarrowLastKeyBlock() throws {
        let r = try Self.fusedAgainstTorch("sdpa_narrow")
        #expect(r.q == [1, 1, 64, 32] && r.k == [1, 1, 517, 32])
        #expect(r.differing == 0, "fused bf16 attention with a 5-key last block: \(r.differing) outputs differ from torch's (max \(r.maxULPs) ulps)")
    }
}
