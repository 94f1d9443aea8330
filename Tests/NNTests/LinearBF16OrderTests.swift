import Artifacts
import Foundation
import Parallel
import TestSupport
import Testing
@testable import NN

/// `linearBF16TorchOrder` against torch's own bf16 `F.linear` (oneDNN's brgemm matmul;
/// scripts/fixtures/make_bf16_linear_order_fixture.py): K = 1024 (two 512-blocks) and K = 3072
/// (three 1024-blocks). The products are built to cancel, so nearly every output's last bf16
/// bit depends on the fp32 summation order: another block length changes 30–50 % of them (the
/// script prints how many). Required: every output identical to the bit — the same additions
/// in the same order leave nothing to differ. The scalar path (machines without AVX512-BF16)
/// must agree with the vector one.
struct LinearBF16OrderTests {
    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func identical(_ a: Tensor, _ b: Tensor) -> Int {
        (0..<a.count).filter { a[flat: $0].bitPattern == b[flat: $0].bitPattern }.count
    }

    @Test(arguments: [1024, 3072]) func matchesTorchBF16Linear(k: Int) throws {
        let f = try Artifact.read(TestPaths.fixture("bf16/linear_order.safetensors"))
        let (x, w, b) = (try Self.tensor(f, "x_k\(k)"), try Self.tensor(f, "w_k\(k)"), try Self.tensor(f, "b_k\(k)"))
        let expected = try Self.tensor(f, "y_k\(k)")
        let ours = try linearBF16TorchOrder(x, weight: w, bias: b)
        let same = Self.identical(ours, expected)
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            let other = Self.identical(try linear(x, weight: w, bias: b, precision: .bf16), expected)
            print("DIFF bf16 linear K=\(k) identical to torch: torch order \(same) / \(expected.count), linear(.bf16) \(other)")
        }
        #expect(same == expected.count, "K=\(k): \(expected.count - same) outputs differ from torch's bf16 linear")
        // the scalar order, block by block, as the kernel's fallback computes it
        let reference = Self.scalarOrder(x, w, b, block: torchBF16LinearBlock(k: k))
        #expect(Self.identical(ours, reference) == expected.count)
    }

    /// The vector kernel's whole 4 × 64 tiles and the scalar edges (rows past a multiple of 4,
    /// columns past a multiple of 64) sum alike: random operands, 9 × 2100 · (2100 × 136)ᵀ.
    @Test func tilesAndEdgesAgree() throws {
        var rng = SplitMix64(seed: 7)
        func uniform() -> Float { Float.random(in: -1...1, using: &rng) }
        let (m, k, n) = (9, 2100, 136)
        let x = Tensor((0..<(m * k)).map { _ in BF16.round(uniform()) }, shape: [m, k])
        let w = Tensor((0..<(n * k)).map { _ in BF16.round(uniform() / 32) }, shape: [n, k])
        let b = Tensor((0..<n).map { _ in BF16.round(uniform()) }, shape: [n])
        let ours = try linearBF16TorchOrder(x, weight: w, bias: b)
        #expect(Self.identical(ours, Self.scalarOrder(x, w, b, block: torchBF16LinearBlock(k: k))) == m * n)
    }

    /// Pairs in order within each block (odd element first, as VDPBF16PS), blocks left to right, then the bias.
    static func scalarOrder(_ x: Tensor, _ w: Tensor, _ b: Tensor, block: Int) -> Tensor {
        let (m, k, n) = (x.shape[0], x.shape[1], w.shape[0])
        let out = Tensor(zeros: [m, n])
        for r in 0..<m {
            for j in 0..<n {
                var total: Float = 0
                for k0 in stride(from: 0, to: k, by: block) {
                    var part: Float = 0
                    for q in stride(from: k0, to: min(k, k0 + block), by: 2) {
                        part += BF16.round(x[r, q + 1]) * BF16.round(w[j, q + 1])
                        part += BF16.round(x[r, q]) * BF16.round(w[j, q])
                    }
                    total = k0 == 0 ? part : total + part
                }
                out.pointer[r * n + j] = BF16.round(total + BF16.round(b[flat: j]))
            }
        }
        return out
    }
}
