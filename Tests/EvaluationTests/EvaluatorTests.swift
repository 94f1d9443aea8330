import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Evaluation

/// A small synthetic benchmark with hand-made pose artifacts, to test evaluate and
/// report without the sampling and geometry stages.
struct SmallRun {
    let folder: String
    let manifest: BenchmarkManifest
    let posesFolder: String
    let matchesFolder: String

    static func make(label: String, protocolOverride: ((inout EvaluationProtocol) -> Void)? = nil,
                     poseFor: (PreparedPair, Int) -> PoseResult) throws -> SmallRun {
        let folder = TestPaths.scratch(label)
        try Synthetic.generate(into: folder + "/data", options: SyntheticTests.small)
        var manifest = try BenchmarkManifest.prepare(.synthetic(folder: folder + "/data"), datasetsFolder: "unused")
        protocolOverride?(&manifest.evaluationProtocol)
        let poses = folder + "/poses", matches = folder + "/matches"
        for pair in manifest.pairs {
            // Ten matches from the ground-truth warp's visible cells: enough to draw.
            let warp = try Warp.read("\(folder)/data/\(pair.id).warp.safetensors")
            var a: [Double] = [], b: [Double] = []
            for cell in stride(from: 0, to: warp.width * warp.height, by: 97) where warp.certaintyAB[cell] > 0.5 && a.count < 20 {
                a += [Double(warp.widthA) * (Double(2 * (cell % warp.width) + 1)) / Double(2 * warp.width),
                      Double(warp.heightA) * (Double(2 * (cell / warp.width) + 1)) / Double(2 * warp.height)]
                b += [Double(warp.widthB) / 2 * (Double(warp.warpAB[cell * 2]) + 1), Double(warp.heightB) / 2 * (Double(warp.warpAB[cell * 2 + 1]) + 1)]
            }
            try Matches(pointsA: a, pointsB: b).artifact.write(to: "\(matches)/r0/\(pair.id).matches.safetensors")
            for r in 0..<manifest.evaluationProtocol.repetitions {
                try poseFor(pair, r).artifact.write(to: Evaluator.posePath(folder: poses, pair: pair.id, repetition: r))
            }
        }
        try manifest.write(to: folder + "/pairs.json")
        return SmallRun(folder: folder, manifest: manifest, posesFolder: poses, matchesFolder: matches)
    }

    /// The ground truth with the rotation turned by `degrees` about the z axis.
    static func pose(_ pair: PreparedPair, rotatedBy degrees: Double, inliers: Int = 10) -> PoseResult {
        let a = degrees * .pi / 180
        let Rz: [Double] = [cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1]
        var R = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { R[i * 3 + j] += Rz[i * 3 + k] * pair.rotation[k * 3 + j] } } }
        let n = (pair.translation.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return PoseResult(rotation: R, translation: pair.translation.map { -$0 / n }, model: .essential, matrix: [Double](repeating: 0, count: 9),
                          inliers: [UInt8](repeating: 1, count: inliers) + [0, 0], status: "ok", iterations: 10, score: 1)
    }
}

@Suite("Evaluate: results artifact")
struct EvaluatorTests {
    @Test("errors, AUC and table from pose artifacts; round trip through roma.results/1")
    func evaluate() throws {
        // Pair 0: 1°, 2°, …; pair 1: failed in repetition 4.
        let run = try SmallRun.make(label: "evaluate") { pair, r in
            pair.id == "0001" && r == 4 ? .failed("no model", model: .essential, matchCount: 12) : SmallRun.pose(pair, rotatedBy: Double(r + 1))
        }
        let results = try Evaluator.evaluate(manifest: run.manifest, posesFolder: run.posesFolder, config: "test")
        #expect(results.pairIDs == ["0000", "0001"] && results.repetitions == 5)
        // Translations were given reversed: the fold makes them exact.
        #expect(results.translationErrors.enumerated().allSatisfy { $0.offset == 9 || $0.element < 1e-5 })
        #expect(abs(results.poseError(pair: 0, repetition: 2) - 3) < 1e-6)
        #expect(results.poseError(pair: 1, repetition: 4) == 90 && results.failed[9] == 1)
        #expect(results.inlierCounts[0] == 10 && results.matchCounts[0] == 12)
        let expected = PoseAUC.auc([1, 2, 3, 4, 5, 1, 2, 3, 4, 90])
        #expect(zip(results.auc, expected).allSatisfy { abs($0 - $1) < 1e-6 })

        let path = run.folder + "/results.safetensors"
        try results.artifact.write(to: path)
        let back = try BenchmarkResults.read(path)
        #expect(back.auc == results.auc && back.pairIDs == results.pairIDs && back.failed == results.failed)
    }

    @Test("a tampered AUC, a missing pose file and a wrong schema are reported with the file")
    func badInput() throws {
        let run = try SmallRun.make(label: "bad") { pair, r in SmallRun.pose(pair, rotatedBy: 1) }
        let results = try Evaluator.evaluate(manifest: run.manifest, posesFolder: run.posesFolder, config: "test")
        var artifact = results.artifact
        artifact.put("auc", [0.9, 0.9, 0.9], shape: [3])
        try artifact.write(to: run.folder + "/tampered.safetensors")
        #expect(throws: ArtifactError.self) { try BenchmarkResults.read(run.folder + "/tampered.safetensors") }

        let missing = Evaluator.posePath(folder: run.posesFolder, pair: "0001", repetition: 3)
        try FileManager.default.removeItem(atPath: missing)
        do {
            _ = try Evaluator.evaluate(manifest: run.manifest, posesFolder: run.posesFolder, config: "test")
            Issue.record("evaluated an incomplete run")
        } catch let error as ArtifactError {
            #expect(error.file == missing && error.problem.contains("1 of 10"))
        }
        // A matches artifact where a pose is expected.
        try FileManager.default.copyItem(atPath: "\(run.matchesFolder)/r0/0001.matches.safetensors", toPath: missing)
        #expect(throws: ArtifactError.self) { try Evaluator.evaluate(manifest: run.manifest, posesFolder: run.posesFolder, config: "test") }
    }

    @Test("ScanNet's protocol counts each pair's last repetition twice")
    func scannetDuplicate() {
        let results = BenchmarkResults(bench: "scannet1500", config: "x", pairIDs: ["a", "b"], repetitions: 2,
                                       rotationErrors: [1, 30, 2, 40], translationErrors: [0, 0, 0, 0], failed: [0, 0, 0, 0],
                                       inlierCounts: [0, 0, 0, 0], matchCounts: [0, 0, 0, 0], countLastRepetitionTwice: true)
        #expect(results.poseErrorsForAUC == [1, 30, 30, 2, 40, 40])
        #expect(results.accuracy[0] == 2.0 / 6)
    }

    @Test("dense-warp quality: a warp off by a known shift")
    func warpQuality() throws {
        let truth = Synthetic.renderPair(index: 0, options: SyntheticTests.small).warp
        let visible = truth.certaintyAB.filter { $0 > 0.5 }.count + truth.certaintyBA.filter { $0 > 0.5 }.count
        #expect(try WarpQuality.compare(predicted: truth, truth: truth) == WarpQuality(endPointError: 0, pck: [1, 1, 1], validCells: visible))
        // Shift every prediction 2 px right in the target image (160 px wide: 2 px = 0.025 in normalised units).
        var shifted = truth
        for k in stride(from: 0, to: shifted.warpAB.count, by: 2) {
            shifted.warpAB[k] += Float(2.0 * 2 / Double(truth.widthB))
            shifted.warpBA[k] += Float(2.0 * 2 / Double(truth.widthA))
        }
        let q = try WarpQuality.compare(predicted: shifted, truth: truth)
        #expect(abs(q.endPointError - 2) < 1e-4)   // Float storage of the shift
        #expect(q.pck == [0, 1, 1])
        var wrongSize = truth
        wrongSize.widthB = 100
        #expect(throws: ArtifactError.self) { try WarpQuality.compare(predicted: wrongSize, truth: truth) }
    }
}

@Suite("Evaluate: malformed manifests")
struct ManifestTests {
    @Test("a hand-edited pairs.json with a short rotation is refused with the file named")
    func malformed() throws {
        let folder = TestPaths.scratch("manifest")
        let pair = PreparedPair(id: "p", imageA: "a.png", imageB: "b.png", imageKeyA: "a", imageKeyB: "b", widthA: 10, heightA: 10, widthB: 10, heightB: 10,
                                intrinsicsA: [1, 0, 5, 0, 1, 5, 0, 0, 1], intrinsicsB: [1, 0, 5, 0, 1, 5, 0, 0, 1], rotation: [1, 0, 0, 0, 1, 0],
                                translation: [1, 0, 0], estimateIntrinsicsA: [1, 1, 5, 5], estimateIntrinsicsB: [1, 1, 5, 5], estimateThreshold: 0.5)
        let manifest = BenchmarkManifest(bench: "pairs-x", evaluationProtocol: Benchmark.pairs(file: "x").evaluationProtocol(), pairList: "x", root: ".", pairs: [pair])
        try manifest.write(to: folder + "/pairs.json")
        do {
            _ = try BenchmarkManifest.read(folder + "/pairs.json")
            Issue.record("accepted a 6-element rotation")
        } catch let error as ArtifactError {
            #expect(error.file == folder + "/pairs.json" && error.problem.contains("'p'"))
        }
        try "{\"bench\": 3}".write(toFile: folder + "/junk.json", atomically: true, encoding: .utf8)
        #expect(throws: ArtifactError.self) { try BenchmarkManifest.read(folder + "/junk.json") }
    }
}
