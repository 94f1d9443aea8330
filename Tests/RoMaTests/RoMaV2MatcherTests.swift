import Artifacts
import Checkpoint
import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// The reduced romav2 Matcher written by scripts/fixtures/make_roma2_matcher_fixtures.py:
/// romav2 2.0.1's own classes at RoMaV2MatcherShape.reduced, seeded random weights,
/// float32 reference (autocast off; RoPE in bfloat16 as romav2 always does it).
enum RoMaV2MatcherFixture {
    static let directory = TestPaths.fixture("roma2/matcher")
    static let cases = ["square", "rect"]

    static func weights() throws -> StateDict { try StateDict.load(directory + "/weights.safetensors") }
    static func io() throws -> Artifact { try Artifact.read(directory + "/io.safetensors") }

    static func tensor(_ io: Artifact, _ name: String) throws -> Tensor {
        Tensor(try io.floats(name), shape: try io.tensor(name).shape)
    }
}

/// Parity with romav2's Matcher stage by stage, both directions, on two token grids
/// (4×4, and 4×6 so that height and width cannot be swapped unnoticed).
///
/// Tolerances (max |ours − ref| ≤ atol + rtol·max|ref|): float32 on both sides with
/// different summation orders; activations are O(1) (|ref| ≤ 8) after ≤ 20 reductions of
/// ≤ 576 terms, where reordering costs ~1e-6 relative (measured: ≤ 4.3e-6 absolute, ≤ 1e-6
/// relative to each tensor's scale; `ROMA_PRINT_DIFFS=1`). The RoPE blocks round q and k
/// to bfloat16 (8 significant bits), so a 1e-7 float32 difference in q can flip one rounding
/// by 2⁻⁸ of that element, which we estimate moves the block output by ≲ 5e-4. Hence
/// rtol 3e-4 of the tensor's scale (≈ 1e-3 on the transformer output): above one such
/// flip, 7× below what rotating in float32 instead of bfloat16 changes (7.4e-3 on the
/// transformer output, measured with romav2 itself), and far below any indexing or layout
/// mistake (O(0.1–1)). The RoPE tables follow the same bfloat16 steps and must agree exactly.
@Suite(.serialized) struct RoMaV2MatcherTests {
    let matcher: RoMaV2Matcher
    let io: Artifact

    init() throws {
        matcher = try RoMaV2Matcher(weights: try RoMaV2MatcherFixture.weights(), shape: .reduced)
        io = try RoMaV2MatcherFixture.io()
    }

    func inputs(_ c: String) throws -> (fA: [Tensor], fB: [Tensor], imageA: Tensor, imageB: Tensor) {
        let t = { (name: String) in try RoMaV2MatcherFixture.tensor(self.io, "\(c).\(name)") }
        return ([try t("f_A.0"), try t("f_A.1")], [try t("f_B.0"), try t("f_B.1")], try t("img_A"), try t("img_B"))
    }

    func reference(_ c: String, _ name: String) throws -> Tensor { try RoMaV2MatcherFixture.tensor(io, "\(c).\(name)") }

    @Test(arguments: RoMaV2MatcherFixture.cases)
    func ropeTablesMatchBitForBit(_ c: String) throws {
        let fA = try inputs(c).fA[0]
        let (sin, cos) = matcher.transformer.rope.tables(height: fA.shape[1], width: fA.shape[2])
        let refSin = try reference(c, "rope.sin").array, refCos = try reference(c, "rope.cos").array
        #expect(sin == refSin, "\(c): RoPE sin table differs in \(zip(sin, refSin).filter { $0 != $1 }.count) entries")
        #expect(cos == refCos, "\(c): RoPE cos table differs in \(zip(cos, refCos).filter { $0 != $1 }.count) entries")
    }

    @Test(arguments: RoMaV2MatcherFixture.cases)
    func everyStageMatchesRomav2(_ c: String) throws {
        let x = try inputs(c)
        var views: Tensor?
        let (ab, ba) = try matcher.run(featuresA: x.fA, featuresB: x.fB, imageA: x.imageA, imageB: x.imageB, bidirectional: true,
                                       keepFused: true, transformerOutput: { views = $0.copy() })
        let fMV = try reference(c, "f_mv")
        expectClose(try #require(views).reshaped(fMV.shape), fMV, atol: 0, rtol: 3e-4, "\(c) transformer output")
        for (label, d) in [("AB", ab), ("BA", try #require(ba))] {
            expectClose(d.logits, try reference(c, "attn_\(label)_logits"), atol: 0, rtol: 3e-4, "\(c) logits \(label)")
            expectClose(d.matchEmbedding, try reference(c, "match_emb_\(label)"), atol: 0, rtol: 3e-4, "\(c) match embedding \(label)")
            expectClose(try #require(d.fused), try reference(c, "head_fused_\(label)"), atol: 0, rtol: 3e-4, "\(c) DPT fused \(label)")
            expectClose(d.head, try reference(c, "head_\(label)"), atol: 0, rtol: 3e-4, "\(c) DPT head \(label)")
        }
    }

    @Test(arguments: RoMaV2MatcherFixture.cases)
    func publicCallSplitsWarpAndConfidence(_ c: String) throws {
        let x = try inputs(c)
        let both = try matcher(featuresA: x.fA, featuresB: x.fB, imageA: x.imageA, imageB: x.imageB, bidirectional: true)
        expectClose(both.warpAB, try reference(c, "warp_AB"), atol: 0, rtol: 3e-4, "\(c) warp AB")
        expectClose(both.confidenceAB, try reference(c, "confidence_AB"), atol: 0, rtol: 3e-4, "\(c) confidence AB")
        expectClose(try #require(both.warpBA), try reference(c, "warp_BA"), atol: 0, rtol: 3e-4, "\(c) warp BA")
        expectClose(try #require(both.confidenceBA), try reference(c, "confidence_BA"), atol: 0, rtol: 3e-4, "\(c) confidence BA")
        let one = try matcher(featuresA: x.fA, featuresB: x.fB, imageA: x.imageA, imageB: x.imageB, bidirectional: false)
        #expect(one.warpBA == nil && one.confidenceBA == nil)
        #expect(one.warpAB.array == both.warpAB.array, "A→B must not depend on whether B→A is computed")
    }

    @Test func rejectsInconsistentInputs() throws {
        let x = try inputs("square")
        #expect(throws: RoMaError.self) {   // one descriptor layer missing
            try matcher(featuresA: [x.fA[0]], featuresB: x.fB, imageA: x.imageA, imageB: x.imageB, bidirectional: true)
        }
        let rect = try inputs("rect")
        #expect(throws: RoMaError.self) {   // A and B on different token grids
            try matcher(featuresA: x.fA, featuresB: rect.fB, imageA: x.imageA, imageB: x.imageB, bidirectional: true)
        }
        #expect(throws: RoMaError.self) {   // images not 16× the token grid
            try matcher(featuresA: x.fA, featuresB: x.fB, imageA: rect.imageA, imageB: x.imageB, bidirectional: true)
        }
    }

    @Test func missingOrMisshapenWeightsNameTheKey() throws {
        let weights = try RoMaV2MatcherFixture.weights()
        do {
            _ = try RoMaV2Matcher(weights: weights, shape: .romav2)
            Issue.record("the full-width shape must not load the reduced weights")
        } catch {
            #expect("\(error)".contains("matcher.mv_vit.projector.weight"), "message: \(error)")
        }
        var wrongHeads = RoMaV2MatcherShape.reduced
        wrongHeads.vitHeads = 4   // head dim 12: 3 RoPE periods instead of the stored 6
        #expect(throws: (any Error).self) { try RoMaV2Matcher(weights: weights, shape: wrongHeads) }
        var wrongDim = RoMaV2MatcherShape.reduced
        wrongDim.featureDim = 16
        #expect(throws: RoMaError.self) { try RoMaV2Matcher(weights: weights, shape: wrongDim) }
    }
}
