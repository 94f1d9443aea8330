import CKernels
import Parallel

/// torch 2.15's `nn.GELU()` (erf form) on a CPU tensor, to the bit. `input: .bf16`: x is a bf16
/// tensor (bf16 values stored as float) and the output is rounded to bf16 as torch returns it;
/// `.fp32`: float in and out.
///
/// torch does not compute this GELU itself: aten hands a CPU tensor to its bundled oneDNN 3.13,
/// whose AVX-512 kernel evaluates erf(x/√2) as a degree-5 minimax polynomial in |x| picked from
/// 25 pieces by the bit pattern (`gelu`, with its own erfc approximation, differs on a few
/// thousandths of a percent of bf16 outputs; a bf16 ViT amplifies each one). RoMa v2's bf16 path
/// uses this form (CKernels `roma_gelu_onednn`, docs/roma2.md "Precision"); every fp32 path and
/// RoMa v1 keep `gelu`. ±inf gives NaN, as oneDNN's kernel does; bf16 outputs below the
/// smallest normal are flushed to zero (oneDNN's VCVTNEPS2BF16 store). In place when `into` is `x`.
public func geluTorch(_ x: Tensor, input: Precision, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let out = try makeOutput("geluTorch", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "geluTorch", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let bf16: Int32 = input == .bf16 ? 1 : 0
    parallelChunks(x.count) { begin, end in
        roma_gelu_onednn(src.base + begin, dst.base + begin, end - begin, bf16)
    }
    return out
}
