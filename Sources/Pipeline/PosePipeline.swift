import Artifacts
import Baselines
import Foundation
import Geometry
import ImageIO
import Sampling

/// `roma pose`: every stage for one image pair, in memory, optionally keeping
/// each stage's artifact.
public enum PosePipeline {
    public enum Matcher: String, Sendable, CaseIterable {
        /// RoMa dense warp + balanced sampling (needs the weights).
        case roma
        /// OpenCV SIFT, ratio test and mutual check: no weights needed.
        case sift
        /// Tiny RoMa v1 (TinyMatchStage.swift): images at their own size, its `sample` (kde stride 8).
        case tiny
    }

    public struct Request: Sendable {
        public var imageA: String
        public var imageB: String
        public var intrinsicsA: CameraIntrinsics?
        public var intrinsicsB: CameraIntrinsics?
        public var matcher: Matcher = .roma
        public var decode = DecodeOptions()
        public var match = MatchStage.Options()
        public var sampling = SamplingOptions()
        public var sift = SIFTOptions()
        public var estimation: EstimationOptions
        /// Folder to write every stage's artifact into; nil keeps nothing.
        public var keep: String?

        public init(imageA: String, imageB: String, estimation: EstimationOptions) {
            self.imageA = imageA
            self.imageB = imageB
            self.estimation = estimation
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

    public static func run(_ request: Request, progress: ((String) -> Void)? = nil) throws -> Outcome {
        var timings: [Timing] = []
        var kept: [(String, String)] = []
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            progress?(stage)
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try body()
            timings.append(Timing(stage: stage, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            return value
        }
        func keep(_ stage: String, _ file: String, _ artifact: @autoclosure () throws -> Artifact) throws {
            guard let folder = request.keep else { return }
            let path = folder + "/" + file
            try artifact().write(to: path)
            kept.append((stage, path))
        }

        let matches: Matches
        var matchesArtifact: Artifact
        switch request.matcher {
        case .sift:
            let result = try timed("sift") { try siftMatchResult(imageA: request.imageA, imageB: request.imageB, options: request.sift) }
            matches = result.matches
            matchesArtifact = result.artifact
            try matchesArtifact.stamp(stage: "sift", params: request.sift.provenance, inputs: [request.imageA, request.imageB])
        case .roma, .tiny:
            var request = request
            if request.matcher == .tiny {
                (request.decode, request.match.model, request.sampling.kdeStride) = (.tiny, .tiny, SamplingOptions.tinyKDEStride)
            }
            let a = try timed("decode") { try DecodeStage.run(imagePath: request.imageA, options: request.decode) }
            let b = try timed("decode") { try DecodeStage.run(imagePath: request.imageB, options: request.decode) }
            try keep("decode", "a.decoded.safetensors", stamped(a.artifact, stage: "decode", inputs: [request.imageA]))
            try keep("decode", "b.decoded.safetensors", stamped(b.artifact, stage: "decode", inputs: [request.imageB]))
            let (warp, params) = try timed("match") { try MatchStage.run(a, b, names: (request.imageA, request.imageB), options: request.match) }
            try keep("match", "warp.safetensors", stamped(warp.artifact, stage: "match", params: params, inputs: [request.imageA, request.imageB]))
            matches = try timed("sample") {
                do { return try sampleMatches(from: warp, options: request.sampling) } catch let error as SamplingError {
                    throw ArtifactError(file: "\(request.imageA) ↔ \(request.imageB)", error.problem)
                }
            }
            matchesArtifact = matches.artifact
            try matchesArtifact.stamp(stage: "sample", params: request.sampling.params, seed: request.sampling.seed,
                                      inputs: [request.imageA, request.imageB])
        }
        try keep(request.matcher == .sift ? "sift" : "sample", "matches.safetensors", matchesArtifact)

        let pose = timed("estimate") {
            estimateRelativePose(matches, intrinsicsA: request.intrinsicsA, intrinsicsB: request.intrinsicsB, options: request.estimation)
        }
        var poseArtifact = pose.artifact
        try poseArtifact.stamp(stage: "estimate", params: ["threshold_px": request.estimation.threshold, "confidence": request.estimation.confidence,
                                                         "solver": request.estimation.solver.rawValue],
                               seed: request.estimation.seed, inputs: [request.imageA, request.imageB])
        try keep("estimate", "pose.safetensors", poseArtifact)
        return Outcome(pose: pose, matchCount: matches.count, timings: timings, kept: kept)
    }

    private static func stamped(_ artifact: Artifact, stage: String, params: [String: any Sendable] = [:], inputs: [String]) throws -> Artifact {
        var a = artifact
        try a.stamp(stage: stage, params: params, inputs: inputs)
        return a
    }
}
