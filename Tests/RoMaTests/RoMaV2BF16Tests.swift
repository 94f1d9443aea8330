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
/// within 0.01 px, overlaps 1–2e-3 apart. Ours rounds at the same sites (attention as torch's
/// fused CPU kernel; module by module: RoMaV2BF16StageTests), but GEMM and convolution sums
/// run in another order, so single bf16 roundings still flip by an ulp, the DPT head's chain of
/// convolutions and the refiners amplify them, and the two bf16 runs cannot agree to fp32
/// accuracy. Required per direction: ours-bf16
/// is no further from romav2-bf16 than romav2-bf16 is from romav2-fp32 (share within 0.01 px
/// at least as high, median and overlap mean difference no larger). A mode that skipped the
/// bf16 roundings (fp32 throughout, 1e-5 px from romav2-fp32) would sit at that distance to
/// within 1e-4 of it, so the median is also required below 0.95 of it: only a run following
/// romav2's bf16 roundings gets there (measured 0.54× A→B, 0.93× B→A; with the explicit-form
/// attention before it, 0.85× and 0.78×: which direction lands closer is chance at this size).
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
        #expect(ours.within >= theirs.within, "\(d): \(ours.within) of pixels within 0.01 px of romav2-bf16; romav2 bf16 vs fp32: \(theirs.within)")
        #expect(ours.median <= 0.95 * theirs.median, "\(d): median \(ours.median) px from romav2-bf16; romav2 bf16 vs fp32: \(theirs.median)")
        #expect(oursOverlap <= theirsOverlap, "\(d): overlap mean difference \(oursOverlap); romav2 bf16 vs fp32: \(theirsOverlap)")
    }
}
