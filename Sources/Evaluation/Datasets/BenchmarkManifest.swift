import Artifacts
import Foundation
import ImageIO

/// One pair ready to run: resolved image paths and sizes, ground truth, and the exact
/// intrinsics and threshold to hand to `roma estimate` so that estimating on matches in
/// the images' own pixels reproduces the benchmark protocol.
public struct PreparedPair: Codable, Sendable, Equatable {
    public var id: String
    public var imageA: String
    public var imageB: String
    /// Make-safe names of the two images (decoded artifacts are shared between pairs).
    public var imageKeyA: String
    public var imageKeyB: String
    public var widthA: Int, heightA: Int, widthB: Int, heightB: Int
    /// Row-major 3×3, in each image's own pixels.
    public var intrinsicsA: [Double]
    public var intrinsicsB: [Double]
    /// Ground truth A → B (x_B = R x_A + t), R row-major.
    public var rotation: [Double]
    public var translation: [Double]
    /// fx, fy, cx, cy for `roma estimate --K-a/--K-b` (see `EstimateParameters`).
    public var estimateIntrinsicsA: [Double]
    public var estimateIntrinsicsB: [Double]
    /// Pixel threshold for `roma estimate --threshold`.
    public var estimateThreshold: Double
    /// The pair's difficulty factors, when a `difficulty.json` lies beside the pair list
    /// (sets rendered by `roma synth`); the report groups the AUC by them.
    public var factors: [DifficultyFactor]? = nil

    /// The arguments `roma estimate` takes for this pair.
    public var estimateArguments: [String] {
        func k(_ v: [Double]) -> String { v.map { "\($0)" }.joined(separator: ",") }
        return ["--K-a", k(estimateIntrinsicsA), "--K-b", k(estimateIntrinsicsB), "--threshold", "\(estimateThreshold)"]
    }
}

/// Translates a protocol stated in a rescaled, shifted pixel frame into parameters for
/// matches in the images' own pixels, exactly:
///
/// The reference forms keypoints p′ = s·p + δ and intrinsics K′ = s·K (first two rows),
/// then normalises (p′ − c′)/f′ = (p − (c − δ/s))/f, so shifting the principal point by
/// −δ/s absorbs both the scale and the shift. Its threshold is τ/(m′_A + m′_B) with
/// m′ = mean|K′[:2,:2]| = s·(fx + fy)/4; an estimator given the original K divides by
/// m_A + m_B, so it must be given τ·(m_A + m_B)/(s_A·m_A + s_B·m_B).
public enum EstimateParameters {
    public static func intrinsics(_ K: [Double], scale s: Double, shift δ: Double) -> [Double] {
        [K[0], K[4], K[2] - δ / s, K[5] - δ / s]
    }

    public static func threshold(_ τ: Double, intrinsicsA: [Double], scaleA: Double, intrinsicsB: [Double], scaleB: Double) -> Double {
        let mA = (abs(intrinsicsA[0]) + abs(intrinsicsA[1]) + abs(intrinsicsA[3]) + abs(intrinsicsA[4])) / 4
        let mB = (abs(intrinsicsB[0]) + abs(intrinsicsB[1]) + abs(intrinsicsB[3]) + abs(intrinsicsB[4])) / 4
        return τ * (mA + mB) / (scaleA * mA + scaleB * mB)
    }
}

/// A benchmark resolved against its data: what `roma evaluate prepare` writes as
/// `pairs.json` and what `roma evaluate` and `roma report` read.
public struct BenchmarkManifest: Codable, Sendable {
    public var bench: String
    public var evaluationProtocol: EvaluationProtocol
    public var pairList: String
    public var root: String
    public var pairs: [PreparedPair]

    enum CodingKeys: String, CodingKey {
        case bench, evaluationProtocol = "protocol", pairList = "pair_list", root, pairs
    }

    /// Resolves every pair of `benchmark`: reads the pair list, checks every image exists
    /// (one message listing what is missing), reads image sizes from file headers.
    public static func prepare(_ benchmark: Benchmark, datasetsFolder: String, root: String? = nil,
                               thresholdPixels: Double = 0.5,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BenchmarkManifest {
        guard thresholdPixels > 0, thresholdPixels.isFinite else { throw DatasetError("threshold must be a positive number of pixels") }
        let (list, folder) = try benchmark.pairListAndRoot(datasetsFolder: datasetsFolder, environment: environment, root: root)
        let records = try PairList.read(list)
        let difficultyPath = URL(fileURLWithPath: list).deletingLastPathComponent().appendingPathComponent(DifficultyFile.fileName).path
        let difficulty = FileManager.default.fileExists(atPath: difficultyPath) ? try DifficultyFile.read(difficultyPath) : nil
        let evaluationProtocol = benchmark.evaluationProtocol(thresholdPixels: thresholdPixels)

        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : folder + "/" + path }
        var unique: [String] = []
        var seen = Set<String>()
        for r in records { for p in [r.imageA, r.imageB] where seen.insert(p).inserted { unique.append(p) } }
        let missing = unique.filter { !FileManager.default.fileExists(atPath: resolve($0)) }
        if !missing.isEmpty {
            throw DatasetError("\(benchmark.name): \(missing.count) of \(unique.count) images missing under \(folder) "
                + "(first: \(resolve(missing[0]))). \(benchmark.whereToGet)")
        }
        var sizes: [String: (width: Int, height: Int)] = [:]
        var keys: [String: String] = [:]
        var usedKeys = Set<String>()
        for p in unique {
            let size: (width: Int, height: Int)
            // The image's own message names the image; a user fixing a list needs the list too.
            do { size = try ImageHeader.size(of: resolve(p)) } catch let error as ArtifactError {
                throw DatasetError("\(list): names an image that cannot be used: \(error.description)")
            }
            if let required = benchmark.requiredImageSize, size != required {
                throw DatasetError("\(resolve(p)) is \(size.width)×\(size.height); \(benchmark.name)'s intrinsics are for "
                    + "\(required.width)×\(required.height) frames. \(benchmark.whereToGet)")
            }
            sizes[p] = size
            var key = makeSafeKey(p)
            if usedKeys.contains(key) {
                var n = 2
                while usedKeys.contains("\(key)-\(n)") { n += 1 }
                key = "\(key)-\(n)"
            }
            usedKeys.insert(key)
            keys[p] = key
        }
        let pairs = records.map { r -> PreparedPair in
            let a = sizes[r.imageA]!, b = sizes[r.imageB]!
            let sA = evaluationProtocol.scale(width: a.width, height: a.height)
            let sB = evaluationProtocol.scale(width: b.width, height: b.height)
            let δ = evaluationProtocol.keypointShift
            return PreparedPair(
                id: r.id, imageA: resolve(r.imageA), imageB: resolve(r.imageB), imageKeyA: keys[r.imageA]!, imageKeyB: keys[r.imageB]!,
                widthA: a.width, heightA: a.height, widthB: b.width, heightB: b.height,
                intrinsicsA: r.intrinsicsA, intrinsicsB: r.intrinsicsB, rotation: r.rotation, translation: r.translation,
                estimateIntrinsicsA: EstimateParameters.intrinsics(r.intrinsicsA, scale: sA, shift: δ),
                estimateIntrinsicsB: EstimateParameters.intrinsics(r.intrinsicsB, scale: sB, shift: δ),
                estimateThreshold: EstimateParameters.threshold(thresholdPixels, intrinsicsA: r.intrinsicsA, scaleA: sA,
                                                                intrinsicsB: r.intrinsicsB, scaleB: sB),
                factors: difficulty?.pairs[r.id])
        }
        return BenchmarkManifest(bench: benchmark.name, evaluationProtocol: evaluationProtocol, pairList: list, root: folder, pairs: pairs)
    }

    /// A file name made of letters, digits, '.', '_', '-' from an image path.
    static func makeSafeKey(_ path: String) -> String {
        let stem = path.hasSuffix(".jpg") || path.hasSuffix(".png") || path.hasSuffix(".JPG") || path.hasSuffix(".jpeg")
            ? String(path[..<path.lastIndex(of: ".")!]) : path
        let mapped = stem.map { c -> Character in (c.isASCII && (c.isLetter || c.isNumber)) || "._-".contains(c) ? c : "_" }
        return String(mapped.drop(while: { $0 == "_" || $0 == "." }))
    }

    // MARK: Files

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(_ path: String) throws -> BenchmarkManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArtifactError(file: path, "no such file (written by `roma evaluate prepare`)")
        }
        let manifest: BenchmarkManifest
        if let key = JSONDuplicateKeys.first(in: data) {
            throw ArtifactError(file: path, "not a benchmark manifest (the key '\(ArtifactError.excerpt(key))' appears twice in one object)")
        }
        do {
            manifest = try JSONDecoder().decode(BenchmarkManifest.self, from: data)
        } catch {
            throw ArtifactError(file: path, "not a benchmark manifest (\(error))")
        }
        // A hand-edited file must fail here, not as an index error deep in the metrics.
        for p in manifest.pairs {
            let counts = [p.intrinsicsA.count, p.intrinsicsB.count, p.rotation.count, p.translation.count,
                          p.estimateIntrinsicsA.count, p.estimateIntrinsicsB.count]
            guard counts == [9, 9, 9, 3, 4, 4], (p.rotation + p.translation).allSatisfy(\.isFinite) else {
                throw ArtifactError(file: path, "pair '\(ArtifactError.excerpt(p.id))' has malformed intrinsics, rotation or translation")
            }
            guard !PairList.isDegenerateTranslation(p.translation) else {
                throw ArtifactError(file: path, "pair '\(ArtifactError.excerpt(p.id))' has a zero ground-truth translation, which cannot be scored")
            }
        }
        guard manifest.evaluationProtocol.repetitions > 0 else { throw ArtifactError(file: path, "repetitions must be positive") }
        return manifest
    }

    /// The Make fragment `eval/eval.mk` includes: pair list, image paths and the
    /// per-pair `roma estimate` arguments. Make cannot quote, so paths must not hold
    /// spaces, '#', '$', ':' or '%'.
    public func makefile() throws -> String {
        for p in pairs {
            for path in [p.imageA, p.imageB] where path.contains(where: { " \t#$:%".contains($0) }) {
                throw DatasetError("\(path): the Make flow cannot handle image paths with spaces, '#', '$', ':' or '%'; rename or link the file")
            }
        }
        var lines = ["# Generated by `roma evaluate prepare` from \(pairList); do not edit.",
                     "EVAL_PAIRS := " + pairs.map(\.id).joined(separator: " "),
                     "EVAL_REPETITIONS := " + (0..<evaluationProtocol.repetitions).map(String.init).joined(separator: " "),
                     "EVAL_RESAMPLE := " + (evaluationProtocol.resampleEachRepetition ? "yes" : "no")]
        var images: [String: String] = [:]
        for p in pairs {
            images[p.imageKeyA] = p.imageA
            images[p.imageKeyB] = p.imageB
        }
        lines.append("EVAL_IMAGES := " + images.keys.sorted().joined(separator: " "))
        for key in images.keys.sorted() { lines.append("EVAL_IMAGE_\(key) := \(images[key]!)") }
        for p in pairs {
            lines.append("EVAL_A_\(p.id) := \(p.imageKeyA)")
            lines.append("EVAL_B_\(p.id) := \(p.imageKeyB)")
            lines.append("EVAL_ESTIMATE_ARGS_\(p.id) := " + p.estimateArguments.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
