import CKernels
import Foundation
import Parallel

/// F.interpolate(x, size:, mode="bilinear", align_corners=True) of a bf16 CPU tensor as torch
/// 2.15 computes it, to the bit (RoMa v2's DPT head under autocast). x holds bf16 values; the
/// output is rounded to bf16. torch sends an output of oh + ow ≤ 128 (or a channels-last input,
/// here only a 1×1 one, which both kernels resize alike) through its channels-last kernel, any
/// other through its generic one; the two weight and sum differently (upsample_bf16_torch.c).
public func interpolateBilinearBF16Torch(_ x: Tensor, size: (height: Int, width: Int),
                                         workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let op = "interpolateBilinearBF16Torch"
    try check(x.rank == 4, op, "input must be [N, C, H, W], got \(x.shape)")
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (size.height, size.width)
    try check(oh > 0 && ow > 0 && h > 0 && w > 0 && c > 0, op, "input \(x.shape), output \(oh)×\(ow) must be non-empty")
    let out = try makeOutput(op, [x.shape[0], c, oh, ow], into: nil, workspace: workspace)
    let channelsLast: Int32 = oh + ow <= 128 ? 1 : 0
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.shape[0] * c, grain: max(1, elementwiseGrain / (oh * ow))) { begin, end in
        roma_upsample_bilinear_bf16_torch(src.base + begin * h * w, end - begin, begin, c, h, w, oh, ow, channelsLast,
                                          dst.base + begin * oh * ow)
    }
    return out
}
