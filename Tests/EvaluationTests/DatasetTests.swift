import Parallel
import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Evaluation

@Suite("Datasets: pair lists, committed ground truth, protocols")
struct DatasetTests {
    static let K = "500 0 320 0 500 240 0 0 1"
    static let T = "1 0 0 0.5 0 1 0 0 0 0 1 0 0 0 0 1"

    @Test("a pair line, SuperGlue's rotation columns, comments and ids")
    func parse() throws {
        let text = """
        # comment
        a.png b.png \(Self.K) \(Self.K) \(Self.T)

        id=custom-1 c.png d.png 0 0 \(Self.K) \(Self.K) \(Self.T)
        """
        let pairs = try PairList.parse(text, source: "list.txt")
        #expect(pairs.map(\.id) == ["0000", "custom-1"])
        #expect(pairs[0].imageA == "a.png" && pairs[1].imageB == "d.png")
        #expect(pairs[0].translation == [0.5, 0, 0])
        #expect(pairs[0].rotation == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(pairs[0].intrinsicsB == [500, 0, 320, 0, 500, 240, 0, 0, 1])
        // Writing and reading back gives the same pairs.
        #expect(try PairList.parse(PairList.format(pairs), source: "again") == pairs)
    }

    @Test("malformed lines are rejected with the file, line and problem", arguments: [
        ("a.png b.png 1 2 3", "36 fields"),
        ("a.png b.png 90 0 \(K) \(K) \(T)", "EXIF rotation"),
        ("a.png b.png \(K) 500 0.1 320 0 500 240 0 0 1 \(T)", "skew"),
        ("a.png b.png \(K) \(K) 2 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1", "not a rotation"),
        ("a.png b.png \(K) \(K) 1 0 0 0 0 1 0 0 0 0 1 0 0 0 1 1", "last row"),
        ("a.png b.png \(K) \(K) 1 0 0 nan 0 1 0 0 0 0 1 0 0 0 0 1", "not a plain decimal number"),
        // Issue 19 item 4: strtod-style leniency read these as 51 and 16.
        ("a.png b.png \(K) \(K) 1 0 0 51\u{0}2 0 1 0 0 0 0 1 0 0 0 0 1", "field 24 '51\u{0}2' is not a plain decimal"),
        ("a.png b.png 0x10 0 320 0 500 240 0 0 1 \(K) \(T)", "field 3 '0x10' is not a plain decimal"),
        ("a.png b.png \(K) \(K) 1 0 0 inf 0 1 0 0 0 0 1 0 0 0 0 1", "plain decimal"),
        ("a.png b.png \(K) \(K) 1 0 0 1_0 0 1 0 0 0 0 1 0 0 0 0 1", "plain decimal"),
        // Issue 19 item 5: a zero translation has no direction to score against.
        ("a.png b.png \(K) \(K) 1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1", "translation is (nearly) zero"),
        ("id=x a b \(K) \(K) \(T)\nid=x a b \(K) \(K) \(T)", "appears twice"),
        ("# only a comment", "no pairs"),
    ])
    func malformed(line: String, problem: String) {
        do {
            _ = try PairList.parse(line, source: "bad.txt")
            Issue.record("accepted a malformed line: \(line)")
        } catch let error as DatasetError {
            #expect(error.message.hasPrefix("bad.txt"))
            #expect(error.message.contains(problem), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("the committed MegaDepth-1500 and ScanNet-1500 ground truth")
    func committedGroundTruth() throws {
        let mega = try PairList.read(TestPaths.packageRoot.path + "/datasets/megadepth1500/pairs.txt")
        let scan = try PairList.read(TestPaths.packageRoot.path + "/datasets/scannet1500/pairs.txt")
        #expect(mega.count == 1500 && scan.count == 1500)
        #expect(Set(mega.map(\.id)).count == 1500)
        // First pair of scene 0015_0.1_0.3 (pair_infos[0] = (580, 1398)): K of image 580 as stored in the npz.
        #expect(mega[0].id == "0015_0.1_0.3-000")
        #expect(mega[0].imageA == "Undistorted_SfM/0015/images/2248320068_7553a48263_o.jpg")
        #expect(mega[0].intrinsicsA == [1579.21, 0, 800, 0, 1579.09, 499, 0, 0, 1])
        // ScanNet pair 0: scene 707, frames 15 and 585, rel_pose row 0 of test.npz (float32 there).
        #expect(scan[0].imageA == "scans_test/scene0707_00/color/15.jpg" && scan[0].imageB == "scans_test/scene0707_00/color/585.jpg")
        #expect(abs(scan[0].rotation[0] - 0.97598) < 1e-5 && abs(scan[0].translation[2] - 0.54255) < 1e-5)
    }

    @Test("rescaling and the −0.5 px shift fold exactly into intrinsics and threshold")
    func protocolEquivalence() {
        let protocolScanNet = Benchmark.scannet1500.evaluationProtocol()
        let protocolMega = Benchmark.megadepth1500.evaluationProtocol()
        #expect(protocolScanNet.scale(width: 1296, height: 968) == 480.0 / 968)
        #expect(protocolMega.scale(width: 1600, height: 1063) == 0.75)
        let KA: [Double] = [1579.2, 0, 800, 0, 1579.1, 499, 0, 0, 1], KB: [Double] = [1200, 0, 600, 0, 1210, 450, 0, 0, 1]
        let (sA, sB, δ) = (0.75, 0.6, -0.5)
        let estA = EstimateParameters.intrinsics(KA, scale: sA, shift: δ)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20 {
            let (x, y) = (rng.uniform(0, 1600), rng.uniform(0, 1063))
            // Reference: keypoints and K both in the rescaled frame, keypoints shifted by δ.
            let refX = (sA * x + δ - sA * KA[2]) / (sA * KA[0]), refY = (sA * y + δ - sA * KA[5]) / (sA * KA[4])
            let oursX = (x - estA[2]) / estA[0], oursY = (y - estA[3]) / estA[1]
            #expect(abs(refX - oursX) < 1e-12 && abs(refY - oursY) < 1e-12)
        }
        // The normalised threshold the estimator ends with equals the reference's.
        let mA = (KA[0] + KA[4]) / 4, mB = (KB[0] + KB[4]) / 4
        let τ = EstimateParameters.threshold(0.5, intrinsicsA: KA, scaleA: sA, intrinsicsB: KB, scaleB: sB)
        #expect(abs(τ / (mA + mB) - 0.5 / (sA * mA + sB * mB)) < 1e-15)
        // No rescaling: the threshold passes through.
        #expect(EstimateParameters.threshold(0.5, intrinsicsA: KA, scaleA: 1, intrinsicsB: KB, scaleB: 1) == 0.5)
    }

    @Test("a missing image root names the variable and where to get the data")
    func missingRoot() {
        #expect(throws: DatasetError.self) {
            try BenchmarkManifest.prepare(.megadepth1500, datasetsFolder: TestPaths.packageRoot.path + "/datasets", environment: [:])
        }
        do {
            _ = try BenchmarkManifest.prepare(.scannet1500, datasetsFolder: TestPaths.packageRoot.path + "/datasets", environment: [:])
        } catch let error as DatasetError {
            #expect(error.message.contains("SCANNET_ROOT") && error.message.contains("https://"))
        } catch { Issue.record("unexpected \(error)") }
        let empty = TestPaths.scratch("empty-root")
        do {
            _ = try BenchmarkManifest.prepare(.megadepth1500, datasetsFolder: TestPaths.packageRoot.path + "/datasets",
                                              environment: ["MEGADEPTH_ROOT": empty])
            Issue.record("accepted an empty MEGADEPTH_ROOT")
        } catch let error as DatasetError {
            #expect(error.message.contains("images missing") && error.message.contains(empty) && error.message.contains("megadepth_test_1500"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("benchmark names", arguments: ["synthetic", "megadepth1500", "scannet1500", "pairs:/x/my_pairs.txt", "imagenet"])
    func names(text: String) {
        switch text {
        case "imagenet": #expect(throws: DatasetError.self) { try Benchmark(parsing: text, syntheticFolder: "d") }
        case "pairs:/x/my_pairs.txt": #expect((try? Benchmark(parsing: text))?.name == "pairs-my_pairs")
        default: #expect((try? Benchmark(parsing: text, syntheticFolder: "d"))?.name == text)
        }
    }

    @Test("plain decimal numbers only", arguments: [
        ("0.5", 0.5), ("-2", -2), ("+3.", 3), (".25", 0.25), ("1e-3", 1e-3), ("6.02E+23", 6.02e23),
        ("0x10", nil), ("inf", nil), ("nan", nil), ("1e", nil), ("", nil), (" 1", nil), ("1 ", nil), ("51\u{0}2", nil),
        ("--1", nil), ("1e400", nil), (".", nil), ("١", nil),
    ] as [(String, Double?)])
    func decimals(text: String, value: Double?) {
        #expect(DecimalNumber.parse(text) == value, "'\(text)'")
    }

    @Test("a manifest holding a zero ground-truth translation is refused")
    func degenerateManifest() throws {
        let folder = TestPaths.scratch("manifest")
        let list = folder + "/pairs.txt"
        try Canvas(width: 40, height: 30).writePNG(to: folder + "/a.png")
        try "a.png a.png \(Self.K) \(Self.K) \(Self.T)\n".write(toFile: list, atomically: true, encoding: .utf8)
        var manifest = try BenchmarkManifest.prepare(try Benchmark(parsing: "pairs:" + list), datasetsFolder: folder)
        manifest.pairs[0].translation = [0, 0, 0]
        try manifest.write(to: folder + "/pairs.json")
        #expect(throws: ArtifactError.self) { try BenchmarkManifest.read(folder + "/pairs.json") }
        // Duplicate keys: the first "bench" would be silently replaced.
        let text = try String(contentsOfFile: folder + "/pairs.json", encoding: .utf8)
        try text.replacingOccurrences(of: "\"bench\"", with: "\"bench\" : \"x\", \"bench\"")
            .write(toFile: folder + "/dup.json", atomically: true, encoding: .utf8)
        #expect(throws: ArtifactError.self) { try BenchmarkManifest.read(folder + "/dup.json") }
    }

}

@Suite("Datasets: ScanNet frame size")
struct ScanNetFrameTests {
    @Test("ScanNet-1500 refuses images that are not the 640×480 frames its intrinsics describe")
    func frameSize() throws {
        // A datasets folder holding the first three committed ScanNet pairs, to keep the test fast.
        let datasets = TestPaths.scratch("scannet-datasets"), root = TestPaths.scratch("scannet")
        let committed = try String(contentsOfFile: TestPaths.packageRoot.path + "/datasets/scannet1500/pairs.txt", encoding: .utf8)
        let lines = committed.split(separator: "\n").filter { !$0.hasPrefix("#") }.prefix(3)
        try FileManager.default.createDirectory(atPath: datasets + "/scannet1500", withIntermediateDirectories: true)
        try lines.joined(separator: "\n").write(toFile: datasets + "/scannet1500/pairs.txt", atomically: true, encoding: .utf8)
        let list = try PairList.read(datasets + "/scannet1500/pairs.txt")
        func fill(with canvas: Canvas) throws {
            let png = try canvas.pngData()
            for path in Set(list.flatMap { [$0.imageA, $0.imageB] }) {
                try FileManager.default.createDirectory(atPath: root + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: root + "/" + path, contents: png)
            }
        }
        // Every image present, but at ScanNet's raw colour size.
        try fill(with: Canvas(width: 1296, height: 968))
        do {
            _ = try BenchmarkManifest.prepare(.scannet1500, datasetsFolder: datasets, environment: ["SCANNET_ROOT": root])
            Issue.record("accepted 1296×968 frames")
        } catch let error as DatasetError {
            #expect(error.message.contains("1296×968") && error.message.contains("640×480"))
        }
        // The right size passes, and the −0.5 px shift lands in the principal point (scale 1 at 640×480).
        try fill(with: Canvas(width: 640, height: 480))
        let manifest = try BenchmarkManifest.prepare(.scannet1500, datasetsFolder: datasets, environment: ["SCANNET_ROOT": root])
        #expect(manifest.pairs.count == 3)
        let p = manifest.pairs[0]
        #expect(p.estimateIntrinsicsA == [p.intrinsicsA[0], p.intrinsicsA[4], p.intrinsicsA[2] + 0.5, p.intrinsicsA[5] + 0.5])
        #expect(p.estimateThreshold == 0.5)
        #expect(manifest.evaluationProtocol.countLastRepetitionTwice && !manifest.evaluationProtocol.resampleEachRepetition)
    }
}
