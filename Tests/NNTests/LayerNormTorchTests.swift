import Artifacts
import Foundation
import TestSupport
import Testing
@testable import NN

/// `layerNormTorch` against torch's own CPU layer norm (scripts/fixtures/make_torch_layernorm_fixture.py):
/// bf16 tensors at DINOv3's width with bf16 γ/β, at the matcher ViT's with float32 γ/β, and a row
/// length with a partial chunk and a scalar tail; float tensors at 1024 and 100. Required: every
/// output identical to the bit (the same float operations in the same order leave nothing to
/// differ). `layerNorm` (moments in double) is the comparison that shows the fixture tells
/// orders apart: it differs on some outputs of every case but the bf16 tail.
struct LayerNormTorchTests {
    static let cases: [(name: String, eps: Float, input: Precision)] = [
        ("dino", 1e-5, .bf16), ("matcher", 1e-6, .bf16), ("tail", 1e-5, .bf16), ("float", 1e-5, .fp32), ("floattail", 1e-5, .fp32),
    ]

    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func differing(_ a: Tensor, _ b: Tensor) -> Int {
        (0..<a.count).filter { a[flat: $0].bitPattern != b[flat: $0].bitPattern }.count
    }

    @Test(arguments: 0..<5) func matchesTorch(index: Int) throws {
        let (name, eps, input) = Self.cases[index]
        let f = try Artifact.read(TestPaths.fixture("bf16/layer_norm.safetensors"))
        let (x, w, b) = (try Self.tensor(f, "x_\(name)"), try Self.tensor(f, "w_\(name)"), try Self.tensor(f, "b_\(name)"))
        let expected = try Self.tensor(f, "y_\(name)")
        let ours = try layerNormTorch(x, weight: w, bias: b, eps: eps, input: input)
        var plain = try layerNorm(x, weight: w, bias: b, eps: eps)
        if input == .bf16 { plain = try BF16.round(plain) }
        let (differ, plainDiffer) = (Self.differing(ours, expected), Self.differing(plain, expected))
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF layer norm \(name): torch form \(differ) / \(expected.count) differ, layerNorm (double moments) \(plainDiffer)")
        }
        #expect(differ == 0, "\(name): \(differ) of \(expected.count) outputs differ from torch's layer norm")
        if name != "tail" { #expect(plainDiffer > 0, "the fixture no longer tells the moments' rounding apart") }
        // in place gives the same
        let copy = Tensor(x.array, shape: x.shape)
        _ = try layerNormTorch(copy, weight: w, bias: b, eps: eps, input: input, into: copy)
        #expect(Self.differing(copy, expected) == 0)
    }

    @Test func rejectsMismatchedWeight() throws {
        let x = Tensor(zeros: [2, 8])
        #expect(throws: NNError.self) {
            try layerNormTorch(x, weight: Tensor(zeros: [7]), bias: Tensor(zeros: [8]), eps: 1e-5, input: .bf16)
        }
    }
}
