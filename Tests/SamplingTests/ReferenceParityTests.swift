import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Sampling

/// Our draw against romatch 0.1.2's own `RegressionMatcher.sample`, run many times
/// on the same small warp by scripts/fixtures/make_sampling_fixtures.py: how often
/// each of the 3072 cells is drawn must agree within binomial sampling error.
struct ReferenceParityTests {
    struct Comparison {
        /// Cells with enough expected draws (≥ 10 in both samples) for the normal
        /// approximation of the difference.
        var cells = 0
        var maxZ = 0.0
        var meanZ2 = 0.0
        /// The remaining, rarely drawn cells pooled together: z-score of their
        /// total draws per run, with Poisson variances (an upper bound for a sum of
        /// negatively correlated indicators, so conservative).
        var rareZ = 0.0
    }

    /// z-score of the difference of two binomial frequencies under a common p,
    /// estimated by pooling: z = (f₁ − f₂) / sqrt(p̄(1 − p̄)(1/n₁ + 1/n₂)).
    static func compare(_ a: [Int64], runsA: Int, _ b: [Int64], runsB: Int) -> Comparison {
        var c = Comparison()
        var sum = 0.0
        var rareA = 0.0, rareB = 0.0
        for j in a.indices {
            let pooled = Double(a[j] + b[j]) / Double(runsA + runsB)
            guard pooled * Double(min(runsA, runsB)) >= 10, (1 - pooled) * Double(min(runsA, runsB)) >= 10 else {
                rareA += Double(a[j])
                rareB += Double(b[j])
                continue
            }
            let se = (pooled * (1 - pooled) * (1 / Double(runsA) + 1 / Double(runsB))).squareRoot()
            let z = (Double(a[j]) / Double(runsA) - Double(b[j]) / Double(runsB)) / se
            c.cells += 1
            c.maxZ = max(c.maxZ, abs(z))
            sum += z * z
        }
        c.meanZ2 = sum / Double(max(1, c.cells))
        let rareSE = (rareA / Double(runsA * runsA) + rareB / Double(runsB * runsB)).squareRoot()
        c.rareZ = rareSE > 0 ? abs(rareA / Double(runsA) - rareB / Double(runsB)) / rareSE : 0
        return c
    }

    /// Under agreement each z is ≈ N(0, 1): over ~2500 cells |z| > 5 anywhere has
    /// probability ≈ 2500 · 5.7·10⁻⁷ ≈ 1.4·10⁻³, and mean z² (≈ χ²ₘ/m, standard
    /// deviation sqrt(2/m) ≈ 0.03) exceeds 1 + 5·sqrt(2/m) with probability < 10⁻⁶.
    /// The draw over cells is negatively correlated (a fixed total per run), which
    /// only lowers these statistics. The pooled rare cells get the same 5σ bound.
    static func agrees(_ c: Comparison) -> Bool {
        c.cells > 100 && c.maxZ < 5 && c.meanZ2 < 1 + 5 * (2 / Double(c.cells)).squareRoot() && c.rareZ < 5
    }

    static func load() throws -> (warp: Warp, reference: Artifact, runs: Int, num: Int) {
        let warp = try Warp.read(TestPaths.fixture("sampling/warp_small.safetensors"))
        let reference = try Artifact.read(TestPaths.fixture("sampling/reference_inclusion.safetensors"))
        return (warp, reference, try reference.metaInt("runs"), try reference.metaInt("num"))
    }

    @Test(arguments: [SamplingOptions.Mode.thresholdBalanced, .balanced, .threshold])
    func inclusionFrequenciesAgreeWithRomatch(mode: SamplingOptions.Mode) throws {
        let (warp, reference, runs, num) = try Self.load()
        let expected = try reference.integers("counts_\(mode.rawValue)", shape: [2 * warp.width * warp.height])
        let ourRuns = 2000
        var counts = [Int64](repeating: 0, count: expected.count)
        for seed in 0..<ourRuns {
            let cells = try sampleCells(from: warp, options: SamplingOptions(count: num, mode: mode, seed: UInt64(seed)))
            #expect(cells.count == num)
            for k in cells { counts[k] += 1 }
        }
        let c = Self.compare(counts, runsA: ourRuns, expected, runsB: runs)
        #expect(Self.agrees(c), "\(mode.rawValue): \(c.cells) cells, max |z| \(c.maxZ), mean z² \(c.meanZ2), rare cells z \(c.rareZ)")
    }

    /// The statistic can fail: the reference's own balanced and threshold-only
    /// frequencies differ by far more than it allows.
    @Test func theComparisonDetectsADifferentSampler() throws {
        let (warp, reference, runs, _) = try Self.load()
        let n = 2 * warp.width * warp.height
        let balanced = try reference.integers("counts_threshold_balanced", shape: [n])
        let plain = try reference.integers("counts_threshold", shape: [n])
        let c = Self.compare(balanced, runsA: runs, plain, runsB: runs)
        #expect(!Self.agrees(c), "max |z| \(c.maxZ), mean z² \(c.meanZ2), rare cells z \(c.rareZ)")
    }
}
