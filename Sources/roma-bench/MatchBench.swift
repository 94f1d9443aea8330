import Checkpoint
import ArgumentParser
import Artifacts
import CLinearAlgebra
import Foundation
import NN
import Parallel
import RoMa

/// `roma-bench match` (make bench-match): `roma match` vs romatch 0.1.2 on CPU, same
/// pair (sacre_coeur, 560 → 864, symmetric), same random weights, one run: time,
/// peak RSS, FLOPs and the fraction of the measured cblas_sgemm peak, then the
/// full-size parity of the two warps. Inputs and weights come from
/// `scripts/reference/full_size_reference.py prepare` (run here when missing).
struct MatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "RoMa matcher vs the Python reference: time, peak memory, FLOPs, parity.")

    @Option(help: "Working folder with the prepared inputs and random weights (created when missing).")
    var dir = "runs/fullsize"

    @Option(help: "Python interpreter with torch and romatch 0.1.2.")
    var python = "python3"

    @Option(help: "Threads for ours and for torch (default: ROMA_THREADS or all cores).")
    var threads: Int?

    @Flag(help: "Measure ours only (no reference run, no parity).")
    var skipReference = false

    @Flag(help: "No bf16 run (by default the bf16 precision mode runs after fp32, PrecisionBench.swift).")
    var skipBF16 = false

    @Option(help: "Folder holding images/sacre_coeur_A.jpg for the prepare step (default ../shared or ROMA_SHARED).")
    var shared: String?

    @Flag(help: "Only time DINOv2 and VGG19 on image A's coarse input, with a per-operator breakdown.")
    var encoderOnly = false

    // Tiny RoMa (TinyMatchBench.swift).
    @Option(help: "Model: roma, tiny (Tiny RoMa v1 on sacre_coeur at its own size; working folder --tiny-dir) or roma2 (RoMa v2, --setting; --roma2-dir).")
    var model = "roma"
    @Option(help: "With --model tiny: working folder (random weights, warps).")
    var tinyDir = "runs/tiny"
    @Option(help: "With --model tiny: checkout of verlab/accelerated_features for the reference (default $XFEAT_REPO).")
    var xfeatRepo: String?
    @Option(help: "With --model tiny: match calls per side; the fastest is reported.")
    var repeats = 10
    // RoMa v2 (RoMaV2MatchBench.swift).
    @Option(name: .customLong("setting"), help: "With --model roma2: romav2's setting (mega1500: 800 → 1024, both directions).")
    var roma2Setting = "mega1500"
    @Option(help: "With --model roma2: working folder (random weights, inputs, warps).")
    var roma2Dir = "runs/roma2"
    @Option(name: .customLong("precision"), help: "With --model roma2: our precision, fp32 (as the reference run) or bf16 (romav2's default; the reference still runs fp32).")
    var roma2Precision = "fp32"

    func run() throws {
        Threads.configure(requested: threads)
        let n = Threads.count
        if model == "tiny" { return try runTiny(threads: n) }
        if model == "roma2" { return try runRoMaV2(threads: n) }
        guard model == "roma" else { throw ValidationError("--model must be roma, tiny or roma2, not '\(model)'") }
        if encoderOnly { return try profileEncoder() }
        let fm = FileManager.default
        let needed = ["A.decoded", "B.decoded", "roma_random.safetensors", "dinov2_random.safetensors"]
        if !needed.allSatisfy({ fm.fileExists(atPath: dir + "/" + $0) }) {
            print("preparing \(dir) (random weights and inputs)…")
            var args = ["scripts/reference/full_size_reference.py", "prepare", "--out", dir]
            if let shared { args += ["--shared", shared] }
            let r = try spawn(python, args)
            guard r.status == 0 else { throw ValidationError("prepare step failed:\n\(r.output)") }
        }

        let peak = sgemmPeak(size: 2048)
        print(String(format: "cblas_sgemm peak (2048³, %d threads): %.1f GFLOP/s; GEMM backend: %@; load %@", n, peak,
                     GEMM.backend.rawValue as NSString, MachinePeak.loadAverage() as NSString))
        let machine = MachinePeak.measure(threads: n, repeats: 40)
        print(machine.summary())

        // Ours, in this process: peak RSS of the process is ours (the bench adds a few MB).
        let t0 = Date()
        let a = try DecodedImage.read(dir + "/A.decoded"), b = try DecodedImage.read(dir + "/B.decoded")
        let weights = CombinedWeights(roma: try StateDict.load(dir + "/roma_random.safetensors"),
                                      dinov2: try StateDict.load(dir + "/dinov2_random.safetensors"))
        let model = try RoMaModel(weights: weights, config: .outdoor)
        let t1 = Date()
        FlopCounter.reset()
        StageClock.reset()
        let cpu1 = cpuSeconds(), usage1 = StageClock.processUsage()
        let warp = try model.match(a, b)
        let t2 = Date()
        let oursCPU = cpuSeconds() - cpu1, usage2 = StageClock.processUsage()
        var artifact = warp.artifact
        try artifact.stamp(stage: "match", params: ["weights": "roma_random.safetensors", "bench": true])
        try artifact.write(to: dir + "/ours.warp")
        let warpBytes = (try? FileManager.default.attributesOfItem(atPath: dir + "/ours.warp")[.size] as? Int) ?? 0
        let oursRSS = peakRSS()
        let oursMatch = t2.timeIntervalSince(t1), flops = FlopCounter.count
        let rate = flops / oursMatch / 1e9
        print(String(format: "ours:      load %.1f s, match %.1f s (CPU %.1f s), peak RSS %.2f GB, %.2f TFLOP, %.1f GFLOP/s = %.0f%% of sgemm peak, %@ of the fp32 peak",
                     t1.timeIntervalSince(t0), oursMatch, oursCPU, oursRSS, flops / 1e12, rate, 100 * rate / peak,
                     (machine.fp32.map { String(format: "%.0f%%", 100 * rate / $0) } ?? "–") as NSString))
        print(String(format: "    of the match's CPU: system %.1f s, %.2f M page faults",
                     usage2.system - usage1.system, Double(usage2.faults - usage1.faults) / 1e6))
        let stageCPU = StageClock.cpuSeconds, stageSystem = StageClock.systemSeconds, stageFaults = StageClock.pageFaults
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }) {
            print(String(format: "    %-28@ %6.1f s (CPU %.1f s, system %.1f s, %.0fk faults)", stage as NSString, s,
                         stageCPU[stage] ?? .nan, stageSystem[stage] ?? .nan, Double(stageFaults[stage] ?? 0) / 1e3))
        }
        print(String(format: "warp artifact: %.2f MB (%d bytes) for a %d×%d grid", Double(warpBytes) / 1e6, warpBytes, warp.width, warp.height))
        if !skipBF16 {
            try compareBF16(dir: dir, a, b, fp32: warp, fp32Seconds: oursMatch, fp32CPU: oursCPU, peak: machine)
        }
        guard !skipReference else { return }

        let (json, refMatch, refCPU, refRSS) = try runReference(["scripts/reference/full_size_reference.py", "run", "--out", dir, "--threads", String(n)])
        print(String(format: "romatch:   load %.1f s, match %.1f s (CPU %.1f s), peak RSS %.2f GB (torch %@, %d threads)",
                     json["load_seconds"] as? Double ?? 0, refMatch, refCPU, refRSS, (json["torch"] as? String ?? "?") as NSString, n))
        print(String(format: "ratio ours/romatch: time %.2f× (CPU time %.2f×), peak RSS %.2f× (targets ≤ 0.5×)",
                     oursMatch / refMatch, oursCPU / refCPU, oursRSS / refRSS))
        let cmp = try spawn(python, ["scripts/reference/compare_warp.py", dir + "/ours.warp", dir + "/reference.safetensors"])
        print("parity (scripts/reference/compare_warp.py):\n" + cmp.output)
    }

    func profileEncoder() throws {
        let a = try DecodedImage.read(dir + "/A.decoded")
        let weights = CombinedWeights(roma: try StateDict.load(dir + "/roma_random.safetensors"),
                                      dinov2: try StateDict.load(dir + "/dinov2_random.safetensors"))
        let model = try RoMaModel(weights: weights, config: .outdoor)
        print(String(format: "cblas_sgemm peak: %.1f GFLOP/s", sgemmPeak(size: 2048)))
        FlopCounter.reset()
        StageClock.reset()
        let t = Date()
        _ = try model.profileEncoder(a)
        let s = Date().timeIntervalSince(t)
        print(String(format: "encoder on A (coarse): %.1f s, %.2f TFLOP, %.1f GFLOP/s", s, FlopCounter.count / 1e12, FlopCounter.count / s / 1e9))
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }) {
            print(String(format: "    %-28@ %6.2f s", stage as NSString, s))
        }
    }

    /// Runs a reference script whose last output line is a JSON object with
    /// `match_seconds` and `match_cpu_seconds`; returns it with those and the child's peak RSS (GB).
    func runReference(_ args: [String]) throws -> (json: [String: Any], match: Double, cpu: Double, rssGB: Double) {
        let ref = try spawn(python, args)
        guard ref.status == 0, let line = ref.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let match = json["match_seconds"] as? Double else {
            throw ValidationError("reference run failed:\n\(ref.output)")
        }
        return (json, match, json["match_cpu_seconds"] as? Double ?? .nan, ref.rssGB)
    }

    /// Best of a few 2048³ products: the roofline the model's GEMMs are compared to.
    func sgemmPeak(size: Int) -> Double {
        var a = [Float](repeating: 0, count: size * size), b = a, c = a
        for i in 0..<a.count { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for rep in 0..<4 {
            let t = Date()
            Threads.withConfiguredBLAS {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(size), Int32(size), Int32(size), 1, &a, Int32(size), &b, Int32(size), 0, &c, Int32(size))
            }
            if rep > 0 { best = min(best, Date().timeIntervalSince(t)) }
        }
        return 2 * pow(Double(size), 3) / best / 1e9
    }

    /// User + system CPU seconds of this process so far (less sensitive than wall time to other load).
    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    func peakRSS() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024 / 1024 // kB → GB
    }

    /// Runs a child to completion; returns its exit status, combined output and peak RSS (wait4).
    func spawn(_ program: String, _ args: [String]) throws -> (status: Int32, output: String, rssGB: Double) {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("roma-bench-\(UUID().uuidString).log").path
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        guard rc == 0 else { throw ValidationError("cannot start \(program): error \(rc)") }
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outPath)
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, output, Double(usage.ru_maxrss) / 1024 / 1024)
    }
}
