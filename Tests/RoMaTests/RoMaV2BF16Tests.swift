import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// RoMa v2's default bf16 mode on the reduced model, against romav2's own bf16 run of the
/// same model (scripts/fixtures/make_roma2_model_fixtures.py: descriptor cast to bf16, the
/// matcher's ViT, DPT head and refiner blocks under bf16 autocast).
///
/// Tolerance: the issue's own yardstick, measured on the fixture rather than assumed. A
/// bf16 run differs from fp32 by the rounding of every activation (8-bit mantissa, relative
/// 2⁻⁹), amplified through the softmax match embedding and six refiner steps: romav2's bf16
/// warp is 0.11–0.19 px (median) from its fp32 warp on this 128² grid, < 1 % of pixels
/// within 0.01 px, overlaps 1–2e-3 apart. Ours follows every one of those roundings, and
/// every bf16 op before the refiners sums in torch's order to the bit (the input resize, the
/// descriptor, the matcher's ViT, the DPT head: RoMaV2BF16StageTests, docs/roma2.md
/// "Precision"). The fp32 parts (the matcher's similarity, softmax and match embedding; the
/// refiners' projection, displacement embedding, grid sample, local correlation and heads,
/// and the VGG features they read) sum in another order; a 1e-7 difference there flips the odd bf16 rounding in the next refiner's
/// convolutions, which moves a few neighbourhoods of the warp. Measured on this fixture:
/// 98.5 % (A→B) and 92.0 % (B→A) of pixels within 0.01 px of romav2-bf16, median 2e-6 and
/// 1.4e-3 px (1e-5× and 0.013× romav2's own bf16-vs-fp32 median), overlap mean difference
/// 0.017× and 0.13× romav2's. Required per direction, with room for a few more such flips:
/// ≥ 85 % within 0.01 px, median ≤ 0.05× and overlap mean difference ≤ 0.25× romav2's own
/// distance. Any op before the refiners leaving torch's order fails this: one flipped
/// rounding in the ViT spreads to every token, and the earlier builds whose resize or RoPE
/// tables were an ulp off sat at 0.52× / 0.92× of that median with < 1 % within 0.01 px.
/// The bounds hold for this fixture's seed (0) and seeds 2–4, not for seed 1's A→B, where such
/// an fp32 flip spreads (0.60×, 1.9 % within 0.01 px; docs/roma2.md, five seeds).
@Suite(.serialized) struct RoMaV2BF16Tests {
    static let run: Result<RoMaV2ModelTests.Run, any Error> = Result { try RoMaV2ModelTests.match(precision: .bf16) }

    @Test(arguments: ["ab", "ba"]) func bf16MatchesRomav2BF16(_ d: String) throws {
        let run = try Self.run.get()
        let out = run.output
        let (h, w) = (out.height, out.width)
        let (warp, overlap, _) = try run.direction(d)
        let refBF16 = try run.io.floats("warp_\(d)_bf16", shape: [h, w, 2])
        let refFP32 = try run.io.floats("warp_\(d)", shape: [h, w, 2])
        let refOverlapBF16 = try run.io.floats("overlap_\(d)_bf16", shape: [h, w])
        let refOverlapFP32 = try run.io.floats("overlap_\(d)", shape: [h, w])
        func meanDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count) }
        let ours = WarpParity(warp, refBF16, width: w, height: h)
        let theirs = WarpParity(refBF16, refFP32, width: w, height: h)
        let oursToFP32 = WarpParity(warp, refFP32, width: w, height: h)   // printed only
        let oursOverlap = meanDiff(overlap, refOverlapBF16), theirsOverlap = meanDiff(refOverlapBF16, refOverlapFP32)
        printDifference("roma2 bf16 \(d) ours-bf16 vs ref-bf16 warp median px", ours.median, mean: ours.mean)
        printDifference("roma2 bf16 \(d) ref-bf16 vs ref-fp32 warp median px", theirs.median, mean: theirs.mean)
        printDifference("roma2 bf16 \(d) ours-bf16 vs ref-fp32 warp median px", oursToFP32.median, mean: oursToFP32.mean)
        printDifference("roma2 bf16 \(d) within 0.01 px ours / ref", ours.within, mean: theirs.within)
        printDifference("roma2 bf16 \(d) overlap mean ours / ref", oursOverlap, mean: theirsOverlap)
        #expect(ours.within >= 0.85, "\(d): \(ours.within) of pixels within 0.01 px of romav2-bf16 (romav2 bf16 vs fp32: \(theirs.within))")
        #expect(ours.median <= 0.05 * theirs.median, "\(d): median \(ours.median) px from romav2-bf16; romav2 bf16 vs fp32: \(theirs.median)")
        #expect(oursOverlap <= 0.25 * theirsOverlap, "\(d): overlap mean difference \(oursOverlap); romav2 bf16 vs fp32: \(theirsOverlap)")
    }
}
