import CKernels
import Foundation
import Parallel

/// The K block torch's bf16 linear sums in (oneDNN 3.13's brgemm matmul, as torch 2.15 runs
/// `F.linear` on bf16 tensors on CPU): each output's products are added pair by pair within a
/// block and the blocks' sums left to right. Measured against torch, bit for bit, on random
/// bf16 operands (docs/roma2.md, "Precision"): K ≤ 1024 → 512 (one block below that),
/// K = 4096 → 1024 (DINOv3's fc2), K = 3072 → 1024 (ViT-B's fc2).
func torchBF16LinearBlock(k: Int) -> Int {
    k <= 1024 ? 512 : 1024
}

/// `ROMA_BF16_LINEAR_ORDER=onednn` turns the torch order off (everything through `linear(…,
/// precision: .bf16)`): the switch the before/after figures of docs/roma2.md were measured with.
let torchOrderDisabled = ProcessInfo.processInfo.environment["ROMA_BF16_LINEAR_ORDER"] == "onednn"

/// `linear(…, precision: .bf16)` summed in torch's order (`torchBF16LinearBlock`), for the
/// models whose reference runs torch's bf16 `F.linear` and must agree with it to the bit
/// (RoMa v2). The product is summed first and the bf16 bias added to it, as oneDNN's bias
/// post-op; the output rounded to bf16. Debian's oneDNN 2.6 GEMM (`.bf16` elsewhere) sums
/// in blocks of 512 whatever K, which agrees up to K = 1024 only.
/// This form packs `weight` on every call; a model packs each weight once at load
/// (`BF16PackedLinear`, `linearBF16TorchOrder(_:packed:)`), with the same result to the bit.
public func linearBF16TorchOrder(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                                 into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (rows, n, _, out) = try linearOperands(x, weight: weight, bias: bias, into: into, workspace: workspace)
    if rows == 0 || n == 0 { return out }
    if torchOrderDisabled {   // A/B diagnostic: Debian oneDNN's order, as before
        return try linear(x, weight: weight, bias: bias, into: out, precision: .bf16)
    }
    return try linearBF16TorchOrder(x, packed: BF16PackedLinear(weight: weight, bias: bias), into: out)
}

/// A linear's weight `[out, in]` rounded to bf16 and packed into the pairs layout of
/// `linearBF16TorchOrder`'s kernel (`roma_bf16_pack_pairs`), and its bias rounded to bf16:
/// what a model running its linears in torch's bf16 order keeps instead of the fp32 weight
/// (half the bytes; the packing, a pass over 16 MB for DINOv3's fc1, done once instead of
/// on every call). Immutable once made, so any number of threads may use it at once.
public struct BF16PackedLinear: Sendable {
    public let outFeatures: Int, inFeatures: Int
    /// ceil(out/16)·ceil(in/2)·32 bf16 bit patterns (at least one element).
    let pairs: [UInt16]
    /// The bias rounded to bf16.
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) throws(NNError) {
        try check(weight.rank == 2, "linear", "weight must be [out, in], got \(weight.shape)")
        let (n, k) = (weight.shape[0], weight.shape[1])
        if let bias { try check(bias.shape == [n], "linear", "bias \(bias.shape), expected [\(n)]") }
        let kPairs = (k + 1) / 2, groups = (n + 15) / 16, count = groups * kPairs * 32
        let source = SendablePointer(weight.pointer)
        pairs = [UInt16](unsafeUninitializedCapacity: max(1, count)) { buffer, initialized in
            if count == 0 { buffer[0] = 0 }
            let packed = SendablePointer(buffer.baseAddress!)
            // groups of 16 output rows are packed independently: split them over the threads
            let threads = min(Threads.count, groups)
            parallelFor(threads, threads: threads) { t in
                let g0 = groups * t / threads, g1 = groups * (t + 1) / threads
                if g0 >= g1 { return }
                roma_bf16_pack_pairs(source.base + g0 * 16 * k, k, min(n, g1 * 16) - g0 * 16, k, packed.base + g0 * kPairs * 32)
            }
            initialized = max(1, count)
        }
        (outFeatures, inFeatures) = (n, k)
        self.bias = try bias.map { b throws(NNError) in try BF16.round(b) }
    }

    /// The weight `[out, in]` as float32 holding its bf16 values (what a bf16 GEMM reads of the fp32 weight).
    public func unpacked() -> Tensor {
        let (n, k, kPairs) = (outFeatures, inFeatures, (inFeatures + 1) / 2)
        var values = [Float](repeating: 0, count: n * k)
        for col in 0..<n {
            for i in 0..<k {
                let bits = pairs[((col / 16) * kPairs + i / 2) * 32 + 2 * (col % 16) + i % 2]
                values[col * k + i] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
        return Tensor(values, shape: [n, k])
    }
}

/// `linearBF16TorchOrder` with the weight packed beforehand: the same sums, to the bit.
public func linearBF16TorchOrder(_ x: Tensor, packed w: BF16PackedLinear,
                                 into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (rows, n, k, out) = try linearOperands(x, weightShape: [w.outFeatures, w.inFeatures], bias: w.bias,
                                               into: into, workspace: workspace)
    if rows == 0 || n == 0 { return out }
    if torchOrderDisabled {   // A/B diagnostic: Debian oneDNN's order, as before
        return try linear(x, weight: w.unpacked(), bias: w.bias, into: out, precision: .bf16)
    }
    let pairs = (k + 1) / 2, lda = 2 * pairs
    let a = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, rows * lda))
    defer { a.deallocate() }
    if lda == k {
        BF16.packRows(x.pointer, ld: k, rows: rows, columns: k, into: a)
    } else {
        for r in 0..<rows { roma_bf16_pack(x.pointer + r * k, a + r * lda, k); a[r * lda + k] = 0 }
    }
    let block = torchBF16LinearBlock(k: k)
    let chunks = (rows + 3) / 4, threads = min(Threads.count, chunks)
    w.pairs.withUnsafeBufferPointer { packed in
        let (pa, pp, po) = (SendablePointer(a), SendableConstPointer(packed.baseAddress!),
                            SendablePointer(out.pointer))
        let pb = w.bias.map { SendablePointer($0.pointer) }
        parallelFor(threads, threads: threads) { t in
            let lo = 4 * (chunks * t / threads), hi = min(rows, 4 * (chunks * (t + 1) / threads))
            if lo >= hi { return }
            roma_bf16_gemm_blocked(pa.base, lda, pp.base, po.base, n, n, k, block, lo, hi)
            if let pb {
                for r in lo..<hi { for j in 0..<n { po.base[r * n + j] += pb.base[j] } }
            }
            roma_bf16_round(po.base + lo * n, po.base + lo * n, (hi - lo) * n)
        }
    }
    return out
}
