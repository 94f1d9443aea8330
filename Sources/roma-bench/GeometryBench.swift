import ArgumentParser
import Artifacts
import Evaluation
import Foundation
import Geometry
import Parallel

/// Our robust estimator vs the reference protocol (OpenCV findEssentialMat +
/// recoverPose) on identical synthetic problems with known truth. Problems cycle
/// through the four scene kinds (general, forward motion, small baseline,
/// near-planar); each setting of the grid is noise σ × outlier ratio.
struct GeometryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geometry",
        abstract: "Relative pose: ours vs OpenCV on synthetic problems (AUC@5/10/20 and median time per problem).")

    @Flag(help: "Short run: 8 problems per setting instead of --problems.")
    var quick = false

    // 48: at 90 % outliers the per-problem spread of AUC@5 is 12–28 points, so 24
    // problems left a standard error as large as the differences being compared
    // (docs/geometry.md, "Why 48 problems").
    @Option(help: "Problems per setting (cycling through the scene kinds).")
    var problems = 48

    @Option(help: "Correspondences per problem.")
    var matches = 5000

    @Option(help: "Comma-separated pixel noise levels σ.")
    var noise = "0.5,1,2"

    @Option(help: "Comma-separated outlier ratios.")
    var outliers = "0,0.25,0.5,0.75,0.9"

    @Option(help: "Only this scene kind (general, forward, small-baseline, near-planar); default: all, cycled.")
    var scene: String?

    @Option(help: "Inlier threshold in pixels (the standard protocol's 0.5).")
    var threshold = 0.5

    @Option(help: "Seed of the problem generator and of our RANSAC.")
    var seed: UInt64 = 1

    @Option(help: "Iteration cap of ours (default: the estimator's own, as `roma estimate`); for experiments.")
    var maxIterations: Int?

    @Flag(help: "Also print every problem's pose error in degrees (ours, OpenCV) and scene, to diagnose a setting.")
    var perProblem = false

    // The setting of issue 13 (5000 matches, 1 px, 50 % outliers): whole processes,
    // start-up included, ours vs an OpenCV process (GeometryProcessBench).
    @Option(help: "Problems for the process-level timing at σ 1 px, 50 % outliers (roma estimate vs python3 + cv2); 0 skips it.")
    var processProblems = 60

    @Option(help: "Pair list whose camera geometries (intrinsics, relative pose) the process-level timing uses, evenly spaced; \"\" for the synthetic scenes.")
    var processPairs = "datasets/megadepth1500/pairs.txt"

    @Option(help: "Where to write the Markdown table.")
    var output = "runs/bench/geometry.md"

    func run() throws {
        // One thread everywhere: OpenCV's RANSAC is sequential, and timings must compare like with like.
        Threads.configure(1)
        let count = quick ? 8 : problems
        let sigmas = try numbers(noise, "--noise")
        let ratios = try numbers(outliers, "--outliers")
        let scenes: [SyntheticPair.Scene]
        if let scene {
            guard let s = SyntheticPair.Scene(rawValue: scene) else {
                throw ValidationError("unknown --scene '\(scene)'; use one of \(SyntheticPair.Scene.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scenes = [s]
        } else {
            scenes = SyntheticPair.Scene.allCases
        }

        var lines: [String] = []
        func emit(_ s: String) { print(s); lines.append(s) }
        emit("# Geometry benchmark: ours vs OpenCV (reference protocol)")
        emit("")
        emit("\(count) problems per setting, \(matches) matches, threshold \(threshold) px, confidence 0.99999, seed \(seed), scenes: \(scenes.map(\.rawValue).joined(separator: ", ")).")
        emit("OpenCV: findEssentialMat(RANSAC, maxIters 1000) + recoverPose, as romatch's estimate_pose. Times: median wall time per problem, one thread.")
        emit("")
        emit("| σ px | outliers | AUC@5 ours | AUC@5 cv | AUC@10 ours | AUC@10 cv | AUC@20 ours | AUC@20 cv | ms ours | ms cv | fail ours | fail cv |")
        emit("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for sigma in sigmas {
            for ratio in ratios {
                var errors: [[Double]] = [[], []]
                var times: [[Double]] = [[], []]
                var failures = [0, 0]
                for p in 0..<count {
                    let problemSeed = seed &* 1_000_003 &+ UInt64(p) &+ UInt64(sigma * 1000) &* 7919 &+ UInt64(ratio * 1000) &* 104_729
                    let pair = SyntheticPair.make(scene: scenes[p % scenes.count], count: matches, noise: sigma,
                                                  outlierRatio: ratio, seed: problemSeed)
                    for (k, solver) in [PoseSolver.ours, .opencv].enumerated() {
                        let options = EstimationOptions(threshold: threshold, confidence: 0.99999,
                                                        maxIterations: solver == .ours ? maxIterations : nil, seed: problemSeed, solver: solver)
                        let start = DispatchTime.now().uptimeNanoseconds
                        let result = estimateRelativePose(pair.matches, intrinsicsA: pair.intrinsicsA, intrinsicsB: pair.intrinsicsB,
                                                          options: options)
                        times[k].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                        errors[k].append(pair.poseError(result))
                        if !result.succeeded { failures[k] += 1 }
                    }
                    if perProblem {
                        print("  σ \(sigma) outliers \(ratio) problem \(p) (\(scenes[p % scenes.count].rawValue)): "
                              + "ours \(String(format: "%.2f", errors[0][p]))°, cv \(String(format: "%.2f", errors[1][p]))°")
                    }
                }
                let auc = errors.map { PoseAUC.auc($0) }
                let ms = times.map(median)
                emit("| \(sigma) | \(ratio) | " + [auc[0][0], auc[1][0], auc[0][1], auc[1][1], auc[0][2], auc[1][2]].map { f1(100 * $0) }.joined(separator: " | ")
                     + " | \(f1(ms[0])) | \(f1(ms[1])) | \(failures[0]) | \(failures[1]) |")
            }
        }
        if processProblems > 0 {
            var bench = GeometryProcessBench(problems: processProblems, matches: matches, noise: 1, outlierRatio: 0.5,
                                             threshold: threshold, seed: seed, scenes: scenes)
            if !processPairs.isEmpty {
                let pairs = try PairList.read(processPairs)
                let picked = (0..<min(processProblems, pairs.count)).map { pairs[$0 * pairs.count / min(processProblems, pairs.count)] }
                bench.geometries = picked.map { p in
                    let r = p.rotation, t = p.translation
                    return (CameraIntrinsics(fx: p.intrinsicsA[0], fy: p.intrinsicsA[4], cx: p.intrinsicsA[2], cy: p.intrinsicsA[5]),
                            CameraIntrinsics(fx: p.intrinsicsB[0], fy: p.intrinsicsB[4], cx: p.intrinsicsB[2], cy: p.intrinsicsB[5]),
                            RelativePose(rotation: Mat3(r), translation: SIMD3(t[0], t[1], t[2])))
                }
                bench.geometrySource = "\(processPairs) (\(picked.count) of \(pairs.count) pairs, evenly spaced)"
            }
            emit("")
            // A machine without python3 + cv2 still gets the grid written.
            do { try bench.table(bench.run()).forEach(emit) } catch { emit("Process timing skipped: \(error)") }
        }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: output)
        print("\nwritten to \(output)")
    }

    private func numbers(_ text: String, _ flag: String) throws -> [Double] {
        let values = text.split(separator: ",").map { DecimalNumber.parse($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("\(flag) '\(text)' is not a list of numbers") }
        return values.map { $0! }
    }
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func f1(_ x: Double) -> String { String(format: "%.1f", x) }
