import Artifacts
import Foundation
import TestSupport
import Testing
@testable import NN

/// `layerNormTorchBF16` against torch's own CPU layer norm of bf16 tensors
/// (scripts/fixtures/make_torch_layernorm_bf16_fixture.py): DINOv3's width with bf16 γ/β,
/// the matcher ViT's with float32 γ/β, and a row length with a partial chunk and a scalar
/// tail. Required: every output identical to the bit (the same float operations in the same
/// order leave nothing to differ). `layerNorm` (moments in double) is the comparison that
/// shows the fixture can tell orders apart: it differs on a few outputs of the DINOv3 case.
struct LayerNormTorchBF16Tests {
    static let cases: [(name: String, eps: Float)] = [("dino", 1e-5), ("matcher", 1e-6), ("tail", 1e-5)]

    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func differing(_ a: Tensor, _ b: Tensor) -> Int {
        (0..<a.count).filter { a[flat: $0].bitPattern != b[flat: $0].bitPattern }.count
    }

    @Test(arguments: [0, 1, 2]) func matchesTorch(index: Int) throws {
        let (name, eps) = Self.cases[index]
        let f = try Artifact.read(TestPaths.fixture("bf16/layer_norm.safetensors"))
        let (x, w, b) = (try Self.tensor(f, "x_\(name)"), try Self.tensor(f, "w_\(name)"), try Self.tensor(f, "b_\(name)"))
        let expected = try Self.tensor(f, "y_\(name)")
        let ours = try layerNormTorchBF16(x, weight: w, bias: b, eps: eps)
        let plain = try BF16.round(try layerNorm(x, weight: w, bias: b, eps: eps))
        let (differ, plainDiffer) = (Self.differing(ours, expected), Self.differing(plain, expected))
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF layer norm bf16 \(name): torch form \(differ) / \(expected.count) differ, layerNorm (double moments) \(plainDiffer)")
        }
        #expect(differ == 0, "\(name): \(differ) of \(expected.count) outputs differ from torch's bf16 layer norm")
        if name == "dino" { #expect(plainDiffer > 0, "the fixture no longer tells the moments' rounding apart") }
        // in place gives the same
        let copy = Tensor(x.array, shape: x.shape)
        _ = try layerNormTorchBF16(copy, weight: w, bias: b, eps: eps, into: copy)
        #expect(Self.differing(copy, expected) == 0)
    }

    @Test func rejectsMismatchedWeight() throws {
        let x = Tensor(zeros: [2, 8])
        #expect(throws: NNError.self) { try layerNormTorchBF16(x, weight: Tensor(zeros: [7]), bias: nil, eps: 1e-5) }
    }
}
