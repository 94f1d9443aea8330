import Foundation
import Parallel

/// torch.nn.InstanceNorm2d without affine parameters or running statistics (its
/// defaults): each plane of x [N, C, H, W] becomes (x − mean) / sqrt(var + eps),
/// with the biased variance of that plane. Statistics are accumulated in double
/// precision. May run in place (`into: x`).
public func instanceNorm2d(_ x: Tensor, eps: Float = 1e-5, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4, "instanceNorm2d", "input must be [N, C, H, W], got \(x.shape)")
    let plane = x.shape[2] * x.shape[3]
    try check(plane > 0, "instanceNorm2d", "input \(x.shape) has empty planes")
    let out = try makeOutput("instanceNorm2d", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "instanceNorm2d", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelFor(x.shape[0] * x.shape[1]) { job in
        let i = src.base + job * plane, o = dst.base + job * plane
        var sum: Double = 0
        for k in 0..<plane { sum += Double(i[k]) }
        let mean = sum / Double(plane)
        var squares: Double = 0
        for k in 0..<plane { let d = Double(i[k]) - mean; squares += d * d }
        let invStd = Float(1 / (squares / Double(plane) + Double(eps)).squareRoot())
        let m = Float(mean)
        for k in 0..<plane { o[k] = (i[k] - m) * invStd }
    }
    return out
}

/// x.mean(dim=1, keepdim=True) on x [N, C, H, W] → [N, 1, H, W]: channels summed in
/// order, then divided by C.
public func channelMean(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4 && x.shape[1] > 0, "channelMean", "input must be [N, C, H, W] with C > 0, got \(x.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2] * x.shape[3]
    let out = try makeOutput("channelMean", [n, 1, x.shape[2], x.shape[3]], into: into, workspace: workspace)
    try check(!out.overlaps(x), "channelMean", "output must not overlap the input")
    let src = x.pointer, dst = out.pointer
    let divisor = Float(c)
    for b in 0..<n {
        for k in 0..<plane {
            var sum: Float = 0
            for ch in 0..<c { sum += src[(b * c + ch) * plane + k] }
            dst[b * plane + k] = sum / divisor
        }
    }
    return out
}
