import Artifacts
import Foundation
import TestSupport
import Testing
@testable import NN

/// RoMa v2's bf16 convolutions against torch's own (torch 2.15's oneDNN 3.13 on CPU;
/// scripts/fixtures/make_bf16_conv_order_fixture.py): a 3×3 over three 16-channel blocks, a
/// stride-2 3×3, a 1×1 summed in chunks of 160 + 96 input channels, DINOv3's 16×16 stride-16
/// patch embedding over 3 channels, a ×2 transposed convolution and a 5×5 depthwise, their
/// operands built to cancel so that the last bf16 bit of many outputs depends on the fp32
/// summation order (the nearest other orders change 2–1 927 outputs per case; the script
/// prints how many); and the refiners' batch norm of a bf16
/// tensor (another formula changes 2 of 36 864). Required: every output identical to the bit —
/// the same operations in the same order leave nothing to differ.
struct ConvBF16OrderTests {
    static let fixture = Result { try Artifact.read(TestPaths.fixture("bf16/conv_order.safetensors")) }

    static func tensors(_ name: String) throws -> (x: Tensor, w: Tensor, b: Tensor, y: Tensor) {
        let f = try fixture.get()
        func t(_ n: String) throws -> Tensor { Tensor(try f.floats("\(n)_\(name)"), shape: try f.tensor("\(n)_\(name)").shape) }
        return (try t("x"), try t("w"), try t("b"), try t("y"))
    }

    static let printing = ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil

    static func differing(_ ours: Tensor, _ expected: Tensor, _ name: String) -> Int {
        let n = (0..<expected.count).filter { ours[flat: $0].bitPattern != expected[flat: $0].bitPattern }.count
        if printing {
            print("DIFF bf16 conv \(name): \(n) of \(expected.count) outputs differ from torch")
        }
        return n
    }

    @Test(arguments: [("conv3x3", 1, 1), ("conv3x3s2", 2, 1), ("conv1x1", 1, 0), ("patch16", 16, 0)])
    func denseMatchesTorch(name: String, stride: Int, padding: Int) throws {
        let c = try Self.tensors(name)
        #expect(c.y.shape == [1, c.w.shape[0], c.y.shape[2], c.y.shape[3]])
        let ours = try conv2dBF16TorchOrder(c.x, packed: BF16PackedConv(weight: c.w, bias: c.b), stride: stride, padding: padding)
        #expect(ours.shape == c.y.shape)
        #expect(Self.differing(ours, c.y, name) == 0)
        if Self.printing {   // the previous path: fp32 sums on rounded operands (Winograd for the 3×3), or oneDNN 2.6's GEMM
            _ = Self.differing(try conv2d(c.x, weight: c.w, bias: c.b, stride: stride, padding: padding, precision: .bf16), c.y, "\(name) conv2d(.bf16)")
        }
    }

    @Test func transposedMatchesTorch() throws {
        let c = try Self.tensors("convt2")
        let ours = try convTranspose2dBF16TorchOrder(c.x, taps: BF16PackedConv.transposedTaps(weight: c.w, bias: c.b), kernel: 2)
        #expect(ours.shape == c.y.shape)
        #expect(Self.differing(ours, c.y, "convt2") == 0)
        if Self.printing {
            let previous = try convTranspose2d(try BF16.round(c.x), weight: try BF16.round(c.w), bias: try BF16.round(c.b), stride: 2)
            _ = Self.differing(try BF16.round(previous), c.y, "convt2 convTranspose2d on rounded operands")
        }
    }

    @Test func depthwiseMatchesTorch() throws {
        let c = try Self.tensors("dw5")
        let ours = try depthwiseConv2dBF16TorchOrder(c.x, weight: c.w, bias: c.b, padding: 2)
        #expect(ours.shape == c.y.shape)
        #expect(Self.differing(ours, c.y, "dw5") == 0)
        if Self.printing {
            _ = Self.differing(try conv2d(c.x, weight: c.w, bias: c.b, padding: 2, groups: 16, precision: .bf16), c.y, "dw5 conv2d(.bf16)")
        }
    }

    /// The refiners' batch norm on a bf16 tensor (float statistics), against torch's.
    @Test func batchNormMatchesTorch() throws {
        let f = try Self.fixture.get()
        func t(_ n: String) throws -> Tensor { Tensor(try f.floats("\(n)_bn"), shape: try f.tensor("\(n)_bn").shape) }
        let bn = BatchNormParameters(gamma: try t("gamma"), beta: try t("beta"), mean: try t("mean"), variance: try t("var"))
        let (x, expected) = (try t("x"), try t("y"))
        let ours = try batchNormTorchBF16(x.copy(), bn)
        #expect(Self.differing(ours, expected, "bn") == 0)
        if Self.printing { _ = Self.differing(try BF16.round(batchNorm(x, bn)), expected, "bn batchNorm rounded") }
    }

    /// oneDNN's 1×1 reduce chunk at the shapes where it was measured against torch (the
    /// chunk that reproduces torch, every other chunk tried differing): RoMa v2's DPT head
    /// (1024 → 256/512/1024 at 50², 256 at 50²–400²) sums in one chunk, its refiners' 512
    /// and 128 channels at 128²–640² in chunks of 96, 32 channels at 1024²–1280² in one.
    @Test func conv1x1ChunkAsMeasured() {
        let measured: [(ic: Int, oc: Int, side: Int, chunk: Int)] = [
            (1024, 256, 50, 1024), (1024, 512, 50, 1024), (1024, 1024, 50, 1024), (256, 256, 400, 256),
            (512, 512, 256, 96), (512, 512, 320, 96), (512, 512, 128, 96), (128, 128, 512, 96), (128, 128, 640, 96),
            (1024, 1024, 64, 96), (384, 384, 100, 384), (768, 768, 20, 768), (256, 256, 12, 160), (32, 32, 1280, 32),
        ]
        for m in measured {
            #expect(torchBF16Conv1x1Chunk(inChannels: m.ic, outChannels: m.oc, outHeight: m.side, outWidth: m.side) == m.chunk,
                    "\(m.ic) → \(m.oc) at \(m.side)²")
        }
    }
}
