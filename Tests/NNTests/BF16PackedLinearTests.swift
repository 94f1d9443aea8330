import Artifacts
import Foundation
import Parallel
import TestSupport
import Testing
@testable import NN

/// A weight packed once (`BF16PackedLinear`, what RoMa v2's bf16 model holds) gives what the
/// per-call form gave: the same sums to the bit, checked against torch's own bf16 linear and
/// against the scalar order on shapes with every kind of edge (odd K, columns past a group of
/// 16, rows past a tile of 4); it holds the weight's bf16 values exactly; and threads sharing
/// one packed weight each get the same result.
struct BF16PackedLinearTests {
    static func random(_ shape: [Int], _ rng: inout SplitMix64, scale: Float = 1) -> Tensor {
        Tensor((0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &rng) }, shape: shape)
    }

    @Test(arguments: [1024, 3072]) func packedMatchesTorchBF16Linear(k: Int) throws {
        let f = try Artifact.read(TestPaths.fixture("bf16/linear_order.safetensors"))
        let (x, w, b) = (try LinearBF16OrderTests.tensor(f, "x_k\(k)"), try LinearBF16OrderTests.tensor(f, "w_k\(k)"),
                         try LinearBF16OrderTests.tensor(f, "b_k\(k)"))
        let expected = try LinearBF16OrderTests.tensor(f, "y_k\(k)")
        let ours = try linearBF16TorchOrder(x, packed: BF16PackedLinear(weight: w, bias: b))
        #expect(LinearBF16OrderTests.identical(ours, expected) == expected.count)
    }

    /// Unrounded fp32 operands (the matcher's weights are not bf16 values): rows 4·2 + 3,
    /// K odd and even, N past a multiple of 16 and of 64; with and without bias; 3-d input.
    @Test(arguments: [(11, 33, 37), (11, 1030, 70), (5, 2048, 130), (4, 1, 16)])
    func packedMatchesScalarOrder(m: Int, k: Int, n: Int) throws {
        var rng = SplitMix64(seed: UInt64(m * 7 + k * 13 + n))
        let x = Self.random([1, m, k], &rng), w = Self.random([n, k], &rng, scale: 0.05), b = Self.random([n], &rng)
        let packed = try BF16PackedLinear(weight: w, bias: b)
        let ours = try linearBF16TorchOrder(x, packed: packed)
        #expect(ours.shape == [1, m, n])
        let flat = try x.reshaped([m, k])
        // the scalar order reads pairs: an odd K padded with a zero column, as the kernel pads it
        let (xs, ws) = k % 2 == 0 ? (flat, w) : (Self.padded(flat), Self.padded(w))
        let reference = LinearBF16OrderTests.scalarOrder(xs, ws, b, block: torchBF16LinearBlock(k: k))
        #expect(LinearBF16OrderTests.identical(try ours.reshaped([m, n]), reference) == m * n)
        #expect(LinearBF16OrderTests.identical(ours, try linearBF16TorchOrder(x, weight: w, bias: b)) == m * n)
        // without bias: the product alone, rounded
        let bare = try linearBF16TorchOrder(flat, packed: BF16PackedLinear(weight: w, bias: nil))
        let zero = Tensor(zeros: [n])
        #expect(LinearBF16OrderTests.identical(bare, LinearBF16OrderTests.scalarOrder(xs, ws, zero, block: torchBF16LinearBlock(k: k))) == m * n)
    }

    /// [r, k] → [r, k + 1], the last column zero.
    static func padded(_ t: Tensor) -> Tensor {
        let (r, k) = (t.shape[0], t.shape[1])
        let out = Tensor(zeros: [r, k + 1])
        for i in 0..<r { for j in 0..<k { out.pointer[i * (k + 1) + j] = t[i, j] } }
        return out
    }

    @Test func packedHoldsTheWeightsBF16Values() throws {
        var rng = SplitMix64(seed: 3)
        let w = Self.random([37, 33], &rng), b = Self.random([37], &rng)
        let packed = try BF16PackedLinear(weight: w, bias: b)
        #expect((packed.outFeatures, packed.inFeatures) == (37, 33))
        let back = packed.unpacked()
        #expect(back.shape == [37, 33])
        #expect((0..<w.count).allSatisfy { back[flat: $0].bitPattern == BF16.round(w[flat: $0]).bitPattern })
        #expect((0..<b.count).allSatisfy { packed.bias![flat: $0].bitPattern == BF16.round(b[flat: $0]).bitPattern })
        #expect(w.count == 37 * 33 && (0..<w.count).contains { w[flat: $0] != back[flat: $0] })   // the fp32 weight left as it was
    }

    @Test func threadsSharingOnePackedWeightAgree() throws {
        var rng = SplitMix64(seed: 5)
        let w = Self.random([80, 96], &rng, scale: 0.1), b = Self.random([80], &rng)
        let packed = try BF16PackedLinear(weight: w, bias: b)
        let inputs = (0..<8).map { _ in Self.random([6, 96], &rng) }
        let serial = try inputs.map { try linearBF16TorchOrder($0, packed: packed) }
        let results = UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: inputs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let slots = SendablePointer(results.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            slots[i] = try? linearBF16TorchOrder(inputs[i], packed: packed)
        }
        for i in inputs.indices {
            let got = try #require(results[i])
            #expect(LinearBF16OrderTests.identical(got, serial[i]) == serial[i].count)
        }
    }

    @Test func packedSelfAttentionMatchesWeightForm() throws {
        var rng = SplitMix64(seed: 11)
        let (n, c, heads) = (21, 64, 4)
        let x = Self.random([1, n, c], &rng)
        let (qw, qb) = (Self.random([3 * c, c], &rng, scale: 0.2), Self.random([3 * c], &rng, scale: 0.1))
        let (pw, pb) = (Self.random([c, c], &rng, scale: 0.2), Self.random([c], &rng, scale: 0.1))
        let rotary = try RotaryEmbedding(height: 3, width: 7, periods: Tensor([1, 3, 10, 30], shape: [4]))
        let expected = try multiHeadSelfAttention(x, qkvWeight: qw, qkvBias: qb, projWeight: pw, projBias: pb, heads: heads,
                                                  rotary: rotary, precision: .bf16, bf16Attention: .fused)
        let ours = try multiHeadSelfAttention(x, qkv: BF16PackedLinear(weight: qw, bias: qb), proj: BF16PackedLinear(weight: pw, bias: pb),
                                              heads: heads, rotary: rotary)
        #expect(LinearBF16OrderTests.identical(ours, expected) == expected.count)
    }

    @Test func mismatchedInputIsAnError() throws {
        let packed = try BF16PackedLinear(weight: Tensor(zeros: [4, 6]), bias: nil)
        #expect(throws: NNError.self) { try linearBF16TorchOrder(Tensor(zeros: [2, 5]), packed: packed) }
        #expect(throws: NNError.self) { try BF16PackedLinear(weight: Tensor(zeros: [4, 6]), bias: Tensor(zeros: [5])) }
    }
}
