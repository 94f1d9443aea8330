import ArgumentParser
import Artifacts
import Checkpoint
import Foundation
import NN
import Parallel
import RoMa

/// `roma-bench v2-matcher`: RoMa v2's matcher (multi-view ViT + DPT head) alone at romav2's
/// full widths against romav2 2.0.1 in float32, on the files written by
/// `scripts/reference/romav2_matcher_fullsize.py` (seeded random weights, 800×800 pair,
/// seeded normal descriptor features). Prints, per direction, the distribution of the warp
/// difference and the confidence difference (docs/roma2.md, "Matcher and DPT head").
struct RoMaV2MatcherBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2-matcher",
        abstract: "RoMa v2 matcher + DPT head at full width vs romav2 2.0.1 (float32), from scripts/reference/romav2_matcher_fullsize.py's files.")

    @Option(help: "Folder with weights/inputs/reference.safetensors.")
    var dir = "runs/roma2_matcher"

    @OptionGroup var threading: ThreadOption

    func run() throws {
        threading.apply()
        let inputs = try Artifact.read(dir + "/inputs.safetensors"), reference = try Artifact.read(dir + "/reference.safetensors")
        func tensor(_ a: Artifact, _ name: String) throws -> Tensor { Tensor(try a.floats(name), shape: try a.tensor(name).shape) }
        let t0 = Date()
        let matcher = try RoMaV2Matcher(weights: try StateDict.load(dir + "/weights.safetensors"), shape: .romav2)
        let t1 = Date()
        StageClock.reset()
        let out = try matcher(featuresA: [try tensor(inputs, "f_A.0"), try tensor(inputs, "f_A.1")],
                              featuresB: [try tensor(inputs, "f_B.0"), try tensor(inputs, "f_B.1")],
                              imageA: try tensor(inputs, "img_A"), imageB: try tensor(inputs, "img_B"), bidirectional: true)
        let t2 = Date()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(String(format: "ours: load %.1f s, matcher both directions %.1f s on %d threads, peak RSS %.2f GB; romav2 (fp32): %@ s on %@ threads",
                     t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), Threads.count, Double(usage.ru_maxrss) / 1024 / 1024,
                     (try? reference.meta("seconds")) ?? "?", (try? reference.meta("threads")) ?? "?"))
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }) where stage.hasPrefix("v2 matcher") {
            print(String(format: "    %-32@ %6.2f s", stage as NSString, s))
        }
        let side = try inputs.tensor("img_A").shape[3]
        for (label, warp, confidence) in [("A→B", out.warpAB, out.confidenceAB), ("B→A", out.warpBA!, out.confidenceBA!)] {
            let key = label == "A→B" ? "AB" : "BA"
            let refWarp = try reference.floats("warp_\(key)"), refConfidence = try reference.floats("confidence_\(key)")
            let ours = warp.array, oursConfidence = confidence.array
            guard ours.count == refWarp.count, oursConfidence.count == refConfidence.count else {
                throw ValidationError("\(label): our output \(warp.shape) does not match the reference's size")
            }
            // Euclidean warp difference, normalised units and pixels of the side×side image.
            let d = (0..<(ours.count / 2)).map { i in
                Double(hypotf(ours[2 * i] - refWarp[2 * i], ours[2 * i + 1] - refWarp[2 * i + 1]))
            }.sorted()
            let within = Double(d.filter { $0 <= 1e-3 }.count) / Double(d.count)
            let withinPx = Double(d.filter { $0 * Double(side) / 2 <= 0.01 }.count) / Double(d.count)
            let c = zip(oursConfidence, refConfidence).map { Double(abs($0 - $1)) }
            let sigmoid = { (x: Float) in 1 / (1 + exp(-Double(x))) }
            let overlap = zip(oursConfidence, refConfidence).map { abs(sigmoid($0) - sigmoid($1)) }
            print(String(format: "%@ warp |Δ| (normalised): %.2f %% within 1e-3, median %.2e, max %.2e; in px of the %d² image: %.2f %% within 0.01 px, median %.2e px, max %.2e px",
                         label as NSString, 100 * within, d[d.count / 2], d.last ?? 0, side, 100 * withinPx,
                         d[d.count / 2] * Double(side) / 2, (d.last ?? 0) * Double(side) / 2))
            print(String(format: "%@ confidence logit |Δ|: mean %.2e, max %.2e; overlap (sigmoid) |Δ|: mean %.2e, max %.2e",
                         label as NSString, c.reduce(0, +) / Double(c.count), c.max() ?? 0,
                         overlap.reduce(0, +) / Double(overlap.count), overlap.max() ?? 0))
        }
    }
}
