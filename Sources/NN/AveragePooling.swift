import Parallel

/// torch.nn.AvgPool2d(kernel_size=k, stride=k) (no padding, floor mode) on
/// x [N, C, H, W] → [N, C, H/k, W/k]: each output is the sum of its k×k window,
/// row by row, divided by k².
public func avgPool2d(_ x: Tensor, kernel k: Int, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4, "avgPool2d", "input must be [N, C, H, W], got \(x.shape)")
    try check(k >= 1, "avgPool2d", "kernel must be at least 1, got \(k)")
    let (h, w) = (x.shape[2], x.shape[3])
    let (ho, wo) = (h / k, w / k)
    try check(ho > 0 && wo > 0, "avgPool2d", "input \(h)x\(w) is smaller than the \(k)x\(k) window")
    let out = try makeOutput("avgPool2d", [x.shape[0], x.shape[1], ho, wo], into: into, workspace: workspace)
    try check(!out.overlaps(x), "avgPool2d", "output must not overlap the input")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let divisor = Float(k * k)
    parallelChunks(x.shape[0] * x.shape[1] * ho, grain: max(1, elementwiseGrain / max(1, k * w))) { begin, end in
        for r in begin..<end {
            let plane = r / ho, oy = r % ho
            let top = src.base + plane * h * w + k * oy * w
            let o = dst.base + r * wo
            for ox in 0..<wo {
                var sum: Float = 0
                for dy in 0..<k {
                    for dx in 0..<k { sum += top[dy * w + k * ox + dx] }
                }
                o[ox] = sum / divisor
            }
        }
    }
    return out
}
