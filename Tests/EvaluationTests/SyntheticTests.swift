import Artifacts
import Foundation
import ImageIO
import Testing
import TestSupport
@testable import Evaluation

@Suite("Synthetic renderer")
struct SyntheticTests {
    static var small: Synthetic.Options {
        var o = Synthetic.Options()
        o.width = 160
        o.height = 120
        o.warpSize = 64
        o.pairs = 2
        return o
    }

    @Test("the seed fixes every pixel; another seed gives another scene")
    func deterministic() {
        let a = Synthetic.renderPair(index: 0, options: Self.small)
        let b = Synthetic.renderPair(index: 0, options: Self.small)
        var other = Self.small
        other.seed = 1
        let c = Synthetic.renderPair(index: 0, options: other)
        #expect(a.imageA == b.imageA && a.imageB == b.imageB && a.warp.warpAB == b.warp.warpAB && a.depthA == b.depthA)
        #expect(a.imageA != c.imageA)
        #expect(a.imageA != Synthetic.renderPair(index: 1, options: Self.small).imageA)
    }

    @Test("ground-truth warp, intrinsics and relative pose agree (epipolar residual ≈ 0)")
    func warpMatchesPose() throws {
        for index in 0..<3 {
            let pair = Synthetic.renderPair(index: index, options: Self.small)
            let record = pair.record
            let R = record.rotation, t = record.translation
            // E = [t]× R
            let tx: [Double] = [0, -t[2], t[1], t[2], 0, -t[0], -t[1], t[0], 0]
            var E = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { E[i * 3 + j] += tx[i * 3 + k] * R[k * 3 + j] } } }
            let K = record.intrinsicsA, w = pair.warp
            var visible = 0, worst = 0.0
            for i in 0..<w.height {
                for j in 0..<w.width where w.certaintyAB[i * w.width + j] > 0.5 {
                    visible += 1
                    let xa = Double(w.widthA) * Double(2 * j + 1) / Double(2 * w.width), ya = Double(w.heightA) * Double(2 * i + 1) / Double(2 * w.height)
                    let xb = Double(w.widthB) / 2 * (Double(w.warpAB[(i * w.width + j) * 2]) + 1)
                    let yb = Double(w.heightB) / 2 * (Double(w.warpAB[(i * w.width + j) * 2 + 1]) + 1)
                    let a = [(xa - K[2]) / K[0], (ya - K[5]) / K[4], 1.0], b = [(xb - K[2]) / K[0], (yb - K[5]) / K[4], 1.0]
                    var r = 0.0
                    for p in 0..<3 { for q in 0..<3 { r += b[p] * E[p * 3 + q] * a[q] } }
                    // |t| is a few metres, so a residual of 1e-5 is far below 0.01 px; Float storage of
                    // normalised coordinates (~6e-8 relative) bounds what is achievable.
                    worst = max(worst, abs(r) / (t[0] * t[0] + t[1] * t[1] + t[2] * t[2]).squareRoot())
                }
            }
            #expect(worst < 1e-5, "pair \(index): epipolar residual \(worst)")
            // The views overlap, but not completely: occlusion and leaving the frame both occur.
            let fraction = Double(visible) / Double(w.width * w.height)
            #expect(fraction > 0.2 && fraction < 0.98, "pair \(index): \(fraction) of A visible in B")
        }
    }

    @Test("the two warp directions are inverse where both are visible")
    func cycleConsistent() {
        let pair = Synthetic.renderPair(index: 0, options: Self.small)
        let w = pair.warp
        var checked = 0
        for i in stride(from: 0, to: w.height, by: 3) {
            for j in stride(from: 0, to: w.width, by: 3) where w.certaintyAB[i * w.width + j] > 0.5 {
                let u = Double(w.warpAB[(i * w.width + j) * 2]), v = Double(w.warpAB[(i * w.width + j) * 2 + 1])
                let (bu, bv) = WarpQuality.sample(w.warpBA, width: w.width, height: w.height, u: u, v: v)
                let u0 = (2 * Double(j) + 1) / Double(w.width) - 1, v0 = (2 * Double(i) + 1) / Double(w.height) - 1
                // Bilinear interpolation across a depth edge can be far off; away from edges it is close.
                let errorPixels = max(abs(bu - u0) * Double(w.widthA) / 2, abs(bv - v0) * Double(w.heightA) / 2)
                if errorPixels < 1 { checked += 1 }
            }
        }
        let visible = w.certaintyAB.enumerated().filter { $0.offset / w.width % 3 == 0 && $0.offset % w.width % 3 == 0 && $0.element > 0.5 }.count
        #expect(Double(checked) > 0.9 * Double(visible))
    }

    @Test("generate writes images, depth, warps and a pair list that reads back")
    func generate() throws {
        let folder = TestPaths.scratch("synth")
        let records = try Synthetic.generate(into: folder, options: Self.small)
        let listed = try PairList.read(folder + "/pairs.txt")
        #expect(listed.count == 2)
        for (a, b) in zip(records, listed) {
            #expect(a.id == b.id && a.imageA == b.imageA)
            #expect(zip(a.rotation, b.rotation).allSatisfy { abs($0 - $1) < 1e-12 })
        }
        let warp = try Warp.read(folder + "/0000.warp.safetensors")
        #expect(warp.width == 64 && warp.widthA == 160 && warp.heightB == 120)
        let depth = try Artifact.read(folder + "/0001_b.depth.safetensors", expecting: Synthetic.depthSchema)
        #expect(try depth.floats("depth", shape: [120, 160]).allSatisfy { $0 > 0 })
        #expect(depth.metadata["seed"] != nil)
        #expect(try ImageHeader.size(of: folder + "/0001_a.png") == (160, 120))
        let image = try Canvas.read(folder + "/0000_a.png")
        #expect(image.rgb == Synthetic.renderPair(index: 0, options: Self.small).imageA)
    }
}
