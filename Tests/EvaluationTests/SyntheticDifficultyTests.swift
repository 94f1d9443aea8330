import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Evaluation

@Suite("Synthetic difficulty")
struct SyntheticDifficultyTests {
    /// Square images with a warp grid of the same size: every warp cell centre is a
    /// pixel centre, where the depth map was taken, so depth and warp can be compared
    /// without interpolation.
    static func options(_ difficulty: Difficulty, side: Int = 96) -> Synthetic.Options {
        var o = Synthetic.Options()
        o.width = side
        o.height = side
        o.warpSize = side
        o.pairs = 2
        o.difficulty = difficulty
        return o
    }

    /// Each factor alone at the hard level's range, and the hard level with all of them.
    static let cases: [(String, Difficulty)] = {
        let hard = Difficulty.hard
        func only(_ values: [String: String]) -> Difficulty { try! Difficulty.classic.overriding(values) }
        return [
            ("viewpoint", only(["rotation": "\(hard.rotation)", "overlap": "\(hard.overlap!)"])),
            ("scale", only(["scale": "\(hard.scale)"])),
            ("in-plane", only(["in-plane": "\(hard.inPlane)"])),
            ("photometric", only(["exposure": "\(hard.exposure)", "white-balance": "\(hard.whiteBalance)", "light": "\(hard.light)", "shadows": "on"])),
            ("texture", only(["repeated": "0.5", "low-texture": "0.5"])),
            ("sensor", only(["noise": "\(hard.noise)", "blur": "\(hard.blur)", "jpeg": "\(hard.jpeg!)"])),
            ("occluders", only(["occluders": "3"])),
            ("hard", hard),
        ]
    }()

    /// Pixel position in `to` of pixel centre (x, y) of `from` at camera depth `z`,
    /// through intrinsics and the relative pose: the ground truth's definition, computed
    /// independently of the renderer's ray casting.
    static func reproject(x: Double, y: Double, z: Double, _ K: [Double], _ R: [Double], _ t: [Double], _ K2: [Double]) -> (Double, Double, Double) {
        let p = [(x - K[2]) / K[0] * z, (y - K[5]) / K[4] * z, z]
        let q = (0..<3).map { i in R[i * 3] * p[0] + R[i * 3 + 1] * p[1] + R[i * 3 + 2] * p[2] + t[i] }
        return (K2[0] * q[0] / q[2] + K2[2], K2[4] * q[1] / q[2] + K2[5], q[2])
    }

    /// Checks one direction: visible cells reproject through depth onto the warp within
    /// 0.01 px; cells whose reprojection all 16 surrounding pixels of the other view's
    /// depth map contradict (all 2 % nearer: something in front; all 2 % farther: the point
    /// does not exist there) are marked not visible. On a visible smooth surface the four
    /// neighbours' depths straddle the point's (1/z is linear across a plane), so this
    /// almost never flags a truly visible point. Returns (visible, contradicted).
    static func check(_ pair: Synthetic.RenderedPair, aToB: Bool, label: String) -> (Int, Int) {
        let w = pair.warp, side = w.width
        let (from, to) = aToB ? (pair.cameraA, pair.cameraB) : (pair.cameraB, pair.cameraA)
        let (depth, otherDepth) = aToB ? (pair.depthA, pair.depthB) : (pair.depthB, pair.depthA)
        let (warp, certainty) = aToB ? (w.warpAB, w.certaintyAB) : (w.warpBA, w.certaintyBA)
        let (R, t) = from.relativePose(to: to)
        var visible = 0, contradicted = 0, worst = 0.0, falselyVisible = 0
        for i in 0..<side {
            for j in 0..<side {
                let cell = i * side + j
                let (x, y, z) = reproject(x: Double(j) + 0.5, y: Double(i) + 0.5, z: Double(depth[cell]), from.intrinsics, R, t, to.intrinsics)
                if certainty[cell] == 1 {
                    visible += 1
                    let wx = Double(side) / 2 * (Double(warp[cell * 2]) + 1), wy = Double(side) / 2 * (Double(warp[cell * 2 + 1]) + 1)
                    worst = max(worst, abs(wx - x), abs(wy - y))
                }
                // The 4×4 pixel centres around (x, y) in the other view.
                let (c0, r0) = (Int((x - 0.5).rounded(.down)) - 1, Int((y - 0.5).rounded(.down)) - 1)
                guard c0 >= 0, r0 >= 0, c0 + 3 < side, r0 + 3 < side, z > 0 else { continue }
                let around = (0..<16).map { otherDepth[(r0 + $0 / 4) * side + c0 + $0 % 4] }
                if around.allSatisfy({ Double($0) < 0.98 * z }) || around.allSatisfy({ Double($0) > 1.02 * z }) {
                    contradicted += 1
                    if certainty[cell] != 0 { falselyVisible += 1 }
                }
            }
        }
        #expect(worst < 0.01, "\(label) \(aToB ? "A→B" : "B→A"): warp and depth reprojection differ by \(worst) px")
        // A visible sliver thinner than a pixel (an object's corner poking between pixel
        // centres) can fool the neighbourhood test, so a few per mille are allowed; a
        // visibility bug (an occluder ignored) flags whole regions.
        #expect(falselyVisible * 1000 <= max(visible, 1000), "\(label): \(falselyVisible) of \(visible) visible cells lie where the other view sees another surface")
        return (visible, contradicted)
    }

    @Test("reprojection through depth agrees with the warp to 0.01 px under every factor; hidden points are not visible")
    func groundTruthExact() {
        for (label, difficulty) in Self.cases {
            var visible = 0, contradicted = 0
            for index in 0..<2 {
                let pair = Synthetic.renderPair(index: index, options: Self.options(difficulty))
                for aToB in [true, false] {
                    let (v, c) = Self.check(pair, aToB: aToB, label: "\(label) pair \(index)")
                    visible += v
                    contradicted += c
                }
            }
            // Not vacuous: many cells are compared, and occlusion or leaving the scene happens.
            #expect(visible > 2 * 96 * 96 / 20, "\(label): only \(visible) visible cells")
            #expect(contradicted > 0, "\(label): no occluded cell to check")
        }
    }

    @Test("an occluder in one view hides what it covers from the other view's ground truth")
    func occludersHide() {
        let difficulty = try! Difficulty.classic.overriding(["occluders": "3"])
        var hidden = 0
        for index in 0..<3 {
            let plain = Synthetic.renderPair(index: index, options: Self.options(.classic))
            let occluded = Synthetic.renderPair(index: index, options: Self.options(difficulty))
            // Same cameras; every cell visible with occluders was visible without them.
            #expect(plain.cameraA == occluded.cameraA && plain.cameraB == occluded.cameraB)
            for (p, o) in zip(plain.warp.certaintyAB + plain.warp.certaintyBA, occluded.warp.certaintyAB + occluded.warp.certaintyBA) {
                #expect(!(o == 1 && p == 0))
                if p == 1 && o == 0 { hidden += 1 }
            }
        }
        #expect(hidden > 0, "the occluders hid nothing")
    }

    @Test("photometric, texture and sensor changes leave cameras, depth and warp untouched")
    func appearanceLeavesGeometry() {
        let appearanceFree = try! Difficulty.hard.overriding(["exposure": "0", "white-balance": "0", "light": "0", "shadows": "off",
                                                              "repeated": "0", "low-texture": "0", "noise": "0", "blur": "0", "jpeg": "none"])
        for index in 0..<2 {
            let hard = Synthetic.renderPair(index: index, options: Self.options(.hard))
            let plain = Synthetic.renderPair(index: index, options: Self.options(appearanceFree))
            #expect(hard.cameraA == plain.cameraA && hard.cameraB == plain.cameraB)
            #expect(hard.depthA == plain.depthA && hard.depthB == plain.depthB)
            #expect(hard.warp.warpAB == plain.warp.warpAB && hard.warp.certaintyBA == plain.warp.certaintyBA)
            #expect(hard.imageA != plain.imageA && hard.imageB != plain.imageB)
            #expect(hard.jpegA != nil && plain.jpegA == nil)
        }
    }

    @Test("a level's pairs record their factors; the seed fixes every byte")
    func factorsRecorded() throws {
        let folder = TestPaths.scratch("synth-hard")
        var options = Self.options(.hard, side: 64)
        options.width = 96
        try Synthetic.generate(into: folder, options: options)
        let file = try DifficultyFile.read(folder + "/difficulty.json")
        #expect(file.difficulty == .hard && file.pairs.count == 2)
        let factors = try #require(file.pairs["0001"])
        #expect(factors.map(\.name) == ["rotation", "overlap", "scale", "in_plane", "light", "exposure", "white_balance", "weak_texture",
                                        "noise", "blur", "jpeg_quality", "occluders"])
        let jpeg = try #require(factors.first { $0.name == "jpeg_quality" })
        #expect(jpeg.value >= 40 && jpeg.value <= 70)
        let scale = try #require(factors.first { $0.name == "scale" })
        #expect(scale.value > 1.5, "zoom 2-4× gives scale \(scale.value)")
        // The JPEG file is what was rendered, byte for byte, and decodes to the stored pixels.
        let pair = Synthetic.renderPair(index: 1, options: options)
        #expect(FileManager.default.contents(atPath: folder + "/0001_b.jpg") == pair.jpegB)
        #expect(try Canvas.read(folder + "/0001_b.jpg").rgb == pair.imageB)
        let warp = try Artifact.read(folder + "/0001.warp.safetensors", expecting: .warp)
        #expect(warp.metadata["difficulty"] == "hard" && warp.metadata["factors"]?.contains("occluders") == true)
        // The manifest carries the factors to the report.
        let manifest = try BenchmarkManifest.prepare(.synthetic(folder: folder), datasetsFolder: "datasets")
        #expect(manifest.pairs[1].factors == factors && manifest.pairs[1].imageB.hasSuffix("0001_b.jpg"))
    }

    @Test("factor options parse ranges and reject nonsense")
    func overriding() throws {
        let d = try Difficulty.medium.overriding(["rotation": "40-60", "jpeg": "none", "shadows": "off"])
        #expect(d.name == "custom" && d.rotation == .init(40, 60) && d.jpeg == nil && !d.shadows)
        #expect(try Difficulty.medium.overriding([:]) == .medium)
        for bad in [["rotation": "60-40"], ["scale": "0.5"], ["noise": "a"], ["colour": "1"], ["repeated": "0.7", "low-texture": "0.6"], ["overlap": "0.1-"]] {
            #expect(throws: DatasetError.self) { try Difficulty.easy.overriding(bad) }
        }
        #expect(throws: DatasetError.self) { try Difficulty.level(named: "extreme") }
        #expect(DifficultyFactor("overlap", 0.25, edges: [0.1, 0.3, 0.5]).bin == "0.1–0.3")
        #expect(DifficultyFactor("overlap", 0.05, edges: [0.1, 0.3]).bin == "<0.1")
        #expect(DifficultyFactor("overlap", 0.3, edges: [0.1, 0.3]).bin == "≥0.3")
    }

    @Test("the report gives the AUC per factor bin")
    func breakdown() throws {
        func pair(_ id: String, _ overlap: Double) -> PreparedPair {
            PreparedPair(id: id, imageA: "a", imageB: "b", imageKeyA: "a", imageKeyB: "b", widthA: 1, heightA: 1, widthB: 1, heightB: 1,
                         intrinsicsA: [], intrinsicsB: [], rotation: [], translation: [], estimateIntrinsicsA: [], estimateIntrinsicsB: [],
                         estimateThreshold: 0.5, factors: [DifficultyFactor("overlap", overlap, edges: [0.1, 0.3, 0.5])])
        }
        let manifest = BenchmarkManifest(bench: "synthetic", evaluationProtocol: Benchmark.synthetic(folder: "").evaluationProtocol(),
                                         pairList: "", root: "", pairs: [pair("0", 0.4), pair("1", 0.2), pair("2", 0.35)])
        let results = BenchmarkResults(bench: "synthetic", config: "c", pairIDs: ["0", "1", "2"], repetitions: 1, rotationErrors: [1, 30, 3],
                                       translationErrors: [0, 0, 0], failed: [0, 0, 0], inlierCounts: [0, 0, 0], matchCounts: [0, 0, 0],
                                       countLastRepetitionTwice: false)
        let rows = try #require(FactorBreakdown(results: results, manifest: manifest)).rows
        #expect(rows.map(\.bin) == ["0.1–0.3", "0.3–0.5"] && rows.map(\.pairs) == [1, 2])
        #expect(rows[0].auc == PoseAUC.auc([30]) && rows[1].auc == PoseAUC.auc([1, 3]))
    }
}
