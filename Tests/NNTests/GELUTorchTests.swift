import Artifacts
import CKernels
import Foundation
import TestSupport
import Testing
@testable import NN

/// `geluTorch` against torch's own CPU `nn.GELU()` (oneDNN 3.13's gelu_erf;
/// scripts/fixtures/make_torch_gelu_fixture.py): every finite bf16 value with 2^-16 ≤ |x| < 16
/// and edge values for bf16 tensors; normal samples, every table breakpoint ±3 ulps, subnormals
/// and extremes for float tensors. Required: every output identical to the bit, from the
/// dispatched kernel and from the portable scalar form (the same float operations leave nothing
/// to differ). `gelu` (our erfc form) is the comparison that shows the fixture tells the two
/// approximations apart.
struct GELUTorchTests {
    static func tensor(_ f: Artifact, _ name: String) throws -> Tensor {
        Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func differing(_ a: Tensor, _ b: Tensor) -> Int {
        (0..<a.count).filter { a[flat: $0].bitPattern != b[flat: $0].bitPattern }.count
    }

    @Test(arguments: [Precision.bf16, .fp32]) func matchesTorch(input: Precision) throws {
        let name = input == .bf16 ? "bf16" : "float"
        let f = try Artifact.read(TestPaths.fixture("bf16/gelu.safetensors"))
        let (x, expected) = (try Self.tensor(f, "x_\(name)"), try Self.tensor(f, "y_\(name)"))
        let ours = try geluTorch(x, input: input)
        let scalar = Tensor(zeros: x.shape)
        roma_gelu_onednn_scalar(x.pointer, scalar.pointer, x.count, input == .bf16 ? 1 : 0)
        var plain = try gelu(x)
        if input == .bf16 { plain = try BF16.round(plain) }
        let (differ, scalarDiffer, plainDiffer) = (Self.differing(ours, expected), Self.differing(scalar, expected),
                                                   Self.differing(plain, expected))
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF gelu \(name): torch form \(differ) / \(expected.count) differ (scalar \(scalarDiffer)), gelu (erfc form) \(plainDiffer)")
        }
        #expect(differ == 0, "\(name): \(differ) of \(expected.count) outputs differ from torch's GELU")
        #expect(scalarDiffer == 0, "\(name): the scalar form differs on \(scalarDiffer) outputs")
        #expect(plainDiffer > 0, "the fixture no longer tells the two GELUs apart")
        // in place gives the same
        let copy = Tensor(x.array, shape: x.shape)
        _ = try geluTorch(copy, input: input, into: copy)
        #expect(Self.differing(copy, expected) == 0)
    }

    /// ±inf gives NaN (oneDNN's polynomial multiplies a zero coefficient by |x|); NaN stays NaN.
    @Test func infinityAndNaN() throws {
        for input in [Precision.bf16, .fp32] {
            let y = try geluTorch(Tensor([.infinity, -.infinity, .nan, 1], shape: [4]), input: input)
            #expect(y[flat: 0].isNaN && y[flat: 1].isNaN && y[flat: 2].isNaN && !y[flat: 3].isNaN)
        }
    }
}
