import Foundation
import Parallel
import Testing
@testable import Sampling

/// `HalfKernelDensity` (tiles, the cutoff, SIMD lookups, lanes summed apart) against the
/// plain formula it stands for: every pair, one running double sum per row, the same
/// float16 roundings (RoMaV2SamplingTests checks that formula against romav2 itself).
/// Equal bit for bit: the terms are float16 values whose sums are exact in double.
struct HalfKernelDensityTests {
    /// romav2's `kde(x, std=0.1, half=True)` as torch computes it on CPU, pair by pair.
    static func plain(_ points: [Float]) -> [Float] {
        let table = KernelTable(std: 0.1)
        let half = points.map(roundedToHalf)
        let n = points.count / 4
        let norms = (0..<n).map { i in
            var s: Float = 0
            for d in 0..<4 { s += roundedToHalf(half[4 * i + d] * half[4 * i + d]) }
            return roundedToHalf(s)
        }
        return (0..<n).map { i in
            let m = (0..<4).map { -2 * half[4 * i + $0] }
            var sum = 0.0
            for j in 0..<n {
                var r = half[4 * j] * m[0]
                r += half[4 * j + 1] * m[1]
                r += half[4 * j + 2] * m[2]
                r += half[4 * j + 3] * m[3]
                r += norms[i]
                r += norms[j]
                let h = roundedToHalf(r)
                if h < table.zeroFrom { sum += Double(table[max(0, h)]) }
            }
            return roundedToHalf(Float(sum))
        }
    }

    /// n points: uniform in [−1, 1]⁴ (spread: most tile pairs beyond the cutoff), or all
    /// within `radius` of one point (collapsed, as random weights' warps: every pair counts).
    static func points(_ n: Int, radius: Float, seed: UInt64) -> [Float] {
        (0..<(4 * n)).map { k in
            let u = Float(SplitMix64.unitInterval(SplitMix64.value(seed: seed, at: UInt64(k)))) * 2 - 1
            return radius < 1 ? 0.3 + radius * u : u
        }
    }

    @Test(arguments: [(700, Float(1)), (1000, Float(0.3)), (1500, Float(0.02))])
    func equalsThePlainFormulaBitForBit(n: Int, radius: Float) {
        let points = Self.points(n, radius: radius, seed: UInt64(n))
        let expected = Self.plain(points)
        #expect(HalfKernelDensity.densities(points: points) == expected)
        #expect(HalfKernelDensity.densities(points: points, threads: 1) == expected)
        // Not a trivial case: densities vary, and the collapsed set puts every pair in reach.
        #expect(Set(expected).count > 10)
        if radius < 0.1 { #expect(expected.allSatisfy { $0 > Float(n) / 4 }) }
    }

    @Test func tableIndicesMatchTheScalarLookup() {
        let table = KernelTable(std: 0.1)
        var r = SIMD16<Float>(), checked = 0
        var bits: UInt16 = 0
        // Every float16 value from 0 past the zero cut, and negative and infinite inputs.
        while Float(Float16(bitPattern: bits)) <= 2 * table.zeroFrom {
            let k = checked % 16
            r[k] = Float(Float16(bitPattern: bits))
            if k == 15 {
                let index = KernelTable.indices(r, zeroFrom: table.zeroFrom)
                for lane in 0..<16 {
                    let expected = r[lane] < table.zeroFrom ? table[r[lane]] : 0
                    #expect(table.values[Int(index[lane])] == expected, "r = \(r[lane])")
                }
            }
            checked += 1
            bits += 1
        }
        let odd = KernelTable.indices(SIMD16<Float>(repeating: -0.01).replacing(with: .infinity, where: SIMD16<Int32>(0..<16) .> 7)
                                      .replacing(with: -0.0, where: SIMD16<Int32>(0..<16) .== 0), zeroFrom: table.zeroFrom)
        #expect((0..<16).allSatisfy { table.values[Int(odd[$0])] == ($0 > 7 ? 0 : table[0]) })
    }
}
