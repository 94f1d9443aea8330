import Foundation
import Parallel

/// F.interpolate(x, size:, mode="bilinear", align_corners:) on x [N, C, H, W].
public func interpolateBilinear(_ x: Tensor, size: (height: Int, width: Int), alignCorners: Bool = false,
                                into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try resample("interpolateBilinear", x, size: size, scaleFactor: nil, alignCorners: alignCorners, cubic: false, into: into, workspace: workspace)
}

/// F.interpolate(x, scale_factor:, mode="bilinear", align_corners:) with torch's
/// default recompute_scale_factor: output size floor(in · s), and source coordinates
/// mapped with 1/s itself (not in/out).
public func interpolateBilinear(_ x: Tensor, scaleFactor: (height: Double, width: Double), alignCorners: Bool = false,
                                into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try resample("interpolateBilinear", x, size: nil, scaleFactor: scaleFactor, alignCorners: alignCorners, cubic: false, into: into, workspace: workspace)
}

/// F.interpolate(x, size:, mode="bicubic", align_corners:), antialias off (A = −0.75,
/// border taps clamped to the edge, as torch).
public func interpolateBicubic(_ x: Tensor, size: (height: Int, width: Int), alignCorners: Bool = false,
                               into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try resample("interpolateBicubic", x, size: size, scaleFactor: nil, alignCorners: alignCorners, cubic: true, into: into, workspace: workspace)
}

/// F.interpolate(x, scale_factor:, mode="bicubic") with torch's default
/// recompute_scale_factor, as DINOv2's `interpolate_pos_encoding` calls it with
/// s = (w0 + 0.1)/√N: output size floor(in · s), source coordinates mapped with 1/s.
public func interpolateBicubic(_ x: Tensor, scaleFactor: (height: Double, width: Double), alignCorners: Bool = false,
                               into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try resample("interpolateBicubic", x, size: nil, scaleFactor: scaleFactor, alignCorners: alignCorners, cubic: true, into: into, workspace: workspace)
}

/// Source taps along one axis: for each output index, `taps` input indices (already
/// clamped into range) and their weights.
struct AxisTaps {
    let taps: Int
    var index: [Int]
    var weight: [Float]

    /// torch's area_pixel_compute_scale: the ratio that maps output to input coordinates.
    static func ratio(input: Int, output: Int, alignCorners: Bool, scaleFactor: Double?) -> Float {
        if alignCorners { return output > 1 ? Float(input - 1) / Float(output - 1) : 0 }
        if let s = scaleFactor, s > 0 { return Float(1.0 / s) }
        return Float(input) / Float(output)
    }

    /// torch's area_pixel_compute_source_index.
    static func source(_ ratio: Float, _ dst: Int, alignCorners: Bool, cubic: Bool) -> Float {
        if alignCorners { return ratio * Float(dst) }
        let src = ratio * (Float(dst) + 0.5) - 0.5
        return (!cubic && src < 0) ? 0 : src
    }

    static func linear(input: Int, output: Int, alignCorners: Bool, scaleFactor: Double?) -> AxisTaps {
        let r = ratio(input: input, output: output, alignCorners: alignCorners, scaleFactor: scaleFactor)
        var t = AxisTaps(taps: 2, index: [], weight: [])
        t.index.reserveCapacity(2 * output); t.weight.reserveCapacity(2 * output)
        for o in 0..<output {
            let src = source(r, o, alignCorners: alignCorners, cubic: false)
            let i0 = min(Int(src), input - 1)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            let lambda1 = src - Float(i0)
            t.index += [i0, i1]
            t.weight += [1 - lambda1, lambda1]
        }
        return t
    }

    static func cubic(input: Int, output: Int, alignCorners: Bool, scaleFactor: Double?) -> AxisTaps {
        let r = ratio(input: input, output: output, alignCorners: alignCorners, scaleFactor: scaleFactor)
        var t = AxisTaps(taps: 4, index: [], weight: [])
        t.index.reserveCapacity(4 * output); t.weight.reserveCapacity(4 * output)
        for o in 0..<output {
            let src = source(r, o, alignCorners: alignCorners, cubic: true)
            let base = Int(floorf(src))
            let f = src - Float(base)
            for k in -1...2 { t.index.append(min(max(base + k, 0), input - 1)) }
            t.weight += cubicWeights(f)
        }
        return t
    }

    /// Keys' cubic convolution weights with A = −0.75 (torch's choice) for fraction t.
    static func cubicWeights(_ t: Float) -> [Float] {
        let a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }        // |x| <= 1
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }   // 1 < |x| < 2
        return [far(t + 1), near(t), near(1 - t), far(2 - t)]
    }
}

private func resample(_ op: String, _ x: Tensor, size: (height: Int, width: Int)?, scaleFactor: (height: Double, width: Double)?,
                      alignCorners: Bool, cubic: Bool, into: Tensor?, workspace: Workspace?) throws(NNError) -> Tensor {
    try check(x.rank == 4, op, "input must be [N, C, H, W], got \(x.shape)")
    let (h, w) = (x.shape[2], x.shape[3])
    let ho: Int, wo: Int
    if let size {
        (ho, wo) = (size.height, size.width)
    } else {
        let s = scaleFactor!
        try check(s.height > 0 && s.width > 0 && s.height.isFinite && s.width.isFinite, op, "scale factor \(s) must be positive")
        (ho, wo) = (Int((Double(h) * s.height).rounded(.down)), Int((Double(w) * s.width).rounded(.down)))
    }
    try check(ho > 0 && wo > 0, op, "output size \(ho)×\(wo) must be positive")
    try check(h > 0 && w > 0, op, "input \(x.shape) is empty")
    let out = try makeOutput(op, [x.shape[0], x.shape[1], ho, wo], into: into, workspace: workspace)
    try check(!out.overlaps(x), op, "output must not overlap the input")
    let make = cubic ? AxisTaps.cubic : AxisTaps.linear
    // With align_corners the scale factor plays no part in torch's coordinate mapping.
    let ys = make(h, ho, alignCorners, alignCorners ? nil : scaleFactor?.height)
    let xs = make(w, wo, alignCorners, alignCorners ? nil : scaleFactor?.width)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let taps = ys.taps
    ys.index.withUnsafeBufferPointer { yi in ys.weight.withUnsafeBufferPointer { yw in
    xs.index.withUnsafeBufferPointer { xi in xs.weight.withUnsafeBufferPointer { xw in
        let yi = SendablePointer(UnsafeMutablePointer(mutating: yi.baseAddress!)), yw = SendablePointer(UnsafeMutablePointer(mutating: yw.baseAddress!))
        let xi = SendablePointer(UnsafeMutablePointer(mutating: xi.baseAddress!)), xw = SendablePointer(UnsafeMutablePointer(mutating: xw.baseAddress!))
        parallelChunks(x.shape[0] * x.shape[1] * ho, grain: max(1, elementwiseGrain / max(1, taps * taps * wo))) { begin, end in
            for r in begin..<end {
                let plane = src.base + (r / ho) * h * w, oy = r % ho
                let o = dst.base + r * wo
                for ox in 0..<wo {
                    // Along x within each source row first, then across rows, as torch sums.
                    var acc: Float = 0
                    for i in 0..<taps {
                        let row = plane + yi[oy * taps + i] * w
                        var along: Float = 0
                        for j in 0..<taps { along += xw[ox * taps + j] * row[xi[ox * taps + j]] }
                        acc += yw[oy * taps + i] * along
                    }
                    o[ox] = acc
                }
            }
        }
    }}}}
    return out
}
