import Checkpoint
import Artifacts
import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// The reduced-width reference written by scripts/fixtures/make_roma_fixtures.py.
/// Its architecture must match the script's TINY dictionary.
enum RoMaFixture {
    static let directory = TestPaths.fixture("roma")

    static let architecture = RoMaArchitecture(
        vit: .init(embedDim: 32, depth: 2, heads: 2),
        vggWidths: [8, 16, 32, 64],
        projections: [16: (32, 16), 8: (64, 16), 4: (32, 16), 2: (16, 8), 1: (8, 4)],
        gpDim: 16, decoderBlocks: 2, decoderHeads: 2, anchorGrid: 64,
        refiners: [
            16: .init(width: 2 * 16 + 8 + 225, displacementDim: 8, corrRadius: 7),
            8: .init(width: 2 * 16 + 8 + 49, displacementDim: 8, corrRadius: 3),
            4: .init(width: 2 * 16 + 8 + 25, displacementDim: 8, corrRadius: 2),
            2: .init(width: 2 * 8 + 4, displacementDim: 4, corrRadius: nil),
            1: .init(width: 2 * 4 + 4, displacementDim: 4, corrRadius: nil),
        ],
        refinerHiddenBlocks: 2, refinerKernel: 5)

    /// Square input sides of the two passes (the script's coarse_res and upsample_res).
    static let coarseSide = 112, fineSide = 144

    static let config = RoMaConfig(architecture: architecture, coarseResolution: (coarseSide, coarseSide),
                                   upsampleResolution: (fineSide, fineSide))

    /// The reference's scale factors, sqrt(h·w / 560²) as romatch's `match` computes them.
    static let coarseScaleFactor = (Double(coarseSide * coarseSide) / (560.0 * 560.0)).squareRoot()
    static let fineScaleFactor = (Double(fineSide * fineSide) / (560.0 * 560.0)).squareRoot()

    static func weights() throws -> CombinedWeights {
        CombinedWeights(roma: try StateDict.load(directory + "/weights.safetensors"),
                        dinov2: try StateDict.load(directory + "/dinov2.safetensors"))
    }

    static func io() throws -> Artifact { try Artifact.read(directory + "/io.safetensors") }

    /// Batch item `index` of a reference `B × C × H × W` tensor.
    static func map(_ io: Artifact, _ name: String, item index: Int) throws -> Tensor {
        let t = try io.tensor(name)
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        let all = try io.floats(name)
        let n = c * h * w
        return Tensor(Array(all[(index * n)..<((index + 1) * n)]), shape: [1, c, h, w])
    }

    static func pixels(_ io: Artifact, _ name: String) throws -> DecodedImage.Pixels {
        let t = try io.tensor(name, shape: [nil, nil, 3])
        return DecodedImage.Pixels(width: t.shape[1], height: t.shape[0], rgb: try io.bytes(name))
    }

    static func decoded(_ io: Artifact, _ label: String) throws -> DecodedImage {
        DecodedImage(coarse: try pixels(io, "image_\(label).coarse"), upsampled: try pixels(io, "image_\(label).upsampled"),
                     originalWidth: 640, originalHeight: 480, sourcePath: "sacre_coeur_\(label)")
    }
}

/// Largest absolute difference, and the reference's largest magnitude (for context in messages).
func maxDifference(_ a: [Float], _ b: [Float]) -> (diff: Float, scale: Float) {
    precondition(a.count == b.count, "compared tensors differ in size: \(a.count) vs \(b.count)")
    var d: Float = 0, s: Float = 0
    for i in 0..<a.count {
        d = max(d, abs(a[i] - b[i]))
        s = max(s, abs(b[i]))
    }
    return (d, s)
}

func meanDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var s: Double = 0
    for i in 0..<a.count { s += Double(abs(a[i] - b[i])) }
    return Float(s / Double(max(1, a.count)))
}

/// Expects `|ours - ref| ≤ atol + rtol·max|ref|` everywhere.
func expectClose(_ ours: Tensor, _ ref: Tensor, atol: Float, rtol: Float, _ label: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ours.shape == ref.shape, "\(label): shape \(ours.shape) vs \(ref.shape)", sourceLocation: sourceLocation)
    guard ours.shape == ref.shape else { return }
    let (d, s) = maxDifference(ours.array, ref.array)
    printDifference(label, d, scale: s)
    #expect(d <= atol + rtol * s, "\(label): max difference \(d) (reference scale \(s))", sourceLocation: sourceLocation)
}

/// With ROMA_PRINT_DIFFS set, prints a measured difference (the figures quoted in docs/model.md).
func printDifference(_ label: String, _ d: Float, scale: Float? = nil, mean: Float? = nil) {
    guard ProcessInfo.processInfo.environment["ROMA_PRINT_DIFFS"] != nil else { return }
    print("DIFF \(label): \(d)" + (scale.map { " scale \($0)" } ?? "") + (mean.map { " mean \($0)" } ?? ""))
}
