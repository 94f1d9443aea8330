import Parallel
import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Sampling

struct KernelDensityTests {
    /// The definition, in double precision, pair by pair.
    private func bruteForce(_ points: [Float], std: Double) -> [Double] {
        let n = points.count / 4
        return (0..<n).map { i in
            (0..<n).reduce(0.0) { sum, j in
                var r2 = 0.0
                for d in 0..<4 { let e = Double(points[i * 4 + d] - points[j * 4 + d]); r2 += e * e }
                return sum + exp(-r2 / (2 * std * std))
            }
        }
    }

    /// Two dense clusters, a sparse background and a lone point: tiles are both
    /// pruned and visited, and densities range from ≈1 to hundreds.
    private func clusteredPoints(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        func u() -> Float { Float(SplitMix64.unitInterval(g.next())) * 2 - 1 }
        var points: [Float] = []
        for i in 0..<n {
            switch i % 3 {
            case 0: points += (0..<4).map { _ in 0.3 + 0.05 * u() }
            case 1: points += (0..<4).map { d in (d % 2 == 0 ? -0.5 : 0.2) + 0.15 * u() }
            default: points += (0..<4).map { _ in u() }
            }
        }
        points += [5, 5, 5, 5]
        return points
    }

    @Test func agreesWithTheDefinition() {
        let points = clusteredPoints(1500, seed: 1)
        let ours = KernelDensity.densities(points: points, std: 0.1)
        let exact = bruteForce(points, std: 0.1)
        var worst = 0.0
        for i in exact.indices { worst = max(worst, abs(Double(ours[i]) - exact[i]) / exact[i]) }
        // Each term carries the polynomial exp's relative error (< 3·10⁻⁷) and float
        // rounding of the distance; float accumulation over ≤ 1501 terms adds
        // ≈ 10⁻⁶ relative; pruned terms are < 10⁻⁹ each. 2·10⁻⁵ leaves a margin.
        #expect(worst < 2e-5, "worst relative error \(worst)")
        #expect(abs(ours.last! - 1) < 1e-6, "a lone point's density is its own term")
    }

    @Test func sameResultWhateverTheThreadCount() {
        let points = clusteredPoints(3000, seed: 2)
        #expect(KernelDensity.densities(points: points, std: 0.1, threads: 1)
                == KernelDensity.densities(points: points, std: 0.1, threads: 2))
    }

    @Test func fastExpIsAccurateOverTheRangeUsed() {
        var worst: Float = 0
        for step in 0...21_700 {
            let x = -Float(step) * 0.004  // [-86.8, 0]; below −87 the argument is clamped
            let ours = fastExp(SIMD16(repeating: x))[0]
            worst = max(worst, abs(ours - Foundation.exp(x)) / Foundation.exp(x))
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        #expect(fastExp(SIMD16(repeating: -1e6))[0] < 1e-37)
    }

    @Test func agreesWithRomatchKDE() throws {
        let reference = try Artifact.read(TestPaths.fixture("sampling/reference_inclusion.safetensors"))
        let points = try reference.floats("kde_points", shape: [nil, 4])
        let expected = try reference.floats("kde_density", shape: [points.count / 4])
        let ours = KernelDensity.densities(points: points, std: 0.1)
        var worst: Float = 0
        for i in expected.indices { worst = max(worst, abs(ours[i] - expected[i]) / expected[i]) }
        // torch's float32 cdist goes through |x|² + |y|² − 2x·y, whose cancellation
        // leaves ≈ 10⁻⁶ absolute error in r² (|x|² ≤ 4); divided by 2σ² = 0.02 that is
        // ≈ 5·10⁻⁵ relative per term. 5·10⁻⁴ allows for that with a margin.
        #expect(worst < 5e-4, "worst relative error \(worst)")
    }
}
