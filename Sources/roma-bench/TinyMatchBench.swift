import ArgumentParser
import Artifacts
import Checkpoint
import Foundation
import ImageIO
import Parallel
import RoMa

/// `roma-bench match --model tiny` (make bench-match MODEL=tiny): `roma match --model
/// tiny` vs romatch 0.1.2's TinyRoMa on CPU, sacre_coeur at its own size, the same
/// seeded random weights (official widths), one run of this command: best of
/// `--repeats` match calls each side, peak RSS of each process, then parity.
/// Weights come from `scripts/reference/tiny_reference.py prepare` (run here when missing).
extension MatchBench {
    func runTiny(threads n: Int) throws {
        let dir = tinyDir
        let script = "scripts/reference/tiny_reference.py"
        var common = ["--out", dir, "--threads", String(n)]
        if let shared { common += ["--shared", shared] }
        if let xfeatRepo { common += ["--xfeat-repo", xfeatRepo] }
        if !FileManager.default.fileExists(atPath: dir + "/tiny_random.safetensors") {
            print("preparing \(dir) (random weights)…")
            let r = try spawn(python, [script, "prepare"] + common)
            guard r.status == 0 else { throw ValidationError("prepare step failed:\n\(r.output)") }
        }
        let sharedDir = shared ?? ProcessInfo.processInfo.environment["ROMA_SHARED"] ?? "../shared"
        let paths = ["A", "B"].map { "\(sharedDir)/images/sacre_coeur_\($0).jpg" }

        // Ours, in this process: its peak RSS is ours (nothing else large is allocated here).
        let t0 = Date()
        let a = try DecodeStage.run(imagePath: paths[0], options: .tiny), b = try DecodeStage.run(imagePath: paths[1], options: .tiny)
        let model = try TinyRoMaModel(weights: try TinyWeightFiles.open(tiny: dir + "/tiny_random.safetensors", xfeat: nil))
        let t1 = Date()
        var best = Double.infinity, bestCPU = Double.infinity
        var warp: Warp?
        StageClock.reset()
        FlopCounter.reset()
        for _ in 0..<repeats {
            let (w0, c0) = (Date(), cpuSeconds())
            warp = try model.match(a, b)
            best = min(best, Date().timeIntervalSince(w0))
            bestCPU = min(bestCPU, cpuSeconds() - c0)
        }
        var artifact = warp!.artifact
        try artifact.stamp(stage: "match", params: ["model": "tiny", "weights": "tiny_random.safetensors", "bench": true])
        try artifact.write(to: dir + "/ours.warp")
        let oursRSS = peakRSS()
        let flops = FlopCounter.count / Double(repeats)
        print(String(format: "ours:      decode+load %.2f s, match %.3f s (CPU %.3f s, best of %d), peak RSS %.0f MB, %.1f GFLOP/match",
                     t1.timeIntervalSince(t0), best, bestCPU, repeats, oursRSS * 1024, flops / 1e9))
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }) {
            print(String(format: "    %-28@ %6.3f s (mean per call)", stage as NSString, s / Double(repeats)))
        }
        guard !skipReference else { return }

        let (json, refMatch, refCPU, refRSS) = try runReference([script, "run", "--repeats", String(repeats)] + common)
        print(String(format: "romatch:   load %.2f s, match %.3f s (CPU %.3f s, best of %d), peak RSS %.0f MB (torch %@, %d threads)",
                     json["load_seconds"] as? Double ?? 0, refMatch, refCPU, repeats, refRSS * 1024,
                     (json["torch"] as? String ?? "?") as NSString, n))
        print(String(format: "ratio ours/romatch: time %.2f× (CPU time %.2f×), peak RSS %.2f× (targets ≤ 0.5×)",
                     best / refMatch, bestCPU / refCPU, oursRSS / refRSS))
        let cmp = try spawn(python, [script, "compare", dir + "/ours.warp"] + common)
        print("parity (scripts/reference/tiny_reference.py compare):\n" + cmp.output)
    }
}
