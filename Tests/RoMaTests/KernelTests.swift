import Foundation
import Testing
@testable import RoMa

/// The hand-written kernels that have no reference tensor of their own.
struct KernelTests {
    @Test func vectorExpIsAccurate() {
        // Softmax feeds it x - max ≤ 0; GELU's erfc feeds it down to about -90.
        // 4e-7 relative is ~3 ulp: far below float32 noise elsewhere, far above a formula slip.
        var worst: Double = 0
        var x: Float = -86
        while x < 20 {
            let v = vexp(Vec(repeating: x))[0]
            let ref = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(v) - ref) / ref)
            x += 0.0137
        }
        #expect(worst < 4e-7, "worst relative error \(worst)")
        #expect(vexp(Vec(repeating: -200))[0] < 1e-37, "large negative inputs must vanish")
    }

    @Test func normalCDFMatchesErfc() {
        // GELU = x·Φ(x); Numerical Recipes' erfc fit promises 1.2e-7 relative, we allow 3e-7 absolute on Φ.
        var worst: Double = 0
        var x: Float = -9
        while x < 9 {
            let v = vnormalCDF(Vec(repeating: x))[0]
            let ref = 0.5 * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            worst = max(worst, abs(Double(v) - ref))
            x += 0.0071
        }
        #expect(worst < 3e-7, "worst absolute error \(worst)")
    }

    @Test func softmaxRowsSumToOneAndKeepOrder() {
        var m: [Float] = (0..<(3 * 37)).map { Float(($0 * 7919) % 101) / 7 - 5 }
        let before = m
        m.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: 3, cols: 37) }
        for r in 0..<3 {
            let row = Array(m[(r * 37)..<((r + 1) * 37)])
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            let i = before[(r * 37)..<((r + 1) * 37)].indices.max { before[$0] < before[$1] }! - r * 37
            #expect(row.indices.max { row[$0] < row[$1] } == i)
        }
    }

    @Test func bicubicFollowsTorchScaleFactorSemantics() {
        // Constant maps stay constant (weights sum to 1) and the size is floor(in · s).
        let x = FeatureMap(channels: 1, height: 37, width: 37, data: [Float](repeating: 2.5, count: 37 * 37))
        let y = resizeBicubic(x, scaleY: 40.1 / 37, scaleX: 8.1 / 37)
        #expect(y.height == 40 && y.width == 8)
        #expect(y.data.allSatisfy { abs($0 - 2.5) < 1e-5 })
    }
}
