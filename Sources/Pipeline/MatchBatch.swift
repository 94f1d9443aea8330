import Artifacts
import Console
import Foundation
import RoMa

/// `roma match --batch LIST`: many pairs in one process. The weights are bound once,
/// pairs are ordered so an image shared by several pairs is encoded once (its encoder
/// outputs kept in a bounded `EncoderCache`), each warp is written atomically as soon as
/// it is done, and pairs whose warp is already there are skipped, so a killed run
/// resumes. Every warp is the artifact a single `roma match A B -o OUT` writes.
/// What `MatchBatch.run` needs of a matcher holding its weights: one pair in, its warp
/// artifact (stamped as a single `roma match` stamps it) out. RoMa's `MatchStage.Matcher`
/// writes `roma.warp/2`, RoMa v2's `RoMaV2MatchStage.Matcher` `roma.warp/3`.
public protocol BatchMatcher: AnyObject {
    /// Seconds spent reading and binding weights so far.
    var bindSeconds: Double { get }
    func artifact(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), cache: EncoderCache?,
                  encoding: Warp.Encoding) throws -> Artifact
}

extension MatchStage.Matcher: BatchMatcher {
    public func artifact(_ a: DecodedImage, _ b: DecodedImage, names: (String, String), cache: EncoderCache?,
                         encoding: Warp.Encoding) throws -> Artifact {
        let (warp, record) = try match(a, b, names: names, cache: cache)
        return try MatchStage.artifact(warp, record: record, inputs: names, encoding: encoding)
    }
}

public enum MatchBatch {
    /// One line of the list: `A.decoded.safetensors B.decoded.safetensors OUT.warp.safetensors`.
    public struct Pair: Sendable, Equatable {
        public var a: String, b: String, output: String
        /// 1-based line in the list, for messages.
        public var line: Int

        public init(a: String, b: String, output: String, line: Int) {
            (self.a, self.b, self.output, self.line) = (a, b, output, line)
        }
    }

    /// Reads a pair list: three paths a line, separated by blanks; `#` starts a comment;
    /// blank lines are skipped. Paths are used as written (relative ones from the
    /// current folder), so the warps' provenance names the inputs as a single run would.
    public static func parse(list path: String) throws -> [Pair] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ArtifactError(file: path, "cannot read the pair list (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> [Pair] {
        var pairs: [Pair] = [], outputs: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if fields.isEmpty { continue }
            guard fields.count == 3 else {
                throw ArtifactError(file: file, "line \(line): expected 3 paths (A.decoded B.decoded OUT.warp), found \(fields.count)")
            }
            if let first = outputs[fields[2]] {
                throw ArtifactError(file: file, "line \(line): output \(fields[2]) is already written by line \(first)")
            }
            outputs[fields[2]] = line
            pairs.append(Pair(a: fields[0], b: fields[1], output: fields[2], line: line))
        }
        return pairs
    }

    /// True when `pair`'s warp exists and is not older than either input (make's rule):
    /// such a pair is skipped, so a rerun does only what is missing or stale.
    public static func isDone(_ pair: Pair) -> Bool {
        let fm = FileManager.default
        guard let out = (try? fm.attributesOfItem(atPath: pair.output))?[.modificationDate] as? Date else { return false }
        for input in [pair.a, pair.b] {
            if let date = (try? fm.attributesOfItem(atPath: input))?[.modificationDate] as? Date, date > out { return false }
        }
        return true
    }

    /// The order to match `pairs` in: the image in most pairs first with all its pairs
    /// (partners in most pairs first), then the next, so each image's features are
    /// needed in as few stretches as possible. Deterministic: ties keep list order.
    public static func plan(_ pairs: [Pair]) -> [Pair] {
        var left = Array(pairs.indices)
        var order: [Pair] = []
        order.reserveCapacity(pairs.count)
        while !left.isEmpty {
            var degree: [String: Int] = [:], firstSeen: [String: Int] = [:]
            for i in left {
                for image in [pairs[i].a, pairs[i].b] {
                    degree[image, default: 0] += 1
                    if firstSeen[image] == nil { firstSeen[image] = i }
                }
            }
            let anchor = degree.keys.max { x, y in
                degree[x]! != degree[y]! ? degree[x]! < degree[y]! : firstSeen[x]! > firstSeen[y]!
            }!
            let partner = { (i: Int) in pairs[i].a == anchor ? pairs[i].b : pairs[i].a }
            let mine = left.filter { pairs[$0].a == anchor || pairs[$0].b == anchor }
                .sorted { x, y in
                    let dx = degree[partner(x)]!, dy = degree[partner(y)]!
                    return dx != dy ? dx > dy : x < y
                }
            order += mine.map { pairs[$0] }
            let taken = Set(mine)
            left.removeAll { taken.contains($0) }
        }
        return order
    }

    public struct Summary: Sendable {
        public var matched = 0, skipped = 0
        /// Encoder runs (one per image and pass) and reuses of cached ones.
        public var encodes = 0, reuses = 0
        public var peakCacheBytes = 0
        /// Seconds binding the weights, and running the model (encoders, decoder, finishing the warp).
        public var bindSeconds = 0.0, modelSeconds = 0.0
    }

    /// Matches every pair of `pairs` not yet done, in `plan` order. `matcher` is called
    /// once, and only when there is something to match (a finished list needs no weights).
    /// `done(pair, seconds)` is called after each warp is written.
    public static func run(_ pairs: [Pair], matcher makeMatcher: () throws -> any BatchMatcher, cacheBytes: Int,
                           encoding: Warp.Encoding = .exact,
                           progress: ((_ total: Int) -> ProgressMeter)? = nil,
                           done: ((_ pair: Pair, _ seconds: Double) -> Void)? = nil) throws -> Summary {
        var summary = Summary()
        let todo = plan(pairs.filter { !isDone($0) })
        summary.skipped = pairs.count - todo.count
        guard !todo.isEmpty else { return summary }
        for pair in todo {
            for path in [pair.a, pair.b] where !FileManager.default.fileExists(atPath: path) {
                throw ArtifactError(file: path, "does not exist (pair list line \(pair.line))")
            }
        }
        let matcher = try makeMatcher()
        let cache = EncoderCache(capacityBytes: cacheBytes)
        var uses: [String: Int] = [:]
        for pair in todo { uses[pair.a, default: 0] += 1; uses[pair.b, default: 0] += 1 }
        for (image, n) in uses { cache.expect(image, uses: n) }
        let meter = progress?(todo.count)
        for pair in todo {
            let start = ProgressMeter.monotonicSeconds()
            let a = try DecodedImage.read(pair.a), b = try DecodedImage.read(pair.b)
            let modelStart = ProgressMeter.monotonicSeconds()
            let artifact = try matcher.artifact(a, b, names: (pair.a, pair.b), cache: cache, encoding: encoding)
            summary.modelSeconds += ProgressMeter.monotonicSeconds() - modelStart
            try artifact.write(to: pair.output)
            cache.finished(pair.a)
            cache.finished(pair.b)
            summary.matched += 1
            done?(pair, ProgressMeter.monotonicSeconds() - start)
            meter?.advance(metric: String(format: "cache %.1f GB, %d reused", Double(cache.bytes) / 1e9, cache.hits))
        }
        meter?.finish()
        summary.encodes = cache.misses
        summary.reuses = cache.hits
        summary.peakCacheBytes = cache.peakBytes
        summary.bindSeconds = matcher.bindSeconds
        summary.modelSeconds -= matcher.bindSeconds
        return summary
    }
}
