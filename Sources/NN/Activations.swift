import CKernels
import Foundation
import Parallel

/// Elements per parallel chunk for elementwise loops: below this the threads cost more than they save.
let elementwiseGrain = 1 << 15

/// Runs `body(start, end)` over 0..<count in chunks of about `grain`, in parallel.
func parallelChunks(_ count: Int, grain: Int = elementwiseGrain, _ body: @Sendable (Int, Int) -> Void) {
    let chunks = max(1, (count + grain - 1) / grain)
    if chunks == 1 { body(0, count); return }
    parallelFor(chunks) { c in body(count * c / chunks, count * (c + 1) / chunks) }
}

/// Applies `f` to every element (in place when `into` is `x`).
public func mapElements(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil,
                _ f: @escaping @Sendable (Float) -> Float) throws(NNError) -> Tensor {
    let out = try makeOutput("mapElements", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "mapElements", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.count) { begin, end in
        for i in begin..<end { dst[i] = f(src[i]) }
    }
    return out
}

/// max(x, 0); in place when `into` is `x`.
public func relu(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let out = try makeOutput("relu", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "relu", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.count) { begin, end in
        // Masked select in vectors: Swift's max(_:_:) is NaN-aware and stays scalar.
        // NaN fails `v .< 0` and passes through, as torch's relu propagates it.
        var i = begin
        while i + 8 <= end {
            let v = UnsafeRawPointer(src.base + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst.base + i).storeBytes(of: v.replacing(with: 0, where: v .< 0), as: SIMD8<Float>.self)
            i += 8
        }
        while i < end { let v = src[i]; dst[i] = v < 0 ? 0 : v; i += 1 }
    }
    return out
}

/// gelu(x + bias) with `bias` [C] broadcast over x's last dimension: a linear layer's
/// bias added in the GELU pass (TransformerBlock's fc1), so the GEMM neither starts
/// from a bias-filled output nor reads it back. The sum is rounded to float before the
/// GELU, as a separate add would. In place when `into` is `x`.
public func gelu(_ x: Tensor, addingBias bias: Tensor, into: Tensor? = nil,
                 workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank >= 1 && bias.shape == [x.dim(-1)], "gelu", "bias \(bias.shape) does not match input \(x.shape)")
    let out = try makeOutput("gelu", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "gelu", "output must be the input itself or not overlap it")
    let cols = bias.count
    guard cols > 0 else { return out }
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer), b = SendablePointer(bias.pointer)
    parallelChunks(x.count / cols, grain: max(1, elementwiseGrain / cols)) { begin, end in
        if roma_gelu_bias(src.base + begin * cols, b.base, end - begin, cols, dst.base + begin * cols) == 0 { return }
        for r in begin..<end {
            for j in 0..<cols { dst[r * cols + j] = vectorGelu(SIMD8(repeating: src[r * cols + j] + b[j]))[0] }
        }
    }
    return out
}

/// GELU in its exact erf form (torch's default, approximate="none"):
/// x · ½ · (1 + erf(x / √2)), vectorised (see `vectorGelu`). In place when `into` is `x`.
public func gelu(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let out = try makeOutput("gelu", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "gelu", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.count) { begin, end in
        // 16-wide with FMA where the CPU has AVX-512 (same formulas), else the loop below.
        if roma_gelu(src.base + begin, dst.base + begin, end - begin) == 0 { return }
        var i = begin
        while i + 8 <= end {
            let v = UnsafeRawPointer(src.base + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst.base + i).storeBytes(of: vectorGelu(v), as: SIMD8<Float>.self)
            i += 8
        }
        while i < end { dst[i] = vectorGelu(SIMD8(repeating: src[i]))[0]; i += 1 }
    }
    return out
}
