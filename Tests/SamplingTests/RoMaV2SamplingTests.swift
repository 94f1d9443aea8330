import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Sampling

/// Our RoMa v2 sampler against romav2 2.0.1's own `RoMaV2.sample`, on the warp of
/// scripts/fixtures/make_romav2_sampling_fixtures.py (24 × 32, both ways, 150 matches):
/// the deterministic steps value for value on one traced reference call, the random
/// draws by how often each cell is drawn over thousands of runs.
struct RoMaV2SamplingTests {
    static let labels: [(String, Float?)] = [("none", nil), ("0.05", 0.05)]

    static func load() throws -> (warp: PrecisionWarp, reference: Artifact, runs: Int, num: Int) {
        let warp = try PrecisionWarp.read(TestPaths.fixture("sampling/romav2_warp.safetensors"))
        let reference = try Artifact.read(TestPaths.fixture("sampling/romav2_reference.safetensors"))
        return (warp, reference, try reference.metaInt("runs"), try reference.metaInt("num"))
    }

    /// Float16 values one step apart differ by at most 2⁻¹⁰ relative.
    static func withinOneHalfStep(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= max(abs(a), abs(b)) * 0x1p-10 }

    /// The weights of the first draw (overlap, threshold, border mask) are romav2's bit for
    /// bit; its float16 kernel densities of the same candidates are too, except where torch's
    /// float32 row sum and ours (double) round to neighbouring float16 values (≤ 1 in 200
    /// allowed, one float16 step at most); the balancing weights from its densities are its own.
    @Test(arguments: labels.map(\.0))
    func deterministicStepsMatchRomav2(label: String) throws {
        let (warp, reference, _, _) = try Self.load()
        let threshold = Self.labels.first { $0.0 == label }!.1
        let space = RoMaV2MatchSpace(warp)
        let weights = space.weights(threshold: threshold)
        #expect(weights == (try reference.floats("trace_\(label)_weights")))
        #expect(weights.contains(0) && weights.contains { $0 > 0 }, "the border mask must bite on this fixture")

        let candidates = try reference.integers("trace_\(label)_candidates").map(Int.init)
        let expected = try reference.floats("trace_\(label)_density")
        let density = HalfKernelDensity.densities(points: candidates.flatMap { space.match($0) })
        let equal = zip(density, expected).filter { $0 == $1 }.count
        #expect(Double(equal) >= 0.995 * Double(expected.count), "\(equal) of \(expected.count) densities equal")
        #expect(zip(density, expected).allSatisfy { Self.withinOneHalfStep($0, $1) })
        if label == "none" {
            // Both sides of romav2's density cut (with the threshold every candidate is below it).
            #expect(expected.contains { $0 < 10 } && expected.contains { $0 >= 10 })
        }
        #expect(RoMaV2MatchSpace.balancingWeights(density: expected) == (try reference.floats("trace_\(label)_balance")))
    }

    /// The float16 kde on 1500 candidates of a 64 × 64 two-way warp, against romav2's `kde`.
    @Test func halfKernelDensityMatchesRomav2() throws {
        let (_, reference, _, _) = try Self.load()
        let points = try reference.floats("kde_points")
        let expected = try reference.floats("kde_density")
        let density = HalfKernelDensity.densities(points: points)
        let equal = zip(density, expected).filter { $0 == $1 }.count
        #expect(Double(equal) >= 0.995 * Double(expected.count), "\(equal) of \(expected.count) equal")
        #expect(zip(density, expected).allSatisfy { Self.withinOneHalfStep($0, $1) })
        // The float32 formula is not what romav2 computes: it differs by far more than a step.
        let exact = KernelDensity.densities(points: points, std: 0.1)
        #expect(zip(exact, expected).filter { !Self.withinOneHalfStep($0, $1) }.count > expected.count / 10)
        #expect(HalfKernelDensity.densities(points: points, threads: 1) == density)
    }

    /// For romav2's chosen cells: its keypoints and its precisions (gathered from the other
    /// direction by bilinear sampling), converted to image pixels as `prec_map_coordinates`.
    /// Tolerance 1e-5 of the matrix's diagonal: float32 bilinear weights evaluated in
    /// another order err by a few 1e-7 of the values they combine.
    @Test(arguments: labels.map(\.0))
    func keypointsAndPrecisionsMatchRomav2(label: String) throws {
        let (warp, reference, _, num) = try Self.load()
        let cells = try reference.integers("trace_\(label)_cells").map(Int.init)
        #expect(cells.count == num)
        let m = RoMaV2MatchSpace(warp).matches(cells)
        let refMatches = try reference.floats("trace_\(label)_matches")
        let sizes = [Double(warp.widthA), Double(warp.heightA), Double(warp.widthB), Double(warp.heightB)]
        for i in 0..<num {
            for d in 0..<4 {
                let pixel = sizes[d] / 2 * (Double(refMatches[4 * i + d]) + 1)
                let ours = d < 2 ? m.pointsA[2 * i + d] : m.pointsB[2 * i + d - 2]
                // Grid centres: ours (2i + 1)/n − 1 and torch's float32 linspace may differ in the last bit.
                #expect(abs(ours - pixel) < 1e-6 * sizes[d])
            }
        }
        for (name, ours, w, h) in [("a", m.precisionA!, warp.widthA, warp.heightA), ("b", m.precisionB!, warp.widthB, warp.heightB)] {
            let grid = try reference.floats("trace_\(label)_precision_\(name)")
            let s = [Double(warp.width) / Double(w), Double(warp.height) / Double(h)]
            for i in 0..<num {
                let scale = max(abs(Double(grid[4 * i])), abs(Double(grid[4 * i + 3])))
                for e in 0..<4 {
                    let expected = Double(grid[4 * i + e]) * s[e / 2] * s[e % 2]
                    #expect(abs(ours[4 * i + e] - expected) <= 1e-5 * scale * s[e / 2] * s[e % 2] + 1e-12, "\(name) match \(i) entry \(e)")
                }
            }
        }
        let overlaps = cells.map { $0 < warp.width * warp.height ? warp.ab.overlap[$0] : warp.ba!.overlap[$0 - warp.width * warp.height] }
        #expect(m.certainty! == overlaps.map(Double.init))
    }

    /// Inclusion frequency of every cell over 2000 of our draws against romav2's 6000, with
    /// the pooled binomial z-scores of ReferenceParityTests (bounds justified there).
    /// torch's second draw keys float16 weights (ties our exact keys do not have); the
    /// statistic would see that if it mattered.
    @Test(arguments: labels.map(\.0))
    func inclusionFrequenciesAgreeWithRomav2(label: String) throws {
        let (warp, reference, runs, num) = try Self.load()
        let threshold = Self.labels.first { $0.0 == label }!.1
        let expected = try reference.integers("counts_\(label)", shape: [2 * warp.width * warp.height])
        let ourRuns = 2000
        var counts = [Int64](repeating: 0, count: expected.count)
        for seed in 0..<ourRuns {
            let draw = try sampleMatches(from: warp, options: RoMaV2SamplingOptions(count: num, threshold: threshold, seed: UInt64(seed)))
            #expect(draw.cells.count == num)
            for k in draw.cells { counts[k] += 1 }
        }
        let c = ReferenceParityTests.compare(counts, runsA: ourRuns, expected, runsB: runs)
        #expect(ReferenceParityTests.agrees(c), "\(label): \(c.cells) cells, max |z| \(c.maxZ), mean z² \(c.meanZ2), rare z \(c.rareZ)")
    }

    /// The statistic tells the two thresholds apart, so agreement above means something.
    @Test func theComparisonSeparatesTheThresholds() throws {
        let (warp, reference, runs, _) = try Self.load()
        let n = 2 * warp.width * warp.height
        let c = ReferenceParityTests.compare(try reference.integers("counts_none", shape: [n]), runsA: runs,
                                             try reference.integers("counts_0.05", shape: [n]), runsB: runs)
        #expect(!ReferenceParityTests.agrees(c), "max |z| \(c.maxZ), mean z² \(c.meanZ2)")
    }

    @Test func drawsAreSeededAndIndependentOfThreads() throws {
        let (warp, _, _, _) = try Self.load()
        let options = RoMaV2SamplingOptions(count: 100, threshold: nil, seed: 7)
        let a = try sampleMatches(from: warp, options: options)
        let b = try sampleMatches(from: warp, options: options)
        #expect(a.cells == b.cells && a.matches.pointsA == b.matches.pointsA)
        #expect(try sampleMatches(from: warp, options: RoMaV2SamplingOptions(count: 100, seed: 8)).cells != a.cells)
        #expect(options.params["sampler"] as? String == "romav2" && options.recordedSeed == 7)
    }

    @Test func aOneWayWarpGivesBsPrecisionOnly() throws {
        var (warp, _, _, _) = try Self.load()
        warp.ba = nil
        let draw = try sampleMatches(from: warp, options: RoMaV2SamplingOptions(count: 50, seed: 1))
        #expect(draw.cells.allSatisfy { $0 < warp.width * warp.height })
        #expect(draw.matches.precisionA == nil && draw.matches.precisionB?.count == 4 * 50)
    }

    @Test func badRequestsAreRefused() throws {
        var (warp, _, _, _) = try Self.load()
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: RoMaV2SamplingOptions(count: 0)) }
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: RoMaV2SamplingOptions(threshold: -1)) }
        warp.ab.overlap = warp.ab.overlap.map { _ in 0 }
        warp.ba!.overlap = warp.ba!.overlap.map { _ in 0 }
        let error = #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: RoMaV2SamplingOptions()) }
        #expect(error?.problem.contains("zero") == true)
        warp.ab.precision[0] = .infinity
        #expect(throws: SamplingError.self) { try sampleMatches(from: warp, options: RoMaV2SamplingOptions()) }
    }

    /// Our float16 rounding in registers against Swift's own Float16 conversion.
    @Test func roundingToHalfAgreesWithFloat16() {
        var g = TestBits(seed: 3)
        var mismatches: [Float] = []
        for _ in 0..<20000 {
            let scale = Float(sign: .plus, exponent: Int(g.next() % 30) - 26, significand: 1)
            var v = SIMD16<Float>()
            for k in 0..<16 { v[k] = (Float(g.next() % 1_000_000) / 500_000 - 1) * scale }
            let r = roundedToHalf(v)
            for k in 0..<16 where r[k] != Float(Float16(v[k])) { mismatches.append(v[k]) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}

/// A tiny deterministic generator for test inputs.
private struct TestBits {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
