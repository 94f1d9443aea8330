import ArgumentParser
import Artifacts
import Checkpoint
import Foundation
import NN
import Parallel
import RoMa

/// `roma-bench match --model roma2` (make bench-match MODEL=roma2): `roma match --model
/// roma2` vs romav2 2.0.1 on CPU, sacre_coeur at its own size, the same seeded random
/// full-size weights, fp32 on both sides (the reference with every autocast off), one
/// run of this command: time, peak RSS of each process, FLOPs and the share of the
/// machine's fp32 peak, then parity of every pixel in both directions.
/// Weights and inputs come from `scripts/reference/romav2_reference.py prepare` (run here when missing).
extension MatchBench {
    func runRoMaV2(threads n: Int) throws {
        guard let setting = RoMaV2Setting(rawValue: roma2Setting) else {
            throw ValidationError("--setting must be one of \(RoMaV2Setting.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let precision = Precision(rawValue: roma2Precision) else { throw ValidationError("--precision must be fp32 or bf16") }
        let dir = roma2Dir
        let script = "scripts/reference/romav2_reference.py"
        let fm = FileManager.default
        if !["A.decoded", "B.decoded", "romav2_random.safetensors"].allSatisfy({ fm.fileExists(atPath: dir + "/" + $0) }) {
            print("preparing \(dir) (random weights and inputs)…")
            var args = [script, "prepare", "--out", dir]
            if let shared { args += ["--shared", shared] }
            let r = try spawn(python, args)
            guard r.status == 0 else { throw ValidationError("prepare step failed:\n\(r.output)") }
        }
        let machine = MachinePeak.measure(threads: n, repeats: 40)
        print(machine.summary() + "; load " + MachinePeak.loadAverage())

        // Ours, in this process: its peak RSS is ours.
        let t0 = Date()
        let a = try DecodedImage.read(dir + "/A.decoded"), b = try DecodedImage.read(dir + "/B.decoded")
        let model = try RoMaV2Model(weights: try StateDict.load(dir + "/romav2_random.safetensors"), config: RoMaV2Config(setting),
                                    precision: precision)
        let t1 = Date()
        FlopCounter.reset()
        StageClock.reset()
        let cpu1 = cpuSeconds()
        let output = try model.match(a, b)
        let t2 = Date()
        let oursCPU = cpuSeconds() - cpu1
        let oursPath = "\(dir)/ours_\(setting.rawValue)\(precision == .bf16 ? "_bf16" : "").warp"
        var artifact = output.precisionWarp(a, b).artifact
        try artifact.stamp(stage: "match", params: ["model": "roma2", "setting": setting.rawValue, "precision": precision.rawValue, "weights": "romav2_random.safetensors", "bench": true])
        try artifact.write(to: oursPath)
        let oursRSS = peakRSS()
        let oursMatch = t2.timeIntervalSince(t1), flops = FlopCounter.count
        let rate = flops / oursMatch / 1e9
        print(String(format: "ours:      setting %@, %@, load %.1f s, match %.1f s (CPU %.1f s), peak RSS %.2f GB, %.2f TFLOP/pair, %.1f GFLOP/s = %@ of the fp32 peak",
                     setting.rawValue as NSString, precision.rawValue as NSString, t1.timeIntervalSince(t0), oursMatch, oursCPU, oursRSS, flops / 1e12, rate,
                     (machine.fp32.map { String(format: "%.0f%%", 100 * rate / $0) } ?? "–") as NSString))
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }).prefix(12) {
            print(String(format: "    %-32@ %6.1f s", stage as NSString, s))
        }
        guard !skipReference else { return }

        let (json, refMatch, refCPU, refRSS) = try runReference([script, "run", "--out", dir, "--setting", setting.rawValue, "--threads", String(n)])
        print(String(format: "romav2:    load %.1f s, match %.1f s (CPU %.1f s), peak RSS %.2f GB (torch %@, %d threads, fp32)",
                     json["load_seconds"] as? Double ?? 0, refMatch, refCPU, refRSS, (json["torch"] as? String ?? "?") as NSString, n))
        print(String(format: "ratio ours/romav2: time %.2f× (CPU time %.2f×), peak RSS %.2f× (targets ≤ 0.5×)",
                     oursMatch / refMatch, oursCPU / refCPU, oursRSS / refRSS))
        let cmp = try spawn(python, ["scripts/reference/compare_warp.py", oursPath, "\(dir)/reference_\(setting.rawValue).safetensors"])
        print("parity (scripts/reference/compare_warp.py):\n" + cmp.output)
    }
}
