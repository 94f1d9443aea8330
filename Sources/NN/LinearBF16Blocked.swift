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
public func linearBF16TorchOrder(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                                 into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let (rows, n, k, out) = try linearOperands(x, weight: weight, bias: bias, into: into, workspace: workspace)
    if rows == 0 || n == 0 { return out }
    if torchOrderDisabled {   // A/B diagnostic: Debian oneDNN's order, as before
        return try linear(x, weight: weight, bias: bias, into: out, precision: .bf16)
    }
    let pairs = (k + 1) / 2, lda = 2 * pairs
    let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, (n + 15) / 16 * pairs * 32))
    let a = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, rows * lda))
    defer { packed.deallocate(); a.deallocate() }
    roma_bf16_pack_pairs(weight.pointer, k, n, k, packed)
    if lda == k {
        BF16.packRows(x.pointer, ld: k, rows: rows, columns: k, into: a)
    } else {
        for r in 0..<rows { roma_bf16_pack(x.pointer + r * k, a + r * lda, k); a[r * lda + k] = 0 }
    }
    let roundedBias = try bias.map { b throws(NNError) in try BF16.round(b) }
    let (pa, pp, po) = (SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(packed), SendablePointer(out.pointer))
    let pb = roundedBias.map { SendablePointer($0.pointer) }
    let block = torchBF16LinearBlock(k: k)
    let chunks = (rows + 3) / 4, threads = min(Threads.count, chunks)
    parallelFor(threads, threads: threads) { t in
        let lo = 4 * (chunks * t / threads), hi = min(rows, 4 * (chunks * (t + 1) / threads))
        if lo >= hi { return }
        roma_bf16_gemm_blocked(pa.base, lda, pp.base, po.base, n, n, k, block, lo, hi)
        if let pb {
            for r in lo..<hi { for j in 0..<n { po.base[r * n + j] += pb.base[j] } }
        }
        roma_bf16_round(po.base + lo * n, po.base + lo * n, (hi - lo) * n)
    }
    return out
}
