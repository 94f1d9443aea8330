import Artifacts
import Foundation
import ImageIO
import Pipeline
@testable import RoMa
import Testing
import TestSupport

/// `roma match --batch` on the reduced-width model: every warp file is the one a
/// single `roma match` writes for that pair, byte for byte (data and provenance),
/// whatever the cache size and however the batch was interrupted and resumed.
@Suite struct BatchMatchTests {
    /// Four decoded images at the fixture model's sizes, and five pairs among them with
    /// MegaDepth-1500's kind of reuse (image 0 in three pairs, 2 in three).
    static let setup: (folder: String, images: [String], pairs: [(Int, Int)]) = {
        let folder = TestPaths.scratch("batch-match")
        let sources = ["decode/textured.png", "decode/photo_crop.jpg", "decode/small.png", "decode/gray.png"]
        let options = DecodeOptions(coarse: (RoMaFixture.coarseSide, RoMaFixture.coarseSide),
                                    upsampled: (RoMaFixture.fineSide, RoMaFixture.fineSide))
        let images = sources.enumerated().map { i, source in
            let path = folder + "/image\(i).decoded.safetensors"
            let decoded = try! DecodeStage.run(imagePath: TestPaths.fixture(source), options: options)
            try! decoded.artifact.write(to: path, record: options.record, inputs: [TestPaths.fixture(source)])
            return path
        }
        return (folder, images, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 0)])
    }()

    static func matcher() throws -> MatchStage.Matcher {
        MatchStage.Matcher(weights: try RoMaFixture.weights(), architecture: RoMaFixture.architecture,
                           options: MatchStage.Options(), names: ("weights.safetensors", "dinov2.safetensors"))
    }

    func pairs(in folder: String) -> [MatchBatch.Pair] {
        let s = Self.setup
        return s.pairs.enumerated().map { n, p in
            MatchBatch.Pair(a: s.images[p.0], b: s.images[p.1], output: folder + "/pair\(n).warp.safetensors", line: n + 1)
        }
    }

    /// What `roma match A B -o OUT` writes: a matcher of its own for the one pair.
    func single(_ pair: MatchBatch.Pair) throws -> Data {
        let a = try DecodedImage.read(pair.a), b = try DecodedImage.read(pair.b)
        let (warp, record) = try Self.matcher().match(a, b, names: (pair.a, pair.b))
        let path = pair.output + ".single"
        try MatchStage.artifact(warp, record: record, inputs: (pair.a, pair.b)).write(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func expectSameAsSingle(_ pairs: [MatchBatch.Pair]) throws {
        for pair in pairs {
            let batch = try Data(contentsOf: URL(fileURLWithPath: pair.output))
            #expect(batch == (try single(pair)), "line \(pair.line): batch warp differs from the single run's")
        }
    }

    @Test func batchWarpsAreTheSingleRunsBitForBit() throws {
        let folder = TestPaths.scratch("batch-full")
        let pairs = pairs(in: folder)
        let summary = try MatchBatch.run(pairs, matcher: Self.matcher, cacheBytes: 64 << 20)
        #expect(summary.matched == 5 && summary.skipped == 0)
        // 4 images × 2 passes encoded once each; the 6 other image uses come from the cache.
        #expect(summary.encodes == 8 && summary.reuses == 12)
        try expectSameAsSingle(pairs)
        // Nothing left to do: a second run skips every pair and never loads weights.
        let again = try MatchBatch.run(pairs, matcher: { throw RoMaError("weights loaded for a finished list") }, cacheBytes: 0)
        #expect(again.matched == 0 && again.skipped == 5)
    }

    @Test func resumedAndCacheStarvedBatchesGiveTheSameWarps() throws {
        let folder = TestPaths.scratch("batch-resume")
        let pairs = pairs(in: folder)
        // A run killed after two pairs: the list's first two lines only.
        _ = try MatchBatch.run(Array(pairs.prefix(2)), matcher: Self.matcher, cacheBytes: 64 << 20)
        // One pair's input breaks mid-run: the run stops there, writing nothing for it.
        let broken = folder + "/broken.decoded.safetensors"
        try Data("not an artifact".utf8).write(to: URL(fileURLWithPath: broken))
        var withBroken = pairs
        withBroken[3].b = broken
        #expect(throws: (any Error).self) { try MatchBatch.run(withBroken, matcher: Self.matcher, cacheBytes: 64 << 20) }
        #expect(!FileManager.default.fileExists(atPath: pairs[3].output))
        // Resumed with a cache too small for one image's features: nothing is reused, same bytes.
        let resumed = try MatchBatch.run(pairs, matcher: Self.matcher, cacheBytes: 1 << 10)
        #expect(resumed.skipped >= 2 && resumed.matched + resumed.skipped == 5)
        #expect(resumed.reuses == 0)
        try expectSameAsSingle(pairs)
    }

    @Test func staleWarpsAreRedoneLikeMake() throws {
        let folder = TestPaths.scratch("batch-stale")
        let pairs = Array(pairs(in: folder).prefix(2))
        _ = try MatchBatch.run(pairs, matcher: Self.matcher, cacheBytes: 64 << 20)
        // An input newer than a warp makes that pair (and only it) due again.
        let past = Date(timeIntervalSinceNow: -60)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: pairs[1].output)
        try FileManager.default.setAttributes([.modificationDate: past.addingTimeInterval(-60)], ofItemAtPath: pairs[0].output)
        for image in Self.setup.images { try FileManager.default.setAttributes([.modificationDate: past.addingTimeInterval(-30)], ofItemAtPath: image) }
        #expect(MatchBatch.isDone(pairs[1]) && !MatchBatch.isDone(pairs[0]))
        let rerun = try MatchBatch.run(pairs, matcher: Self.matcher, cacheBytes: 64 << 20)
        #expect(rerun.matched == 1 && rerun.skipped == 1)
    }

    @Test func planEncodesSharedImagesTogether() {
        let p = { (a: String, b: String, n: Int) in MatchBatch.Pair(a: a, b: b, output: "o\(n)", line: n) }
        let list = [p("x", "y", 1), p("y", "z", 2), p("x", "z", 3), p("w", "z", 4), p("x", "w", 5)]
        // x and z are in three pairs; x comes first in the list, so its pairs go first,
        // z (in three) before y and w (in two); then z's remaining pairs.
        #expect(MatchBatch.plan(list).map(\.line) == [3, 1, 5, 2, 4])
    }

    @Test func listErrorsNameTheLine() throws {
        let folder = TestPaths.scratch("batch-list")
        let list = folder + "/pairs.txt"
        try "# header\n\na.decoded b.decoded out.warp  # first\na.decoded b.decoded\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect { try MatchBatch.parse(list: list) } throws: { "\($0)".contains("\(list): line 4: expected 3 paths") }
        try "a b out\nc d out\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect { try MatchBatch.parse(list: list) } throws: { "\($0)".contains("line 2: output out is already written by line 1") }
        try "a b out # x\n\tc  d\tout2\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try MatchBatch.parse(list: list).map(\.output) == ["out", "out2"])
        #expect { try MatchBatch.run([MatchBatch.Pair(a: folder + "/none", b: folder + "/none", output: folder + "/o", line: 7)],
                                     matcher: Self.matcher, cacheBytes: 0) } throws: { "\($0)".contains("line 7") }
    }
}
