import CKernels
import Parallel

/// torch.nn.MaxPool2d(kernel_size=2, stride=2) on x [N, C, H, W] → [N, C, H/2, W/2]
/// (odd trailing rows and columns are dropped, as torch's floor mode does).
public func maxPool2x2(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4, "maxPool2x2", "input must be [N, C, H, W], got \(x.shape)")
    let (h, w) = (x.shape[2], x.shape[3])
    let (ho, wo) = (h / 2, w / 2)
    let out = try makeOutput("maxPool2x2", [x.shape[0], x.shape[1], ho, wo], into: into, workspace: workspace)
    try check(!out.overlaps(x), "maxPool2x2", "output must not overlap the input")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.shape[0] * x.shape[1] * ho, grain: max(1, elementwiseGrain / max(1, 4 * wo))) { begin, end in
        for r in begin..<end {
            let plane = r / ho, oy = r % ho
            let top = src.base + plane * h * w + 2 * oy * w, bottom = top + w
            let o = dst.base + r * wo
            if roma_max_pool_row(top, bottom, o, wo) == 0 { continue }   // AVX-512, same selections
            for ox in 0..<wo {
                o[ox] = max(max(top[2 * ox], top[2 * ox + 1]), max(bottom[2 * ox], bottom[2 * ox + 1]))
            }
        }
    }
    return out
}
