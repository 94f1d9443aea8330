import Foundation
import Parallel
import Testing
@testable import Sampling

/// `KernelDensity.densities(points:std:stride:)`, the reference's `kde(x, down=8)`
/// of Tiny RoMa's `sample`: each point against every 8th point, in drawing order.
struct StridedDensityTests {
    func points(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<(4 * n)).map { i in
            let u = Float(SplitMix64.unitInterval(g.next())) * 2 - 1
            return i % 8 < 4 ? 0.2 + 0.1 * u : u   // a dense cluster and a spread-out half
        }
    }

    @Test func matchesTheDefinition() {
        let p = points(1001, seed: 3)
        let ours = KernelDensity.densities(points: p, std: 0.1, stride: 8, threads: 2)
        for i in stride(from: 0, to: 1001, by: 37) {
            var sum = 0.0
            for j in stride(from: 0, to: 1001, by: 8) {
                var r2 = 0.0
                for d in 0..<4 { let e = Double(p[4 * i + d] - p[4 * j + d]); r2 += e * e }
                sum += exp(-r2 / 0.02)
            }
            // fastExp's relative error is < 3e-7; float32 sums of ≤ 126 terms add a few ulps.
            #expect(abs(Double(ours[i]) - sum) <= 1e-5 * max(1, sum), "point \(i): \(ours[i]) vs \(sum)")
        }
    }

    @Test func strideOneIsTheFullDensity() {
        let p = points(700, seed: 5)
        let full = KernelDensity.densities(points: p, std: 0.1, threads: 2)
        let strided = KernelDensity.densities(points: p, std: 0.1, stride: 1, threads: 1)
        for i in 0..<700 { #expect(abs(full[i] - strided[i]) <= 1e-4 * full[i]) }
    }
}
