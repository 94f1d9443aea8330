import Foundation
import Parallel

/// `nn.Linear`: `y = x · Wᵀ + b`, weight `out × in` as torch stores it.
struct Linear: Sendable {
    let inFeatures: Int
    let outFeatures: Int
    let weight: [Float]
    let bias: [Float]?

    func callAsFunction(_ x: Tokens) -> Tokens {
        precondition(x.dim == inFeatures, "linear expects \(inFeatures) features, got \(x.dim)")
        var out = [Float](repeating: 0, count: x.count * outFeatures)
        out.withUnsafeMutableBufferPointer { o in
            if let bias {
                for t in 0..<x.count { for j in 0..<outFeatures { o[t * outFeatures + j] = bias[j] } }
            }
            x.data.withUnsafeBufferPointer { a in
                weight.withUnsafeBufferPointer { w in
                    sgemm(transB: true, m: x.count, n: outFeatures, k: inFeatures, a.baseAddress!, lda: inFeatures,
                          w.baseAddress!, ldb: inFeatures, beta: bias == nil ? 0 : 1, o.baseAddress!, ldc: outFeatures)
                }
            }
        }
        FlopCounter.add(2 * Double(x.count * inFeatures * outFeatures))
        return Tokens(count: x.count, dim: outFeatures, data: out)
    }
}

/// `nn.LayerNorm` over the last dimension (two-pass mean and variance, biased variance).
struct LayerNorm: Sendable {
    let weight: [Float]
    let bias: [Float]
    let eps: Float

    func callAsFunction(_ x: Tokens) -> Tokens {
        var out = x.data
        let d = x.dim, eps = eps, wt = weight, bs = bias
        out.withUnsafeMutableBufferPointer { o in
            let p = SendablePointer(o.baseAddress!)
            parallelFor(x.count) { t in
                let row = p.base + t * d
                var acc = Vec(repeating: 0)
                var i = 0
                while i + 16 <= d { acc += load16(row + i); i += 16 }
                var mean: Float = 0
                for lane in 0..<16 { mean += acc[lane] }
                while i < d { mean += row[i]; i += 1 }
                mean /= Float(d)
                acc = Vec(repeating: 0)
                let m = Vec(repeating: mean)
                i = 0
                while i + 16 <= d { let c = load16(row + i) - m; acc += c * c; i += 16 }
                var v: Float = 0
                for lane in 0..<16 { v += acc[lane] }
                while i < d { let c = row[i] - mean; v += c * c; i += 1 }
                let inv = 1 / (v / Float(d) + eps).squareRoot()
                for i in 0..<d { row[i] = (row[i] - mean) * inv * wt[i] + bs[i] }
            }
        }
        return Tokens(count: x.count, dim: d, data: out)
    }
}

/// GELU in its exact form `x · Φ(x)` (torch's default), Φ through a vectorised erfc.
func gelu(_ x: inout Tokens) {
    let n = x.data.count
    x.data.withUnsafeMutableBufferPointer { o in
        let p = SendablePointer(o.baseAddress!)
        let chunks = max(1, n / 65536)
        parallelFor(chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            var i = lo
            while i + 16 <= hi {
                let v = load16(p.base + i)
                store16(v * vnormalCDF(v), p.base + i)
                i += 16
            }
            while i < hi {
                let v = p[i]
                p[i] = v * vnormalCDF(Vec(repeating: v))[0]
                i += 1
            }
        }
    }
}

/// Softmax of each row of a `rows × cols` matrix in place (max-subtracted), vectorised.
func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    var inverse = [Float](repeating: 0, count: rows)
    inverse.withUnsafeMutableBufferPointer { inv in
        exponentiateRows(p, rows: rows, cols: cols, inverseSums: inv.baseAddress!)
        let base = SendablePointer(p), invP = SendablePointer(inv.baseAddress!)
        parallelFor(rows) { r in
            let row = base.base + r * cols, k = invP[r]
            for j in 0..<cols { row[j] *= k }
        }
    }
}

/// The unnormalised half of a row softmax: `e^(x - max)` in place, and each row's
/// 1 / sum. Attention applies the 1 / sum to its n × d output instead of the n × n
/// scores, which saves a pass over the largest matrix.
func exponentiateRows(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int, inverseSums: UnsafeMutablePointer<Float>) {
    let base = SendablePointer(p), sums = SendablePointer(inverseSums)
    parallelFor(rows) { r in
        let row = base.base + r * cols
        let body = cols - cols % 16
        var vm = Vec(repeating: -.infinity)
        var i = 0
        while i < body {
            let v = load16(row + i)
            vm = vm.replacing(with: v, where: v .> vm)
            i += 16
        }
        var m = -Float.infinity
        for lane in 0..<16 where vm[lane] > m { m = vm[lane] }
        for j in body..<cols where row[j] > m { m = row[j] }
        var vs = Vec(repeating: 0)
        let shift = Vec(repeating: m)
        i = 0
        while i < body {
            let e = vexp(load16(row + i) - shift)
            store16(e, row + i)
            vs += e
            i += 16
        }
        var s: Float = 0
        for lane in 0..<16 { s += vs[lane] }
        for j in body..<cols { let e = expf(row[j] - m); row[j] = e; s += e }
        sums[r] = 1 / s
    }
}

/// Multi-head self-attention (`scaled_dot_product_attention`, no mask), from a
/// fused `N × 3D` qkv matrix laid out as torch's `reshape(B, N, 3, H, D/H)`.
func selfAttention(qkv: Tokens, heads: Int) -> Tokens {
    let n = qkv.count, d = qkv.dim / 3, hd = d / heads
    let scale = 1 / Float(hd).squareRoot()
    // Query rows in blocks so a block's scores stay in cache between the two
    // products and the exponentials, instead of streaming an n × n matrix 3 times.
    let block = min(n, 512)
    var out = [Float](repeating: 0, count: n * d)
    var scores = [Float](repeating: 0, count: block * n)
    var inverseSums = [Float](repeating: 0, count: block)
    qkv.data.withUnsafeBufferPointer { q in
        scores.withUnsafeMutableBufferPointer { s in
            inverseSums.withUnsafeMutableBufferPointer { inv in
                out.withUnsafeMutableBufferPointer { o in
                    for h in 0..<heads {
                        let qh = q.baseAddress! + h * hd, kh = qh + d, vh = qh + 2 * d
                        var r0 = 0
                        while r0 < n {
                            let rows = min(block, n - r0)
                            sgemm(transB: true, m: rows, n: n, k: hd, alpha: scale, qh + r0 * 3 * d, lda: 3 * d, kh, ldb: 3 * d,
                                  s.baseAddress!, ldc: n)
                            exponentiateRows(s.baseAddress!, rows: rows, cols: n, inverseSums: inv.baseAddress!)
                            let oh = o.baseAddress! + r0 * d + h * hd
                            sgemm(m: rows, n: hd, k: n, s.baseAddress!, lda: n, vh, ldb: 3 * d, oh, ldc: d)
                            for r in 0..<rows {
                                let k = inv[r]
                                for j in 0..<hd { oh[r * d + j] *= k }
                            }
                            r0 += rows
                        }
                    }
                }
            }
        }
    }
    FlopCounter.add(4 * Double(n * n * d))
    return Tokens(count: n, dim: d, data: out)
}

/// `a += b` (or `a += gamma ⊙ b` with a layer-scale vector along the last dimension).
func addResidual(_ a: inout Tokens, _ b: Tokens, gamma: [Float]? = nil) {
    precondition(a.data.count == b.data.count)
    let d = a.dim
    a.data.withUnsafeMutableBufferPointer { x in
        b.data.withUnsafeBufferPointer { y in
            if let gamma {
                for i in 0..<x.count { x[i] += y[i] * gamma[i % d] }
            } else {
                for i in 0..<x.count { x[i] += y[i] }
            }
        }
    }
}

/// Dot product of two contiguous float vectors with 16 partial sums (a plain
/// loop is a strict left-to-right reduction the compiler may not vectorise).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec(repeating: 0)
    var i = 0
    while i + 16 <= n {
        acc += load16(a + i) * load16(b + i)
        i += 16
    }
    var s: Float = 0
    for lane in 0..<16 { s += acc[lane] }
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}
