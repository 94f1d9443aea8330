import ArgumentParser
import Artifacts
import Foundation

/// `roma-bench eval` (make bench-eval): RoMa matching for a benchmark, one process a
/// pair (the old `make eval`) against one `roma match --batch`, side by side on the same
/// full-size random weights as bench-match. The pair list has MegaDepth-1500's kind of
/// reuse: 12 pairs among 6 images (each image in 3–5 pairs; MegaDepth-1500 averages 3.7).
struct EvalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Benchmark matching: per-pair processes vs roma match --batch (time a pair, overhead, peak RSS).")

    @Option(help: "Folder with bench-match's random weights (made by `make bench-match`'s prepare step when missing).")
    var dir = "runs/fullsize"

    @Option(help: "Folder holding images/*.jpg (default ../shared or ROMA_SHARED).")
    var shared: String?

    @Option(help: "How many of the 12 pairs to also run as one process each (all have the same sizes, so a few give the per-pair time).")
    var singlePairs = 4

    @Option(help: "The batch's --cache-mb.")
    var cacheMb = 4096

    @Option(help: "Python interpreter for the prepare step.")
    var python = "python3"

    @Flag(help: "Only measure the warp encodings, on the warps of an earlier run.")
    var encodingsOnly = false

    /// Six images: the four photos and mirror images of two, as decoded artifacts.
    static let pairs = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 5), (2, 3), (2, 4), (3, 5), (4, 5), (1, 3), (0, 5)]

    func run() throws {
        let fm = FileManager.default
        let roma = Bundle.main.bundleURL.appendingPathComponent("roma").path
        if encodingsOnly { return try measureEncodings(work: dir + "/eval-bench", roma: roma) }
        let shared = self.shared ?? ProcessInfo.processInfo.environment["ROMA_SHARED"] ?? "../shared"
        let weights = ["--weights", dir + "/roma_random.safetensors", "--dinov2", dir + "/dinov2_random.safetensors"]
        if !fm.fileExists(atPath: weights[1]) || !fm.fileExists(atPath: weights[3]) {
            print("preparing \(dir) (random weights)…")
            let r = try MatchBench().spawn(python, ["scripts/reference/full_size_reference.py", "prepare", "--out", dir, "--shared", shared])
            guard r.status == 0 else { throw ValidationError("prepare step failed:\n\(r.output)") }
        }
        let work = dir + "/eval-bench"
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work + "/single", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: work + "/batch", withIntermediateDirectories: true)

        let photos = ["sacre_coeur_A", "sacre_coeur_B", "toronto_A", "toronto_B"]
        var images: [String] = []
        for name in photos {
            let out = "\(work)/\(name).decoded.safetensors"
            let r = try MatchBench().spawn(roma, ["decode", "\(shared)/images/\(name).jpg", "-o", out])
            guard r.status == 0 else { throw ValidationError("roma decode failed:\n\(r.output)") }
            images.append(out)
        }
        for source in [0, 2] {
            let out = "\(work)/\(photos[source])_mirrored.decoded.safetensors"
            var artifact = try Self.mirrored(DecodedImage.read(images[source])).artifact
            try artifact.stamp(stage: "decode", params: ["mirrored": true], inputs: [images[source]])
            try artifact.write(to: out)
            images.append(out)
        }
        let list = Self.pairs.enumerated().map { n, p in "\(images[p.0]) \(images[p.1]) \(work)/batch/\(n).warp.safetensors" }
        try (["# roma-bench eval: 12 pairs among 6 images"] + list).joined(separator: "\n").write(toFile: work + "/pairs.txt", atomically: true, encoding: .utf8)

        let load = try String(contentsOfFile: "/proc/loadavg", encoding: .utf8).split(separator: " ").prefix(3).joined(separator: " ")
        print("load average before: \(load); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        var singleSeconds: [Double] = [], singleRSS = 0.0
        for (n, p) in Self.pairs.prefix(singlePairs).enumerated() {
            let t = Date()
            let r = try MatchBench().spawn(roma, ["match", images[p.0], images[p.1], "-o", "\(work)/single/\(n).warp.safetensors", "--quiet"] + weights)
            guard r.status == 0 else { throw ValidationError("roma match failed:\n\(r.output)") }
            singleSeconds.append(Date().timeIntervalSince(t))
            singleRSS = max(singleRSS, r.rssGB)
            print(String(format: "  one process, pair %d: %.1f s, peak RSS %.2f GB", n, singleSeconds.last!, r.rssGB))
        }
        let t = Date()
        let r = try MatchBench().spawn(roma, ["match", "--batch", work + "/pairs.txt", "--cache-mb", String(cacheMb), "--quiet"] + weights)
        let batchWall = Date().timeIntervalSince(t)
        guard r.status == 0, let summary = r.output.split(separator: "\n").last(where: { $0.contains("pairs matched") }) else {
            throw ValidationError("roma match --batch failed:\n\(r.output)")
        }
        print("  batch: " + summary)
        let numbers = Self.seconds(in: String(summary))
        let (bind, model) = (numbers["weights"] ?? .nan, numbers["model"] ?? .nan)
        let cacheGB = Double(String(summary).firstMatch(of: /cache peak ([0-9.]+) GB/)?.1 ?? "") ?? .nan

        var identical = 0
        for n in 0..<singleSeconds.count {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(work)/single/\(n).warp.safetensors"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(work)/batch/\(n).warp.safetensors"))
            if a == b { identical += 1 }
        }
        let single = singleSeconds.reduce(0, +) / Double(max(1, singleSeconds.count))
        let batch = batchWall / Double(Self.pairs.count)
        print(String(format: "seconds a pair: one process a pair %.1f s (mean of %d), batch %.1f s (12 pairs in %.0f s): %.2f× (target ≤ 0.6×)",
                     single, singleSeconds.count, batch, batchWall, batch / single))
        print(String(format: "batch wall time not in the model: %.1f %% (weights %.1f s, rest %.1f s of %.0f s; target ≤ 5 %%)",
                     100 * (batchWall - model) / batchWall, bind, batchWall - model - bind, batchWall))
        print(String(format: "peak RSS: one pair %.2f GB, batch %.2f GB, cache peak %.2f GB (configured %d MB): batch − one pair = %.2f GB (target ≤ cache)",
                     singleRSS, r.rssGB, cacheGB, cacheMb, r.rssGB - singleRSS, r.rssGB - singleRSS))
        print("warps byte-identical to the one-process runs: \(identical) of \(singleSeconds.count)")
        let after = try String(contentsOfFile: "/proc/loadavg", encoding: .utf8).split(separator: " ").prefix(3).joined(separator: " ")
        print("load average after: \(after)")
        try measureEncodings(work: work, roma: roma)
    }

    /// WARPS=keep|drop|compact on the batch's warps: bytes a pair (and for MegaDepth-1500's
    /// 1500 pairs), the compact encoding's largest coordinate error in pixels of the original
    /// images, and what it changes in `roma sample`'s matches (same seed).
    func measureEncodings(work: String, roma: String) throws {
        let size = { (p: String) in Double(try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int ?? 0) }
        var exactBytes = 0.0, compactBytes = 0.0, maxPixels = 0.0, samplesBytes = 0.0
        var sameMatches = 0, sampled = 0
        for n in Self.pairs.indices {
            let exactPath = "\(work)/batch/\(n).warp.safetensors", compactPath = "\(work)/batch/\(n).compact.warp.safetensors"
            let exact = try Warp.read(exactPath)
            var artifact = try Artifact.read(exactPath)
            let stamped = artifact.metadata
            artifact = exact.artifact(encoding: .compact)
            artifact.metadata.merge(stamped) { new, _ in new }
            try artifact.write(to: compactPath)
            exactBytes += try size(exactPath)
            compactBytes += try size(compactPath)
            let compact = try Warp.read(compactPath)
            // A→B coordinates are in B's pixels, B→A in A's; x at even, y at odd indices.
            for (e, c, w, h) in [(exact.warpAB, compact.warpAB, exact.widthB, exact.heightB), (exact.warpBA, compact.warpBA, exact.widthA, exact.heightA)] {
                for i in e.indices { maxPixels = max(maxPixels, Double(abs(e[i] - c[i])) * Double(i % 2 == 0 ? w : h) / 2) }
            }
            guard n < 2 else { continue }
            for (path, out) in [(exactPath, "\(work)/batch/\(n).exact.matches"), (compactPath, "\(work)/batch/\(n).compact.matches")] {
                let r = try MatchBench().spawn(roma, ["sample", path, "--num", "5000", "--seed", "0", "-o", out])
                guard r.status == 0 else { throw ValidationError("roma sample failed:\n\(r.output)") }
            }
            let a = try Matches.read("\(work)/batch/\(n).exact.matches"), b = try Matches.read("\(work)/batch/\(n).compact.matches")
            samplesBytes = try size("\(work)/batch/\(n).exact.matches")
            // Balanced sampling weighs matches by a density of their coordinates, so a
            // change far below a pixel can change which grid cells are drawn.
            sampled += a.count
            for i in 0..<min(a.count, b.count) {
                let d = (0..<2).map { max(abs(a.pointsA[2 * i + $0] - b.pointsA[2 * i + $0]), abs(a.pointsB[2 * i + $0] - b.pointsB[2 * i + $0])) }.max()!
                if d < 0.05 { sameMatches += 1 }
            }
        }
        let pairs = Double(Self.pairs.count)
        print("warps on disk (a pair; × 1500 for MegaDepth-1500):")
        print(String(format: "  keep:    %.2f MB (%.1f GB)", exactBytes / pairs / 1e6, 1500 * exactBytes / pairs / 1e9))
        print(String(format: "  compact: %.2f MB (%.1f GB): largest coordinate error %.4f px of the original images", compactBytes / pairs / 1e6,
                     1500 * compactBytes / pairs / 1e9, maxPixels))
        print(String(format: "  drop:    0 once sampled; a sample of 5000 matches is %.2f MB (%.2f GB for 1500 × 5 repetitions)",
                     samplesBytes / 1e6, 7500 * samplesBytes / 1e9))
        print(String(format: "  roma sample on compact vs exact warps (2 pairs, --num 5000 --seed 0): %d of %d matches the same within 0.05 px",
                     sameMatches, sampled))
    }

    /// `weights 6.1 s, model 250.3 s` → ["weights": 6.1, "model": 250.3].
    static func seconds(in line: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for m in line.matches(of: /([a-z]+) ([0-9.]+) s/) { out[String(m.1)] = Double(m.2) }
        return out
    }

    /// The image seen in a mirror: the same content, other pixels, so a sixth "image".
    static func mirrored(_ d: DecodedImage) -> DecodedImage {
        func flip(_ p: DecodedImage.Pixels) -> DecodedImage.Pixels {
            var rgb = p.rgb
            for y in 0..<p.height {
                for x in 0..<p.width {
                    for c in 0..<3 { rgb[(y * p.width + x) * 3 + c] = p.rgb[(y * p.width + p.width - 1 - x) * 3 + c] }
                }
            }
            return DecodedImage.Pixels(width: p.width, height: p.height, rgb: rgb)
        }
        return DecodedImage(coarse: flip(d.coarse), upsampled: d.upsampled.map(flip), originalWidth: d.originalWidth,
                            originalHeight: d.originalHeight, sourcePath: d.sourcePath + " (mirrored)")
    }
}
