import ArgumentParser
import Artifacts
import Evaluation
import Foundation
import Geometry

/// Time per estimate with process start included: `roma estimate` on a written
/// matches artifact against a Python process running OpenCV's findEssentialMat +
/// recoverPose the way romatch's estimate_pose does
/// (scripts/bench/opencv_estimate.py), on the same problems, interleaved. An
/// empty start of each (`roma --help`; `python3 -c "import cv2, numpy"`) is timed
/// too, so the table separates start-up from compute.
struct GeometryProcessBench {
    var problems: Int
    var matches: Int
    var noise: Double
    var outlierRatio: Double
    var threshold: Double
    var seed: UInt64
    var scenes: [SyntheticPair.Scene]
    /// Real camera geometries (intrinsics and relative pose) to use instead of `scenes`, cycled.
    var geometries: [(a: CameraIntrinsics, b: CameraIntrinsics, pose: RelativePose)] = []
    /// Where `geometries` came from, for the table's title.
    var geometrySource = ""

    struct Row {
        var label: String
        var milliseconds: [Double] = []
        var errors: [Double] = []
        var failures = 0
    }

    /// The rows of the table; throws when a tool is missing or a process fails
    /// in a way that is not a pose failure.
    func run() throws -> [Row] {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let roma = bin.appendingPathComponent("roma").path
        guard FileManager.default.isExecutableFile(atPath: roma) else {
            throw ValidationError("process timing needs `roma` next to roma-bench (\(roma)); build it first")
        }
        let script = "scripts/bench/opencv_estimate.py"
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("process timing needs \(script); run from the repository root")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roma-bench-geometry-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        var ours = Row(label: "`roma estimate` (ours)"), cv = Row(label: "python3 + cv2 findEssentialMat + recoverPose")
        var oursStart = Row(label: "`roma --help` (start-up only)"), cvStart = Row(label: "python3 -c 'import cv2, numpy' (start-up only)")
        for p in 0..<problems {
            let problemSeed = seed &* 1_000_003 &+ UInt64(p) &+ UInt64(noise * 1000) &* 7919 &+ UInt64(outlierRatio * 1000) &* 104_729
            let pair: SyntheticPair
            if geometries.isEmpty {
                pair = SyntheticPair.make(scene: scenes[p % scenes.count], count: matches, noise: noise,
                                          outlierRatio: outlierRatio, seed: problemSeed)
            } else {
                let g = geometries[p % geometries.count]
                guard let made = SyntheticPair.make(intrinsicsA: g.a, intrinsicsB: g.b, pose: g.pose, count: matches, noise: noise,
                                                    outlierRatio: outlierRatio, seed: problemSeed) else {
                    throw ValidationError("geometry \(p) of \(geometrySource): too little overlap for \(matches) matches")
                }
                pair = made
            }
            let matchesPath = "\(folder)/\(p).matches.safetensors", posePath = "\(folder)/\(p).pose.safetensors"
            let rawPath = "\(folder)/\(p).f64"
            try pair.matches.artifact.write(to: matchesPath)
            try raw(pair).write(to: URL(fileURLWithPath: rawPath))
            let ka = pair.intrinsicsA, kb = pair.intrinsicsB
            func k(_ c: CameraIntrinsics) -> String { "\(c.fx),\(c.fy),\(c.cx),\(c.cy)" }

            let (msOurs, status, _) = try time(roma, ["estimate", matchesPath, "--K-a", k(ka), "--K-b", k(kb),
                                                      "--threshold", "\(threshold)", "--seed", "\(problemSeed)", "-o", posePath])
            guard status == 0 || status == 3 else { throw ValidationError("roma estimate exited with \(status) on problem \(p)") }
            let pose = try PoseResult.read(posePath)
            ours.milliseconds.append(msOurs)
            ours.errors.append(pair.poseError(pose))
            if !pose.succeeded { ours.failures += 1 }

            let (msCV, cvStatus, out) = try time("/usr/bin/env", ["python3", script, rawPath])
            guard cvStatus == 0 else { throw ValidationError("\(script) exited with \(cvStatus) on problem \(p)") }
            let values = out.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            cv.milliseconds.append(msCV)
            if values.count == 12 {
                let result = PoseResult(rotation: Array(values[0..<9]), translation: Array(values[9..<12]), model: .essential,
                                        matrix: [Double](repeating: 0, count: 9), inliers: [], status: "ok", iterations: 0, score: 0)
                cv.errors.append(pair.poseError(result))
            } else {
                cv.errors.append(90)
                cv.failures += 1
            }

            oursStart.milliseconds.append(try time(roma, ["--help"]).0)
            cvStart.milliseconds.append(try time("/usr/bin/env", ["python3", "-c", "import cv2, numpy"]).0)
        }
        return [ours, cv, oursStart, cvStart]
    }

    /// The Markdown section of `rows`.
    func table(_ rows: [Row]) -> [String] {
        let source = geometries.isEmpty ? "" : ", camera geometries of \(geometrySource)"
        var lines = ["## Per estimate, process start included (σ \(noise) px, \(outlierRatio) outliers, \(problems) problems, \(matches) matches\(source))", "",
                     "Each problem written to disk, then one process per estimate, interleaved; median wall time of the whole process.", "",
                     "| process | median ms | AUC@5 | AUC@10 | AUC@20 | fail |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for row in rows {
            let auc = row.errors.isEmpty ? "– | – | –" : PoseAUC.auc(row.errors).map { f1(100 * $0) }.joined(separator: " | ")
            lines.append("| \(row.label) | \(f1(median(row.milliseconds))) | \(auc) | \(row.errors.isEmpty ? "–" : String(row.failures)) |")
        }
        return lines
    }

    /// The problem as raw float64 for the Python side (layout in its docstring).
    private func raw(_ pair: SyntheticPair) -> Data {
        let a = pair.intrinsicsA, b = pair.intrinsicsB
        var values = [a.fx, a.fy, a.cx, a.cy, b.fx, b.fy, b.cx, b.cy, threshold, Double(pair.matches.count)]
        for i in 0..<pair.matches.count {
            values += [pair.matches.pointsA[2 * i], pair.matches.pointsA[2 * i + 1], pair.matches.pointsB[2 * i], pair.matches.pointsB[2 * i + 1]]
        }
        return values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// Wall time of one process in ms, its exit status and its stdout.
    private func time(_ executable: String, _ arguments: [String]) throws -> (Double, Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return (ms, process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
