import Artifacts
import Checkpoint
import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// The reduced RoMa v2 fine features and refiners written by
/// scripts/fixtures/make_roma2_refiner_fixtures.py (romav2 2.0.1's own classes, fp32):
/// a 64² pass (strides 4, 2, 1) from a smooth prior, then a 128² pass from its result.
enum RoMaV2RefinerFixture {
    static let directory = TestPaths.fixture("roma2/refiner")
    static let anchor = 512, low = 64, high = 128

    static func weights() throws -> StateDict { try StateDict.load(directory + "/weights.safetensors") }
    static func io() throws -> Artifact { try Artifact.read(directory + "/io.safetensors") }

    static func tensor(_ io: Artifact, _ name: String) throws -> Tensor {
        Tensor(try io.floats(name), shape: try io.tensor(name).shape)
    }

    /// uint8 H×W×3 → [1, 3, H, W] in [0, 1], as the script's `to_input`.
    static func image(_ io: Artifact, _ name: String) throws -> Tensor {
        let shape = try io.tensor(name, shape: [nil, nil, 3]).shape
        let (h, w) = (shape[0], shape[1])
        let bytes = try io.bytes(name)
        let t = Tensor(uninitialized: [1, 3, h, w])
        for i in 0..<(h * w) { for c in 0..<3 { t.pointer[c * h * w + i] = Float(bytes[3 * i + c]) / 255 } }
        return t
    }

    static func scaleFactor(_ side: Int) -> (Float, Float) {
        (Float(Double(side) / Double(anchor)), Float(Double(side) / Double(anchor)))
    }

    struct Model {
        let features: RoMaV2FineFeatures
        let refiners: [Int: RoMaV2Refiner]
    }

    /// Widths and shapes read from the weight file itself, as a reduced model must be.
    static func model() throws -> Model {
        let w = try weights()
        let features = try RoMaV2FineFeatures(LayerReader(w, "refiner_features."),
                                              widths: try RoMaV2FineFeatures.widths(weights: w))
        var refiners: [Int: RoMaV2Refiner] = [:]
        for s in [4, 2, 1] {
            refiners[s] = try RoMaV2Refiner(LayerReader(w, "refiners.\(s)."),
                                            shape: try RoMaV2RefinerShape(weights: w, prefix: "refiners.\(s)."))
        }
        return Model(features: features, refiners: refiners)
    }
}

/// Warp differences in pixels of the grid they live on (normalised × side / 2).
private func expectWarpClose(_ ours: Tensor, _ ref: Tensor, px: Float, _ label: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ours.shape == ref.shape, "\(label): shape \(ours.shape) vs \(ref.shape)", sourceLocation: sourceLocation)
    guard ours.shape == ref.shape else { return }
    let (d, _) = maxDifference(ours.array, ref.array)
    let inPixels = d * Float(max(ref.shape[1], ref.shape[2])) / 2
    printDifference(label + " (px)", inPixels, mean: meanDifference(ours.array, ref.array) * Float(ref.shape[2]) / 2)
    #expect(inPixels <= px, "\(label): max warp difference \(inPixels) px", sourceLocation: sourceLocation)
}

@Suite struct RoMaV2RefinerTests {
    typealias F = RoMaV2RefinerFixture

    @Test func shapesComeFromTheWeights() throws {
        let w = try F.weights()
        #expect(try RoMaV2FineFeatures.widths(weights: w) == [8, 16, 32])
        let s4 = try RoMaV2RefinerShape(weights: w, prefix: "refiners.4.")
        #expect(s4 == RoMaV2RefinerShape(featureDim: 32, projDim: 16, displacementDim: 15, corrRadius: 3, hiddenBlocks: 1))
        #expect(try RoMaV2RefinerShape(weights: w, prefix: "refiners.2.").corrRadius == 1)
        #expect(try RoMaV2RefinerShape(weights: w, prefix: "refiners.1.").corrRadius == nil)
        // romav2's own channel counts for the full model.
        #expect(RoMaV2RefinerShape.full.map(\.shape.hiddenDim) == [512, 128, 32])
    }

    /// Eleven 3×3 convolutions with folded BN (folding reorders the float32 rounding),
    /// features of magnitude ≤ 3: differences of a few 1e-7 per layer (measured max
    /// 1.9e-6 at stride 1); 1e-5 relative to the largest value leaves > 10× margin.
    @Test func fineFeaturesMatchRomav2() throws {
        let io = try F.io(), m = try F.model()
        let ours = try m.features(try F.image(io, "image_A.low"))
        #expect(Set(ours.keys) == [1, 2, 4])
        for s in [1, 2, 4] {
            expectClose(ours[s]!, try F.tensor(io, "low.features_A.\(s)"), atol: 1e-6, rtol: 1e-5, "fine features s\(s)")
        }
    }

    /// Bilinear resizing of the prior (8² → 16²) and, with the precision zeroed, of the
    /// low pass's result (64² → 32²): a few float32 roundings of values ≤ 4 (measured 2.4e-7).
    @Test func interpolationMatchesRomav2() throws {
        let io = try F.io()
        let (w, c) = try interpolateWarpAndConfidence(warp: F.tensor(io, "prior.warp"), confidence: F.tensor(io, "prior.confidence"),
                                                      height: F.low, width: F.low, stride: 4, zeroOutPrecision: false)
        expectClose(w, try F.tensor(io, "low.s4.in_warp"), atol: 1e-6, rtol: 0, "interpolated prior warp")
        expectClose(c, try F.tensor(io, "low.s4.in_confidence"), atol: 1e-6, rtol: 0, "interpolated prior confidence")
        let confidence = try F.tensor(io, "low.s1.confidence")
        let (w2, c2) = try interpolateWarpAndConfidence(warp: F.tensor(io, "low.s1.warp"), confidence: confidence,
                                                        height: F.high, width: F.high, stride: 4, zeroOutPrecision: true)
        expectClose(w2, try F.tensor(io, "high.s4.in_warp"), atol: 1e-6, rtol: 0, "interpolated warp (high pass)")
        expectClose(c2, try F.tensor(io, "high.s4.in_confidence"), atol: 1e-6, rtol: 0, "interpolated confidence, precision zeroed")
        #expect(c2.array.enumerated().allSatisfy { $0.offset % 4 == 0 || $0.element == 0 })
        #expect(confidence.array == (try F.tensor(io, "low.s1.confidence")).array, "the input is left alone")
    }

    /// The correlation of the projected features around the reference's warp, for
    /// radius 3 (stride 4) and 1 (stride 2): sums of ≤ 16 products of values ≤ 3,
    /// inputs themselves ~1e-6 from the reference's (measured 1.8e-7 / 6.6e-7).
    @Test func localCorrelationMatchesRomav2() throws {
        let io = try F.io(), m = try F.model()
        let fa = try m.features(try F.image(io, "image_A.low")), fb = try m.features(try F.image(io, "image_B.low"))
        for s in [4, 2] {
            let refiner = m.refiners[s]!
            func projected(_ x: Tensor) throws -> Tensor {
                let (h, w) = (x.shape[1], x.shape[2])
                let p = try refiner.proj(try x.reshaped([1, h * w, x.shape[3]]))
                return try permute(try p.reshaped([1, h, w, refiner.shape.projDim]), [0, 3, 1, 2])
            }
            // Stride 2's input warp is our resizing of the reference's stride-4 output (not stored).
            let input = s == 4 ? try F.tensor(io, "low.s4.in_warp")
                : try interpolateWarpAndConfidence(warp: F.tensor(io, "low.s4.warp"), confidence: F.tensor(io, "low.s4.confidence"),
                                                   height: F.low, width: F.low, stride: 2, zeroOutPrecision: false).warp
            let warp = try permute(input, [0, 3, 1, 2])
            let corr = try localCorrelation(try projected(fa[s]!), try projected(fb[s]!), warp: warp, radius: refiner.shape.corrRadius!)
            expectClose(corr, try F.tensor(io, "low.s\(s).local_corr"), atol: 1e-6, rtol: 1e-5, "local correlation s\(s)")
        }
    }

    /// Each refiner of the low pass from the reference's inputs (stride 4) or from our
    /// resizing of the reference's previous output (strides 2, 1). Warp tolerance in
    /// pixels of the stride's grid: the steps are 0.2–2.5 px and come from two blocks of
    /// convolutions over inputs ~1e-6 from the reference's, a relative error ~1e-6 of the
    /// step, so 1e-4 px (measured ≤ 7.6e-6 px); confidences ≤ 3 to 1e-5 (measured ≤ 9.5e-7).
    @Test func lowPassRefinersMatchRomav2() throws {
        let io = try F.io(), m = try F.model()
        let fa = try m.features(try F.image(io, "image_A.low")), fb = try m.features(try F.image(io, "image_B.low"))
        var warp = try F.tensor(io, "low.s4.in_warp"), confidence = try F.tensor(io, "low.s4.in_confidence")
        for s in [4, 2, 1] {
            if s != 4 {
                (warp, confidence) = try interpolateWarpAndConfidence(warp: F.tensor(io, "low.s\(2 * s).warp"), confidence: F.tensor(io, "low.s\(2 * s).confidence"),
                                                                      height: F.low, width: F.low, stride: s, zeroOutPrecision: false)
            }
            let out = try m.refiners[s]!(featuresA: fa[s]!, featuresB: fb[s]!, warp: warp, confidence: confidence,
                                         scaleFactor: F.scaleFactor(F.low))
            expectWarpClose(out.warp, try F.tensor(io, "low.s\(s).warp"), px: 1e-4, "low pass s\(s) warp")
            expectClose(out.confidence, try F.tensor(io, "low.s\(s).confidence"), atol: 1e-5, rtol: 1e-5, "low pass s\(s) confidence")
        }
    }

    /// The high pass: stride 4 from the reference's (zeroed) inputs, then strides 2 and 1
    /// chained on our own outputs, to the final 128² warp and confidence. Same bounds as
    /// the low pass, doubled for the two chained stages (measured final: 2.3e-5 px, 1.1e-6).
    @Test func highPassMatchesRomav2() throws {
        let io = try F.io(), m = try F.model()
        let fa = try m.features(try F.image(io, "image_A.high")), fb = try m.features(try F.image(io, "image_B.high"))
        var warp = try F.tensor(io, "high.s4.in_warp"), confidence = try F.tensor(io, "high.s4.in_confidence")
        for s in [4, 2, 1] {
            if s != 4 {
                (warp, confidence) = try interpolateWarpAndConfidence(warp: warp, confidence: confidence, height: F.high, width: F.high,
                                                                      stride: s, zeroOutPrecision: false)
            }
            (warp, confidence) = try m.refiners[s]!(featuresA: fa[s]!, featuresB: fb[s]!, warp: warp, confidence: confidence,
                                                    scaleFactor: F.scaleFactor(F.high))
            if s == 4 {
                expectWarpClose(warp, try F.tensor(io, "high.s4.warp"), px: 1e-4, "high pass s4 warp")
                expectClose(confidence, try F.tensor(io, "high.s4.confidence"), atol: 1e-5, rtol: 1e-5, "high pass s4 confidence")
            }
        }
        expectWarpClose(warp, try F.tensor(io, "high.s1.warp"), px: 2e-4, "high pass final warp")
        expectClose(confidence, try F.tensor(io, "high.s1.confidence"), atol: 2e-5, rtol: 2e-5, "high pass final confidence")
    }

    @Test func badWeightsAndInputsAreNamed() throws {
        let w = try F.weights()
        // A refiner read under the wrong stride's prefix: the first mismatching key is named.
        #expect {
            _ = try RoMaV2Refiner(LayerReader(w, "refiners.2."), shape: .stride2)
        } throws: { "\($0)".contains("refiners.2.proj.weight") }
        #expect {
            _ = try RoMaV2RefinerShape(weights: w, prefix: "refiners.8.")
        } throws: { "\($0)".contains("refiners.8.proj.weight") }
        let m = try F.model()
        let f = Tensor(zeros: [1, 16, 16, 32])
        #expect(throws: RoMaError.self) {
            _ = try m.refiners[4]!(featuresA: f, featuresB: f, warp: Tensor(zeros: [1, 8, 8, 2]), confidence: nil, scaleFactor: (1, 1))
        }
        #expect(throws: RoMaError.self) {
            _ = try m.features(Tensor(zeros: [1, 1, 16, 16]))
        }
    }
}
