import CKernels
import Parallel

/// torch 2.15's CPU `layer_norm` over the last dimension, to the bit. `input: .bf16`: x is a
/// bf16 tensor (bf16 values stored as float; weight and bias bf16 or float `[C]`) and the
/// output is rounded to bf16, as torch returns it; `.fp32`: a float tensor, float output.
///
/// `layerNorm` computes the moments in double, which is closer to the exact values; torch
/// computes them in float with a cascaded Welford over 8-float vectors (its layer-norm
/// kernel is built for AVX2, not AVX-512) and forms y with FMAs. The roundings differ on a few
/// dozen of 2.6 M bf16 outputs per norm, and a bf16 ViT amplifies each one; RoMa v2's bf16
/// path uses this form (CKernels `roma_layer_norm_torch`, docs/roma2.md "Precision").
public func layerNormTorch(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float, input: Precision,
                           into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (out, rows, c) = try layerNormOperands("layerNormTorch", x, weight: weight, bias: bias, into: into, workspace: workspace)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let wp = SendablePointer(weight.pointer), bp = SendablePointer(bias.pointer)
    let bf16: Int32 = input == .bf16 ? 1 : 0
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c))) { begin, end in
        roma_layer_norm_torch(src.base + begin * c, wp.base, bp.base, end - begin, c, eps, bf16, dst.base + begin * c)
    }
    return out
}
