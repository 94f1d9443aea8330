import CKernels
import Parallel

/// torch 2.15's CPU `layer_norm` of a bf16 tensor, to the bit: x `[..., C]` holding bf16
/// values (as float), weight and bias bf16 or float `[C]`, the output rounded to bf16.
///
/// `layerNorm` computes the moments in double, which is closer to the exact values; torch
/// computes them in float with a cascaded Welford over 8-float vectors (its layer-norm
/// kernel is built for AVX2, not AVX-512) and forms y as two FMAs. The roundings differ on
/// a few dozen of 2.6 M outputs per norm, and a bf16 ViT amplifies each one; RoMa v2's bf16
/// path uses this form (CKernels `roma_layer_norm_torch_bf16`, docs/roma2.md "Precision").
public func layerNormTorchBF16(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float,
                               into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (out, rows, c) = try layerNormOperands("layerNormTorchBF16", x, weight: weight, bias: bias, into: into, workspace: workspace)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let wp = weight.map { SendablePointer($0.pointer) }, bp = bias.map { SendablePointer($0.pointer) }
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, c))) { begin, end in
        roma_layer_norm_torch_bf16(src.base + begin * c, wp?.base, bp?.base, end - begin, c, eps, dst.base + begin * c)
    }
    return out
}
