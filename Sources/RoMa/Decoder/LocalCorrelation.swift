import Parallel

/// Local correlation of the refiners: for each pixel of A, the scaled dot
/// products between its feature and B's features bilinearly sampled on a
/// (2r+1)² window of one-pixel steps centred on the current warp (the
/// reference's `local_correlation`, `corr_in_other=True`, zero padding).
/// Output channel k = i·(2r+1) + j holds offset (x_j, y_i).
func localCorrelation(_ a: FeatureMap, _ b: FeatureMap, warp: FeatureMap, radius r: Int) -> FeatureMap {
    precondition(a.channels == b.channels && warp.channels == 2 && warp.height == a.height && warp.width == a.width)
    let (h, w, c) = (a.height, a.width, a.channels), n = h * w
    let side = 2 * r + 1, k = side * side
    let dy = linspace(Float(-2 * Double(r) / Double(h)), Float(2 * Double(r) / Double(h)), side)
    let dx = linspace(Float(-2 * Double(r) / Double(w)), Float(2 * Double(r) / Double(w)), side)
    let inv = Float(Double(c).squareRoot())
    // Pixel-major copies so that every dot product reads two contiguous vectors.
    var at = a.tokens
    let bt = b.tokens
    for i in 0..<at.data.count { at.data[i] /= inv }
    let (bh, bw) = (b.height, b.width)
    var out = [Float](repeating: 0, count: k * n)
    out.withUnsafeMutableBufferPointer { o in
        let dst = SendablePointer(o.baseAddress!)
        at.data.withUnsafeBufferPointer { ap in
            bt.data.withUnsafeBufferPointer { bp in
                warp.data.withUnsafeBufferPointer { wp in
                    let A = SendablePointer(UnsafeMutablePointer(mutating: ap.baseAddress!))
                    let B = SendablePointer(UnsafeMutablePointer(mutating: bp.baseAddress!))
                    let W = SendablePointer(UnsafeMutablePointer(mutating: wp.baseAddress!))
                    parallelFor(n) { p in
                        let fa = A.base + p * c
                        let (cx, cy) = (W[p], W[n + p])
                        @inline(__always) func dot(_ idx: Int) -> Float { RoMa.dot(fa, B.base + idx * c, c) }
                        for i in 0..<side {
                            for j in 0..<side {
                                let s = BilinearPoint(x: cx + dx[j], y: cy + dy[i], height: bh, width: bw)
                                var v: Float = 0
                                if s.weight.0 != 0 { v += s.weight.0 * dot(s.index.0) }
                                if s.weight.1 != 0 { v += s.weight.1 * dot(s.index.1) }
                                if s.weight.2 != 0 { v += s.weight.2 * dot(s.index.2) }
                                if s.weight.3 != 0 { v += s.weight.3 * dot(s.index.3) }
                                dst[(i * side + j) * n + p] = v
                            }
                        }
                    }
                }
            }
        }
    }
    FlopCounter.add(8 * Double(n * k * c))
    return FeatureMap(channels: k, height: h, width: w, data: out)
}

/// torch.linspace in float32 (the lower half counts up from start, the upper half down from end).
func linspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
    if n == 1 { return [start] }
    let step = (end - start) / Float(n - 1)
    let half = n / 2
    return (0..<n).map { i in i < half ? start + step * Float(i) : end - step * Float(n - 1 - i) }
}
