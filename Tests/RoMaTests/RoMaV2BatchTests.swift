import Artifacts
import Checkpoint
import Foundation
import Pipeline
@testable import RoMa
import Testing
import TestSupport

/// `roma match --model roma2 --batch` on the reduced RoMa v2 model (RoMaV2ModelTests'
/// fixture): one model for the list, each image's descriptor layers and fine features
/// computed once, and every warp file the one a single `roma match --model roma2` writes,
/// byte for byte.
@Suite(.serialized) struct RoMaV2BatchTests {
    /// Three decoded images at their own sizes (the fixture's two and A mirrored) and the
    /// three pairs among them: each image in two pairs.
    static let setup: (folder: String, images: [String]) = {
        let folder = TestPaths.scratch("roma2-batch")
        let io = try! Artifact.read(RoMaV2ModelTests.directory + "/io.safetensors")
        let a = try! RoMaV2ModelTests.image(io, "image_a"), b = try! RoMaV2ModelTests.image(io, "image_b")
        var mirrored = a.coarse.rgb
        let (w, h) = (a.coarse.width, a.coarse.height)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { mirrored[(y * w + x) * 3 + c] = a.coarse.rgb[(y * w + w - 1 - x) * 3 + c] } } }
        let c = DecodedImage(coarse: .init(width: w, height: h, rgb: mirrored), upsampled: nil, originalWidth: w, originalHeight: h, sourcePath: "mirrored")
        let images = [a, b, c].enumerated().map { i, image in
            let path = folder + "/image\(i).decoded.safetensors"
            try! image.artifact.write(to: path)
            return path
        }
        return (folder, images)
    }()

    static func matcher() throws -> RoMaV2MatchStage.Matcher {
        let io = try Artifact.read(RoMaV2ModelTests.directory + "/io.safetensors")
        let file = RoMaV2ModelTests.directory + "/weights.safetensors"
        let weights = try StateDict.load(file)
        var options = MatchStage.Options()
        (options.model, options.setting) = (.roma2, .precise)
        return RoMaV2MatchStage.Matcher(file: file, architecture: try RoMaV2ModelTests.architecture(weights),
                                        config: try RoMaV2ModelTests.config(io), options: options) { weights }
    }

    func pairs(in folder: String) -> [MatchBatch.Pair] {
        let i = Self.setup.images
        return [(0, 1), (1, 2), (2, 0)].enumerated().map { n, p in
            MatchBatch.Pair(a: i[p.0], b: i[p.1], output: folder + "/pair\(n).warp.safetensors", line: n + 1)
        }
    }

    @Test func batchWarpsAreTheSingleRunsBitForBit() throws {
        let folder = TestPaths.scratch("roma2-batch-full")
        let pairs = pairs(in: folder)
        var loads = 0
        let summary = try MatchBatch.run(pairs, matcher: { loads += 1; return try Self.matcher() }, cacheBytes: 64 << 20)
        #expect(loads == 1 && summary.matched == 3 && summary.skipped == 0)
        // 3 images × (descriptor, fine features at 64², at 128²) computed once; their second pair reuses them.
        #expect(summary.encodes == 9 && summary.reuses == 9)
        for pair in pairs {
            let a = try DecodedImage.read(pair.a), b = try DecodedImage.read(pair.b)
            let (warp, record) = try Self.matcher().match(a, b, names: (pair.a, pair.b))
            let single = pair.output + ".single"
            try RoMaV2MatchStage.artifact(warp, record: record, inputs: (pair.a, pair.b)).write(to: single)
            let batch = try Data(contentsOf: URL(fileURLWithPath: pair.output))
            #expect(batch == (try Data(contentsOf: URL(fileURLWithPath: single))), "line \(pair.line): batch warp differs from the single run's")
            let read = try PrecisionWarp.read(pair.output)
            #expect(read.bidirectional && read.width == 128)
            #expect(try Artifact.read(pair.output).metadata["params"]?.contains("\"setting\":\"precise\"") == true)
        }
        // A finished list is skipped without loading the weights.
        let again = try MatchBatch.run(pairs, matcher: { throw RoMaError("weights loaded for a finished list") }, cacheBytes: 0)
        #expect(again.matched == 0 && again.skipped == 3)
    }

    /// `--warp-encoding compact`: recorded in the parameters, within the stated errors of the
    /// exact warp (docs/artifacts.md), 12/28 of its size here (the reduced model's warp stays in ±1).
    @Test func compactBatchWarps() throws {
        let exact = pairs(in: TestPaths.scratch("roma2-batch-exact"))
        let compact = pairs(in: TestPaths.scratch("roma2-batch-compact"))
        _ = try MatchBatch.run(exact, matcher: Self.matcher, cacheBytes: 64 << 20)
        _ = try MatchBatch.run(compact, matcher: Self.matcher, cacheBytes: 64 << 20, encoding: .compact)
        for (x, y) in zip(exact, compact) {
            #expect(try Artifact.read(y.output).metadata["params"]?.contains("\"warp_encoding\":\"compact\"") == true)
            #expect(try Artifact.read(x.output).metadata["params"]?.contains("warp_encoding") == false)
            let e = try PrecisionWarp.read(x.output), c = try PrecisionWarp.read(y.output)
            for (de, dc) in [(e.ab, c.ab), (e.ba!, c.ba!)] {
                // Half a step, plus three float32 roundings of the code's arithmetic: x + 1 and
                // u / 32767.5 (values in [1, 2): 1.2e-7 each) and the product (6e-8 in x);
                // 1.3e-7 beyond half a step occurs on this fixture.
                #expect(zip(de.warp, dc.warp).allSatisfy { abs($0 - $1) <= 1 / 65535 + 3e-7 })
                #expect(zip(de.overlap, dc.overlap).allSatisfy { abs($0 - $1) <= 0.5 / 65535 + 6e-8 })
                #expect(zip(de.precision, dc.precision).allSatisfy { abs($0 - $1) <= 1e-3 * abs($0) + 1e-6 })
            }
            let size = { (p: String) in Double((try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0) }
            #expect(try size(y.output) / size(x.output) < 0.5)
        }
    }

    @Test func cacheOffGivesTheSameWarps() throws {
        let full = pairs(in: TestPaths.scratch("roma2-batch-cached"))
        let starved = pairs(in: TestPaths.scratch("roma2-batch-nocache"))
        _ = try MatchBatch.run(full, matcher: Self.matcher, cacheBytes: 64 << 20)
        let summary = try MatchBatch.run(starved, matcher: Self.matcher, cacheBytes: 0)
        #expect(summary.reuses == 0 && summary.encodes == 18)
        for (x, y) in zip(full, starved) {
            // Same tensors; the headers differ only in the output's own folder (inputs are the same paths).
            #expect(try PrecisionWarp.read(x.output) == (try PrecisionWarp.read(y.output)))
        }
    }
}
