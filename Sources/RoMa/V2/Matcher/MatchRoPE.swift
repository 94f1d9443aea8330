import Foundation
import NN
import Parallel

/// romav2's axial rotary position embedding (vit/rope.py `RopePositionEmbedding` with base 100,
/// normalize_coords "separate", no shift/jitter/rescale at eval, and vit/attention.py
/// `apply_rope`), as the MatchTransformer's within-view blocks use it.
///
/// romav2 builds it with `dtype=bfloat16` (`pos_embed_rope_dtype="bf16"`): the periods buffer,
/// every step of the angle computation and the rotation itself run in bfloat16, and q and k
/// are cast to bfloat16 before the rotation and back after it. That holds with autocast off
/// too, so the float32 reference rotates in bfloat16; we reproduce each rounding (float32
/// arithmetic, then round to nearest even bfloat16, which is what torch's CPU kernels do).
struct MatchRoPE: Sendable {
    /// [head_dim / 4] periods, as stored (bfloat16 values).
    let periods: [Float]
    let headDim: Int

    init(periods: [Float], headDim: Int) throws {
        guard headDim % 4 == 0, periods.count == headDim / 4 else {
            throw RoMaError("RoPE: \(periods.count) periods for head dim \(headDim) (expected head_dim / 4)")
        }
        self.periods = periods
        self.headDim = headDim
    }

    /// sin and cos tables, each [height·width, head_dim] row-major (`forward(H=, W=)`):
    /// angle[n, a·D/4 + j] = 2π·coord_a(n) / period_j for axis a = (y, x), tiled twice.
    func tables(height: Int, width: Int) -> (sin: [Float], cos: [Float]) {
        func coords(_ n: Int) -> [Float] {
            // arange(0.5, n) / n, then 2·c − 1, each step rounded to bfloat16.
            (0..<n).map { i in
                let c = bf16(bf16(Float(i) + 0.5) / Float(n))
                return bf16(bf16(2 * c) - 1)
            }
        }
        let ys = coords(height), xs = coords(width)
        let quarter = headDim / 4
        let twoPi = Float(2 * Double.pi)
        var sin = [Float](repeating: 0, count: height * width * headDim), cos = sin
        for y in 0..<height {
            for x in 0..<width {
                let row = (y * width + x) * headDim
                for (axis, c) in [ys[y], xs[x]].enumerated() {
                    let scaled = bf16(twoPi * c)
                    for j in 0..<quarter {
                        let angle = bf16(scaled / periods[j])
                        // torch's bf16 sin/cos equal the correctly rounded float value rounded to
                        // bf16 at every bf16 angle below 64 (rope_sincos_tables.py --matcher).
                        let s = bf16(RotaryEmbedding.roundedSin(angle)), k = bf16(RotaryEmbedding.roundedCos(angle))
                        for half in 0..<2 {
                            let i = row + half * 2 * quarter + axis * quarter + j
                            sin[i] = s
                            cos[i] = k
                        }
                    }
                }
            }
        }
        return (sin, cos)
    }

    /// Rotates `x` [B, heads, N, head_dim] in place (x·cos + rotate_half(x)·sin in bfloat16,
    /// rotate_half(x) = [−x₂, x₁]); `sin`/`cos` are `tables(...)` for the N tokens.
    func rotate(_ x: Tensor, sin: [Float], cos: [Float]) throws {
        guard x.rank == 4, x.shape[3] == headDim, sin.count == x.shape[2] * headDim, cos.count == sin.count else {
            throw RoMaError("RoPE: cannot rotate \(x.shape) with tables for \(sin.count / max(1, headDim)) tokens of head dim \(headDim)")
        }
        let n = x.shape[2], d = headDim, half = headDim / 2
        let p = SendablePointer(x.pointer)
        sin.withUnsafeBufferPointer { s in
            cos.withUnsafeBufferPointer { c in
                let sp = SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!))
                let cp = SendablePointer(UnsafeMutablePointer(mutating: c.baseAddress!))
                parallelFor(x.shape[0] * x.shape[1]) { block in
                    var row = [Float](repeating: 0, count: d)
                    for t in 0..<n {
                        let v = p.base + (block * n + t) * d, st = sp.base + t * d, ct = cp.base + t * d
                        for j in 0..<d { row[j] = bf16(v[j]) }
                        for j in 0..<d {
                            let rotated = j < half ? -row[j + half] : row[j - half]
                            v[j] = bf16(bf16(row[j] * ct[j]) + bf16(rotated * st[j]))
                        }
                    }
                }
            }
        }
    }
}

/// Round to nearest even bfloat16, returned as the Float it represents.
@inline(__always)
private func bf16(_ x: Float) -> Float {
    if x.isNaN { return x }
    let bits = x.bitPattern
    return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
}
