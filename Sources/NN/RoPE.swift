import Foundation
import Parallel

/// Axial 2-D rotary position embedding as DINOv3's `RopePositionEmbedding` computes it at
/// eval (romav2's matcher uses the same class): per patch of an `height × width` grid the
/// tables `sin`, `cos` `[height·width, D]` for heads of width D.
///
/// Coordinates are the patch centres normalised per axis ("separate": `(i + 0.5)/H`,
/// `(j + 0.5)/W`, then `2c − 1`). The shift, jitter and rescale augmentations only run in
/// training and are left out. Angles `2π·c / period` fill `[y·periods, x·periods]` (D/2
/// values), tiled twice to D. The angles are float32 in the reference's order of operations,
/// so they are torch's to the bit; sin and cos are torch's where tabulated (every angle of
/// RoMa v2's DINOv3 at romav2's grids, RoPESinCos.swift) and correctly rounded elsewhere.
public struct RotaryEmbedding: Sendable {
    /// `[tokens, headDim]` each: the last `tokens` tokens of a sequence are rotated.
    public let sin: Tensor
    public let cos: Tensor

    public var tokens: Int { sin.shape[0] }
    public var headDim: Int { sin.shape[1] }

    /// The tables for an `height × width` patch grid; `periods` `[D/4]` as the reference's
    /// `periods` buffer (`base^(2i/(D/2))`, base 100 for DINOv3).
    public init(height: Int, width: Int, periods: Tensor) throws(NNError) {
        try check(height >= 1 && width >= 1, "rotaryEmbedding", "grid \(height)x\(width) is empty")
        try check(periods.rank == 1 && periods.count >= 1, "rotaryEmbedding", "periods must be [D/4], got \(periods.shape)")
        let half = 2 * periods.count, d = 4 * periods.count
        let p = periods.array
        try check(p.allSatisfy { $0.isFinite && $0 > 0 }, "rotaryEmbedding", "periods must be finite and positive, got \(p)")
        let angles = Self.angles(height: height, width: width, periods: p)
        let s = Tensor(uninitialized: [height * width, d]), c = Tensor(uninitialized: [height * width, d])
        for token in 0..<(height * width) {
            for k in 0..<half {
                let angle = angles[token * half + k]
                let (sa, ca) = (Self.torchSin(angle), Self.torchCos(angle))
                let row = token * d
                s.pointer[row + k] = sa; s.pointer[row + k + half] = sa
                c.pointer[row + k] = ca; c.pointer[row + k + half] = ca
            }
        }
        (sin, cos) = (s, c)
    }

    /// `[height·width, D/2]` angles, row-major: `2π·y/period` then `2π·x/period` per token.
    static func angles(height: Int, width: Int, periods p: [Float]) -> [Float] {
        let quarter = p.count, half = 2 * quarter
        let twoPi = Float(2 * Double.pi)   // torch multiplies a float32 tensor by the Python scalar 2π
        let ys = (0..<height).map { 2 * ((Float($0) + 0.5) / Float(height)) - 1 }
        let xs = (0..<width).map { 2 * ((Float($0) + 0.5) / Float(width)) - 1 }
        var angles = [Float](repeating: 0, count: height * width * half)
        for y in 0..<height {
            for x in 0..<width {
                let row = (y * width + x) * half
                for k in 0..<half {
                    angles[row + k] = twoPi * (k < quarter ? ys[y] : xs[x]) / p[k % quarter]
                }
            }
        }
        return angles
    }

    /// Tables given directly (tests feed the reference's own).
    public init(sin: Tensor, cos: Tensor) throws(NNError) {
        try check(sin.rank == 2 && sin.shape == cos.shape && sin.shape[1] % 2 == 0, "rotaryEmbedding",
                  "sin \(sin.shape) and cos \(cos.shape) must be the same [tokens, even head width]")
        (self.sin, self.cos) = (sin, cos)
    }
}

/// Rotates, in place, the first `groups` head slices (each `rope.headDim` wide) of the last
/// `rope.tokens` tokens of x `[B, N, ≥ groups·D]`: `x·cos + rotate_half(x)·sin` with
/// `rotate_half([a, b]) = [−b, a]` (DINOv3's `rope_apply`). The first `N − tokens` tokens
/// (class and storage tokens) are left as they are, as the reference's prefix.
/// With x a qkv projection `[B, N, 3C]` and `groups = 2·heads` this rotates q and k, not v.
public func applyRotary(_ x: Tensor, _ rope: RotaryEmbedding, groups: Int) throws(NNError) {
    try check(x.rank == 3, "applyRotary", "input must be [B, N, C], got \(x.shape)")
    let (b, n, width) = (x.shape[0], x.shape[1], x.shape[2])
    let d = rope.headDim, half = d / 2, t = rope.tokens
    try check(groups >= 0 && groups * d <= width, "applyRotary", "\(groups) heads of width \(d) do not fit in \(width) channels")
    try check(t <= n, "applyRotary", "\(t) rotary positions for a sequence of \(n) tokens")
    let prefix = n - t
    let px = SendablePointer(x.pointer), ps = SendablePointer(rope.sin.pointer), pc = SendablePointer(rope.cos.pointer)
    parallelChunks(b * t, grain: max(1, elementwiseGrain / max(1, groups * d))) { begin, end in
        for r in begin..<end {
            let token = r % t
            let row = px.base + ((r / t) * n + prefix + token) * width
            let s = ps.base + token * d, c = pc.base + token * d
            for g in 0..<groups {
                let h = row + g * d
                for k in 0..<half {
                    let lo = h[k], hi = h[k + half]
                    h[k] = lo * c[k] + (-hi) * s[k]
                    h[k + half] = hi * c[k + half] + lo * s[k + half]
                }
            }
        }
    }
}
