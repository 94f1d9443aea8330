import Artifacts
import Baselines
import Foundation
import Geometry
import ImageIO
import Sampling

/// `roma pose`: the stages' own functions chained in memory for one image pair.
/// With `keep`, each stage's artifact is written and stamped exactly as the staged
/// command would (same record, inputs being the previous kept artifacts); without
/// it nothing is stamped or hashed.
public enum PosePipeline {
    public enum Matcher: String, Codable, Sendable, CaseIterable {
        /// RoMa dense warp + balanced sampling (needs the weights).
        case roma
        /// OpenCV SIFT, ratio test and mutual check: no weights needed.
        case sift
        /// Tiny RoMa v1 (TinyMatchStage.swift): images at their own size, its `sample` (kde stride 8).
        case tiny
        /// RoMa v2 (RoMaV2MatchStage.swift): images at their own size, romav2's `sample`.
        case roma2
    }

    public struct Request: Sendable {
        public var imageA: String
        public var imageB: String
        public var matcher: Matcher = .roma
        public var decode = DecodeOptions()
        public var match = MatchStage.Options()
        public var sampling = SamplingOptions()
        public var sift = SIFTOptions()
        public var estimate: EstimateStage.Options
        /// Folder to write every stage's artifact into; nil keeps nothing.
        public var keep: String?

        public init(imageA: String, imageB: String, estimate: EstimateStage.Options) {
            self.imageA = imageA
            self.imageB = imageB
            self.estimate = estimate
        }
    }

    public struct Timing: Sendable {
        public let stage: String
        public let seconds: Double
    }

    public struct Outcome: Sendable {
        public let pose: PoseResult
        public let matchCount: Int
        public let timings: [Timing]
        /// Artifact paths by stage name, when `keep` was given.
        public let kept: [(stage: String, path: String)]
    }

    /// File names under `keep`, one per stage artifact.
    public enum KeptFile {
        public static let decodedA = "a.decoded.safetensors"
        public static let decodedB = "b.decoded.safetensors"
        public static let warp = "warp.safetensors"
        public static let matches = "matches.safetensors"
        public static let pose = "pose.safetensors"
    }

    /// The match step: two decoded images (and their names for messages) → warp and
    /// its record. `MatchStage.run` by default; a caller holding a model passes its own.
    public typealias MatchFunction = (_ a: DecodedImage, _ b: DecodedImage, _ names: (String, String)) throws -> (warp: Warp, record: StageRecord)

    public static func run(_ request: Request, match: MatchFunction? = nil, progress: ((String) -> Void)? = nil) throws -> Outcome {
        var request = request
        if request.matcher == .tiny {
            (request.decode, request.match.model, request.sampling.kdeStride) = (.tiny, .tiny, SamplingOptions.tinyKDEStride)
        }
        if request.matcher == .roma2 { (request.decode, request.match.model) = (.roma2, .roma2) }
        let match = match ?? { a, b, names in try MatchStage.run(a, b, names: names, options: request.match) }
        var timings: [Timing] = []
        var kept: [(String, String)] = []
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            progress?(stage)
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try body()
            timings.append(Timing(stage: stage, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            return value
        }
        /// Writes the artifact under `keep` and returns its path (the next stage's input); nil without `keep`.
        @discardableResult
        func keep(_ file: String, _ artifact: @autoclosure () -> Artifact, _ record: StageRecord, inputs: [String]) throws -> String? {
            guard let folder = request.keep else { return nil }
            let path = folder + "/" + file
            try artifact().write(to: path, record: record, inputs: inputs)
            kept.append((record.stage, path))
            return path
        }

        let matches: Matches
        let matchesPath: String?
        switch request.matcher {
        case .sift:
            let result = try timed("sift") { try siftMatchResult(imageA: request.imageA, imageB: request.imageB, options: request.sift) }
            matches = result.matches
            matchesPath = try keep(KeptFile.matches, result.artifact, request.sift.record, inputs: [request.imageA, request.imageB])
        case .roma2:
            let a = try timed("decode") { try DecodeStage.run(imagePath: request.imageA, options: request.decode) }
            let b = try timed("decode") { try DecodeStage.run(imagePath: request.imageB, options: request.decode) }
            let decodedA = try keep(KeptFile.decodedA, a.artifact, request.decode.record, inputs: [request.imageA])
            let decodedB = try keep(KeptFile.decodedB, b.artifact, request.decode.record, inputs: [request.imageB])
            let (warp, record) = try timed("match") { try RoMaV2MatchStage.run(a, b, names: (request.imageA, request.imageB), options: request.match) }
            let warpPath = try keep(KeptFile.warp, warp.artifact, record, inputs: [decodedA, decodedB].compactMap { $0 })
            // romav2's `sample`, with the setting's threshold the warp records (as `roma sample` on the kept warp).
            let sampling = RoMaV2SamplingOptions(count: request.sampling.count, threshold: warp.overlapThreshold, seed: request.sampling.seed)
            matches = try timed("sample") {
                try SampleStage.run(warp, source: warpPath ?? "\(request.imageA) ↔ \(request.imageB)", options: sampling)
            }
            matchesPath = try keep(KeptFile.matches, matches.artifact, sampling.record, inputs: warpPath.map { [$0] } ?? [])
        case .roma, .tiny:
            let a = try timed("decode") { try DecodeStage.run(imagePath: request.imageA, options: request.decode) }
            let b = try timed("decode") { try DecodeStage.run(imagePath: request.imageB, options: request.decode) }
            let decodedA = try keep(KeptFile.decodedA, a.artifact, request.decode.record, inputs: [request.imageA])
            let decodedB = try keep(KeptFile.decodedB, b.artifact, request.decode.record, inputs: [request.imageB])
            let (warp, record) = try timed("match") { try match(a, b, (request.imageA, request.imageB)) }
            let warpPath = try keep(KeptFile.warp, warp.artifact, record, inputs: [decodedA, decodedB].compactMap { $0 })
            matches = try timed("sample") {
                try SampleStage.run(warp, source: warpPath ?? "\(request.imageA) ↔ \(request.imageB)", options: request.sampling)
            }
            matchesPath = try keep(KeptFile.matches, matches.artifact, request.sampling.record, inputs: warpPath.map { [$0] } ?? [])
        }

        // The estimate sees the matches as their artifact stores them (float32 pixels),
        // as `roma estimate` reading the file does: otherwise the two routes differ in
        // the last bits of E, R and t.
        let stored = try Matches(matches.artifact)
        let pose = try timed("estimate") { try EstimateStage.run(stored, options: request.estimate) }
        try keep(KeptFile.pose, pose.artifact, request.estimate.record,
                 inputs: (matchesPath.map { [$0] } ?? []) + request.estimate.extraInputs)
        return Outcome(pose: pose, matchCount: matches.count, timings: timings, kept: kept)
    }
}
