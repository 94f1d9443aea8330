import Artifacts
import Foundation
import Testing
import TestSupport

/// `roma.warp/3` (RoMa v2's warp): written and read back, read from a file Python's
/// safetensors wrote, and every invalid value named with its file and tensor.
@Suite struct PrecisionWarpTests {
    /// A warp with PSD precisions (Cholesky products) and overlap in (0, 1).
    static func warp(width: Int = 6, height: Int = 4, twoWay: Bool = true) -> PrecisionWarp {
        func direction(_ phase: Float) -> PrecisionWarp.Direction {
            let n = width * height
            var warp = [Float](), overlap = [Float](), precision = [Float]()
            for k in 0..<n {
                let x = Float(k) / Float(n)
                warp += [sin(3 * x + phase), cos(2 * x - phase)]
                overlap.append(1 / (1 + exp(-4 * sin(5 * x + phase))))
                let l00 = 0.5 + x, l10 = cos(7 * x + phase), l11 = 0.2 + x * x
                precision += [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11]
            }
            return .init(warp: warp, overlap: overlap, precision: precision)
        }
        return PrecisionWarp(width: width, height: height, ab: direction(0), ba: twoWay ? direction(1) : nil,
                             widthA: 640, heightA: 480, widthB: 500, heightB: 400, overlapThreshold: twoWay ? 0.05 : nil)
    }

    static func roundTrip(_ a: Artifact, _ name: String) throws -> PrecisionWarp {
        try PrecisionWarp.read(written(a, name))
    }

    static func written(_ a: Artifact, _ name: String) throws -> String {
        let path = TestPaths.scratch("precision-warp") + "/\(name).warp"
        try a.write(to: path)
        return path
    }

    @Test(arguments: [true, false])
    func writtenWarpsReadBackExactly(twoWay: Bool) throws {
        let w = Self.warp(twoWay: twoWay)
        let path = try Self.written(w.artifact, "round-trip")
        let back = try PrecisionWarp.read(path)
        #expect(back == w)
        #expect(back.bidirectional == twoWay)
        let a = try Artifact.read(path)
        #expect(a.metadata["schema"] == "roma.warp/3")
        #expect(try a.tensor("precision_ab").shape == [4, 6, 2, 2])
        #expect(a.has("warp_ba") == twoWay)
    }

    /// The fixture was written by Python (safetensors.numpy, romav2's own `_map_confidence`):
    /// the schema is what a Python producer writes, and the reader accepts it.
    @Test func readsAWarpWrittenByPython() throws {
        let w = try PrecisionWarp.read(TestPaths.fixture("sampling/romav2_warp.safetensors"))
        #expect(w.width == 32 && w.height == 24 && w.bidirectional)
        #expect(w.ab.overlap.allSatisfy { $0 > 0 && $0 < 1 })
        // The older view: overlap as certainty, so warp quality and pictures read v3 too.
        let view = try Warp.read(TestPaths.fixture("sampling/romav2_warp.safetensors"))
        #expect(view.certaintyAB == w.ab.overlap && view.warpBA == w.ba!.warp)
    }

    @Test func aOneWayWarpReadsAsAWarpWithAnEmptyReverse() throws {
        let w = Self.warp(twoWay: false)
        let view = try Warp(Self.roundTrip(w.artifact, "one-way").artifact)
        #expect(view.certaintyBA.allSatisfy { $0 == 0 } && view.certaintyAB == w.ab.overlap)
    }

    /// Each broken value is refused with the file, the tensor and the place named.
    @Test func invalidValuesAreNamed() throws {
        let cases: [(String, (inout PrecisionWarp) -> Void, [String])] = [
            ("nan-precision", { $0.ab.precision[5] = .nan }, ["precision_ab", "non-finite"]),
            ("overlap-above-one", { $0.ba!.overlap[7] = 1.25 }, ["overlap_ba", "1.25", "row 1, column 1"]),
            ("negative-overlap", { $0.ab.overlap[0] = -0.01 }, ["overlap_ab", "[0, 1]"]),
            ("asymmetric", { $0.ab.precision[4 * 3 + 1] += 0.5 }, ["precision_ab", "not symmetric", "row 0, column 3"]),
            ("indefinite", { $0.ba!.precision.replaceSubrange(8..<12, with: [1, 2, 2, 1]) }, ["precision_ba", "positive semi-definite", "-1"]),
            ("negative-diagonal", { $0.ab.precision.replaceSubrange(0..<4, with: [-1e-3, 0, 0, 5]) }, ["precision_ab", "positive semi-definite"]),
            ("far-coordinate", { $0.ab.warp[3] = 5000 }, ["warp_ab", "5000"]),
        ]
        for (name, breakIt, words) in cases {
            var w = Self.warp()
            breakIt(&w)
            let error = #expect(throws: ArtifactError.self) { try Self.roundTrip(w.artifact, name) }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("\(name).warp"), "\(text)")
            for word in words { #expect(text.contains(word), "\(name): \(text)") }
            #expect(throws: ArtifactError.self) { try w.validate() }
        }
    }

    /// Rounding-size departures from symmetry and PSD pass: romav2's float32 arithmetic makes them.
    @Test func roundingSizedDeparturesAreAccepted() throws {
        var w = Self.warp()
        // λ_min = −1e-6 of the largest entry; asymmetry 1e-6 relative.
        w.ab.precision.replaceSubrange(0..<4, with: [1, 1, 1, 1 - 2e-6])
        w.ab.precision.replaceSubrange(4..<8, with: [2, 0.5, 0.5 + 2e-6, 1])
        #expect(try Self.roundTrip(w.artifact, "rounding") == w)
    }

    @Test func shapesMustAgree() throws {
        var a = Self.warp().artifact
        a.put("overlap_ba", [Float](repeating: 0.5, count: 4 * 5), shape: [4, 5])
        #expect(throws: ArtifactError.self) { try Self.roundTrip(a, "overlap-shape") }
        var b = Self.warp().artifact
        b.put("precision_ab", [Float](repeating: 0, count: 4 * 6 * 4), shape: [4, 6, 4])
        let error = #expect(throws: ArtifactError.self) { try Self.roundTrip(b, "precision-shape") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("precision_ab"))
        // Half of the reverse direction is no direction.
        var c = Self.warp(twoWay: false).artifact
        c.put("warp_ba", [Float](repeating: 0, count: 48), shape: [4, 6, 2])
        let partial = #expect(throws: ArtifactError.self) { try Self.roundTrip(c, "partial") }
        #expect("\(partial.map { "\($0)" } ?? "")".contains("overlap_ba, precision_ba"))
        var d = Self.warp().artifact
        d.metadata["overlap_threshold"] = "nan"
        #expect(throws: ArtifactError.self) { try Self.roundTrip(d, "threshold") }
    }

    @Test func matchesCarryPrecisions() throws {
        let m = Matches(pointsA: [1, 2, 3, 4], pointsB: [5, 6, 7, 8], certainty: [0.5, 0.25],
                        precisionA: [1, 0, 0, 1, 2, 1, 1, 2], precisionB: [3, 0, 0, 3, 4, 1, 1, 4])
        let path = TestPaths.scratch("precision-warp") + "/m.matches"
        try m.artifact.write(to: path)
        let back = try Matches.read(path)
        #expect(back.precisionA == m.precisionA && back.precisionB == m.precisionB && back.certainty == m.certainty)
        let oneWay = Matches(pointsA: [1, 2], pointsB: [3, 4], precisionB: [1, 0, 0, 1])
        try oneWay.artifact.write(to: path)
        #expect(try Matches.read(path).precisionA == nil && Matches.read(path).precisionB == [1, 0, 0, 1])
        var bad = m.artifact
        bad.put("precision_b", [Float](repeating: 0, count: 4), shape: [1, 2, 2])
        try bad.write(to: path)
        #expect(throws: ArtifactError.self) { try Matches.read(path) }
    }
}
