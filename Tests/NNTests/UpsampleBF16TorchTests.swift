import Artifacts
import Foundation
import TestSupport
import Testing
@testable import NN

/// RoMa v2's bf16 bilinear resize against torch's own (torch 2.15's CPU kernels, align_corners
/// True; scripts/fixtures/make_bf16_upsample_fixture.py): the channels-last kernel torch takes
/// for oh + ow ≤ 128 (its 16-channel vectors and its scalar tail) and the generic one, on
/// channels picked so that each other summation order changes the last bf16 bit of some
/// outputs (the script prints how many). Required: every output identical to the bit, and the
/// previous formula (float weights, no FMA) differing on some, so the fixture can tell them apart.
struct UpsampleBF16TorchTests {
    static let fixture = Result { try Artifact.read(TestPaths.fixture("bf16/upsample.safetensors")) }

    static func tensor(_ name: String) throws -> Tensor {
        let f = try fixture.get()
        return Tensor(try f.floats(name), shape: try f.tensor(name).shape)
    }

    static func differing(_ ours: Tensor, _ expected: Tensor, _ name: String) -> Int {
        let n = (0..<expected.count).filter { ours[flat: $0].bitPattern != expected[flat: $0].bitPattern }.count
        if ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil {
            print("DIFF bf16 upsample \(name): \(n) of \(expected.count) outputs differ from torch")
        }
        return n
    }

    @Test(arguments: ["cl", "cl_down", "generic"])
    func matchesTorch(name: String) throws {
        let x = try Self.tensor("x_\(name)"), y = try Self.tensor("y_\(name)")
        let size = (height: y.shape[2], width: y.shape[3])
        let ours = try interpolateBilinearBF16Torch(x, size: size)
        #expect(ours.shape == y.shape)
        #expect(Self.differing(ours, y, name) == 0)
        let previous = try BF16.round(try interpolateBilinear(x, size: size, alignCorners: true))
        #expect(Self.differing(previous, y, "\(name), previous formula") > 0)
    }
}
