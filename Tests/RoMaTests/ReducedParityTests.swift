import Artifacts
import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// Parity with the reduced-width romatch reference, module by module. Each
/// module is fed the reference's own inputs where it can be, so a failure
/// points at the module, not at errors carried from upstream.
///
/// Tolerances: everything runs in float32 on both sides with different
/// summation orders (OpenBLAS vs oneDNN/MKL), so elementwise differences of a
/// few ulps per reduction are expected; 1e-4 relative to the tensor's scale
/// covers reductions of a few thousand terms with margin while still failing
/// on any indexing, layout or formula mistake (those give O(1) relative errors).
@Suite(.serialized) struct ReducedParityTests {
    let model: RoMaModel
    let io: Artifact

    init() throws {
        model = try RoMaModel(weights: RoMaFixture.weights(), config: RoMaFixture.config)
        io = try RoMaFixture.io()
    }

    func input(_ label: String, _ pass: String) throws -> Tensor {
        RoMaModel.normalise(try RoMaFixture.pixels(io, "image_\(label).\(pass)"))
    }

    @Test func vggPyramidMatchesReference() throws {
        for (item, label) in ["a", "b"].enumerated() {
            for pass in ["coarse", "upsampled"] {
                let pyramid = try model.vgg(try input(label, pass))
                let tag = pass == "coarse" ? "coarse" : "fine"
                for s in [1, 2, 4, 8] {
                    let ref = try RoMaFixture.map(io, "\(tag).pyramid.\(s)", item: item)
                    expectClose(pyramid[s]!, ref, atol: 1e-5, rtol: 1e-4, "VGG \(label) \(pass) stride \(s)")
                }
            }
        }
    }

    @Test func dinov2MatchesReference() throws {
        for (item, label) in ["a", "b"].enumerated() {
            let ours = try model.dinov2(try input(label, "coarse"))
            let ref = try RoMaFixture.map(io, "coarse.pyramid.16", item: item)
            // LayerNorm outputs are O(1); 1e-4 absolute after two blocks and the final norm.
            expectClose(ours, ref, atol: 1e-4, rtol: 1e-4, "DINOv2 \(label)")
        }
    }

    /// Projected reference pyramid of one image (so decoder tests start from reference features).
    func projected(_ pass: String, item: Int) throws -> [Int: Tensor] {
        let scales = pass == "coarse" ? [1, 2, 4, 8, 16] : [1, 2, 4, 8]
        var pyramid: [Int: Tensor] = [:]
        for s in scales { pyramid[s] = try RoMaFixture.map(io, "\(pass).pyramid.\(s)", item: item) }
        return try model.decoder.project(pyramid)
    }

    @Test func coarseDecoderMatchesReference() throws {
        let pa = try projected("coarse", item: 0), pb = try projected("coarse", item: 1)
        for (item, (q, s)) in [(pa, pb), (pb, pa)].enumerated() {
            let trace = Trace()
            _ = try model.decoder(q, s, seed: nil, scaleFactor: RoMaFixture.coarseScaleFactor, trace: trace)
            // GP: a Cholesky solve of a 64×64 system in float32 on the reference side.
            expectClose(trace.tensors["gp_posterior"]!, try RoMaFixture.map(io, "coarse.gp_posterior", item: item),
                        atol: 1e-4, rtol: 1e-4, "GP posterior \(item)")
            let logits = try featureMap(trace.tensors["cls_logits"]!, height: 8, width: 8)
            // Logits reach ~60 in magnitude; relative 1e-4 of that.
            expectClose(logits, try RoMaFixture.map(io, "coarse.cls_logits", item: item), atol: 1e-4, rtol: 1e-4, "anchor logits \(item)")
            expectClose(trace.tensors["gm_certainty"]!, try RoMaFixture.map(io, "coarse.gm_certainty", item: item),
                        atol: 1e-4, rtol: 1e-4, "match certainty \(item)")
            for scale in [16, 8, 4, 2, 1] {
                // Flows are in [-1, 1]: 1e-4 is 0.006 px at 112 px. Certainty logits reach ~25.
                expectClose(trace.tensors["flow.\(scale)"]!, try RoMaFixture.map(io, "coarse.flow.\(scale)", item: item),
                            atol: 1e-4, rtol: 0, "coarse flow \(scale) direction \(item)")
                expectClose(trace.tensors["certainty.\(scale)"]!, try RoMaFixture.map(io, "coarse.certainty.\(scale)", item: item),
                            atol: 1e-4, rtol: 1e-4, "coarse certainty \(scale) direction \(item)")
            }
        }
    }

    @Test func refinersMatchReferenceOnReferenceInputs() throws {
        for pass in ["coarse", "fine"] {
            let pa = try projected(pass, item: 0), pb = try projected(pass, item: 1)
            let factor = pass == "coarse" ? RoMaFixture.coarseScaleFactor : RoMaFixture.fineScaleFactor
            for (item, (q, s)) in [(pa, pb), (pb, pa)].enumerated() {
                for scale in (pass == "coarse" ? [16, 8, 4, 2, 1] : [8, 4, 2, 1]) {
                    let flowIn = try RoMaFixture.map(io, "\(pass).refiner.\(scale).flow_in", item: item)
                    let (delta, deltaCertainty) = try model.decoder.refiners[scale]!(q[scale]!, s[scale]!, flow: flowIn, scaleFactor: factor)
                    expectClose(delta, try RoMaFixture.map(io, "\(pass).refiner.\(scale).delta_flow", item: item),
                                atol: 1e-4, rtol: 1e-4, "\(pass) refiner \(scale) Δflow \(item)")
                    expectClose(deltaCertainty, try RoMaFixture.map(io, "\(pass).refiner.\(scale).delta_certainty", item: item),
                                atol: 1e-4, rtol: 1e-4, "\(pass) refiner \(scale) Δcertainty \(item)")
                }
            }
        }
    }

    @Test func upsampledDecoderMatchesReference() throws {
        let pa = try projected("fine", item: 0), pb = try projected("fine", item: 1)
        for (item, (q, s)) in [(pa, pb), (pb, pa)].enumerated() {
            let seed = ScaleEstimate(flow: try RoMaFixture.map(io, "coarse.flow.1", item: item),
                                     certainty: try RoMaFixture.map(io, "coarse.certainty.1", item: item))
            let out = try model.decoder(q, s, seed: seed, scaleFactor: RoMaFixture.fineScaleFactor)
            for scale in [8, 4, 2, 1] {
                expectClose(out[scale]!.flow, try RoMaFixture.map(io, "fine.flow.\(scale)", item: item),
                            atol: 1e-4, rtol: 0, "fine flow \(scale) direction \(item)")
                expectClose(out[scale]!.certainty, try RoMaFixture.map(io, "fine.certainty.\(scale)", item: item),
                            atol: 1e-4, rtol: 1e-4, "fine certainty \(scale) direction \(item)")
            }
        }
    }

    @Test func endToEndWarpMatchesReference() throws {
        let warp = try model.match(try RoMaFixture.decoded(io, "a"), try RoMaFixture.decoded(io, "b"))
        let side = RoMaFixture.fineSide
        #expect(warp.width == side && warp.height == side)
        // The reference's warp (1, H, 2W, 4) is stored without its pixel-grid half
        // (checked by the generator): final.warp_targets is (2, H, W, 2), A→B then B→A.
        // Its certainty keeps the reference layout (1, H, 2W): A→B left, B→A right.
        let targets = try io.floats("final.warp_targets", shape: [2, side, side, 2])
        let cert = try io.floats("final.certainty", shape: [1, side, 2 * side])
        let half = side * side * 2
        let (refAB, refBA) = (Array(targets[..<half]), Array(targets[half...]))
        var certAB = [Float](), certBA = [Float]()
        for y in 0..<side {
            certAB += cert[(y * 2 * side)..<(y * 2 * side + side)]
            certBA += cert[(y * 2 * side + side)..<((y + 1) * 2 * side)]
        }
        // Whole pipeline chained in float32: 2e-4 in normalised units (0.014 px at 144 px)
        // at worst, and the full-size targets on the means.
        for (name, ours, theirs) in [("A→B", warp.warpAB, refAB), ("B→A", warp.warpBA, refBA)] {
            let (d, _) = maxDifference(ours, theirs)
            printDifference("final warp \(name)", d, mean: meanDifference(ours, theirs))
            #expect(d < 2e-4, "\(name) warp max difference \(d)")
            #expect(meanDifference(ours, theirs) * Float(side) / 2 < 0.01, "\(name) mean warp difference in pixels")
        }
        for (name, ours, theirs) in [("A→B", warp.certaintyAB, certAB), ("B→A", warp.certaintyBA, certBA)] {
            let (d, _) = maxDifference(ours, theirs)
            printDifference("final certainty \(name)", d, mean: meanDifference(ours, theirs))
            #expect(d < 1e-4, "\(name) certainty max difference \(d)")
            #expect(meanDifference(ours, theirs) < 1e-5, "\(name) mean certainty difference")
        }
    }
}
