import Foundation
import Parallel

/// F.interpolate(x, size:, mode="bicubic", align_corners=False, antialias=True) on
/// x [N, C, H, W], as RoMa v2 resizes its inputs (romav2.py `match`).
///
/// torch's separable anti-aliased kernel (`upsample_bicubic2d_aa`): the width is
/// resampled first into a float32 buffer over every input row, then the height; an
/// axis whose size does not change is copied, not filtered. Per output sample the taps
/// are Keys' cubic with a = −0.5 (not the −0.75 of the plain bicubic), stretched by the
/// scale when shrinking, over inputs ⌊c − s + ½⌋ ..< ⌊c + s + ½⌋ (c the centre, s the
/// support, both in float32 as torch computes them), normalised to sum one, and
/// accumulated in float32 in tap order with torch's fused multiply-adds (`AntialiasTaps.dot`),
/// so the output is torch's to the bit. Nothing is clamped: bicubic overshoot stays.
public func interpolateBicubicAntialiased(_ x: Tensor, size: (height: Int, width: Int),
                                          into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let op = "interpolateBicubicAntialiased"
    try check(x.rank == 4, op, "input must be [N, C, H, W], got \(x.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    try check(h > 0 && w > 0, op, "input \(x.shape) is empty")
    try check(size.height > 0 && size.width > 0, op, "output size \(size.height)×\(size.width) must be positive")
    let out = try makeOutput(op, [n, c, size.height, size.width], into: into, workspace: workspace)
    try check(!out.overlaps(x), op, "output must not overlap the input")
    let planes = n * c
    // Width first (torch resamples the contiguous dimension first), then height.
    let horizontal: Tensor
    if size.width == w {
        horizontal = x
    } else if size.height == h {
        horizontal = out
    } else {
        horizontal = Tensor(uninitialized: [n, c, h, size.width])
    }
    if size.width != w {
        let taps = AntialiasTaps(input: w, output: size.width)
        let src = SendablePointer(x.pointer), dst = SendablePointer(horizontal.pointer)
        let wo = size.width
        taps.withBuffers { start, length, weight, stride in
            parallelChunks(planes * h, grain: max(1, elementwiseGrain / max(1, stride * wo))) { begin, end in
                for r in begin..<end {
                    let row = src.base + r * w, o = dst.base + r * wo
                    for ox in 0..<wo {
                        let p = row + start[ox], wt = weight.base + ox * stride
                        o[ox] = AntialiasTaps.dot(length[ox], p, stride: 1, wt)
                    }
                }
            }
        }
    }
    if size.height != h {
        let taps = AntialiasTaps(input: h, output: size.height)
        let src = SendablePointer(horizontal.pointer), dst = SendablePointer(out.pointer)
        let (wo, ho) = (size.width, size.height)
        taps.withBuffers { start, length, weight, stride in
            parallelChunks(planes * ho, grain: max(1, elementwiseGrain / max(1, stride * wo))) { begin, end in
                for r in begin..<end {
                    let plane = src.base + (r / ho) * h * wo, oy = r % ho
                    let o = dst.base + r * wo, wt = weight.base + oy * stride
                    let first = plane + start[oy] * wo
                    for ox in 0..<wo {
                        o[ox] = AntialiasTaps.dot(length[oy], first + ox, stride: wo, wt)
                    }
                }
            }
        }
    } else if size.width == w {
        try out.assign(from: x)
    }
    return out
}

/// One axis of torch's anti-aliased bicubic (`_compute_indices_min_size_weights_aa`):
/// output i reads inputs start[i] ..< start[i] + length[i] with normalised weights.
struct AntialiasTaps {
    var start: [Int]
    var length: [Int]
    var weight: [Float]
    /// Weights per output sample in `weight` (torch's max_interp_size).
    let stride: Int

    init(input: Int, output: Int) {
        // All in float32 as torch's kernel for a float tensor (scalar_t = float).
        let scale = Float(input) / Float(output)
        let support: Float = scale >= 1 ? 2 * scale : 2
        let invscale: Float = scale >= 1 ? Float(1 / Double(scale)) : 1
        stride = Int(support.rounded(.up)) * 2 + 1
        start = [Int](repeating: 0, count: output)
        length = [Int](repeating: 0, count: output)
        weight = [Float](repeating: 0, count: output * stride)
        for i in 0..<output {
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let lo = max(Int(Double(center - support) + 0.5), 0)
            let hi = min(Int(Double(center + support) + 0.5), input)
            let count = hi - lo
            var total: Float = 0
            for j in 0..<count {
                let t = Float((Double(Float(j + lo) - center) + 0.5) * Double(invscale))
                let v = Self.cubic(t)
                weight[i * stride + j] = v
                total += v
            }
            if total != 0 {
                for j in 0..<count { weight[i * stride + j] /= total }
            }
            start[i] = lo
            length[i] = count
        }
    }

    /// Keys' cubic convolution with a = −0.5 (torch's `aa_filter` for bicubic), with the
    /// multiply-adds fused where GCC contracts them in torch's build (FMA on), so the
    /// weights are torch's to the bit (an emulation matched torch's weights, read back by
    /// resizing an identity matrix, at six sizes).
    static func cubic(_ t: Float) -> Float {
        let x = abs(t)
        // a = −0.5: a + 2 = 1.5, a + 3 = 2.5, 5a = −2.5, 8a = −4, 4a = −2 (all exact).
        if x < 1 { return Float(1).addingProduct(Float(-2.5).addingProduct(1.5, x) * x, x) }
        if x < 2 { return Float(2).addingProduct(Float(-4).addingProduct(Float(2.5).addingProduct(-0.5, x), x), x) }
        return 0
    }

    /// One output sample: Σ x[j·stride]·w[j] in torch's float32 order. The first product is
    /// rounded; then each full block of four taps adds rounded products one by one, and
    /// the taps left over are fused multiply-adds, as torch's compiled loop does: found by
    /// trying each output's fused/unfused patterns in an emulation, then matched on whole up-
    /// and downscales with windows of 4 to 36 taps. An upscale's window has at most four
    /// taps, so there everything after the first product is fused.
    @inline(__always)
    static func dot(_ n: Int, _ x: UnsafeMutablePointer<Float>, stride: Int, _ w: UnsafeMutablePointer<Float>) -> Float {
        var acc = x[0] * w[0]
        var j = 1
        while j + 4 <= n {
            acc += x[j * stride] * w[j]
            acc += x[(j + 1) * stride] * w[j + 1]
            acc += x[(j + 2) * stride] * w[j + 2]
            acc += x[(j + 3) * stride] * w[j + 3]
            j += 4
        }
        while j < n { acc = acc.addingProduct(x[j * stride], w[j]); j += 1 }
        return acc
    }

    func withBuffers(_ body: (SendablePointer<Int>, SendablePointer<Int>, SendablePointer<Float>, Int) -> Void) {
        start.withUnsafeBufferPointer { s in length.withUnsafeBufferPointer { l in weight.withUnsafeBufferPointer { w in
            body(SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!)),
                 SendablePointer(UnsafeMutablePointer(mutating: l.baseAddress!)),
                 SendablePointer(UnsafeMutablePointer(mutating: w.baseAddress!)), stride)
        }}}
    }
}
