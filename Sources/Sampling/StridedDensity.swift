import Foundation
import Parallel

extension KernelDensity {
    /// Gaussian kernel density of 4-D points against every `stride`-th of them:
    /// density[i] = Σ_k exp(−|p_i − p_{k·stride}|² / (2σ²)), as the reference's
    /// `kde(x, down=stride)` (`cdist(x, x[::down])`), which Tiny RoMa's `sample`
    /// uses on CPU with down = 8. With n/8 reference points the work is small, so
    /// every term is summed (no tiles skipped), in reference order.
    public static func densities(points: [Float], std: Float, stride: Int, threads: Int = Threads.count) -> [Float] {
        precondition(points.count % 4 == 0, "points must be n × 4")
        precondition(std > 0 && stride >= 1)
        let n = points.count / 4
        guard n > 0 else { return [] }
        let references = Swift.stride(from: 0, to: n, by: stride).map { $0 }
        let vectors = (references.count + Lanes.scalarCount - 1) / Lanes.scalarCount
        // Dimension-major lanes; padding lanes sit far away so their terms underflow to zero.
        var packed = [Lanes](repeating: Lanes(repeating: 1e4), count: 4 * vectors)
        for (slot, source) in references.enumerated() {
            for d in 0..<4 { packed[d * vectors + slot / Lanes.scalarCount][slot % Lanes.scalarCount] = points[4 * source + d] }
        }
        let scale = -1 / (2 * std * std)
        var density = [Float](repeating: 0, count: n)
        packed.withUnsafeBufferPointer { lanes in
            density.withUnsafeMutableBufferPointer { out in
                let input = SendableConstPointer(lanes.baseAddress!), output = SendablePointer(out.baseAddress!)
                let chunks = min(n, 64)
                parallelFor(chunks, threads: threads) { chunk in
                    for i in (chunk * n / chunks)..<((chunk + 1) * n / chunks) {
                        let p = SIMD4<Float>(points[4 * i], points[4 * i + 1], points[4 * i + 2], points[4 * i + 3])
                        var acc = Lanes(repeating: 0)
                        for v in 0..<vectors {
                            let d0 = input.base[v] - p[0], d1 = input.base[vectors + v] - p[1]
                            let d2 = input.base[2 * vectors + v] - p[2], d3 = input.base[3 * vectors + v] - p[3]
                            acc += fastExp((d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3) * scale)
                        }
                        output.base[i] = acc.sum()
                    }
                }
            }
        }
        return density
    }
}
