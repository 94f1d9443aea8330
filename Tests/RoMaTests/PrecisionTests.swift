import Artifacts
import NN
import Pipeline
@testable import RoMa
import Testing

/// `roma match --precision bf16` on the reduced-width model: the choice reaches the
/// model (the warp moves away from fp32's, by bf16-sized amounts) and the provenance.
@Suite struct PrecisionTests {
    func match(_ precision: Precision) throws -> (warp: Warp, record: StageRecord) {
        var options = MatchStage.Options()
        options.precision = precision
        let matcher = MatchStage.Matcher(weights: try RoMaFixture.weights(), architecture: RoMaFixture.architecture,
                                         options: options, names: ("weights.safetensors", "dinov2.safetensors"))
        let io = try RoMaFixture.io()
        return try matcher.match(try RoMaFixture.decoded(io, "a"), try RoMaFixture.decoded(io, "b"), names: ("a", "b"))
    }

    @Test func bf16IsRecordedAndStaysNearFP32() throws {
        let fp32 = try match(.fp32), bf16 = try match(.bf16)
        #expect(fp32.record.params["precision"] as? String == "fp32")
        #expect(bf16.record.params["precision"] as? String == "bf16")
        let w = bf16.warp
        for (name, a, b, ca, cb) in [("A→B", fp32.warp.warpAB, w.warpAB, fp32.warp.certaintyAB, w.certaintyAB),
                                     ("B→A", fp32.warp.warpBA, w.warpBA, fp32.warp.certaintyBA, w.certaintyBA)] {
            #expect(b.allSatisfy(\.isFinite) && cb.allSatisfy(\.isFinite), "\(name): non-finite bf16 output")
            var px = (0..<(a.count / 2)).map { i in
                let dx = Double(a[2 * i] - b[2 * i]) * Double(w.width) / 2, dy = Double(a[2 * i + 1] - b[2 * i + 1]) * Double(w.height) / 2
                return (dx * dx + dy * dy).squareRoot()
            }
            px.sort()
            let median = px[px.count / 2]
            let certainty = zip(ca, cb).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(ca.count)
            print("bf16 vs fp32 \(name): median \(median) px, max \(px.last!) px, mean certainty |Δ| \(certainty)")
            // bf16 keeps 8 significant bits: each rounded activation moves by up to 2⁻⁹ of itself,
            // so a warp computed through ~40 rounded layers moves by far more than fp32 noise
            // (1e-5 px here) yet far less than a pixel on most of the grid; a path that ignored
            // the precision would give 0, one that broke the model would give pixels.
            #expect(median > 1e-5, "\(name): the bf16 warp is fp32's; precision did not reach the model")
            #expect(median < 0.05, "\(name): median deviation \(median) px from fp32")
            #expect(certainty < 0.02, "\(name): mean certainty deviation \(certainty)")
        }
    }
}
