import Artifacts
import Foundation
import Testing
import TestSupport

/// `roma.warp/3`'s compact encoding: the errors docs/artifacts.md states, the cases that
/// keep float32, exact files unchanged, and broken files refused by name.
@Suite struct PrecisionWarpCompactTests {
    /// A two-way warp whose precisions span 1e-6 … 1e8 per px², singular ones included
    /// (l11 = 0), with off-diagonal factors of both signs.
    static func warp(width: Int = 16, height: Int = 12) -> PrecisionWarp {
        func direction(_ phase: Float) -> PrecisionWarp.Direction {
            let n = width * height
            var warp = [Float](), overlap = [Float](), precision = [Float]()
            for k in 0..<n {
                let x = Float(k) / Float(n)
                warp += [sin(13 * x + phase), cos(7 * x - phase) * 0.999]
                overlap.append(1 / (1 + exp(-8 * sin(9 * x + phase))))
                let scale = pow(10, -3 + 7 * x)           // factor magnitudes 1e-3 … 1e4
                let l00 = scale * (0.5 + x), l10 = scale * cos(11 * x + phase), l11 = k % 5 == 0 ? 0 : scale * (0.1 + x * x)
                precision += [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11]
            }
            return .init(warp: warp, overlap: overlap, precision: precision)
        }
        return PrecisionWarp(width: width, height: height, ab: direction(0), ba: direction(1),
                             widthA: 1600, heightA: 1200, widthB: 1280, heightB: 960, overlapThreshold: 0.05)
    }

    static func write(_ a: Artifact, _ name: String) throws -> String {
        let path = TestPaths.scratch("precision-warp-compact") + "/\(name).warp"
        try a.write(to: path)
        return path
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Bounds (docs/artifacts.md): coordinates half a step of 2/65535, overlap half a step of
    /// 1/65535 (plus float32 rounding of the division, 6e-8), each precision entry 1e-3 of
    /// itself (F16 rounds each factor within 2⁻¹¹ relative; an entry is a product of two,
    /// or a sum of two such products of one sign) plus 6e-8·√(largest entry) where a factor
    /// is below F16's normal range (6.1e-5, rounded within 2⁻²⁵ absolute).
    @Test func roundTripErrorsAreWithinTheStatedBounds() throws {
        let w = Self.warp()
        let path = try Self.write(w.artifact(encoding: .compact), "compact")
        let back = try PrecisionWarp.read(path)
        let a = try Artifact.read(path)
        #expect(try a.tensor("warp_ab").dtype == .uint16 && a.tensor("overlap_ba").dtype == .uint16)
        #expect(try a.tensor("precision_cholesky_ab").dtype == .float16 && !a.has("precision_ab"))
        #expect(back.overlapThreshold == 0.05 && back.widthA == 1600 && back.bidirectional)
        var worst = (warp: Float(0), overlap: Float(0), precision: Float(0))
        for (d, e) in [(w.ab, back.ab), (w.ba!, back.ba!)] {
            for (x, y) in zip(d.warp, e.warp) { worst.warp = max(worst.warp, abs(x - y)) }
            for (x, y) in zip(d.overlap, e.overlap) { worst.overlap = max(worst.overlap, abs(x - y)) }
            for i in 0..<(d.precision.count / 4) {
                let p = d.precision[4 * i..<4 * i + 4], q = e.precision[4 * i..<4 * i + 4]
                let largest = p.map(abs).max()!
                for (x, y) in zip(p, q) {
                    let excess = abs(x - y) / (1e-3 * abs(x) + 6e-8 * largest.squareRoot())
                    worst.precision = max(worst.precision, excess)
                }
            }
        }
        #expect(worst.warp <= 1 / 65535 + 1e-7, "coordinate error \(worst.warp)")
        #expect(worst.overlap <= 0.5 / 65535 + 6e-8, "overlap error \(worst.overlap)")
        #expect(worst.precision <= 1, "precision error \(worst.precision) of its bound")
        // The codes are in use (nothing stored exactly by accident), and the bound is not loose.
        #expect(worst.warp > 1e-6 && worst.overlap > 1e-6 && worst.precision > 0.5, "\(worst)")
        // 12 B a cell and direction instead of 28.
        let exact = try Self.write(w.artifact, "exact")
        let ratio = Double(try Self.size(path)) / Double(try Self.size(exact))
        #expect(ratio < 12.0 / 28 + 0.05, "compact is \(ratio) of exact")
        #expect(try Artifact.read(exact).tensor("precision_ab").dtype == .float32)
        #expect(try PrecisionWarp.read(exact) == w)
    }

    /// What cannot be coded is kept float32 as computed: romav2's unclamped warp beyond ±1,
    /// a precision factor beyond F16's range (P > 4.3e9 per px²).
    @Test func outOfRangeValuesStayExact() throws {
        var w = Self.warp()
        w.ab.warp[5] = 1.02
        w.ba!.precision.replaceSubrange(0..<4, with: [1e10, 0, 0, 1])
        let path = try Self.write(w.artifact(encoding: .compact), "fallback")
        let a = try Artifact.read(path)
        #expect(try a.tensor("warp_ab").dtype == .float32 && a.tensor("warp_ba").dtype == .uint16)
        #expect(try a.tensor("precision_ba").dtype == .float32 && !a.has("precision_cholesky_ba"))
        #expect(a.has("precision_cholesky_ab"))
        let back = try PrecisionWarp.read(path)
        #expect(back.ab.warp == w.ab.warp && back.ba!.precision == w.ba!.precision)
    }

    /// Broken compact files are refused naming the file and the problem.
    @Test func brokenFilesAreNamed() throws {
        let good = Self.warp().artifact(encoding: .compact)
        // Truncated: the header promises more bytes than the file has.
        let truncated = try Self.write(good, "truncated")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: truncated))
        let cut = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(truncated) }
        #expect("\(cut.map { "\($0)" } ?? "")".contains("truncated.warp"))
        // Foreign: another schema, and bytes that are no safetensors file at all.
        var matches = Artifact(schema: .matches)
        matches.put("kpts_a", [Float](repeating: 0, count: 4), shape: [2, 2])
        let foreign = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(try Self.write(matches, "foreign")) }
        #expect("\(foreign.map { "\($0)" } ?? "")".contains("foreign.warp") && "\(foreign.map { "\($0)" } ?? "")".contains("roma.warp"))
        let junk = TestPaths.scratch("precision-warp-compact") + "/junk.warp"
        try Data("PK\u{3}\u{4} not a warp".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(throws: ArtifactError.self) { try PrecisionWarp.read(junk) }
        // Both forms of one precision, a factor of the wrong shape, neither form.
        var both = good
        both.put("precision_ab", Self.warp().ab.precision, shape: [12, 16, 2, 2])
        let twice = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(try Self.write(both, "both")) }
        #expect("\(twice.map { "\($0)" } ?? "")".contains("has both 'precision_ab' and 'precision_cholesky_ab'"))
        var shape = good
        shape.put("precision_cholesky_ba", [Float](repeating: 1, count: 12 * 16 * 4), shape: [12, 16, 4])
        let wrong = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(try Self.write(shape, "shape")) }
        #expect("\(wrong.map { "\($0)" } ?? "")".contains("precision_cholesky_ba"))
        var none = Artifact(schema: .warpOverlap)
        for name in ["warp_ab", "overlap_ab"] { none.put(name, try good.tensor(name)) }
        none.metadata = good.metadata
        let missing = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(try Self.write(none, "none")) }
        #expect("\(missing.map { "\($0)" } ?? "")".contains("missing tensor 'precision_ab' (or its compact form 'precision_cholesky_ab')"))
        // A non-finite factor is named as any non-finite precision.
        var nan = good
        nan.put("precision_cholesky_ab", [Float](repeating: .nan, count: 12 * 16 * 3), shape: [12, 16, 3])
        let bad = #expect(throws: ArtifactError.self) { try PrecisionWarp.read(try Self.write(nan, "nan")) }
        #expect("\(bad.map { "\($0)" } ?? "")".contains("precision_ab") && "\(bad.map { "\($0)" } ?? "")".contains("non-finite"))
    }

    /// Stages that read a warp as `roma.warp/2` (quality, pictures) read a compact one too.
    @Test func compactReadsAsACertaintyWarp() throws {
        let w = Self.warp()
        let path = try Self.write(w.artifact(encoding: .compact), "view")
        let view = try Warp.read(path)
        #expect(view.width == 16 && zip(view.certaintyAB, w.ab.overlap).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
}
