import Artifacts
import Foundation
import Geometry
import ImageIO
import Pipeline
import RoMa
import Sampling
import Testing
import TestSupport

/// The RoMa route of `roma pose --keep` against the staged chain, on the
/// reduced-width fixture model: decode, sample and estimate run as the `roma`
/// commands; match runs the fixture model in process on both sides (the CLI only
/// builds the official architecture). Every kept artifact must equal its staged
/// counterpart in metadata (inputs by hash) and tensors, bit for bit.
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct PoseKeepRoMaTests {
    static let files = (roma: RoMaFixture.directory + "/weights.safetensors", dinov2: RoMaFixture.directory + "/dinov2.safetensors")
    static let matchOptions = MatchStage.Options(weights: files.roma, dinov2: files.dinov2)

    static func fixtureMatch(_ a: DecodedImage, _ b: DecodedImage, _ names: (String, String)) throws -> (warp: Warp, record: StageRecord) {
        let model = try RoMaModel(weights: try RoMaFixture.weights(), config: RoMaFixture.config)
        return (try model.match(a, b), MatchStage.record(options: matchOptions, config: RoMaFixture.config, files: files))
    }

    func roma(_ arguments: [String]) throws {
        let r = try RomaCLI.run(arguments)
        #expect(r.status == 0, "roma \(arguments.joined(separator: " ")): \(r.stderr)")
    }

    @Test func stagedChainEqualsPoseKeep() throws {
        let folder = TestPaths.scratch("keep-roma")
        try roma(["synth", "-o", folder, "--pairs", "1", "--seed", "3", "--width", "160", "--height", "120", "--warp-size", "16", "--quiet"])
        let line = try String(contentsOfFile: folder + "/pairs.txt", encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }!
        let fields = line.split(separator: " ").map(String.init)
        let (imageA, imageB) = (folder + "/" + fields[1], folder + "/" + fields[2])
        let kv = fields[3..<12].compactMap(Double.init)
        let k = CameraIntrinsics(fx: kv[0], fy: kv[4], cx: kv[2], cy: kv[5])
        let kText = "\(kv[0]),\(kv[4]),\(kv[2]),\(kv[5])"
        let sizes = ["--coarse", "\(RoMaFixture.coarseSide)", "--upsampled", "\(RoMaFixture.fineSide)"]

        // The staged chain.
        let staged = TestPaths.scratch("keep-roma-staged")
        try roma(["decode", imageA, "-o", staged + "/a.decoded.safetensors"] + sizes)
        try roma(["decode", imageB, "-o", staged + "/b.decoded.safetensors"] + sizes)
        let decoded = [staged + "/a.decoded.safetensors", staged + "/b.decoded.safetensors"]
        let (warp, record) = try Self.fixtureMatch(try DecodedImage.read(decoded[0]), try DecodedImage.read(decoded[1]), (decoded[0], decoded[1]))
        try warp.artifact.write(to: staged + "/warp.safetensors", record: record, inputs: decoded)
        try roma(["sample", staged + "/warp.safetensors", "--num", "400", "--seed", "9", "-o", staged + "/matches.safetensors"])
        try roma(["estimate", staged + "/matches.safetensors", "--K-a", kText, "--K-b", kText, "--seed", "9",
                  "-o", staged + "/pose.safetensors"])

        // `roma pose --keep` as a library call with the same options.
        let kept = TestPaths.scratch("keep-roma-pose")
        var request = PosePipeline.Request(imageA: imageA, imageB: imageB, estimate: EstimateStage.Options(
            estimation: EstimationOptions(seed: 9), intrinsicsA: k, intrinsicsB: k))
        request.decode = DecodeOptions(coarse: (RoMaFixture.coarseSide, RoMaFixture.coarseSide),
                                       upsampled: (RoMaFixture.fineSide, RoMaFixture.fineSide))
        request.match = Self.matchOptions
        request.sampling = SamplingOptions(count: 400, seed: 9)
        request.keep = kept
        let outcome = try PosePipeline.run(request, match: Self.fixtureMatch)
        #expect(outcome.kept.map(\.stage) == ["decode", "decode", "match", "sample", "estimate"])

        for file in ["a.decoded.safetensors", "b.decoded.safetensors", "warp.safetensors", "matches.safetensors", "pose.safetensors"] {
            let differences = try ArtifactComparison.differences(staged + "/" + file, kept + "/" + file)
            #expect(differences.isEmpty, "\(file): \(differences)")
        }
        // What `roma pose` records for the match: the checkpoints and sizes it ran with.
        let params = try Artifact.read(kept + "/warp.safetensors").params
        #expect(params["weights"] as? String == "weights.safetensors")
        #expect(params["coarse_resolution"] as? [Int] == [RoMaFixture.coarseSide, RoMaFixture.coarseSide])
    }
}
