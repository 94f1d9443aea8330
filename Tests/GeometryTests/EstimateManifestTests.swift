import Foundation
import Testing
import Artifacts
import TestSupport
@testable import Evaluation
@testable import Geometry

/// `roma estimate --manifest pairs.json --pair ID`: intrinsics and threshold from
/// the evaluation stage's manifest, built here with the Evaluation module's own
/// types and `EstimateParameters`, exactly as `roma evaluate prepare` does.
@Suite(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
struct EstimateManifestTests {
    func run(_ arguments: [String]) throws -> (code: Int32, stderr: String) {
        let result = try RomaCLI.run(["estimate"] + arguments)
        return (result.status, result.stderr)
    }

    /// A synthetic pair plus a manifest describing it under a MegaDepth-like protocol
    /// (keypoints rescaled so the longer side is 1200 px) with a ScanNet-like shift, so
    /// that both the rescaled threshold and the shifted principal point matter.
    func setUp(_ folder: String) throws -> (pair: SyntheticPair, manifest: String, protocol: EvaluationProtocol, K: ([Double], [Double])) {
        let pair = SyntheticPair.make(scene: .general, count: 600, noise: 0.5, outlierRatio: 0.3, seed: 5)
        try pair.matches.artifact.write(to: folder + "/m.safetensors")
        let evaluation = EvaluationProtocol(resize: .longerSide, resizeTo: 1600, keypointShift: -0.5, thresholdPixels: 0.5,
                                            repetitions: 1, resampleEachRepetition: true, countLastRepetitionTwice: false,
                                            source: "test")
        let kA = pair.intrinsicsA.matrix.values, kB = pair.intrinsicsB.matrix.values
        // SyntheticPair's images are 1200×900, so s = 1600/1200 for both.
        let s = evaluation.scale(width: 1200, height: 900)
        let δ = evaluation.keypointShift
        // The shift is applied by the protocol to keypoints, not by us to the matches, so
        // folding it into the principal point moves it by −δ/s: the manifest's intrinsics
        // then differ from the truth by half a pixel, which the test pair tolerates.
        let prepared = PreparedPair(
            id: "pair-1", imageA: "a.png", imageB: "b.png", imageKeyA: "a", imageKeyB: "b",
            widthA: 1200, heightA: 900, widthB: 1200, heightB: 900,
            intrinsicsA: kA, intrinsicsB: kB, rotation: pair.truth.rotation.values,
            translation: [pair.truth.translation.x, pair.truth.translation.y, pair.truth.translation.z],
            estimateIntrinsicsA: EstimateParameters.intrinsics(kA, scale: s, shift: δ),
            estimateIntrinsicsB: EstimateParameters.intrinsics(kB, scale: s, shift: δ),
            estimateThreshold: EstimateParameters.threshold(0.5, intrinsicsA: kA, scaleA: s, intrinsicsB: kB, scaleB: s))
        let manifest = BenchmarkManifest(bench: "test", evaluationProtocol: evaluation, pairList: "pairs.txt", root: folder,
                                         pairs: [prepared])
        try manifest.write(to: folder + "/pairs.json")
        return (pair, folder + "/pairs.json", evaluation, (kA, kB))
    }

    @Test func takesIntrinsicsAndThresholdFromTheManifest() throws {
        let folder = TestPaths.scratch("estimate-manifest")
        let (pair, manifest, evaluation, (kA, kB)) = try setUp(folder)
        let (code, stderr) = try run([folder + "/m.safetensors", "--manifest", manifest, "--pair", "pair-1", "-o", folder + "/p.safetensors"])
        #expect(code == 0, "\(stderr)")
        let artifact = try Artifact.read(folder + "/p.safetensors", expecting: .pose)
        let pose = try PoseResult(artifact)
        #expect(pose.succeeded)
        #expect(pair.poseError(pose) < 1)

        let params = artifact.params
        #expect(params["pair"] as? String == "pair-1")
        // The normalised threshold must be the reference's, stated in its own frame:
        // τ / (mean|s·K_A[:2,:2]| + mean|s·K_B[:2,:2]|) (romatch's estimate_pose on
        // rescaled intrinsics). Tolerance: the manifest's JSON round trip of doubles.
        let s = evaluation.scale(width: 1200, height: 900)
        func meanFocal(_ k: [Double]) -> Double { s * (abs(k[0]) + abs(k[1]) + abs(k[3]) + abs(k[4])) / 4 }
        let reference = 0.5 / (meanFocal(kA) + meanFocal(kB))
        let recorded = try #require(params["threshold_normalized"] as? Double)
        #expect(abs(recorded - reference) <= 1e-12 * reference)
        // The principal point carries the shift: c − δ/s.
        let kRecorded = try #require(params["K_a"] as? [Double])
        #expect(abs(kRecorded[2] - (kA[2] + 0.5 / s)) < 1e-9 && abs(kRecorded[0] - kA[0]) < 1e-9)
    }

    @Test func unknownPairOrMissingManifestIsAClearError() throws {
        let folder = TestPaths.scratch("estimate-manifest")
        let (_, manifest, _, _) = try setUp(folder)
        let output = folder + "/p.safetensors"

        let unknown = try run([folder + "/m.safetensors", "--manifest", manifest, "--pair", "nope", "-o", output])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("pairs.json") && unknown.stderr.contains("no pair 'nope'") && unknown.stderr.contains("'pair-1'"))

        let missing = try run([folder + "/m.safetensors", "--manifest", folder + "/absent.json", "--pair", "pair-1", "-o", output])
        #expect(missing.code == 1 && missing.stderr.contains("absent.json: no such file"))

        try Data("{\"bench\": 3}".utf8).write(to: URL(fileURLWithPath: folder + "/bad.json"))
        let corrupt = try run([folder + "/m.safetensors", "--manifest", folder + "/bad.json", "--pair", "pair-1", "-o", output])
        #expect(corrupt.code == 1 && corrupt.stderr.contains("bad.json: not a benchmark manifest"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func manifestConflictsWithExplicitIntrinsicsOrThreshold() throws {
        let folder = TestPaths.scratch("estimate-manifest")
        let (_, manifest, _, _) = try setUp(folder)
        let output = folder + "/p.safetensors"
        let base = [folder + "/m.safetensors", "-o", output]

        let noPair = try run(base + ["--manifest", manifest])
        #expect(noPair.code != 0 && noPair.stderr.contains("--manifest and --pair go together"))
        let both = try run(base + ["--manifest", manifest, "--pair", "pair-1", "--K-a", "1,1,0,0", "--K-b", "1,1,0,0"])
        #expect(both.code != 0 && both.stderr.contains("either with --K-a/--K-b or with --manifest"))
        let threshold = try run(base + ["--manifest", manifest, "--pair", "pair-1", "--threshold", "1"])
        #expect(threshold.code != 0 && threshold.stderr.contains("--threshold cannot be combined with --manifest"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
